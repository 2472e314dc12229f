import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { addConversation, generateOrg } from '../sim/src/index.js';
import { hasRunBefore } from '../src/state/cursor-file.js';
import { statePaths } from '../src/state/paths.js';
import { baseEnv, runCli, tempDir } from './helpers/cli.js';
import { ingest, retryEntries, TEST_ENV } from './helpers/run.js';
import { assertArchiveExact, startSimWorkspace } from './helpers/sim.js';

const MIN = 60_000;
const HOUR = 60 * MIN;

/** Every file and folder under `root`: relative path → mode and SHA-256 of the content. */
async function snapshot(root: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  async function walk(dir: string): Promise<void> {
    for (const e of await fs.readdir(dir, { withFileTypes: true }).catch(() => [])) {
      const full = path.join(dir, e.name);
      const rel = path.relative(root, full).split(path.sep).join('/');
      const mode = ((await fs.stat(full)).mode & 0o777).toString(8);
      if (e.isDirectory()) {
        out.set(`${rel}/`, mode);
        await walk(full);
      } else {
        out.set(
          rel,
          `${mode} ${createHash('sha256')
            .update(await fs.readFile(full))
            .digest('hex')}`,
        );
      }
    }
  }
  await walk(root);
  return out;
}

const DRY_REPORT = /^reports\/pol1_src1\/\d{8}T\d{6}Z-(run|catchup)-dryrun\.json$/;

describe('run --dry-run', () => {
  it('on a fresh setup leaves it fresh: only a -dryrun.json report, and catchup then works', async (t) => {
    const now = Date.now();
    const org = generateOrg({ seed: 'dry-fresh', conversations: 0 });
    for (let i = 0; i < 6; i++)
      addConversation(org, { startMs: now - (10 - i) * HOUR, durationMs: 2 * MIN, recordings: 1 });
    // The default maxLagMinutes (240): the never-run cursor lags 11 hours, as it does on any fresh setup.
    const setup = await startSimWorkspace({ sim: { org } });
    t.after(() => setup.cleanup());

    const dry = await ingest(setup.ws, ['--dry-run']);
    assert.equal(dry.result.code, 0, `a dry run that found work to do exits 0\n${dry.result.stderr}`);
    assert.equal(dry.report.dryRun, true);
    assert.deepEqual(
      dry.report.alerts.map((a) => a.type),
      [],
      'no lagging alert for a cursor a dry run never moves',
    );
    assert.equal(dry.report.items.filter((i) => i.reason.startsWith('dry run: would be ingested')).length, 6);
    assert.equal(setup.sim.counts().media, 0, 'nothing downloaded');

    const files = [...(await snapshot(setup.ws.stateDir)).keys()].filter((f) => !f.endsWith('/'));
    const reports = files.filter((f) => DRY_REPORT.test(f));
    assert.equal(reports.length, 1, `one -dryrun.json report among ${files.join(', ')}`);
    // The encrypted token cache is a cache, not a trace of a run: it saves the next command a login.
    assert.deepEqual(
      files.filter((f) => f !== reports[0]).sort(),
      ['work/pol1_src1/token.enc'],
      'no cursor, status.json, ledger, frontier or journal after a dry run',
    );
    const written = JSON.parse(
      await fs.readFile(path.join(setup.ws.stateDir, reports[0]!), 'utf8'),
    ) as typeof dry.report;
    assert.equal(written.dryRun, true);
    assert.equal(written.command, 'run');
    assert.deepEqual(written, dry.report, 'the --json document is the report file');

    const catchup = await ingest(setup.ws, ['catchup']);
    assert.equal(catchup.result.code, 0, catchup.result.stderr);
    assert.equal(catchup.report.dryRun, false);
    assert.equal(catchup.report.counts.ingested, 6);
    await assertArchiveExact(setup);
  });

  it('lists the retry batch, the journaled deletes and the new recordings, and changes nothing', async (t) => {
    const now = Date.now();
    const org = generateOrg({ seed: 'dry-lists', conversations: 0 });
    const archived = addConversation(org, { startMs: now - 5 * HOUR, durationMs: MIN });
    const parked = addConversation(org, {
      startMs: now - 4 * HOUR,
      durationMs: MIN,
      fileState: 'ARCHIVED',
    });
    const fresh = addConversation(org, { startMs: now - 2 * HOUR, durationMs: MIN, recordings: 2 });
    const setup = await startSimWorkspace({
      sim: { org },
      config: {
        deleteAfterIngest: true,
        recordingStartTimestamp: new Date(now - 6 * HOUR).toISOString(),
      },
    });
    t.after(() => setup.cleanup());
    const { ws, sim } = setup;
    // A first run up to 3 hours ago: `archived` is archived but its delete call fails (journaled),
    // `parked` is archived in Genesys (retry buffer); `fresh` is left for later.
    const failing = sim.faults.add({
      listener: 'api',
      method: 'PUT',
      action: { kind: 'status', status: 500 },
      times: Infinity,
    });
    const first = await ingest(ws, ['catchup', '--until', new Date(now - 3 * HOUR).toISOString()]);
    assert.equal(first.result.code, 1, first.result.stderr);
    failing.remove();
    const archivedRec = archived.recordings[0]!.id;
    const parkedRec = parked.recordings[0]!.id;
    const deletesDir = path.join(ws.stateDir, 'work', 'pol1_src1', 'deletes');
    assert.deepEqual(await fs.readdir(deletesDir), [`${archived.id}_${archivedRec}.json`]);
    assert.deepEqual(await retryEntries(ws), [`${parked.id}_${parkedRec}.xml`]);

    const stateBefore = await snapshot(ws.stateDir);
    const archiveBefore = await snapshot(ws.archiveDir);
    const mark = sim.log.length === 0 ? 0 : sim.log.at(-1)!.seq;

    const dry = await ingest(ws, ['--dry-run']);
    assert.equal(dry.result.code, 0, dry.result.stderr);
    assert.equal(dry.report.dryRun, true);
    const reasons = new Map(
      dry.report.items.map((i) => [`${i.conversationId}/${i.recordingId}`, i] as const),
    );
    const retried = reasons.get(`${parked.id}/${parkedRec}`);
    assert.equal(retried?.status, 'pending');
    assert.match(retried.reason, /^dry run: would be retried/);
    assert.equal(retried.fromRetryBuffer, true);
    const deleted = reasons.get(`${archived.id}/${archivedRec}`);
    assert.equal(deleted?.status, 'pending');
    assert.match(deleted.reason, /^dry run: would be deleted/);
    for (const rec of fresh.recordings.filter((r) => r.media === 'audio')) {
      const listed = reasons.get(`${fresh.id}/${rec.id}`);
      assert.equal(listed?.status, 'pending', `${rec.id} is listed`);
      assert.match(listed.reason, /^dry run: would be ingested, then deleted in Genesys/);
    }
    assert.equal(dry.report.counts.ingested, 0);
    assert.equal(dry.report.counts.deleted, 0);

    const during = sim.log.filter((e) => e.seq > mark);
    assert.ok(during.length > 0, 'the dry run asked Genesys');
    assert.deepEqual(
      during.filter((e) => e.listener === 'media'),
      [],
      'no media request',
    );
    assert.deepEqual(
      during.filter((e) => e.method !== 'GET' && !e.path.startsWith('/api/v2/analytics/')),
      [],
      'no PUT, no batch request: nothing changed in Genesys',
    );
    const recordingReads = during.filter((e) => /\/recordings(\/|\?|$)/.test(e.path));
    assert.ok(recordingReads.length > 0, 'recordings were listed');
    for (const e of recordingReads) assert.match(e.path, /formatId=NONE/, e.path);

    // Human output off a terminal: a line for each thing it would do.
    const human = await runCli(['run', '--dry-run', '--config', ws.configPath], {
      env: baseEnv(TEST_ENV),
      timeoutMs: 120_000,
    });
    assert.equal(human.code, 0, human.stderr);
    const text = `${human.stdout}\n${human.stderr}`;
    assert.match(text, new RegExp(`would retry\\s+${parked.id}/${parkedRec}`));
    assert.match(text, new RegExp(`would delete\\s+${archived.id}/${archivedRec}`));
    for (const rec of fresh.recordings.filter((r) => r.media === 'audio'))
      assert.match(text, new RegExp(`would ingest\\s+${fresh.id}/${rec.id}`));

    const stateAfter = await snapshot(ws.stateDir);
    const added = [...stateAfter.keys()].filter((k) => !stateBefore.has(k));
    assert.equal(added.length, 2, `two dry-run reports added: ${added.join(', ')}`);
    for (const k of added) assert.match(k, DRY_REPORT);
    for (const k of added) stateAfter.delete(k);
    assert.deepEqual(stateAfter, stateBefore, 'the state folder is byte for byte as it was');
    assert.deepEqual(await snapshot(ws.archiveDir), archiveBefore, 'the archive is byte for byte as it was');
  });
});

describe('run --dry-run cost', () => {
  it('looks up the recordings of a sample of conversations; the rest are listed from analytics', async (t) => {
    const now = Date.now();
    const org = generateOrg({ seed: 'dry-many', conversations: 0 });
    const conversations = Array.from({ length: 40 }, (_, i) =>
      addConversation(org, { startMs: now - 5 * HOUR + i * 5 * MIN, durationMs: MIN, recordings: 1 }),
    );
    const setup = await startSimWorkspace({ sim: { org } });
    t.after(() => setup.cleanup());
    const dry = await ingest(setup.ws, ['--dry-run']);
    assert.equal(dry.result.code, 0, dry.result.stderr);
    // Genesys allows 300 requests a minute: one per conversation would make a back-fill's dry run as
    // slow as listing it for real, so only a sample is looked up (SPEC §1 dry run, §4.7).
    const lookups = setup.sim.log.filter((e) => /\/recordings\?/.test(e.path));
    assert.equal(lookups.length, 25, 'recordings looked up for the first 25 conversations');
    for (const e of lookups) assert.match(e.path, /formatId=NONE/);
    const byConversation = new Map<string, string[]>();
    for (const i of dry.report.items)
      byConversation.set(i.conversationId, [...(byConversation.get(i.conversationId) ?? []), i.recordingId]);
    for (const conv of conversations) {
      const listed = byConversation.get(conv.id);
      assert.ok(listed !== undefined, `${conv.id} is listed`);
      assert.ok(
        listed.length === 1 && (listed[0] === conv.recordings[0]!.id || listed[0] === ''),
        `${conv.id}: its recording, or the conversation alone`,
      );
    }
    const unknown = dry.report.items.filter((i) => i.recordingId === '');
    assert.equal(unknown.length, 15);
    for (const i of unknown) assert.match(i.reason, /^dry run: would be ingested \(recordings not looked up/);
    assert.equal(dry.report.counts.pending, 40);
  });
});

describe('hasRunBefore: a missing cursor after a dry run is a fresh setup', () => {
  it('counts ledger files and reports of runs, never a dry run report or status.json', async (t) => {
    const dir = await tempDir();
    t.after(() => fs.rm(dir, { recursive: true, force: true }));
    const paths = statePaths(dir, 'pol1', 'src1');
    assert.equal(hasRunBefore(paths), false, 'nothing there yet');
    await fs.mkdir(paths.reportsDir, { recursive: true });
    await fs.mkdir(paths.ledgerDir, { recursive: true });
    const head = (dryRun: boolean): string =>
      `{"command":"run","importSource":{"name":"n","policyId":"pol1","importSourceId":"src1"},"startedAt":"2026-12-01T10:00:00.000Z","dryRun":${dryRun},\n"items":[\n],\n"exitCode":0}\n`;
    await fs.writeFile(path.join(paths.reportsDir, '20261201T100000Z-run-dryrun.json'), head(true));
    await fs.writeFile(path.join(paths.reportsDir, '.20261201T110000Z-run.json.x.partial'), head(false));
    // A dry run of an earlier version: `-run.json`, a header saying so, and a status.json beside it.
    await fs.writeFile(path.join(paths.reportsDir, '20261201T120000Z-run.json'), head(true));
    await fs.writeFile(path.join(paths.reportsDir, 'status.json'), '{}\n');
    assert.equal(hasRunBefore(paths), false, 'only dry runs so far');
    await fs.writeFile(path.join(paths.reportsDir, '20261201T130000Z-catchup.json'), head(false));
    assert.equal(hasRunBefore(paths), true, 'a catchup ran');
    await fs.rm(path.join(paths.reportsDir, '20261201T130000Z-catchup.json'));
    await fs.writeFile(path.join(paths.ledgerDir, '2026-12.jsonl'), '{}\n');
    assert.equal(hasRunBefore(paths), true, 'the ledger has a line');
  });
});
