/**
 * Retry entries against the simulator (SPEC §3.3, §3.4): a per-conversation entry outlives an
 * interrupted attempt, and a recording the ledger holds is never fetched twice, whatever the
 * timezone was when it was archived.
 */
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { DateTime } from 'luxon';
import { addConversation, generateOrg } from '../sim/src/index.js';
import { baseEnv, runCli, spawnCli } from './helpers/cli.js';
import { archiveFiles, startSimWorkspace } from './helpers/sim.js';
import { ingest, retryEntries, TEST_ENV } from './helpers/run.js';
import type { Workspace } from './helpers/workspace.js';

const MIN = 60_000;
const HOUR = 60 * MIN;

const cli = (ws: Workspace, ...args: string[]) => runCli([...args, '--config', ws.configPath]);

/** Waits until `check` holds, polling; fails after `timeoutMs` (a hang guard, not a timing assertion). */
async function until(what: string, check: () => boolean, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

/** The latest 02:30 UTC at least two hours ago: the same day in Dublin, the day before in New York. */
function startAcrossZones(): number {
  const now = Date.now();
  let start = DateTime.fromMillis(now - 3 * HOUR, { zone: 'utc' }).set({
    hour: 2,
    minute: 30,
    second: 0,
    millisecond: 0,
  });
  if (start.toMillis() > now - 2 * HOUR) start = start.minus({ days: 1 });
  return start.toMillis();
}

describe('run: retry entries', () => {
  it('a per-conversation entry survives SIGTERM after one recording was parked; the next run archives the rest', async (t) => {
    const now = Date.now();
    const org = generateOrg({ seed: 'retry-sigterm', conversations: 0 });
    const conv = addConversation(org, {
      startMs: now - 3 * HOUR,
      durationMs: 5 * MIN,
      recordings: 2,
      sizeBytes: 200_000,
    });
    const [a, b] = conv.recordings;
    assert.ok(a !== undefined && b !== undefined);
    // A comes first and is archived in Genesys: it is parked under its own entry.
    org.setFileState(a.id, 'ARCHIVED');
    const setup = await startSimWorkspace({
      sim: { org },
      // The cursor starts after the conversation: only the retry entry brings it in.
      config: { recordingStartTimestamp: new Date(now - HOUR).toISOString() },
    });
    t.after(() => setup.cleanup());
    const { ws, sim } = setup;
    // B's media trickles, so the run is still downloading it when the signal comes.
    sim.faults.add({
      listener: 'media',
      action: { kind: 'trickle', bytesPerChunk: 1000, intervalMs: 200 },
      times: 1,
    });
    const added = await cli(ws, 'retry', 'add', '--conversation', conv.id);
    assert.equal(added.code, 0, added.stderr);
    assert.deepEqual(await retryEntries(ws), [`${conv.id}.xml`]);

    const run = spawnCli(['run', '--json', '--config', ws.configPath], { env: baseEnv(TEST_ENV) });
    await until("B's media download", () => sim.log.some((e) => e.listener === 'media'));
    run.child.kill('SIGTERM');
    const stopped = await run.done;
    assert.equal(stopped.code, 130, stopped.stderr);
    assert.deepEqual(
      await retryEntries(ws),
      [`${conv.id}.xml`, `${conv.id}_${a.id}.xml`].sort(),
      'the conversation entry is kept while B is unsettled; A has its own',
    );

    const next = await ingest(ws);
    assert.equal(next.result.code, 0, next.result.stderr);
    const day = DateTime.fromMillis(conv.startMs, { zone: 'Europe/Dublin' }).toFormat('yyyy/MM/dd');
    assert.deepEqual(await archiveFiles(ws.archiveDir), [
      `${day}/${conv.id}/${b.id}.wav`,
      `${day}/${conv.id}/${b.id}.xml`,
    ]);
    assert.deepEqual(
      await retryEntries(ws),
      [`${conv.id}_${a.id}.xml`],
      'B settled, so the conversation entry goes; A (still archived in Genesys) keeps its own',
    );
  });

  it('after a timezone change, retry add of an archived recording downloads nothing and makes no second copy', async (t) => {
    const org = generateOrg({ seed: 'retry-timezone', conversations: 0 });
    const conv = addConversation(org, { startMs: startAcrossZones(), durationMs: 5 * MIN });
    const rec = conv.recordings[0]!;
    const setup = await startSimWorkspace({ sim: { org } });
    t.after(() => setup.cleanup());
    const { ws, sim } = setup;
    const dublin = DateTime.fromMillis(conv.startMs, { zone: 'Europe/Dublin' }).toFormat('yyyy/MM/dd');
    const newYork = DateTime.fromMillis(conv.startMs, { zone: 'America/New_York' }).toFormat('yyyy/MM/dd');
    assert.notEqual(dublin, newYork);

    const first = await ingest(ws);
    assert.equal(first.result.code, 0, first.result.stderr);
    assert.equal(first.report.counts.ingested, 1);
    const archived = [`${dublin}/${conv.id}/${rec.id}.wav`, `${dublin}/${conv.id}/${rec.id}.xml`];
    assert.deepEqual(await archiveFiles(ws.archiveDir), archived);

    await ws.writeConfig({ timezone: 'America/New_York' });
    const added = await cli(ws, 'retry', 'add', '--conversation', conv.id, '--recording', rec.id);
    assert.equal(added.code, 0, added.stderr);
    const mediaBefore = sim.counts().media;
    const second = await ingest(ws);
    assert.equal(second.result.code, 0, second.result.stderr);
    assert.equal(sim.counts().media - mediaBefore, 0, 'no media download');
    assert.equal(second.report.counts.ingested, 0);
    assert.equal(second.report.counts.alreadyArchived, 1);
    assert.deepEqual(
      second.report.items.map((i) => [i.recordingId, i.status, i.fromRetryBuffer]),
      [[rec.id, 'alreadyArchived', true]],
    );
    assert.deepEqual(await archiveFiles(ws.archiveDir), archived, 'exactly one copy, in the first folder');
    assert.deepEqual(await retryEntries(ws), []);
  });

  it('after a timezone change, a listed conversation whose recording only the ledger remembers is not fetched again', async (t) => {
    const org = generateOrg({ seed: 'relist-timezone', conversations: 0 });
    const conv = addConversation(org, { startMs: startAcrossZones(), durationMs: 5 * MIN });
    const rec = conv.recordings[0]!;
    const setup = await startSimWorkspace({ sim: { org } });
    t.after(() => setup.cleanup());
    const { ws, sim } = setup;
    const first = await ingest(ws);
    assert.equal(first.result.code, 0, first.result.stderr);
    const archived = await archiveFiles(ws.archiveDir);
    assert.equal(archived.length, 2);
    // The state a run stopped between the recording's ledger line and its conversation's leaves:
    // no settled-conversation record, so the conversation is listed and its recordings looked up.
    await fs.rm(path.join(ws.stateDir, 'work', 'pol1_src1', 'settled'), { recursive: true, force: true });
    await ws.writeConfig({ timezone: 'America/New_York' });
    const rewound = await cli(ws, 'cursor', 'set', new Date(conv.startMs - HOUR).toISOString());
    assert.equal(rewound.code, 0, rewound.stderr);
    const mediaBefore = sim.counts().media;
    const second = await ingest(ws);
    assert.equal(second.result.code, 0, second.result.stderr);
    assert.equal(sim.counts().media - mediaBefore, 0, 'no media download');
    assert.deepEqual(
      second.report.items.map((i) => [i.recordingId, i.status, i.fromRetryBuffer]),
      [[rec.id, 'alreadyArchived', false]],
    );
    assert.deepEqual(await archiveFiles(ws.archiveDir), archived, 'exactly one copy, in the first folder');
  });

  it("a conversation's entry and its recording's own entry in one batch: each recording fetched once", async (t) => {
    const now = Date.now();
    const org = generateOrg({ seed: 'retry-overlap', conversations: 0 });
    const conv = addConversation(org, {
      startMs: now - 3 * HOUR,
      durationMs: 5 * MIN,
      recordings: 2,
      sizeBytes: 300_000,
    });
    const [a, b] = conv.recordings;
    assert.ok(a !== undefined && b !== undefined);
    const setup = await startSimWorkspace({
      // Slow enough that two attempts on the same recording would overlap.
      sim: { org, mediaBytesPerSecond: 200_000 },
      config: { recordingStartTimestamp: new Date(now - HOUR).toISOString() },
    });
    t.after(() => setup.cleanup());
    const { ws, sim } = setup;
    for (const args of [
      ['--conversation', conv.id],
      ['--conversation', conv.id, '--recording', a.id],
    ]) {
      const added = await cli(ws, 'retry', 'add', ...args);
      assert.equal(added.code, 0, added.stderr);
    }
    const { result, report } = await ingest(ws);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(sim.counts().media, 2, 'one download per recording');
    assert.equal(report.counts.ingested, 2);
    const day = DateTime.fromMillis(conv.startMs, { zone: 'Europe/Dublin' }).toFormat('yyyy/MM/dd');
    assert.deepEqual(
      await archiveFiles(ws.archiveDir),
      [a.id, b.id].flatMap((r) => [`${day}/${conv.id}/${r}.wav`, `${day}/${conv.id}/${r}.xml`]).sort(),
    );
  });
});
