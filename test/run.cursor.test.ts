import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { addConversation, generateOrg } from '../sim/src/index.js';
import { startSimWorkspace } from './helpers/sim.js';
import { cursorTime, ingest, readCursorLine } from './helpers/run.js';

const MIN = 60_000;
const HOUR = 60 * MIN;

function formatStamp(ms: number): string {
  const iso = new Date(ms).toISOString();
  return `${iso.slice(0, 10).replace(/-/g, '.')} ${iso.slice(11, 23)}`;
}

describe('run: where the cursor goes', () => {
  it("follows Genesys' clock for the window end even when the local clock is less than 60 s fast", async (t) => {
    // Genesys' clock (the simulator's: its Date header and what analytics lists) runs 45 s behind ours.
    const behindMs = 45_000;
    const genesysNow = (): number => Date.now() - behindMs;
    const org = generateOrg({ seed: 'skew', conversations: 0 });
    addConversation(org, { startMs: genesysNow() - 2 * HOUR, durationMs: MIN, sizeBytes: 1024 });
    const setup = await startSimWorkspace({
      sim: { org, now: genesysNow },
      config: { availabilityDelayMinutes: 2 },
    });
    t.after(() => setup.cleanup());
    const before = genesysNow();
    const { result, report } = await ingest(setup.ws);
    const after = genesysNow();
    assert.equal(result.code, 0, result.stderr);
    assert.equal(report.counts.ingested, 1);
    assert.deepEqual(
      report.alerts.filter((a) => a.type === 'clockSkew'),
      [],
      'below 60 s there is no clockSkew alert',
    );
    // A quiet window listed completely: the cursor moves to its end, which is Genesys' now − 2 minutes
    // (the Date header has whole seconds, so Genesys' time is known to within a second or so).
    const cursorMs = cursorTime(await readCursorLine(setup.ws));
    assert.ok(
      cursorMs <= after - 2 * MIN,
      `the cursor (${new Date(cursorMs).toISOString()}) is not past Genesys' now − delay (${new Date(after - 2 * MIN).toISOString()})`,
    );
    assert.ok(cursorMs >= before - 2 * MIN - 5_000, 'and it did move to the window end');
    const window = (report as unknown as { window: { to: string } }).window;
    assert.equal(Date.parse(window.to), cursorMs, "the report's window ends where the cursor went");
  });

  it('once the oldest pending conversation settles, the cursor moves past those settled in earlier runs', async (t) => {
    const now = Date.now();
    const org = generateOrg({ seed: 'prefix', conversations: 0 });
    const p = addConversation(org, { startMs: now - 3 * HOUR, inProgress: true, recordings: 1 });
    const x = addConversation(org, { startMs: now - 150 * MIN, durationMs: MIN, sizeBytes: 1024 });
    const y = addConversation(org, { startMs: now - 2 * HOUR, durationMs: MIN, sizeBytes: 1024 });
    const q = addConversation(org, { startMs: now - HOUR, inProgress: true, recordings: 1 });
    const setup = await startSimWorkspace({
      sim: { org },
      config: { recordingStartTimestamp: new Date(now - 4 * HOUR).toISOString() },
    });
    t.after(() => setup.cleanup());

    const first = await ingest(setup.ws);
    assert.equal(first.result.code, 0, first.result.stderr);
    assert.equal(first.report.counts.pending, 2, 'P and Q are in progress');
    assert.deepEqual(
      first.report.items
        .filter((i) => i.status === 'ingested')
        .map((i) => i.conversationId)
        .sort(),
      [x.id, y.id].sort(),
    );
    assert.equal(
      await readCursorLine(setup.ws),
      `;${formatStamp(now - 4 * HOUR)}`,
      'P holds the cursor where it started',
    );

    // P ends, long enough ago to be due; Q is still in progress.
    setup.sim.org.endConversation(p.id, Date.now() - 5 * MIN);
    const second = await ingest(setup.ws);
    assert.equal(second.result.code, 0, second.result.stderr);
    assert.deepEqual(
      second.report.items.filter((i) => i.status === 'ingested').map((i) => i.conversationId),
      [p.id],
    );
    assert.equal(second.report.counts.pending, 1, 'Q is still pending');
    assert.equal(
      await readCursorLine(setup.ws),
      `${y.id};${formatStamp(y.startMs)}`,
      'the cursor moved past X and Y (settled in the first run) to the newest settled before Q',
    );
    assert.ok(cursorTime(await readCursorLine(setup.ws)) < q.startMs);
  });
});
