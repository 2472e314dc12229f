/**
 * Retry entries against the simulator (SPEC §3.3, §3.4): a per-conversation entry outlives an
 * interrupted attempt, and a recording the ledger holds is never fetched twice, whatever the
 * timezone was when it was archived.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { DateTime } from 'luxon';
import { addConversation, generateOrg } from '../src/simulator/index.js';
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
});
