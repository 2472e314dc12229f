/**
 * The frontier file (SPEC §4.1): where listing was complete and which conversations are still
 * pending, saved next to the cursor it belongs to; a rewind (any other cursor) voids it.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '../util/atomic.js';
import { comparePositions, type Position } from './position.js';
import { isGenesysId } from '../util/ids.js';

export interface Frontier {
  version: 1;
  /** The cursor saved together with this frontier; any other cursor (a rewind) voids it. */
  base: Position;
  /** Everything that started before this was listed completely. */
  listedUpTo: number;
  /** Listed but not settled when it was saved; they hold the cursor. */
  pending: Position[];
  /**
   * For each pending one, the newest position settled before it: where the cursor may go once
   * everything before it has settled (SPEC §3.2). Absent in frontiers saved by older versions.
   */
  settled?: Position[];
}

function fileOf(workDir: string): string {
  return path.join(workDir, 'frontier.json');
}

function isPosition(value: unknown): value is Position {
  const p = value as Position | undefined;
  return (
    typeof p?.startMs === 'number' &&
    Number.isFinite(p.startMs) &&
    typeof p.conversationId === 'string' &&
    (p.conversationId === '' || isGenesysId(p.conversationId))
  );
}

/** The frontier, if there is a readable one saved with exactly `cursor`. */
export async function loadFrontier(workDir: string, cursor: Position): Promise<Frontier | undefined> {
  let value: Frontier;
  try {
    value = JSON.parse(await fs.readFile(fileOf(workDir), 'utf8')) as Frontier;
  } catch {
    return undefined; // absent or unreadable: list from the cursor, which is always correct
  }
  if (
    value.version !== 1 ||
    !isPosition(value.base) ||
    typeof value.listedUpTo !== 'number' ||
    !Array.isArray(value.pending) ||
    !value.pending.every(isPosition) ||
    (value.settled !== undefined && !(Array.isArray(value.settled) && value.settled.every(isPosition)))
  )
    return undefined;
  return comparePositions(value.base, cursor) === 0 ? value : undefined;
}

export async function saveFrontier(workDir: string, frontier: Frontier): Promise<void> {
  await writeFileAtomic(fileOf(workDir), `${JSON.stringify(frontier)}\n`);
}
