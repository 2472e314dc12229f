/**
 * A position in the stream of conversations: (conversationStart in ms, conversationId), ordered by
 * time, then by id in ordinal order; the empty id sorts before every id (SPEC §3.2).
 */
export interface Position {
  readonly startMs: number;
  readonly conversationId: string;
}

/** Negative when a is before b, 0 when equal, positive when after. */
export function comparePositions(a: Position, b: Position): number {
  if (a.startMs !== b.startMs) return a.startMs < b.startMs ? -1 : 1;
  if (a.conversationId === b.conversationId) return 0;
  return a.conversationId < b.conversationId ? -1 : 1;
}

export function maxPosition(a: Position, b: Position): Position {
  return comparePositions(a, b) >= 0 ? a : b;
}
