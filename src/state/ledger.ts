/**
 * The ledger (SPEC §3.6): append-only JSONL, one file per month of writing (`<yyyy-MM>.jsonl`, UTC),
 * each line carrying `prev`, the SHA-256 of the previous line's exact bytes (newline excluded),
 * across month files; the first line ever has 64 zeros. Lines are fsynced before `append` returns,
 * so the cursor never passes a line that a crash could lose. Everything is read as a stream.
 */
import { createHash } from 'node:crypto';
import { constants, createReadStream, promises as fs } from 'node:fs';
import path from 'node:path';
import { isSha256Hex, isUtcIso } from '../archive/cdr.js';
import { StateFileError, asStorageError } from '../errors.js';
import { isGenesysId } from '../util/ids.js';
import { compactUtc, isoUtc } from '../util/time.js';
import { FILE_MODE, ensureDir, fsyncDir, writeFileAtomic } from './atomic.js';

/** `prev` of the first line ever written. */
export const GENESIS_PREV = '0'.repeat(64);
/** Longest line read whole; anything longer is not a line this tool wrote. */
const MAX_LINE_BYTES = 1024 * 1024;
const fileNamePattern = /^\d{4}-\d{2}\.jsonl$/;
const statuses = new Set(['archived', 'notRecorded', 'gone', 'retry']);

/** How a settled conversation ended. */
export type LedgerConversationStatus = 'archived' | 'notRecorded' | 'gone' | 'retry';

/** One archived recording. `file` is the media path relative to the archive root. */
export interface LedgerRecordingLine {
  type: 'recording';
  conversationId: string;
  recordingId: string;
  conversationStart: string;
  file: string;
  sha256: string;
  cdrSha256: string;
  at: string;
  prev: string;
}

/** One settled conversation. */
export interface LedgerConversationLine {
  type: 'conversation';
  conversationId: string;
  conversationStart: string;
  status: LedgerConversationStatus;
  recordingIds: string[];
  at: string;
  prev: string;
}

/** A ledger line as stored. */
export type LedgerLine = LedgerRecordingLine | LedgerConversationLine;

/** What `append` takes: a line without `prev` (computed) and with `at` optional (now). */
export type LedgerEntry =
  | (Omit<LedgerRecordingLine, 'prev' | 'at'> & { at?: string })
  | (Omit<LedgerConversationLine, 'prev' | 'at'> & { at?: string });

/** What `Ledger.open` did about a last line left without its newline by a crash. */
export interface TornLineRecovery {
  file: string;
  bytes: number;
  /** `completed`: the line was whole and chained, only its newline was added. `truncated`: cut away. */
  action: 'completed' | 'truncated';
  /** Where the cut-away bytes were kept (a `.torn-<time>` file beside the ledger). */
  savedAs?: string;
}

/** Result of `verifyChain`. */
export interface ChainVerification {
  lines: number;
  ok: boolean;
  /** SHA-256 of the last line: compare with an anchor kept elsewhere to detect a cut tail. */
  head: string;
  firstBrokenLine?: { file: string; line: number; reason: string };
}

/** The ledger file name for a moment: `<yyyy-MM>.jsonl` in UTC. */
export function ledgerFileName(ms: number): string {
  return `${isoUtc(ms).slice(0, 7)}.jsonl`;
}

function sha256(bytes: Buffer | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** A line's fields before chaining; `prev` is whatever the input carried. */
type Unchained = {
  [K in LedgerLine['type']]: Omit<Extract<LedgerLine, { type: K }>, 'prev'> & { prev?: unknown };
}[LedgerLine['type']];

function bad(reason: string): never {
  throw new StateFileError('ledger.invalidLine', reason);
}

const isPath = (v: unknown): boolean => typeof v === 'string' && v.length > 0;
const isIdList = (v: unknown): boolean => Array.isArray(v) && v.every(isGenesysId);
const isStatus = (v: unknown): boolean => typeof v === 'string' && statuses.has(v);

/**
 * A fresh object with a line's fields in the order SPEC §3.6 lists them (nothing else is carried
 * over); throws StateFileError `ledger.invalidLine` naming the first bad field.
 */
function normalise(value: unknown): Unchained {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) bad('not a JSON object');
  const o = value as Record<string, unknown>;
  const need = <T = string>(key: string, ok: (v: unknown) => boolean, what: string): T =>
    ok(o[key]) ? (o[key] as T) : bad(`${key} is not ${what}`);
  const conversationId = need('conversationId', isGenesysId, 'a Genesys id');
  const conversationStart = need('conversationStart', isUtcIso, 'a UTC timestamp');
  const at = need('at', isUtcIso, 'a UTC timestamp');
  if (o.type === 'recording') {
    const recordingId = need('recordingId', isGenesysId, 'a Genesys id');
    const file = need('file', isPath, 'a path');
    const sha256 = need('sha256', isSha256Hex, 'lowercase SHA-256 hex');
    const cdrSha256 = need('cdrSha256', isSha256Hex, 'lowercase SHA-256 hex');
    return {
      type: 'recording',
      conversationId,
      recordingId,
      conversationStart,
      file,
      sha256,
      cdrSha256,
      at,
      prev: o.prev,
    };
  }
  if (o.type !== 'conversation') bad('type is neither recording nor conversation');
  const status = need<LedgerConversationStatus>('status', isStatus, 'a known status');
  const recordingIds = [...need<string[]>('recordingIds', isIdList, 'a list of Genesys ids')];
  return { type: 'conversation', conversationId, conversationStart, status, recordingIds, at, prev: o.prev };
}

/** Parses one stored line; throws StateFileError `ledger.invalidLine` with the reason. */
function parseLine(bytes: Buffer): LedgerLine {
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw new StateFileError('ledger.invalidLine', 'not JSON');
  }
  const line = normalise(value);
  if (!isSha256Hex(line.prev)) throw new StateFileError('ledger.invalidLine', 'prev is not a SHA-256');
  return line as LedgerLine;
}

interface RawLine {
  /** The line's bytes, or undefined when longer than MAX_LINE_BYTES (still hashed). */
  bytes: Buffer | undefined;
  hash: string;
  terminated: boolean;
}

/** Streams a file's lines as exact bytes with their hashes (readline would drop a lone CR). */
async function* rawLines(file: string): AsyncGenerator<RawLine> {
  let [hash, parts, size] = [createHash('sha256'), [] as Buffer[], 0];
  const line = (terminated: boolean): RawLine => ({
    bytes: size <= MAX_LINE_BYTES ? Buffer.concat(parts, size) : undefined,
    hash: hash.digest('hex'),
    terminated,
  });
  for await (const chunk of createReadStream(file, { highWaterMark: 64 * 1024 }) as AsyncIterable<Buffer>) {
    for (let start = 0; ;) {
      const newline = chunk.indexOf(0x0a, start);
      const segment = chunk.subarray(start, newline === -1 ? chunk.length : newline);
      hash.update(segment);
      size += segment.length;
      // Past the cap only the hash is kept, so memory stays flat whatever a file holds.
      if (size <= MAX_LINE_BYTES) parts.push(segment);
      else parts = [];
      if (newline === -1) break;
      yield line(true);
      [hash, parts, size, start] = [createHash('sha256'), [], 0, newline + 1];
    }
  }
  if (size > 0) yield line(false);
}

/** The ledger's month files, oldest first. A missing folder has none. */
async function ledgerFiles(dir: string): Promise<string[]> {
  try {
    return (await fs.readdir(dir)).filter((name) => fileNamePattern.test(name)).sort();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw asStorageError(error, `cannot read folder ${dir}`);
  }
}

/** The line ending just before offset `end` (a newline or end of file), read backwards in chunks. */
async function lineBefore(handle: fs.FileHandle, end: number): Promise<{ start: number; bytes: Buffer }> {
  const chunks: Buffer[] = [];
  for (let pos = end; pos > 0;) {
    const length = Math.min(64 * 1024, pos);
    const chunk = Buffer.alloc(length);
    await handle.read(chunk, 0, length, pos - length);
    const newline = chunk.lastIndexOf(0x0a);
    if (newline !== -1) {
      chunks.unshift(chunk.subarray(newline + 1));
      return { start: pos - length + newline + 1, bytes: Buffer.concat(chunks) };
    }
    chunks.unshift(chunk);
    pos -= length;
    if (end - pos > MAX_LINE_BYTES)
      throw new StateFileError('ledger.invalid', 'ledger line longer than 1 MiB');
  }
  return { start: 0, bytes: Buffer.concat(chunks) };
}

/** Hash of the last complete line in `files` (newest first), or GENESIS_PREV. */
async function lastHashOf(dir: string, files: readonly string[]): Promise<string> {
  for (const name of [...files].reverse()) {
    const handle = await fs.open(path.join(dir, name), 'r');
    try {
      const { size } = await handle.stat();
      if (size > 0) return sha256((await lineBefore(handle, size - 1)).bytes);
    } finally {
      await handle.close();
    }
  }
  return GENESIS_PREV;
}

const appendFlags = constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | (constants.O_NOFOLLOW ?? 0);

/** An open ledger: knows the last line's hash and appends chained, fsynced lines. */
export class Ledger {
  /** Set when `open` found a torn last line and dealt with it. */
  readonly recovered: TornLineRecovery | undefined;
  private head: string;
  private newestFile: string | undefined;
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(
    readonly dir: string,
    head: string,
    newestFile: string | undefined,
    recovered?: TornLineRecovery,
  ) {
    this.head = head;
    this.newestFile = newestFile;
    this.recovered = recovered;
  }

  /** SHA-256 of the last line written (GENESIS_PREV for an empty ledger). */
  get lastHash(): string {
    return this.head;
  }

  /**
   * Opens the ledger in `ledgerDir` (created 0700 if missing) and finds the chain's head. A last line
   * without its newline (a crash mid-append) is completed when it is whole and chains correctly,
   * otherwise cut away after its bytes are saved beside the ledger; see `recovered`.
   */
  static async open(ledgerDir: string, nowMs = Date.now()): Promise<Ledger> {
    await ensureDir(ledgerDir);
    const files = await ledgerFiles(ledgerDir);
    const newest = files.at(-1);
    try {
      const recovered = newest === undefined ? undefined : await repairTail(ledgerDir, files, nowMs);
      return new Ledger(ledgerDir, await lastHashOf(ledgerDir, files), newest, recovered);
    } catch (error) {
      throw asStorageError(error, `cannot open ledger ${ledgerDir}`);
    }
  }

  /**
   * Appends `entries` as chained lines to the current month's file and fsyncs it (and the folder
   * when the file is new) before resolving. Calls are serialised. On a failed write the file is cut
   * back to where it was, so the chain stays intact.
   */
  append(entries: readonly LedgerEntry[], nowMs = Date.now()): Promise<void> {
    const run = this.queue.then(() => this.appendNow(entries, nowMs));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async appendNow(entries: readonly LedgerEntry[], nowMs: number): Promise<void> {
    if (entries.length === 0) return;
    let head = this.head;
    const lines: string[] = [];
    for (const entry of entries) {
      let fields: Unchained;
      try {
        fields = normalise({ ...entry, at: entry.at ?? isoUtc(nowMs) });
      } catch (error) {
        throw new StateFileError('ledger.invalidEntry', `refusing ledger entry: ${(error as Error).message}`);
      }
      const text = JSON.stringify({ ...fields, prev: head });
      head = sha256(text);
      lines.push(`${text}\n`);
    }
    // Never write into an older month than the newest file (a clock stepped back): order is the chain.
    const name = [ledgerFileName(nowMs), this.newestFile ?? ''].sort().at(-1) ?? ledgerFileName(nowMs);
    const file = path.join(this.dir, name);
    const created =
      name !== this.newestFile &&
      !(await fs.stat(file).then(
        () => true,
        () => false,
      ));
    let handle: fs.FileHandle | undefined;
    let before = 0;
    try {
      handle = await fs.open(file, appendFlags, FILE_MODE);
      before = (await handle.stat()).size;
      if (created) await handle.chmod(FILE_MODE);
      await handle.write(lines.join(''));
      await handle.sync();
    } catch (error) {
      await handle?.truncate(before).catch(() => undefined);
      throw asStorageError(error, `cannot append to ledger ${file}`);
    } finally {
      await handle?.close().catch(() => undefined);
    }
    if (created) await fsyncDir(this.dir);
    this.head = head;
    this.newestFile = name;
  }

  /** See `verifyChain`. */
  static verifyChain(ledgerDir: string): Promise<ChainVerification> {
    return verifyChain(ledgerDir);
  }

  /** See `readLedger`. */
  static readLedger(ledgerDir: string): AsyncGenerator<LedgerLine> {
    return readLedger(ledgerDir);
  }
}

/** Completes or cuts away a torn last line of the newest file. */
async function repairTail(
  dir: string,
  files: readonly string[],
  nowMs: number,
): Promise<TornLineRecovery | undefined> {
  const name = files.at(-1) as string;
  const file = path.join(dir, name);
  const handle = await fs.open(file, 'r+');
  try {
    const { size } = await handle.stat();
    const last = Buffer.alloc(1);
    if (size === 0 || (await handle.read(last, 0, 1, size - 1), last[0] === 0x0a)) return undefined;
    const tail = await lineBefore(handle, size);
    const prev =
      tail.start > 0
        ? sha256((await lineBefore(handle, tail.start - 1)).bytes)
        : await lastHashOf(dir, files.slice(0, -1));
    let whole = false;
    try {
      whole = parseLine(tail.bytes).prev === prev;
    } catch {
      whole = false;
    }
    if (whole) {
      await handle.write('\n', size);
      await handle.sync();
      return { file: name, bytes: tail.bytes.length, action: 'completed' };
    }
    const savedAs = path.join(dir, `${name}.torn-${compactUtc(nowMs)}`);
    await writeFileAtomic(savedAs, tail.bytes);
    await handle.truncate(tail.start);
    await handle.sync();
    return { file: name, bytes: tail.bytes.length, action: 'truncated', savedAs };
  } finally {
    await handle.close();
  }
}

/**
 * Checks the whole chain, streaming every month file in order: each line must be a valid ledger
 * line ending in a newline whose `prev` is the hash of the line before. Counts every line and
 * reports the first broken one (1-based line number within its file). Read-only.
 */
export async function verifyChain(ledgerDir: string): Promise<ChainVerification> {
  let expected = GENESIS_PREV;
  let lines = 0;
  let firstBrokenLine: ChainVerification['firstBrokenLine'];
  for (const name of await ledgerFiles(ledgerDir)) {
    let number = 0;
    for await (const raw of rawLines(path.join(ledgerDir, name))) {
      number += 1;
      lines += 1;
      if (firstBrokenLine === undefined) {
        const reason = lineProblem(raw, expected);
        if (reason !== undefined) firstBrokenLine = { file: name, line: number, reason };
      }
      expected = raw.hash;
    }
  }
  const result: ChainVerification = { lines, ok: firstBrokenLine === undefined, head: expected };
  if (firstBrokenLine !== undefined) result.firstBrokenLine = firstBrokenLine;
  return result;
}

function lineProblem(raw: RawLine, expectedPrev: string): string | undefined {
  if (raw.bytes === undefined) return 'line longer than 1 MiB';
  if (!raw.terminated) return 'last line has no newline (torn write)';
  try {
    const line = parseLine(raw.bytes);
    // Lines are written as JSON.stringify of exactly these fields: any other spelling was edited.
    if (JSON.stringify(line) !== raw.bytes.toString('utf8'))
      return 'not in the form this tool writes (edited)';
    if (line.prev !== expectedPrev)
      return 'prev does not match the hash of the line before (this or the previous line was altered)';
  } catch (error) {
    return (error as Error).message;
  }
  return undefined;
}

/**
 * Streams every valid line of the ledger, oldest first. Invalid lines and a torn last line are
 * skipped (reported through `onInvalid`): a line that cannot be read only costs a re-check of
 * that conversation against the archive, never a loss.
 */
export async function* readLedger(
  ledgerDir: string,
  onInvalid?: (where: { file: string; line: number; reason: string }) => void,
): AsyncGenerator<LedgerLine> {
  for (const name of await ledgerFiles(ledgerDir)) {
    let number = 0;
    for await (const raw of rawLines(path.join(ledgerDir, name))) {
      number += 1;
      if (raw.bytes === undefined || !raw.terminated) {
        onInvalid?.({
          file: name,
          line: number,
          reason: raw.bytes ? 'torn last line' : 'line longer than 1 MiB',
        });
        continue;
      }
      let line: LedgerLine;
      try {
        line = parseLine(raw.bytes);
      } catch (error) {
        onInvalid?.({ file: name, line: number, reason: (error as Error).message });
        continue;
      }
      yield line;
    }
  }
}
