/**
 * A failure not specific to one recording stops the run at once (SPEC §4.6): downloads in flight
 * are aborted and their temporary files removed, instead of running to their end first.
 */
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'node:test';
import { addConversation, generateOrg } from '../sim/src/index.js';
import { startSimWorkspace } from './helpers/sim.js';
import { cursorTime, ingest, partialFiles, readCursorLine, retryEntries } from './helpers/run.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const BIG = 16 * 1024 * 1024;

/** Polls `check` until it is true, or until `done` is (then false). */
async function until(check: () => boolean, done: () => boolean): Promise<boolean> {
  while (!check()) {
    if (done()) return false;
    await sleep(10);
  }
  return true;
}

describe('run: a run-level failure', () => {
  it('aborts the downloads in flight at once: exit 4, the media host stops serving, no .partial left', async (t) => {
    const now = Date.now();
    const org = generateOrg({ seed: 'abort', conversations: 0 });
    const big = [
      addConversation(org, { startMs: now - 3 * HOUR, durationMs: 5 * MIN, sizeBytes: BIG }),
      addConversation(org, { startMs: now - 3 * HOUR + MIN, durationMs: 5 * MIN, sizeBytes: BIG }),
    ];
    // Never available: the run keeps polling its recordings while the big downloads stream.
    const polled = addConversation(org, {
      startMs: now - 2 * HOUR,
      durationMs: 5 * MIN,
      fileState: 'UPLOADING',
    });
    const setup = await startSimWorkspace({
      // Slow enough that each big download takes half a minute to the end.
      sim: { org, mediaBytesPerSecond: 512 * 1024 },
      config: {
        concurrency: 4,
        recordingStartTimestamp: new Date(now - 4 * HOUR).toISOString(),
      },
    });
    t.after(() => setup.cleanup());
    const { sim, ws } = setup;

    let finished = false;
    const running = ingest(ws, [], { GENESYS_INGEST_NOT_READY_POLL_MS: '120000' }).finally(
      () => (finished = true),
    );
    // Both big downloads are streaming: from now on, the API refuses the OAuth client (run-level).
    const streaming = await until(
      () => sim.log.filter((e) => e.listener === 'media').length >= 2 && sim.counts().mediaBytes > 0,
      () => finished,
    );
    const refusal = sim.faults.add({
      listener: 'api',
      path: `/conversations/${polled.id}/recordings`,
      action: { kind: 'status', status: 403, code: 'missing.permissions' },
      times: Infinity,
    });
    let servedAtFailure = -1;
    const watcher = until(
      () => refusal.applied > 0,
      () => finished,
    ).then((fired) => {
      if (fired) servedAtFailure = sim.counts().mediaBytes;
    });
    const { result, report } = await running;
    await watcher;

    assert.ok(streaming, `both downloads started before the run ended: ${result.stderr}`);
    assert.equal(result.code, 4, result.stderr);
    assert.ok(refusal.applied > 0, 'the run-level failure happened');
    assert.ok(servedAtFailure >= 0);
    const inFlightLeft = 2 * BIG - servedAtFailure;
    assert.ok(
      inFlightLeft > BIG,
      `the downloads were in flight at the failure (${servedAtFailure} bytes served)`,
    );
    const servedAfter = sim.counts().mediaBytes - servedAtFailure;
    assert.ok(
      servedAfter < inFlightLeft / 4,
      `the media host served ${servedAfter} bytes after the failure, of ${inFlightLeft} left in flight`,
    );
    assert.equal(report.counts.ingested, 0, 'nothing ran to its end');
    assert.deepEqual(await partialFiles(ws.archiveDir), [], 'no .partial left in the archive');
    assert.deepEqual(await retryEntries(ws), [], 'no retry entry for aborted work');
    assert.ok(
      cursorTime(await readCursorLine(ws)) <= big[0]!.startMs,
      'the cursor stays before the aborted work',
    );
  });
});
