import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CursorKeeper, SETTLED_SAVE_INTERVAL_MS } from '../src/pipeline/discover/cursor-keeper.js';
import type { Position } from '../src/state/position.js';

const id = (n: number): string => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
const at = (n: number): Position => ({ startMs: n * 1000, conversationId: id(n) });
const bound = (n: number): Position => ({ startMs: n * 1000, conversationId: '' });
const START: Position = { startMs: 0, conversationId: '' };

/** A writer that records what it wrote; `gate` holds a write until released. */
function recorder(): {
  written: Position[];
  write(position: Position): Promise<void>;
  hold(): () => void;
  failNext(error: Error): void;
} {
  const written: Position[] = [];
  let gate: Promise<void> | undefined;
  let failure: Error | undefined;
  return {
    written,
    async write(position) {
      if (gate !== undefined) await gate;
      if (failure !== undefined) {
        const error = failure;
        failure = undefined;
        throw error;
      }
      written.push(position);
    },
    hold() {
      let release!: () => void;
      gate = new Promise((resolve) => (release = resolve));
      return () => {
        gate = undefined;
        release();
      };
    },
    failNext(error) {
      failure = error;
    },
  };
}

describe('cursor keeper', () => {
  it('moves the cursor only to the end of the durable prefix, and writes each position once', async () => {
    const w = recorder();
    // A clock a second further on at every reading: each settled conversation saves.
    let clock = 0;
    const now = (): number => (clock += SETTLED_SAVE_INTERVAL_MS);
    const k = new CursorKeeper(START, { write: (p) => w.write(p), now });
    k.listed(at(2));
    k.listed(at(5));
    await k.listedUpTo(bound(10));
    assert.deepEqual(w.written, [], 'conversation 2 is pending: the cursor stays at the start');
    assert.deepEqual(k.saved, START);
    await k.settled(id(2));
    assert.deepEqual(k.position, at(2), 'up to 2, not past 5');
    assert.deepEqual(w.written, [at(2)]);
    await k.listedUpTo(bound(4));
    assert.deepEqual(
      w.written,
      [at(2)],
      'a lower bound changes nothing and the same position is not rewritten',
    );
    await k.settled(id(5));
    await k.saveNow();
    assert.deepEqual(w.written, [at(2), bound(10)], 'then to the listed bound');
    assert.deepEqual(k.saved, bound(10));
    assert.deepEqual(k.start, START);
  });

  it('serialises saves: a later save never lands before an earlier one', async () => {
    const w = recorder();
    const k = new CursorKeeper(START, { write: (p) => w.write(p) });
    const release = w.hold();
    const first = k.listedUpTo(bound(3));
    const second = k.listedUpTo(bound(7));
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(w.written, [], 'the first write is held; the second waits behind it');
    release();
    await Promise.all([first, second]);
    assert.deepEqual(
      w.written,
      [bound(7)],
      'the first save already saw the newer bound; nothing older lands later',
    );
    assert.deepEqual(k.saved, bound(7));
  });

  it('a failed write fails its caller only; the next save writes, and saved stays the last written', async () => {
    const w = recorder();
    const k = new CursorKeeper(START, { write: (p) => w.write(p) });
    w.failNext(new Error('disk full'));
    await assert.rejects(k.listedUpTo(bound(3)), /disk full/);
    assert.deepEqual(k.saved, START);
    await k.listedUpTo(bound(4));
    assert.deepEqual(w.written, [bound(4)]);
    assert.deepEqual(k.saved, bound(4));
  });

  it('a settled conversation saves at most once a second', async () => {
    const w = recorder();
    let clock = 100_000;
    const k = new CursorKeeper(START, { write: (p) => w.write(p), now: () => clock });
    for (const n of [1, 2, 3]) k.listed(at(n));
    await k.listedUpTo(bound(10));
    await k.settled(id(1));
    assert.deepEqual(w.written, [], 'the save just now was at the listing: no second one yet');
    assert.deepEqual(k.position, START, 'the prefix moves with a save, not before');
    clock += SETTLED_SAVE_INTERVAL_MS;
    await k.settled(id(2));
    assert.deepEqual(w.written, [at(2)], 'a second later, both settled conversations move the cursor');
    clock += SETTLED_SAVE_INTERVAL_MS - 1;
    await k.settled(id(3));
    assert.deepEqual(w.written, [at(2)], 'within the second: not written');
    await k.saveNow();
    assert.deepEqual(w.written, [at(2), bound(10)], 'the final save writes whatever settled');
  });

  it('without a writer (a dry run) the position moves and nothing is saved', async () => {
    const k = new CursorKeeper(START, { write: undefined });
    k.listed(at(2));
    await k.settled(id(2));
    await k.listedUpTo(bound(5));
    await k.saveNow();
    assert.deepEqual(k.position, bound(5));
    assert.deepEqual(k.saved, START);
  });

  it('builds the frontier on the cursor last written, with what is pending and settled before it', async () => {
    const w = recorder();
    const k = new CursorKeeper(START, { write: (p) => w.write(p) });
    for (const n of [2, 3, 4, 5, 6]) k.listed(at(n));
    for (const n of [2, 4, 6]) await k.settled(id(n));
    await k.listedUpTo(bound(10));
    assert.deepEqual(k.frontier(10_000), {
      version: 1,
      base: at(2),
      listedUpTo: 10_000,
      pending: [at(3), at(5)],
      settled: [at(4)],
    });
  });
});
