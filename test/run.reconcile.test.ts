import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { reconcileDay } from '../src/pipeline/discover/reconcile.js';
import { addConversation, generateOrg } from '../sim/src/index.js';
import { archiveFiles, startSimWorkspace } from './helpers/sim.js';
import { ingest } from './helpers/run.js';

const HOUR = 3_600_000;

describe('run: the daily late-data reconcile', () => {
  it('picks the latest UTC day that ended at least reconcileAfterHours ago', () => {
    const now = Date.parse('2026-06-15T10:00:00Z');
    assert.deepEqual(reconcileDay(now, 72), {
      fromMs: Date.parse('2026-06-11T00:00:00Z'),
      toMs: Date.parse('2026-06-12T00:00:00Z'),
    });
    assert.deepEqual(reconcileDay(now, 10), {
      fromMs: Date.parse('2026-06-14T00:00:00Z'),
      toMs: Date.parse('2026-06-15T00:00:00Z'),
    });
    assert.deepEqual(reconcileDay(now, 11), {
      fromMs: Date.parse('2026-06-13T00:00:00Z'),
      toMs: Date.parse('2026-06-14T00:00:00Z'),
    });
  });

  it('a conversation that surfaced after its window was listed is found by the reconcile and ingested once, with lateDiscovered', async (t) => {
    const now = Date.now();
    const day = reconcileDay(now, 1);
    const org = generateOrg({ seed: 'late', conversations: 0 });
    const onTime = addConversation(org, {
      startMs: day.fromMs + 2 * HOUR,
      durationMs: 60_000,
      sizeBytes: 2048,
    });
    const late = addConversation(org, {
      startMs: day.fromMs + 3 * HOUR,
      durationMs: 60_000,
      sizeBytes: 2048,
      visibleFrom: now + 365 * 24 * HOUR,
    });
    const setup = await startSimWorkspace({
      sim: { org, asyncJobMs: 100 },
      config: { reconcileAfterHours: 0, recordingStartTimestamp: new Date(day.fromMs).toISOString() },
    });
    t.after(() => setup.cleanup());
    const first = await ingest(setup.ws);
    assert.equal(first.result.code, 0, first.result.stderr);
    assert.deepEqual(
      first.report.items.filter((i) => i.status === 'ingested').map((i) => i.conversationId),
      [onTime.id],
    );
    // The late one shows up in analytics now; the cursor has long passed it.
    setup.sim.org.setVisibleFrom(late.id, undefined);
    await setup.ws.writeConfig({ reconcileAfterHours: 1 });
    const second = await ingest(setup.ws);
    assert.equal(second.result.code, 1, second.result.stderr);
    assert.deepEqual(
      second.report.alerts.map((a) => [a.type, a.conversationId]),
      [['lateDiscovered', late.id]],
    );
    assert.equal(second.report.counts.ingested, 1);
    assert.equal((await archiveFiles(setup.ws.archiveDir)).filter((f) => f.endsWith('.wav')).length, 2);
    // Once a day: the next run does not re-list the day, and nothing is archived twice.
    const jobsBefore = setup.sim.log.filter((e) => e.path.endsWith('/details/jobs')).length;
    const third = await ingest(setup.ws);
    assert.equal(third.result.code, 0, third.result.stderr);
    assert.equal(setup.sim.log.filter((e) => e.path.endsWith('/details/jobs')).length, jobsBefore);
  });
});
