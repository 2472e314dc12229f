/**
 * Writing retry entries: `retry add` (from files or from ids) and the pipeline's record of a failed
 * attempt. Every entry is written atomically under its canonical name; what goes into it is rebuilt
 * from validated ids, never copied from a file given to us.
 */
import path from 'node:path';
import {
  buildRetryCdrXml,
  isCdrInvalid,
  readCdrFile,
  type RetryCdr,
  type RetryInfo,
} from '../archive/cdr.js';
import { UsageError } from '../errors.js';
import { isGenesysId } from '../util/ids.js';
import { redact } from '../util/redact.js';
import { isoUtc } from '../util/time.js';
import { fsyncDir, writeFileAtomic } from '../util/atomic.js';
import { moveInto, retryEntryName, unlinkIfExists, type RetryPaths } from './retry-files.js';

/** Longest `lastError` kept in an entry. */
const MAX_ERROR_LENGTH = 300;

/**
 * Makes an error message fit for `lastError`: URL query strings, fragments and user-info removed
 * (signed media URLs carry credentials there), registered secrets redacted, control characters and
 * line breaks folded into single spaces, at most 300 characters.
 */
export function sanitizeRetryError(message: string): string {
  let text = message
    .replace(/\b([a-z][a-z0-9+.-]*:\/\/)[^\s/@]*@/gi, '$1')
    .replace(/\b([a-z][a-z0-9+.-]*:\/\/[^\s?#"'<>]*)[?#][^\s"'<>]*/gi, '$1');
  text = redact(text)
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\s]+/g, ' ')
    .trim();
  if (text.length > MAX_ERROR_LENGTH) {
    text = text.slice(0, MAX_ERROR_LENGTH - 3).replace(/[\uD800-\uDBFF]$/, '') + '...';
  }
  return text;
}

/** The identifying fields of a CDR, ids lowercased: all a new entry may take from a given file. */
function identity(cdr: RetryCdr): RetryCdr {
  const entry: RetryCdr = { conversationId: cdr.conversationId.toLowerCase() };
  if (cdr.recordingId !== undefined) entry.recordingId = cdr.recordingId.toLowerCase();
  if (cdr.conversationStart !== undefined) entry.conversationStart = cdr.conversationStart;
  return entry;
}

/** Writes a fresh entry (no failure yet) and brings a same-named dead or removed entry back. */
async function writeFreshEntry(paths: RetryPaths, entry: RetryCdr): Promise<string> {
  const name = retryEntryName(entry.conversationId, entry.recordingId);
  await writeFileAtomic(path.join(paths.retryDir, name), buildRetryCdrXml(entry));
  // Only after the new entry is durable, so a crash in between leaves the entry in both places.
  if (await unlinkIfExists(path.join(paths.deadDir, name))) await fsyncDir(paths.deadDir);
  if (await unlinkIfExists(path.join(paths.removedDir, name))) await fsyncDir(paths.removedDir);
  return name;
}

/**
 * `retry add FILE.xml...`: every file must be a valid retry entry or archived CDR (checked for all
 * files before anything is written; otherwise UsageError `retry.invalidFile` naming each bad file
 * and why). Each is then written into the buffer as a fresh retry entry (attempts 0) built from its
 * ids and conversationStart only. The given files are never moved or changed; a same-named entry
 * in `dead/` or `removed/` is brought back. Returns the entry names written, in the order given (each once).
 */
export async function addRetryFiles(paths: RetryPaths, sourceFiles: readonly string[]): Promise<string[]> {
  const entries: RetryCdr[] = [];
  const problems: string[] = [];
  for (const file of sourceFiles) {
    try {
      const parsed = await readCdrFile(file);
      entries.push(identity(parsed.kind === 'retry' ? parsed.entry : parsed.cdr));
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (isCdrInvalid(error)) problems.push(`${file}: ${error.reason}`);
      else if (code === 'ENOENT') problems.push(`${file}: no such file`);
      else if (typeof code === 'string') problems.push(`${file}: cannot be read (${code})`);
      else throw error;
    }
  }
  if (problems.length > 0) {
    throw new UsageError('retry.invalidFile', `not a valid CDR, nothing was added: ${problems.join('; ')}`);
  }
  // Two files for the same recording make one entry (the last one given wins).
  const byName = new Map(
    entries.map((entry) => [retryEntryName(entry.conversationId, entry.recordingId), entry]),
  );
  const written: string[] = [];
  for (const entry of byName.values()) written.push(await writeFreshEntry(paths, entry));
  return written;
}

/**
 * `retry add --conversation ID [--recording ID]`: writes a fresh entry (attempts 0) for the ids
 * (UsageError `retry.invalidId` when one is not a Genesys id). Returns the entry name.
 */
export async function addRetryForConversation(
  paths: RetryPaths,
  conversationId: string,
  recordingId?: string,
): Promise<string> {
  if (!isGenesysId(conversationId)) {
    throw new UsageError(
      'retry.invalidId',
      `--conversation is not a Genesys id (a UUID): ${JSON.stringify(conversationId)}`,
    );
  }
  if (recordingId !== undefined && !isGenesysId(recordingId)) {
    throw new UsageError(
      'retry.invalidId',
      `--recording is not a Genesys id (a UUID): ${JSON.stringify(recordingId)}`,
    );
  }
  const entry: RetryCdr = { conversationId };
  if (recordingId !== undefined) entry.recordingId = recordingId;
  return writeFreshEntry(paths, identity(entry));
}

/** What `recordRetryFailure` wrote. */
export interface RecordedFailure {
  file: string;
  path: string;
  retry: RetryInfo;
  /** True when this was the entry's first failure (attempts is now 1). */
  first: boolean;
}

function earlier(a: string | undefined, b: string | undefined): string | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return Date.parse(b) < Date.parse(a) ? b : a;
}

/**
 * Records a failed attempt for `entry` (creating its entry, or updating the one on disk), with
 * `restoreRequested` when this attempt asked Genesys to restore the recording (`restoreRequestedAt`
 * = now; otherwise an earlier mark is kept):
 * attempts + 1 over the larger of the count on disk and in `entry.retry` (the first failure gives
 * 1), firstFailedAt kept (the earlier of both), lastFailedAt = now, lastError sanitised. Fields
 * already on disk that `entry` lacks are kept. A same-named file that is not a valid entry is
 * moved to `rejected/` first rather than overwritten. Ids must be Genesys ids (CdrInvalidError).
 */
export async function recordRetryFailure(
  paths: RetryPaths,
  entry: RetryCdr,
  error: string,
  nowMs: number,
  marks: { restoreRequested?: boolean } = {},
): Promise<RecordedFailure> {
  const name = retryEntryName(entry.conversationId, entry.recordingId);
  const file = path.join(paths.retryDir, name);
  let onDisk: RetryCdr | undefined;
  try {
    const parsed = await readCdrFile(file);
    onDisk = parsed.kind === 'retry' ? parsed.entry : identity(parsed.cdr);
  } catch (err) {
    if (isCdrInvalid(err)) await moveInto(file, paths.rejectedDir, true);
    else if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const now = isoUtc(nowMs);
  const previous = Math.max(onDisk?.retry?.attempts ?? 0, entry.retry?.attempts ?? 0);
  const retry: RetryInfo = {
    attempts: previous + 1,
    firstFailedAt: earlier(onDisk?.retry?.firstFailedAt, entry.retry?.firstFailedAt) ?? now,
    lastFailedAt: now,
    lastError: sanitizeRetryError(error),
  };
  // A restore request is remembered across later failures, so none is asked again too soon (SPEC §8.3).
  const restoreRequestedAt = marks.restoreRequested
    ? now
    : (onDisk?.retry?.restoreRequestedAt ?? entry.retry?.restoreRequestedAt);
  if (restoreRequestedAt !== undefined) retry.restoreRequestedAt = restoreRequestedAt;
  const merged: RetryCdr = { ...onDisk, ...definedOnly(entry), ...identity(entry), retry };
  if ((merged as { media?: unknown }).media !== undefined) delete (merged as { media?: unknown }).media;
  await writeFileAtomic(file, buildRetryCdrXml(merged));
  return { file: name, path: file, retry, first: retry.attempts === 1 };
}

/** `entry` without its undefined properties, so a spread never erases a known value. */
function definedOnly(entry: RetryCdr): Partial<RetryCdr> {
  return Object.fromEntries(Object.entries(entry).filter(([, value]) => value !== undefined));
}
