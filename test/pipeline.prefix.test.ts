import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DurablePrefix } from '../src/pipeline/discover/durable-prefix.js';
import type { Position } from '../src/state/position.js';

const id = (n: number): string => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
const at = (n: number): Position => ({ startMs: n * 1000, conversationId: id(n) });
const END: Position = { startMs: 100_000, conversationId: '' };
const START: Position = { startMs: 0, conversationId: '' };

describe('durable prefix across runs', () => {
  it('remembers, for each pending conversation, the newest settled position before it', () => {
    // A run lists P(2) pending, X(3) and Y(4) settled, Q(5) pending, Z(6) settled.
    const p = new DurablePrefix(START);
    for (const n of [2, 3, 4, 5, 6]) p.listed(at(n));
    for (const n of [3, 4, 6]) p.settled(id(n));
    assert.deepEqual(p.advance(END), START, 'P holds the cursor');
    assert.deepEqual(p.outstandingPositions(), [at(2), at(5)]);
    assert.deepEqual(p.settledBeforePending(), [at(4)], 'Y before Q; nothing settled lies before P');
  });

  it('a later run moves past what earlier runs settled once the oldest pending one settles', () => {
    // What the frontier saved above: pending P(2), Q(5); Y(4) the newest settled before Q.
    const p = new DurablePrefix(START);
    p.listed(at(2));
    p.listed(at(5));
    p.settledEarlier(at(4));
    assert.deepEqual(p.advance(END), START, 'nothing moves while P is pending');
    p.settled(id(2));
    assert.deepEqual(p.advance(END), at(4), 'to Y, the newest settled position before Q');
    assert.deepEqual(p.outstandingPositions(), [at(5)]);
    assert.deepEqual(p.settledBeforePending(), [], 'the cursor itself is the newest settled before Q');
    p.settled(id(5));
    assert.deepEqual(p.advance(END), END, 'then to the listed bound');
  });

  it('a position settled earlier never moves the cursor past a pending one or past the listed bound', () => {
    const p = new DurablePrefix(START);
    p.listed(at(5));
    p.settledEarlier(at(7));
    p.settled(id(5));
    assert.deepEqual(p.advance({ startMs: 6000, conversationId: '' }), {
      startMs: 6000,
      conversationId: '',
    });
    const q = new DurablePrefix(START);
    q.listed(at(5));
    q.settledEarlier(at(7));
    assert.deepEqual(q.advance(END), START, 'Y(7) waits behind the pending 5');
  });

  it('settledEarlier keeps a pending entry pending and ignores positions at or before the cursor', () => {
    const p = new DurablePrefix(at(3));
    p.listed(at(5));
    p.settledEarlier(at(5));
    p.settledEarlier(at(2));
    assert.equal(p.outstanding, 1);
    assert.deepEqual(p.advance(END), at(3));
  });
});
