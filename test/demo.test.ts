/**
 * `npm run demo` (SPEC §6): the built demo, run as a child process in a fresh folder the way a
 * newcomer runs it, must finish with exit 0, leave an archive of WAV recordings each with its CDR,
 * a readable status.json, say where everything went, and work again in the same folder.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { baseEnv, ROOT, tempDir } from './helpers/cli.js';

const DEMO = path.join(ROOT, 'sim', 'dist', 'demo.js');

interface DemoResult {
  code: number | null;
  output: string;
  ms: number;
}

/** Runs the demo in `cwd`; stdout and stderr together, as a reader would see them. */
function runDemo(cwd: string, timeoutMs = 180_000): Promise<DemoResult> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [DEMO], { cwd, env: baseEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (output += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (output += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output, ms: Date.now() - started });
    });
  });
}

async function filesUnder(root: string): Promise<string[]> {
  const out: string[] = [];
  async function walk(dir: string): Promise<void> {
    for (const entry of await fs.readdir(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) await walk(full);
      else out.push(path.relative(root, full).split(path.sep).join('/'));
    }
  }
  await walk(root);
  return out.sort();
}

/** Checks what one demo run left behind in `cwd`. */
async function checkDemoFolder(cwd: string, result: DemoResult): Promise<void> {
  assert.equal(result.code, 0, `demo exited ${String(result.code)}:\n${result.output.slice(-4000)}`);
  const demoDir = path.join(cwd, 'demo');
  const archiveDir = path.join(demoDir, 'archive');

  const files = await filesUnder(archiveDir);
  const wavs = files.filter((f) => f.endsWith('.wav'));
  const xmls = files.filter((f) => f.endsWith('.xml'));
  assert.ok(wavs.length >= 100, `expected a few hundred recordings, found ${wavs.length}`);
  assert.deepEqual(
    files.filter((f) => !f.endsWith('.wav') && !f.endsWith('.xml')),
    [],
    'nothing but recordings and CDRs in the archive',
  );
  // Every recording has its CDR beside it, and every CDR its recording.
  assert.deepEqual(
    wavs.map((f) => f.replace(/\.wav$/, '')),
    xmls.map((f) => f.replace(/\.xml$/, '')),
  );
  for (const wav of wavs) {
    assert.match(wav, /^\d{4}\/\d{2}\/\d{2}\/[0-9a-f-]{36}\/[0-9a-f-]{36}\.wav$/, wav);
  }
  // One CDR checked against its media: the archive is verified content, not just files.
  const sample = wavs[0]!;
  const cdr = await fs.readFile(path.join(archiveDir, sample.replace(/\.wav$/, '.xml')), 'utf8');
  const media = await fs.readFile(path.join(archiveDir, sample));
  assert.equal(/sha256="([0-9a-f]{64})"/.exec(cdr)?.[1], createHash('sha256').update(media).digest('hex'));

  const statusFile = path.join(demoDir, 'state', 'reports', 'demo_sim', 'status.json');
  const status = JSON.parse(await fs.readFile(statusFile, 'utf8')) as Record<string, unknown>;
  for (const key of ['cursor', 'lagMinutes', 'pending', 'retryBuffer', 'lastExitCode', 'finishedAt']) {
    assert.ok(key in status, `status.json has ${key}`);
  }
  const config = JSON.parse(await fs.readFile(path.join(demoDir, 'genesys-ingest.json'), 'utf8')) as Record<
    string,
    unknown
  >;
  assert.equal(config.policyId, 'demo');
  assert.equal(config.importSourceId, 'sim');

  // The reader is told where things went, with the paths they can type.
  for (const text of [
    'demo/archive',
    'demo/state/reports/demo_sim',
    'status.json',
    'demo/state/ledger/demo_sim',
    'demo/state/retryBuffer/demo_sim',
    'demo/state/laststate/demo_sim/demo_sim.cursor',
    '--config demo/genesys-ingest.json',
    `${wavs.length} recordings and ${xmls.length} CDRs`,
  ]) {
    assert.ok(result.output.includes(text), `output mentions ${text}`);
  }
  // The steps ran: catchup raised alerts (exit 1 is expected there), run, retry list, cursor get.
  for (const text of [
    '$ genesys-ingest catchup',
    '$ genesys-ingest run',
    '$ genesys-ingest retry list',
    '$ genesys-ingest cursor get',
  ]) {
    assert.ok(result.output.includes(text), `output shows ${text}`);
  }
}

describe('npm run demo', () => {
  it('runs against the simulator into ./demo/, and again in the same folder', async (t) => {
    const cwd = await tempDir('gi-demo-');
    t.after(() => fs.rm(cwd, { recursive: true, force: true }));

    const first = await runDemo(cwd);
    await checkDemoFolder(cwd, first);
    assert.match(first.output, /Created \.\/demo\//);
    t.diagnostic(`first run: ${(first.ms / 1000).toFixed(1)} s`);

    const second = await runDemo(cwd);
    await checkDemoFolder(cwd, second);
    assert.match(second.output, /Replaced \.\/demo\//);
    // Recreated, not added to: one catchup and one run report, as after the first run.
    const reports = (await fs.readdir(path.join(cwd, 'demo', 'state', 'reports', 'demo_sim'))).filter((n) =>
      /^\d{8}T\d{6}Z-(catchup|run)\.json$/.test(n),
    );
    assert.equal(reports.length, 2, reports.join(', '));
    t.diagnostic(`second run: ${(second.ms / 1000).toFixed(1)} s`);
  });

  it('refuses a ./demo/ folder it did not make, and leaves it alone', async (t) => {
    const cwd = await tempDir('gi-demo-');
    t.after(() => fs.rm(cwd, { recursive: true, force: true }));
    await fs.mkdir(path.join(cwd, 'demo'));
    await fs.writeFile(path.join(cwd, 'demo', 'notes.txt'), 'mine');

    const result = await runDemo(cwd, 60_000);
    assert.notEqual(result.code, 0);
    assert.match(result.output, /was not made by the demo/);
    assert.deepEqual(await fs.readdir(path.join(cwd, 'demo')), ['notes.txt']);
  });
});
