/**
 * `retry remove` never throws a recording away (SPEC §1): entries move to `removed/`, the ledger
 * gets a `conversation` line with status `removed`, `retry add` brings one back, and `--all` asks on
 * a terminal and needs `--yes` elsewhere.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { buildRetryCdrXml } from '../src/archive/cdr.js';
import { BIN, runCli, snapshotTree } from './helpers/cli.js';
import { ledgerLines } from './helpers/run.js';
import { makeWorkspace, type Workspace } from './helpers/workspace.js';

const C1 = '11111111-1111-4111-8111-111111111111';
const C2 = '22222222-2222-4222-8222-222222222222';
const R1 = 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa';
const START = '2026-11-30T09:15:00.000Z';

const cli = (ws: Workspace, ...args: string[]) => runCli([...args, '--config', ws.configPath]);
const removedDir = (ws: Workspace): string => path.join(ws.retryDir, 'removed');

interface LedgerLine {
  type: string;
  conversationId: string;
  conversationStart: string;
  status?: string;
  recordingIds?: string[];
  prev: string;
}

async function addEntries(ws: Workspace): Promise<void> {
  // One entry with a known start (a file), one without (by id).
  const file = path.join(ws.dir, 'one.xml');
  await fs.writeFile(
    file,
    buildRetryCdrXml({ conversationId: C2, recordingId: R1, conversationStart: START }),
  );
  assert.equal((await cli(ws, 'retry', 'add', file)).code, 0);
  assert.equal((await cli(ws, 'retry', 'add', '--conversation', C1)).code, 0);
}

/** Runs the CLI inside a pseudo-terminal (util-linux `script`), typing `answer` to its question. */
function onTerminal(args: string[], answer: string): Promise<{ code: number | null; output: string }> {
  const command = [process.execPath, BIN, ...args].map((a) => `'${a.replaceAll("'", "'\\''")}'`).join(' ');
  return new Promise((resolve, reject) => {
    const child = spawn('script', ['-qec', command, '/dev/null'], {
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', NO_COLOR: '1', TERM: 'dumb' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let output = '';
    let answered = false;
    const onData = (d: Buffer): void => {
      output += d.toString('utf8');
      // Answer once the question is on the screen, not before.
      if (!answered && /\[y\/N\]/.test(output)) {
        answered = true;
        child.stdin.write(`${answer}\r`);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

describe('retry remove keeps a trace', () => {
  it('moves entries to removed/, writes a ledger line each, and retry add brings one back', async (t) => {
    const ws = await makeWorkspace();
    t.after(() => ws.cleanup());
    await addEntries(ws);
    const C2entry = `${C2}_${R1}.xml`;

    // By a path to the entry, as `retry list` shows where the buffer is.
    const byPath = await cli(ws, 'retry', 'remove', path.join(ws.retryDir, C2entry), '--json');
    assert.equal(byPath.code, 0, byPath.stderr);
    assert.deepEqual(JSON.parse(byPath.stdout), { ok: true, removed: [C2entry] });
    const byId = await cli(ws, 'retry', 'remove', C1);
    assert.equal(byId.code, 0, byId.stderr);

    assert.deepEqual(
      (await fs.readdir(ws.retryDir)).filter((n) => n.endsWith('.xml')),
      [],
    );
    assert.deepEqual((await fs.readdir(removedDir(ws))).sort(), [`${C1}.xml`, C2entry].sort());
    assert.equal((await fs.stat(path.join(removedDir(ws), C2entry))).mode & 0o777, 0o600);
    assert.equal((await fs.stat(removedDir(ws))).mode & 0o777, 0o700);

    const lines = (await ledgerLines(ws.stateDir)) as unknown as LedgerLine[];
    assert.deepEqual(
      lines.map((l) => [l.type, l.status, l.conversationId, l.conversationStart, l.recordingIds]),
      [
        ['conversation', 'removed', C2, START, [R1]],
        ['conversation', 'removed', C1, '', []],
      ],
    );
    const chain = await cli(ws, 'verify', '--offline', '--archive', '--json');
    const doc = JSON.parse(chain.stdout) as { checks: { name: string; ok: boolean; detail: string }[] };
    const ledgerCheck = doc.checks.find((c) => /ledger/i.test(c.name));
    assert.ok(ledgerCheck?.ok, `the ledger chain holds: ${chain.stdout}`);

    // A run would not see removed entries; `retry add` of the removed file brings it back.
    assert.equal((JSON.parse((await cli(ws, 'retry', 'list', '--json')).stdout) as { size: number }).size, 0);
    const back = await cli(ws, 'retry', 'add', path.join(removedDir(ws), C2entry));
    assert.equal(back.code, 0, back.stderr);
    assert.deepEqual(await fs.readdir(removedDir(ws)), [`${C1}.xml`]);
    assert.ok(existsSync(path.join(ws.retryDir, C2entry)));
  });

  it('--all without a terminal needs --yes: exit 2 and nothing changed', async (t) => {
    const ws = await makeWorkspace();
    t.after(() => ws.cleanup());
    await addEntries(ws);
    const before = await snapshotTree(ws.dir);
    const refused = await cli(ws, 'retry', 'remove', '--all');
    assert.equal(refused.code, 2, refused.stderr);
    assert.match(refused.stderr, /--yes/);
    assert.deepEqual(await snapshotTree(ws.dir), before);

    const done = await cli(ws, 'retry', 'remove', '--all', '--yes');
    assert.equal(done.code, 0, done.stderr);
    assert.equal((await fs.readdir(removedDir(ws))).length, 2);
    assert.equal(
      ((await ledgerLines(ws.stateDir)) as unknown as LedgerLine[]).filter((l) => l.status === 'removed')
        .length,
      2,
    );
  });

  it('--all on a terminal asks first: "n" changes nothing, "y" removes', async (t) => {
    const ws = await makeWorkspace();
    t.after(() => ws.cleanup());
    await addEntries(ws);
    const before = await snapshotTree(ws.dir);
    const no = await onTerminal(['retry', 'remove', '--all', '--config', ws.configPath], 'n');
    assert.match(no.output, /Move all 2 entries of the retry buffer to removed\/.*\[y\/N\]/);
    assert.equal(no.code, 2, no.output);
    assert.deepEqual(await snapshotTree(ws.dir), before, 'nothing changed');

    const yes = await onTerminal(['retry', 'remove', '--all', '--config', ws.configPath], 'y');
    assert.equal(yes.code, 0, yes.output);
    assert.equal((await fs.readdir(removedDir(ws))).length, 2);
  });
});
