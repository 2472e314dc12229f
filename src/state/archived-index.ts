/**
 * Which recordings the ledger holds, and where (SPEC §3.4: the ledger is asked by recording id,
 * whatever the `timezone` was when a recording was archived). The ledger is the record; this index
 * under `work/<p_s>/archived/<yyyy-MM-dd>.txt` is how a run asks it without reading years of ledger.
 * The day is the conversation's start in UTC (never the configured timezone, which can change), so
 * the key is known from the conversation alone. One line per ledger `recording` line, written right
 * after it: `<recordingId> <file>`, `file` as in the ledger (relative to the archive root). The last
 * line for a recording wins. Only a few days are kept in memory, so memory stays flat.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { StorageError, asStorageError } from '../errors.js';
import { ensureDir, FILE_MODE, fsyncDir } from '../util/atomic.js';
import { isGenesysId } from '../util/ids.js';
import { isoUtc } from '../util/time.js';

/** Days held in memory: a run works through conversations in start order, retries aside. */
const KEEP_DAYS = 4;

/** A ledger `file` as written by this tool: relative, `/`-separated, never leaving the archive. */
function isArchiveRelative(file: string): boolean {
  return (
    file !== '' &&
    !file.startsWith('/') &&
    !file.includes('\\') &&
    file.split('/').every((part) => part !== '' && part !== '.' && part !== '..')
  );
}

export class ArchivedIndex {
  private readonly days = new Map<string, Map<string, string>>();
  /** Day files known to exist (no folder fsync needed when appending to them). */
  private readonly existing = new Set<string>();
  /** Day files whose last line was torn by a stopped run: the next line starts on a fresh one. */
  private readonly torn = new Set<string>();

  constructor(private readonly dir: string) {}

  private static dayOf(startMs: number): string {
    return isoUtc(startMs).slice(0, 10);
  }

  private async load(day: string): Promise<Map<string, string>> {
    const cached = this.days.get(day);
    if (cached !== undefined) {
      // Keep recently used days at the end (LRU order).
      this.days.delete(day);
      this.days.set(day, cached);
      return cached;
    }
    const map = new Map<string, string>();
    let text = '';
    try {
      text = await fs.readFile(path.join(this.dir, `${day}.txt`), 'utf8');
      this.existing.add(day);
      if (text !== '' && !text.endsWith('\n')) this.torn.add(day);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT')
        throw asStorageError(error, `cannot read ${this.dir}`);
    }
    for (const line of text.split('\n')) {
      const space = line.indexOf(' ');
      if (space === -1) continue; // empty, or a torn last line
      const recordingId = line.slice(0, space);
      const file = line.slice(space + 1);
      if (isGenesysId(recordingId) && isArchiveRelative(file)) map.set(recordingId, file);
    }
    this.days.set(day, map);
    while (this.days.size > KEEP_DAYS) this.days.delete(this.days.keys().next().value!);
    return map;
  }

  /** The ledger's `file` for a recording of a conversation that started at `startMs`, if it holds one. */
  async get(recordingId: string, startMs: number): Promise<string | undefined> {
    return (await this.load(ArchivedIndex.dayOf(startMs))).get(recordingId.toLowerCase());
  }

  /** Records a ledger `recording` line durably (after the line itself). */
  async add(recordingId: string, startMs: number, file: string): Promise<void> {
    const id = recordingId.toLowerCase();
    // Ids and names were checked before they became paths; anything else cannot be looked up anyway.
    if (!isGenesysId(id) || !isArchiveRelative(file) || /[\r\n]/.test(file)) return;
    const day = ArchivedIndex.dayOf(startMs);
    const map = await this.load(day);
    const target = path.join(this.dir, `${day}.txt`);
    const created = !this.existing.has(day);
    if (created) await ensureDir(this.dir);
    let handle: fs.FileHandle | undefined;
    try {
      handle = await fs.open(target, 'a', FILE_MODE);
      const bytes = Buffer.from(`${this.torn.has(day) ? '\n' : ''}${id} ${file}\n`, 'utf8');
      // A short write is not an error from `write`: go on until every byte is in.
      for (let done = 0; done < bytes.length;) {
        const { bytesWritten } = await handle.write(bytes, done, bytes.length - done);
        if (bytesWritten <= 0)
          throw new StorageError('storage.shortWrite', `cannot write ${target}: no byte written`);
        done += bytesWritten;
      }
      await handle.sync();
    } catch (error) {
      throw asStorageError(error, `cannot write ${target}`);
    } finally {
      await handle?.close().catch(() => undefined);
    }
    if (created) await fsyncDir(this.dir);
    this.existing.add(day);
    this.torn.delete(day);
    map.set(id, file);
  }
}
