/**
 * The retry buffer (SPEC §3.3): one CDR XML file per recording or conversation whose ingest failed,
 * in `retryDir`, with `rejected/` for files that are not valid entries (never deleted) and `dead/`
 * for entries older than `retryMaxAgeDays`. Every change is durable: writes are atomic, moves and
 * removals are followed by an fsync of the folders involved, so a crash never loses an entry.
 */
import path from 'node:path';
import { isCdrInvalid, readCdrFile, type RetryCdr } from '../archive/cdr.js';
import { UsageError, asStorageError } from '../errors.js';
import { isGenesysId } from '../util/ids.js';
import { fsyncDir } from '../util/atomic.js';
import {
  entryNamePattern,
  exists,
  moveInto,
  retryEntryName,
  scanFolder,
  unlinkIfExists,
  type RetryPaths,
} from './retry-files.js';

export { retryEntryName, type RetryPaths } from './retry-files.js';
export {
  addRetryFiles,
  addRetryForConversation,
  recordRetryFailure,
  sanitizeRetryError,
  type RecordedFailure,
} from './retry-add.js';

/** One valid entry of the buffer, as `retry list` shows it. */
export interface RetryEntry {
  /** File name inside `retryDir`. */
  file: string;
  path: string;
  conversationId: string;
  recordingId?: string;
  conversationStart?: string;
  /** Failed attempts so far; 0 for an entry added by an operator that has not been tried. */
  attempts: number;
  firstFailedAt?: string;
  lastFailedAt?: string;
  lastError?: string;
  /** When a restore from Genesys' archive was last requested for it (SPEC §8.3). */
  restoreRequestedAt?: string;
  mtimeMs: number;
}

/** A file in the buffer that is not a valid entry, and why. */
export interface InvalidRetryFile {
  file: string;
  path: string;
  reason: string;
}

/** The buffer's valid entries and its invalid files, each sorted by name. */
export interface RetryListing {
  entries: RetryEntry[];
  invalid: InvalidRetryFile[];
}

/**
 * Reads every file of the buffer (streaming the folder; sub-folders and `.partial` files are
 * skipped, symbolic links are never followed). A file is a valid entry when it parses as a CDR
 * (retry entry, or an archived CDR dropped in by hand) and its name is the canonical name of its
 * ids; anything else is listed as invalid with the reason, for `quarantineInvalid`.
 */
export async function listRetryEntries(paths: Pick<RetryPaths, 'retryDir'>): Promise<RetryListing> {
  const entries: RetryEntry[] = [];
  const invalid: InvalidRetryFile[] = [];
  for await (const item of scanFolder(paths.retryDir)) {
    const reject = (reason: string): void => void invalid.push({ file: item.name, path: item.path, reason });
    if (item.stat.isSymbolicLink()) {
      reject('is a symbolic link');
      continue;
    }
    if (!item.stat.isFile()) {
      reject('is not a regular file');
      continue;
    }
    let cdr: RetryCdr;
    try {
      const parsed = await readCdrFile(item.path);
      cdr = parsed.kind === 'retry' ? parsed.entry : parsed.cdr;
    } catch (error) {
      if (isCdrInvalid(error)) reject(error.reason);
      else if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
      else if (['EACCES', 'EPERM', 'ELOOP'].includes((error as NodeJS.ErrnoException).code ?? '')) {
        reject(`cannot be read (${(error as NodeJS.ErrnoException).code})`);
      } else throw asStorageError(error, `cannot read ${item.path}`);
      continue;
    }
    const expected = retryEntryName(cdr.conversationId, cdr.recordingId);
    if (item.name !== expected) {
      reject(`file name does not match its ids (expected ${expected})`);
      continue;
    }
    entries.push(toEntry(item.name, item.path, cdr, item.stat.mtimeMs));
  }
  const byName = (a: { file: string }, b: { file: string }): number =>
    a.file < b.file ? -1 : a.file > b.file ? 1 : 0;
  return { entries: entries.sort(byName), invalid: invalid.sort(byName) };
}

function toEntry(file: string, fullPath: string, cdr: RetryCdr, mtimeMs: number): RetryEntry {
  const entry: RetryEntry = {
    file,
    path: fullPath,
    conversationId: cdr.conversationId,
    attempts: 0,
    mtimeMs,
  };
  if (cdr.recordingId !== undefined) entry.recordingId = cdr.recordingId;
  if (cdr.conversationStart !== undefined) entry.conversationStart = cdr.conversationStart;
  if (cdr.retry) {
    entry.attempts = cdr.retry.attempts;
    entry.firstFailedAt = cdr.retry.firstFailedAt;
    entry.lastFailedAt = cdr.retry.lastFailedAt;
    entry.lastError = cdr.retry.lastError;
    if (cdr.retry.restoreRequestedAt !== undefined) entry.restoreRequestedAt = cdr.retry.restoreRequestedAt;
  }
  return entry;
}

/** The identifying part of an entry, as a RetryCdr for `recordRetryFailure` and the pipeline. */
export function retryEntryToCdr(entry: RetryEntry): RetryCdr {
  const cdr: RetryCdr = { conversationId: entry.conversationId };
  if (entry.recordingId !== undefined) cdr.recordingId = entry.recordingId;
  if (entry.conversationStart !== undefined) cdr.conversationStart = entry.conversationStart;
  if (entry.firstFailedAt !== undefined && entry.lastFailedAt !== undefined) {
    cdr.retry = {
      attempts: entry.attempts,
      firstFailedAt: entry.firstFailedAt,
      lastFailedAt: entry.lastFailedAt,
      lastError: entry.lastError ?? '',
    };
    if (entry.restoreRequestedAt !== undefined) cdr.retry.restoreRequestedAt = entry.restoreRequestedAt;
  }
  return cdr;
}

/** When an entry was last attempted: lastFailedAt, else firstFailedAt, else the file's mtime. */
export function lastAttemptMs(entry: RetryEntry): number {
  for (const value of [entry.lastFailedAt, entry.firstFailedAt]) {
    const ms = value === undefined ? NaN : Date.parse(value);
    if (Number.isFinite(ms)) return ms;
  }
  return entry.mtimeMs;
}

/** Up to `n` entries, least recently attempted first; ties by file name. */
export function selectRetryBatch(entries: readonly RetryEntry[], n: number): RetryEntry[] {
  if (n <= 0) return [];
  return entries
    .map((entry) => ({ entry, at: lastAttemptMs(entry) }))
    .sort((a, b) => a.at - b.at || (a.entry.file < b.entry.file ? -1 : a.entry.file > b.entry.file ? 1 : 0))
    .slice(0, n)
    .map(({ entry }) => entry);
}

/**
 * Moves each invalid file, under the same name, into `rejected/` (never deleting anything; a name
 * already taken there gets a numeric suffix). Returns where each went.
 */
export async function quarantineInvalid(
  paths: RetryPaths,
  invalid: readonly InvalidRetryFile[],
): Promise<Array<InvalidRetryFile & { movedTo: string }>> {
  const moved: Array<InvalidRetryFile & { movedTo: string }> = [];
  for (const item of invalid) {
    const from = path.join(paths.retryDir, path.basename(item.file));
    try {
      moved.push({ ...item, movedTo: await moveInto(from, paths.rejectedDir, true) });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue; // already gone
      throw error;
    }
  }
  return moved;
}

/** Older than `maxAgeDays` (age from firstFailedAt, else the file's mtime): due for `dead/`. */
export function retryEntryExpired(entry: RetryEntry, maxAgeDays: number, nowMs: number): boolean {
  const first = entry.firstFailedAt === undefined ? NaN : Date.parse(entry.firstFailedAt);
  const since = Number.isFinite(first) ? first : entry.mtimeMs;
  return nowMs - since > maxAgeDays * 24 * 60 * 60 * 1000;
}

/**
 * Moves entries older than `maxAgeDays` (age from firstFailedAt, else the file's mtime) into
 * `dead/`, replacing an older dead copy of the same entry. Returns the entries moved.
 */
export async function moveExpiredToDead(
  paths: RetryPaths,
  entries: readonly RetryEntry[],
  maxAgeDays: number,
  nowMs: number,
): Promise<RetryEntry[]> {
  const moved: RetryEntry[] = [];
  for (const entry of entries) {
    if (!retryEntryExpired(entry, maxAgeDays, nowMs)) continue;
    try {
      await moveInto(path.join(paths.retryDir, path.basename(entry.file)), paths.deadDir, false);
      moved.push(entry);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }
  return moved;
}

/** An entry `retry remove` is about to move to `removed/`: its ids come from its name. */
export interface RemovedEntry {
  file: string;
  conversationId: string;
  recordingId: string | undefined;
  /** From the file when it can be read, else undefined. */
  conversationStart: string | undefined;
}

/**
 * Removes entries named by file name (with or without `.xml`), by a path to the entry, or by
 * conversation id (every entry of that conversation), or every entry with 'all'. A removed entry is
 * never thrown away: `beforeMove` is called (the ledger's trace), then the file moves, under the same
 * name, to `removed/` (where `retry add` can bring it back). A name that matches nothing is a
 * UsageError (`retry.notFound`) raised before anything is removed. The caller checks the lock
 * first. Returns the removed file names.
 */
export async function removeRetryEntries(
  paths: RetryPaths,
  targets: readonly string[] | 'all',
  beforeMove: (entry: RemovedEntry) => Promise<void> = () => Promise.resolve(),
): Promise<string[]> {
  const names: string[] = [];
  for await (const item of scanFolder(paths.retryDir)) if (item.stat.isFile()) names.push(item.name);
  const chosen = new Set<string>();
  if (targets === 'all') {
    for (const name of names) if (entryNamePattern.test(name)) chosen.add(name);
  } else {
    const unmatched: string[] = [];
    for (const given of targets) {
      const target = entryNameOf(paths, given);
      const id = isGenesysId(target) ? target.toLowerCase() : undefined;
      const hits = names.filter(
        (name) =>
          name === target ||
          name === `${target}.xml` ||
          (id !== undefined &&
            (name === `${id}.xml` || (name.startsWith(`${id}_`) && name.endsWith('.xml')))),
      );
      if (hits.length === 0) unmatched.push(target);
      for (const hit of hits) chosen.add(hit);
    }
    if (unmatched.length > 0) {
      throw new UsageError(
        'retry.notFound',
        `no retry entry matches ${unmatched.map((t) => JSON.stringify(t)).join(', ')}`,
      );
    }
  }
  const removed: string[] = [];
  for (const name of [...chosen].sort()) {
    const from = path.join(paths.retryDir, name);
    const ids = entryNamePattern.exec(name) === null ? undefined : name.slice(0, -'.xml'.length).split('_');
    if (ids === undefined) continue;
    const start = await readCdrFile(from).then(
      (parsed) => (parsed.kind === 'retry' ? parsed.entry.conversationStart : parsed.cdr.conversationStart),
      () => undefined,
    );
    if (!(await exists(from))) continue;
    await beforeMove({ file: name, conversationId: ids[0]!, recordingId: ids[1], conversationStart: start });
    // Replaces an older copy of the same entry removed before: this one carries the latest attempts.
    await moveInto(from, paths.removedDir, false);
    removed.push(name);
  }
  return removed;
}

/**
 * A target given as a path to an entry (`state/retryBuffer/<p_s>/<name>.xml`) becomes its name when
 * it lies in this buffer; anything else is returned as given (and then matches nothing).
 */
function entryNameOf(paths: Pick<RetryPaths, 'retryDir'>, target: string): string {
  if (!target.includes('/') && !target.includes(path.sep)) return target;
  const resolved = path.resolve(target);
  return path.dirname(resolved) === path.resolve(paths.retryDir) ? path.basename(resolved) : target;
}

/**
 * Removes one entry by its file name once its content is archived (the pipeline's path, without a
 * folder scan). Returns false when it was already gone. The caller checks the lock first.
 */
export async function removeRetryEntry(paths: Pick<RetryPaths, 'retryDir'>, file: string): Promise<boolean> {
  if (path.basename(file) !== file || file === '..' || file === '.') {
    throw new TypeError(`not a retry entry name: ${file}`);
  }
  const removed = await unlinkIfExists(path.join(paths.retryDir, file));
  if (removed) await fsyncDir(paths.retryDir);
  return removed;
}

/** Counts for `status.json` and reports. */
export interface RetryBufferStats {
  size: number;
  dead: number;
  oldestFirstFailedAt: string | null;
  /** Entries waiting for Genesys to restore their recording (a restore was requested, SPEC §8.3). */
  restoring: number;
}

/**
 * Size of the buffer (valid entries), number of files in `dead/`, and the oldest firstFailedAt.
 * Pass a listing already made in this run to avoid reading the buffer twice.
 */
export async function retryBufferStats(paths: RetryPaths, listing?: RetryListing): Promise<RetryBufferStats> {
  const { entries } = listing ?? (await listRetryEntries(paths));
  let oldest: { at: string; ms: number } | undefined;
  let restoring = 0;
  for (const entry of entries) {
    if (entry.restoreRequestedAt !== undefined) restoring += 1;
    const ms = entry.firstFailedAt === undefined ? NaN : Date.parse(entry.firstFailedAt);
    if (
      entry.firstFailedAt !== undefined &&
      Number.isFinite(ms) &&
      (oldest === undefined || ms < oldest.ms)
    ) {
      oldest = { at: entry.firstFailedAt, ms };
    }
  }
  let dead = 0;
  for await (const item of scanFolder(paths.deadDir)) if (!item.stat.isDirectory()) dead += 1;
  return { size: entries.length, dead, oldestFirstFailedAt: oldest?.at ?? null, restoring };
}

/**
 * When a restore was last requested for a recording, from its per-recording entry on disk
 * (SPEC §8.3); undefined when there is no entry, no mark, or the file cannot be read as an entry
 * (the retry batch deals with such a file: it is never decided here).
 */
export async function restoreRequestedAtOf(
  paths: Pick<RetryPaths, 'retryDir'>,
  conversationId: string,
  recordingId: string,
): Promise<string | undefined> {
  const file = path.join(paths.retryDir, retryEntryName(conversationId, recordingId));
  try {
    const parsed = await readCdrFile(file);
    return parsed.kind === 'retry' ? parsed.entry.retry?.restoreRequestedAt : undefined;
  } catch (error) {
    if (isCdrInvalid(error) || (error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw asStorageError(error, `cannot read ${file}`);
  }
}
