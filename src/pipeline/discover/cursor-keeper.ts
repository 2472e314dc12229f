/**
 * The cursor of one run (SPEC §3.2): where it started, how far it may move (the durable prefix),
 * and saving it as conversations settle. The one place that decides when the cursor is written.
 *
 * API: `listed` / `settledEarlier` register conversations; `listedUpTo(bound)` says listing is
 * complete up to `bound` and saves; `settled(id)` marks one settled and saves at most once a
 * second; `saveNow()` is the final save at the durable prefix; `frontier(listedUpTo)` is the
 * frontier document that belongs with the saved cursor.
 *
 * Invariants:
 * - the cursor only moves forward, and only to the end of the durable prefix (`DurablePrefix`): past
 *   every listed conversation that has settled, never past one still pending;
 * - saves are serialised: a later save never lands before an earlier one, and a failed save does
 *   not stop later ones (the caller sees its error);
 * - `saved` is the position last written (the start until a write succeeds); a position equal to it
 *   is not written again; without a writer (a dry run) nothing is written and `saved` stays the start;
 * - the keeper does no I/O of its own: writes go through the given `write`, time through `now`.
 */
import { comparePositions, type Position } from '../../state/position.js';
import type { Frontier } from '../../state/frontier-file.js';
import { DurablePrefix } from './durable-prefix.js';

/** Settled conversations move the cursor at most this often (every settle would be a write). */
export const SETTLED_SAVE_INTERVAL_MS = 1000;

export interface CursorKeeperOptions {
  /** Writes the cursor (with the lock checked); undefined in a dry run, which never writes it. */
  write: ((position: Position) => Promise<void>) | undefined;
  now?: () => number;
}

export class CursorKeeper {
  private readonly prefix: DurablePrefix;
  private readonly write: CursorKeeperOptions['write'];
  private readonly now: () => number;
  /** Everything at or before this has been listed. */
  private complete: Position;
  private savedAt: Position;
  private saving: Promise<void> = Promise.resolve();
  private lastSave = 0;

  constructor(
    /** The cursor when the run started. */
    readonly start: Position,
    options: CursorKeeperOptions,
  ) {
    this.prefix = new DurablePrefix(start);
    this.complete = start;
    this.savedAt = start;
    this.write = options.write;
    this.now = options.now ?? Date.now;
  }

  /** Where the cursor would be saved now: the end of the durable prefix. */
  get position(): Position {
    return this.prefix.position;
  }

  /** Where the cursor was last written (the start until then). */
  get saved(): Position {
    return this.savedAt;
  }

  /** Registers a listed conversation; it holds the cursor until it settles. */
  listed(position: Position): void {
    this.prefix.listed(position);
  }

  /** Registers a position settled in an earlier run (from the frontier); see `DurablePrefix.settledEarlier`. */
  settledEarlier(position: Position): void {
    this.prefix.settledEarlier(position);
  }

  /** Marks a conversation settled, and saves the cursor if the last save is a second old. */
  async settled(conversationId: string): Promise<void> {
    this.prefix.settled(conversationId);
    if (this.now() - this.lastSave >= SETTLED_SAVE_INTERVAL_MS) await this.listedUpTo(this.complete);
  }

  /**
   * Listing is complete up to `bound` (a lower bound than one given before changes nothing): moves
   * the cursor as far as the durable prefix allows and saves it, after any save still under way.
   */
  listedUpTo(bound: Position): Promise<void> {
    if (comparePositions(bound, this.complete) > 0) this.complete = bound;
    const run = this.saving.then(async () => {
      const next = this.prefix.advance(this.complete);
      this.lastSave = this.now();
      if (this.write === undefined || comparePositions(next, this.savedAt) === 0) return;
      await this.write(next);
      this.savedAt = next;
    });
    this.saving = run.catch(() => undefined);
    return run;
  }

  /** The final save, at the durable prefix (whatever stopped the run: settled work is never re-done). */
  saveNow(): Promise<void> {
    return this.listedUpTo(this.prefix.position);
  }

  /** The frontier to save with the cursor last written: listing complete up to `listedUpTo`. */
  frontier(listedUpTo: number): Frontier {
    return {
      version: 1,
      base: this.savedAt,
      listedUpTo,
      pending: this.prefix.outstandingPositions(),
      settled: this.prefix.settledBeforePending(),
    };
  }
}
