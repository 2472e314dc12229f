/**
 * The tool's own records, read-only, as `verify --reconcile` and `verify --conversation` ask them
 * (SPEC §8): the settled index (the ledger's conversation lines by UTC day), the archived index (its
 * recording lines), the retry buffer with `dead/`, `removed/` and `rejected/`, the cursor and the
 * frontier. Nothing here writes; no lock is needed, and a run holding one may write meanwhile.
 * Conversations are asked in start order, so only a couple of days are held in memory at a time.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { Config } from '../config/types.js';
import { asStorageError } from '../errors.js';
import { ArchivedIndex } from '../state/archived-index.js';
import { readCursor } from '../state/cursor-file.js';
import { loadFrontier } from '../state/frontier-file.js';
import type { LedgerConversationStatus } from '../state/ledger-lines.js';
import type { StatePaths } from '../state/paths.js';
import type { Position } from '../state/position.js';
import { scanFolder } from '../state/retry-files.js';
import { settledDayOf, settledLines } from '../state/settled-index.js';
import type { RetryPlace } from './reconcile-status.js';

export interface SettledHistory {
  /** The status of its last conversation line. */
  status: LedgerConversationStatus;
  /** Every recording any of its conversation lines named as archived (a retried one comes later). */
  recordingIds: string[];
}

const KEEP_DAYS = 2;
const idPrefix = /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})/i;

export class ToolRecords {
  private readonly days = new Map<string, Map<string, SettledHistory>>();
  private readonly archived: ArchivedIndex;

  private constructor(
    private readonly paths: StatePaths,
    readonly cursor: Position,
    private readonly frontierPending: ReadonlySet<string>,
    /** Retry entries by conversation id: small (the buffer), unlike the range. */
    private readonly retryPlaces: ReadonlyMap<string, ReadonlySet<RetryPlace>>,
  ) {
    this.archived = new ArchivedIndex(path.join(paths.workDir, 'archived'));
  }

  /** Reads the cursor (exit 2 when it is unreadable, as for a run), the frontier and the retry folders. */
  static async open(config: Config, paths: StatePaths, nowMs: number): Promise<ToolRecords> {
    const state = await readCursor(paths, config.recordingStartTimestamp, nowMs);
    const cursor = state.kind === 'file' ? state.parsed.position : state.position;
    const frontier = await loadFrontier(paths.workDir, cursor);
    const pending = new Set((frontier?.pending ?? []).map((p) => p.conversationId));
    return new ToolRecords(paths, cursor, pending, await retryPlacesOf(paths));
  }

  inFrontier(conversationId: string): boolean {
    return this.frontierPending.has(conversationId);
  }

  retry(conversationId: string): ReadonlySet<RetryPlace> {
    return this.retryPlaces.get(conversationId.toLowerCase()) ?? new Set();
  }

  /** The ledger's last word on a conversation, with every recording it archived. */
  async settled(conversationId: string, startMs: number | undefined): Promise<SettledHistory | undefined> {
    return (await this.day(settledDayOf(startMs))).get(conversationId);
  }

  /** The ledger's media `file` (relative to the archive root) for a recording, if it holds one. */
  recordingFile(recordingId: string, startMs: number): Promise<string | undefined> {
    return this.archived.get(recordingId, startMs);
  }

  private async day(day: string): Promise<Map<string, SettledHistory>> {
    const cached = this.days.get(day);
    if (cached !== undefined) return cached;
    let text = '';
    try {
      text = await fs.readFile(path.join(this.paths.workDir, 'settled', `${day}.txt`), 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT')
        throw asStorageError(error, `cannot read the settled index of ${day}`);
    }
    const map = new Map<string, SettledHistory>();
    for (const [id, record] of settledLines(text)) {
      const known = map.get(id);
      const recordingIds = known === undefined ? [...record.recordingIds] : known.recordingIds;
      for (const rec of record.recordingIds) if (!recordingIds.includes(rec)) recordingIds.push(rec);
      map.set(id, { status: record.status, recordingIds });
    }
    this.days.set(day, map);
    while (this.days.size > KEEP_DAYS) this.days.delete(this.days.keys().next().value!);
    return map;
  }
}

/** Which folders of the retry buffer hold an entry of each conversation (by file name). */
async function retryPlacesOf(paths: StatePaths): Promise<Map<string, Set<RetryPlace>>> {
  const places = new Map<string, Set<RetryPlace>>();
  const folders: [RetryPlace, string][] = [
    ['buffer', paths.retryDir],
    ['dead', paths.deadDir],
    ['removed', paths.removedDir],
    ['rejected', paths.rejectedDir],
  ];
  for (const [place, dir] of folders) {
    for await (const item of scanFolder(dir)) {
      const id = idPrefix.exec(item.name)?.[1]?.toLowerCase();
      if (id === undefined || !item.name.endsWith('.xml')) continue;
      let set = places.get(id);
      if (set === undefined) places.set(id, (set = new Set()));
      set.add(place);
    }
  }
  return places;
}
