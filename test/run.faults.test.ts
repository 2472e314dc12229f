import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { addConversation, generateOrg } from '../sim/src/index.js';
import {
  archiveFiles,
  assertArchiveExact,
  expectedArchive,
  QUIET_MIX,
  startSimWorkspace,
} from './helpers/sim.js';
import { cursorTime, ingest, partialFiles, readCursorLine, retryEntries } from './helpers/run.js';

const MIN = 60_000;
const HOUR = 60 * MIN;

describe('run: faults', () => {
  it('429 bursts, 5xx, resets, truncated and short bodies, expired URLs, revoked token: all archived exactly once within three runs', async (t) => {
    const now = Date.now();
    const setup = await startSimWorkspace({
      spec: {
        seed: 'faults',
        conversations: 40,
        fromMs: now - 10 * HOUR,
        toMs: now - HOUR,
        mix: QUIET_MIX,
        recordingBytes: [20_000, 60_000],
      },
    });
    t.after(() => setup.cleanup());
    const { faults } = setup.sim;
    const handles = [];
    handles.push(
      faults.add({
        listener: 'api',
        path: 'details/query',
        action: { kind: 'status', status: 429, retryAfterSeconds: 1 },
        times: 2,
      }),
    );
    handles.push(
      faults.add({
        listener: 'api',
        path: '/recordings$',
        action: { kind: 'status', status: 503 },
        times: 3,
        after: 2,
      }),
    );
    handles.push(
      faults.add({
        listener: 'api',
        path: '/recordings$',
        action: { kind: 'status', status: 500 },
        times: 1,
        after: 8,
      }),
    );
    handles.push(
      faults.add({ listener: 'media', action: { kind: 'reset', afterBytes: 5000 }, times: 3, after: 1 }),
    );
    handles.push(
      faults.add({ listener: 'media', action: { kind: 'truncate', afterBytes: 7000 }, times: 3, after: 5 }),
    );
    handles.push(
      faults.add({
        listener: 'media',
        action: { kind: 'shortChunked', afterBytes: 3000 },
        times: 2,
        after: 9,
      }),
    );
    handles.push(faults.add({ listener: 'media', action: { kind: 'expireUrl' }, times: 3, after: 12 }));
    faults.revokeTokensAtRequest(15);
    let last;
    for (let run = 1; run <= 3; run += 1) {
      last = await ingest(setup.ws);
      assert.ok(
        [0, 1].includes(last.result.code ?? -1),
        `run ${run}: exit ${last.result.code}\n${last.result.stderr}`,
      );
      if (last.result.code === 0 && (await retryEntries(setup.ws)).length === 0) break;
    }
    assert.deepEqual(await retryEntries(setup.ws), []);
    await assertArchiveExact(setup);
    assert.ok(setup.sim.tokensIssued() >= 2, 'logged in again after the token was revoked');
    for (const handle of handles)
      assert.ok(handle.applied > 0, `fault ${JSON.stringify(handle.rule.action)} was applied`);
  });

  it('an outage mid-run: exit 4, cursor saved at the durable prefix, no retry entries for unreached work; the next run completes', async (t) => {
    const now = Date.now();
    const setup = await startSimWorkspace({
      spec: { seed: 'outage', conversations: 30, fromMs: now - 10 * HOUR, toMs: now - HOUR, mix: QUIET_MIX },
    });
    t.after(() => setup.cleanup());
    const outage = setup.sim.faults.add({
      listener: 'api',
      path: '/recordings$',
      action: { kind: 'status', status: 503 },
      times: Infinity,
      after: 10,
    });
    const first = await ingest(setup.ws);
    assert.equal(first.result.code, 4, first.result.stderr);
    assert.equal(first.report.exitCode, 4);
    assert.deepEqual(await retryEntries(setup.ws), [], 'no retry entry invented for work not reached');
    const cursor = cursorTime(await readCursorLine(setup.ws));
    const archived = (await archiveFiles(setup.ws.archiveDir)).filter((f) => f.endsWith('.xml')).length;
    assert.ok(archived >= 1 && archived < 30);
    // Everything at or before the cursor is archived.
    const expected = expectedArchive(setup.sim.org, 'WAV', 'wav', 'Europe/Dublin', Date.now(), 2);
    const files = new Set(await archiveFiles(setup.ws.archiveDir));
    for (const e of expected.values()) {
      const conv = setup.sim.org.conversation(e.conversationId)!;
      if (conv.startMs <= cursor)
        assert.ok(files.has(e.file), `${e.file} is before the cursor, so it is archived`);
    }
    assert.deepEqual(await partialFiles(setup.ws.dir), []);
    outage.remove();
    const second = await ingest(setup.ws);
    assert.equal(second.result.code, 0, second.result.stderr);
    await assertArchiveExact(setup);
  });

  it('Genesys unreachable before any change: exit 4 and nothing written but the report', async (t) => {
    const setup = await startSimWorkspace({ spec: { seed: 'down', conversations: 2, mix: QUIET_MIX } });
    t.after(() => setup.cleanup());
    await setup.ws.writeConfig({ clientSecret: 'wrong-secret-123' });
    const { result, report } = await ingest(setup.ws);
    assert.equal(result.code, 4);
    assert.equal(report.exitCode, 4);
    assert.match(result.stderr, /sim-client|client/);
    assert.ok(!result.stderr.includes('wrong-secret-123') && !result.stdout.includes('wrong-secret-123'));
    assert.deepEqual(await archiveFiles(setup.ws.archiveDir), []);
  });

  it('the archive volume below minFreeDiskMb: exit 6 before any download', async (t) => {
    const now = Date.now();
    const setup = await startSimWorkspace({
      spec: { seed: 'disk', conversations: 3, fromMs: now - 5 * HOUR, toMs: now - HOUR, mix: QUIET_MIX },
      config: { minFreeDiskMb: 1_000_000_000 },
    });
    t.after(() => setup.cleanup());
    const { result, report } = await ingest(setup.ws);
    assert.equal(result.code, 6, result.stderr);
    assert.equal(report.exitCode, 6);
    assert.equal(setup.sim.counts().media, 0);
    assert.deepEqual(await retryEntries(setup.ws), []);
  });

  it('the retry buffer: 30 persistent failures give 30 entries; after healing, 25 are taken, then the rest', async (t) => {
    const now = Date.now();
    const org = generateOrg({ seed: 'buffer', conversations: 0 });
    const convs = Array.from({ length: 30 }, (_, i) =>
      addConversation(org, { startMs: now - 5 * HOUR + i * MIN, durationMs: 30_000, fileState: 'ARCHIVED' }),
    );
    const setup = await startSimWorkspace({
      sim: { org },
      config: { recordingStartTimestamp: new Date(now - 6 * HOUR).toISOString() },
    });
    t.after(() => setup.cleanup());
    const first = await ingest(setup.ws);
    assert.equal(first.result.code, 1);
    assert.equal((await retryEntries(setup.ws)).length, 30);
    assert.equal(first.report.alerts.filter((a) => a.type === 'archivedInGenesys').length, 30);
    for (const c of convs) setup.sim.org.setFileState(c.recordings[0]!.id, 'AVAILABLE');
    const second = await ingest(setup.ws);
    assert.equal(second.result.code, 0, second.result.stderr);
    assert.equal(second.report.counts.retried, 25);
    assert.equal(second.report.counts.ingested, 25);
    assert.equal((await retryEntries(setup.ws)).length, 5);
    const third = await ingest(setup.ws);
    assert.equal(third.report.counts.ingested, 5);
    assert.deepEqual(await retryEntries(setup.ws), []);
    await assertArchiveExact(setup);
  });
});
