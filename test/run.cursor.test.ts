import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { addConversation, generateOrg } from '../src/simulator/index.js';
import { startSimWorkspace } from './helpers/sim.js';
import { cursorTime, ingest, readCursorLine } from './helpers/run.js';

const MIN = 60_000;
const HOUR = 60 * MIN;

function formatStamp(ms: number): string {
  const iso = new Date(ms).toISOString();
  return `${iso.slice(0, 10).replace(/-/g, '.')} ${iso.slice(11, 23)}`;
}

describe('run: where the cursor goes', () => {
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
