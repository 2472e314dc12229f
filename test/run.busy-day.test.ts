import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { addConversation, generateOrg } from '../sim/src/index.js';
import { archiveFiles, startSimWorkspace } from './helpers/sim.js';
import { ingest } from './helpers/run.js';

const MIN = 60_000;

describe('run: a busy day', () => {
  it('20 new conversations among 1,500 of the same day cost a handful of requests, not the whole day', async (t) => {
    const now = Date.now();
    // All on one UTC day, so the literal whole-day rule returns all of them for any interval that day.
    const dayStart = Math.floor((now - 30 * MIN) / 86_400_000) * 86_400_000;
    const from = Math.max(dayStart, now - 20 * 60 * MIN);
    const span = now - 10 * MIN - from;
    const org = generateOrg({ seed: 'busy', conversations: 0 });
    for (let i = 0; i < 1500; i += 1) {
      // Mostly not recorded: the first run should be about listing, not downloading.
      addConversation(org, {
        startMs: from + Math.floor((span * i) / 1500),
        durationMs: 1000,
        recordings: i % 75 === 0 ? 1 : 0,
        sizeBytes: 2048,
      });
    }
    const setup = await startSimWorkspace({
      sim: { org },
      config: { recordingStartTimestamp: new Date(from - MIN).toISOString() },
    });
    t.after(() => setup.cleanup());
    const first = await ingest(setup.ws);
    assert.equal(first.result.code, 0, first.result.stderr);
    assert.equal(first.report.counts.discovered, 1500);
    const queriesBefore = setup.sim.log.filter((e) => e.path.endsWith('/details/query')).length;
    assert.ok(queriesBefore >= 15, `the first run pages through the day (${queriesBefore} queries)`);

    // New since the first run's window end (now − the 2-minute availability delay), and ended before the second's.
    const t1 = Date.now() - 2 * MIN;
    for (let i = 0; i < 20; i += 1)
      addConversation(setup.sim.org, {
        startMs: t1 + i * 20,
        durationMs: 100,
        recordings: 1,
        sizeBytes: 2048,
      });
    await sleep(1000);
    const logStart = setup.sim.log.length;
    const second = await ingest(setup.ws);
    assert.equal(second.result.code, 0, second.result.stderr);
    assert.equal(second.report.counts.ingested, 20);
    const requests = setup.sim.log.slice(logStart).filter((e) => e.listener !== 'media');
    const queries = requests.filter((e) => e.path.endsWith('/details/query')).length;
    assert.ok(queries <= 2, `newest-first from the frontier: ${queries} query requests`);
    assert.ok(
      second.report.apiRequests <= 20 + 6,
      `${second.report.apiRequests} API requests for 20 new recordings`,
    );
    assert.equal((await archiveFiles(setup.ws.archiveDir)).filter((f) => f.endsWith('.wav')).length, 20 + 20);
  });
});
