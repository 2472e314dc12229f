/**
 * Tracks which listed conversations are settled, to find how far the cursor may move (SPEC §3.2):
 * only past a prefix in which everything is settled, never to a start time that a later page may
 * still repeat (equal start times can straddle pages), and as far as the settled prefix goes,
 * including conversations settled in earlier runs.
 *
 * Invariants (pure: no I/O, no clock):
 * - the queue is sorted and every entry in it lies after the cursor;
 * - every conversation at or before the cursor is settled;
 * - the caller registers every conversation it lists (`listed`) and, for what earlier runs settled,
 *   the newest settled position before each still-pending one (`settledEarlier`), and only after
 *   registering all of that run's pending conversations: a conversation after the cursor that is
 *   not in the queue is then either beyond the `complete` bound, or was settled in an earlier run.
 */
import { comparePositions, type Position } from '../../state/position.js';

interface Entry {
  position: Position;
  settled: boolean;
}

export class DurablePrefix {
  private readonly queue: Entry[] = [];
  private readonly byId = new Map<string, Entry>();
  private cursor: Position;

  constructor(start: Position) {
    this.cursor = start;
  }

  /** Registers a listed conversation (in any order; kept sorted). Re-listing the same id is a no-op. */
  listed(position: Position): void {
    if (comparePositions(position, this.cursor) <= 0 || this.byId.has(position.conversationId)) return;
    const entry: Entry = { position, settled: false };
    this.byId.set(position.conversationId, entry);
    let i = this.queue.length;
    while (i > 0 && comparePositions(this.queue[i - 1]!.position, position) > 0) i -= 1;
    this.queue.splice(i, 0, entry);
  }

  /**
   * Registers a position settled in an earlier run (from the frontier): it holds nothing back, and
   * once everything before it has settled the cursor moves to it. The caller promises that every
   * conversation between the cursor and it that is not registered was settled in an earlier run.
   * An id already registered keeps its entry (a pending one stays pending).
   */
  settledEarlier(position: Position): void {
    if (this.byId.has(position.conversationId)) return;
    this.listed(position);
    this.settled(position.conversationId);
  }

  /** Marks a conversation settled: archived, in the retry buffer, or needing no ingest. */
  settled(conversationId: string): void {
    const entry = this.byId.get(conversationId);
    if (entry !== undefined) entry.settled = true;
  }

  /** Number of listed conversations not settled yet. */
  get outstanding(): number {
    let n = 0;
    for (const e of this.queue) if (!e.settled) n += 1;
    return n;
  }

  /**
   * Moves the cursor as far as it may go. `complete` is the position up to which listing is
   * complete: everything at or before it has been listed. Returns the new cursor.
   */
  advance(complete: Position): Position {
    while (this.queue.length > 0) {
      const head = this.queue[0]!;
      if (!head.settled || comparePositions(head.position, complete) > 0) break;
      this.queue.shift();
      this.byId.delete(head.position.conversationId);
      this.cursor = head.position;
    }
    if (this.queue.length === 0 || comparePositions(this.queue[0]!.position, complete) > 0) {
      // Nothing outstanding up to `complete`: quiet time up to there need not be listed again.
      if (comparePositions(complete, this.cursor) > 0) this.cursor = complete;
    }
    return this.cursor;
  }

  /** Listed conversations not settled yet, oldest first (the frontier's pending list). */
  outstandingPositions(): Position[] {
    return this.queue.filter((e) => !e.settled).map((e) => e.position);
  }

  /**
   * For each pending conversation, the newest settled position before it (and after the previous
   * pending one), oldest first: where the cursor goes in a later run once everything before it
   * has settled. Without these the frontier would forget how far earlier runs got (SPEC §3.2).
   */
  settledBeforePending(): Position[] {
    const out: Position[] = [];
    let newestSettled: Position | undefined;
    for (const e of this.queue) {
      if (e.settled) {
        newestSettled = e.position;
      } else if (newestSettled !== undefined) {
        out.push(newestSettled);
        newestSettled = undefined;
      }
    }
    return out;
  }

  get position(): Position {
    return this.cursor;
  }
}

/** The position up to which an oldest-first listing is complete, given the newest start received so far. */
export function completeBefore(newestStartMs: number): Position {
  // The empty id sorts before every id with that start: more conversations with the newest start
  // may be on the next page, so only strictly earlier starts count as completely listed.
  return { startMs: newestStartMs, conversationId: '' };
}
