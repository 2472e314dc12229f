/**
 * Which conversations are settled, by the UTC day they started on (SPEC §3.6: a conversation the
 * ledger shows settled costs no API request when listed again). The ledger is the record; this index
 * under `work/<p_s>/settled/<yyyy-MM-dd>.txt` is how a run finds an entry without reading years of
 * ledger. One line per settled conversation: `<conversationId> <status> <recordingId,...>`. Days are
 * loaded when first needed and only a few are kept in memory, so memory stays flat. A refused
 * conversation's id may be any string, so ids are written URI-encoded (a UUID is unchanged), and one
 * whose start could not be read is kept under the day `undated`.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { LedgerConversationStatus } from './ledger.js';
import { asStorageError } from '../errors.js';
import { ensureDir, FILE_MODE, fsyncDir, writeAll } from '../util/atomic.js';
import { isoUtc } from '../util/time.js';

export interface SettledRecord {
  status: LedgerConversationStatus;
  recordingIds: string[];
}

const KEEP_DAYS = 16;

function decodeId(text: string): string | undefined {
  try {
    return decodeURIComponent(text);
  } catch {
    return undefined; // cut by a torn write
  }
}

/** A day file's lines, oldest first, as (conversation id, record); a torn last line is skipped. */
export function* settledLines(text: string): Generator<[string, SettledRecord]> {
  for (const line of text.split('\n')) {
    const [id, status, recordings] = line.split(' ');
    if (id === undefined || id === '' || status === undefined) continue; // a torn last line is ignored
    const key = decodeId(id);
    if (key === undefined) continue;
    yield [
      key,
      {
        status: status as LedgerConversationStatus,
        recordingIds: recordings === undefined || recordings === '' ? [] : recordings.split(','),
      },
    ];
  }
}

/** The day file a conversation's settled record is kept in (`undated` when its start is unknown). */
export function settledDayOf(startMs: number | undefined): string {
  return startMs === undefined ? 'undated' : isoUtc(startMs).slice(0, 10);
}

export class SettledIndex {
  private readonly days = new Map<string, Map<string, SettledRecord>>();
  /** Day files known to exist (no folder fsync needed when appending to them). */
  private readonly existing = new Set<string>();

  constructor(private readonly dir: string) {}

  private static dayOf(startMs: number | undefined): string {
    return settledDayOf(startMs);
  }

  private async load(day: string): Promise<Map<string, SettledRecord>> {
    const cached = this.days.get(day);
    if (cached !== undefined) {
      // Keep recently used days at the end (LRU order).
      this.days.delete(day);
      this.days.set(day, cached);
      return cached;
    }
    const map = new Map<string, SettledRecord>();
    let text = '';
    try {
      text = await fs.readFile(path.join(this.dir, `${day}.txt`), 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT')
        throw asStorageError(error, `cannot read ${this.dir}`);
    }
    for (const [key, record] of settledLines(text)) map.set(key, record);
    this.days.set(day, map);
    while (this.days.size > KEEP_DAYS) this.days.delete(this.days.keys().next().value!);
    return map;
  }

  /** The settled record of a conversation, if the ledger has one; `startMs` undefined: not readable. */
  async get(conversationId: string, startMs: number | undefined): Promise<SettledRecord | undefined> {
    return (await this.load(SettledIndex.dayOf(startMs))).get(conversationId);
  }

  /** Records a settled conversation durably (after its ledger line). */
  async add(conversationId: string, startMs: number | undefined, record: SettledRecord): Promise<void> {
    const day = SettledIndex.dayOf(startMs);
    const map = await this.load(day);
    map.set(conversationId, record);
    const file = path.join(this.dir, `${day}.txt`);
    // Only a new day file needs its folder fsynced; appends to an existing one need the file's fsync.
    const created =
      !this.existing.has(day) &&
      !(await fs.stat(file).then(
        () => true,
        () => false,
      ));
    if (created) await ensureDir(this.dir);
    let handle: fs.FileHandle | undefined;
    try {
      handle = await fs.open(file, 'a', FILE_MODE);
      await writeAll(
        handle,
        `${encodeURIComponent(conversationId)} ${record.status} ${record.recordingIds.join(',')}\n`,
      );
      await handle.sync();
    } catch (error) {
      throw asStorageError(error, `cannot write ${file}`);
    } finally {
      await handle?.close().catch(() => undefined);
    }
    if (created) await fsyncDir(this.dir);
    this.existing.add(day);
  }
}
