/**
 * The ledger's lines (SPEC §3.6): their shapes, strict parsing, and the streaming readers used to
 * verify the hash chain and to read the ledger back. Writing lives in `ledger.ts`.
 */
import { createHash } from 'node:crypto';
import { createReadStream, promises as fs } from 'node:fs';
import path from 'node:path';
import { isSha256Hex, isUtcIso } from '../archive/cdr.js';
import { StateFileError, asStorageError } from '../errors.js';
import { isGenesysId } from '../util/ids.js';
import { isoUtc } from '../util/time.js';

/** `prev` of the first line ever written. */
export const GENESIS_PREV = '0'.repeat(64);
/** Longest line read whole; anything longer is not a line this tool wrote. */
export const MAX_LINE_BYTES = 1024 * 1024;
const fileNamePattern = /^\d{4}-\d{2}\.jsonl$/;
const statuses = new Set(['archived', 'notRecorded', 'gone', 'retry', 'refused', 'removed']);
/** Longest id a `refused` line carries as given (the pipeline cuts longer ones). */
const MAX_GIVEN_ID = 200;

/**
 * How a settled conversation ended. `refused`: its data broke the model (SPEC §4.3); such a line
 * carries the conversation id as Genesys gave it, and an empty `conversationStart` when that could
 * not be read. `removed`: an operator removed its retry entry (`retry remove`); its start may be
 * empty when it was never known (`retry add --conversation`).
 */
export type LedgerConversationStatus = 'archived' | 'notRecorded' | 'gone' | 'retry' | 'refused' | 'removed';

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

export function sha256(bytes: Buffer | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** A line's fields before chaining; `prev` is whatever the input carried. */
export type Unchained = {
  [K in LedgerLine['type']]: Omit<Extract<LedgerLine, { type: K }>, 'prev'> & { prev?: unknown };
}[LedgerLine['type']];

function bad(reason: string): never {
  throw new StateFileError('ledger.invalidLine', reason);
}

const isPath = (v: unknown): boolean => typeof v === 'string' && v.length > 0;
const isIdList = (v: unknown): boolean => Array.isArray(v) && v.every(isGenesysId);
const isStatus = (v: unknown): boolean => typeof v === 'string' && statuses.has(v);
const isGivenId = (v: unknown): boolean => typeof v === 'string' && v.length <= MAX_GIVEN_ID;

/**
 * A fresh object with a line's fields in the order SPEC §3.6 lists them (nothing else is carried
 * over); throws StateFileError `ledger.invalidLine` naming the first bad field.
 */
export function normalise(value: unknown): Unchained {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) bad('not a JSON object');
  const o = value as Record<string, unknown>;
  const need = <T = string>(key: string, ok: (v: unknown) => boolean, what: string): T =>
    ok(o[key]) ? (o[key] as T) : bad(`${key} is not ${what}`);
  // A refused conversation is recorded with the id and start Genesys gave, whatever they were; an
  // operator may remove an entry whose start was never known (`retry add --conversation`).
  const refused = o.type === 'conversation' && o.status === 'refused';
  const startMayBeEmpty = refused || (o.type === 'conversation' && o.status === 'removed');
  const conversationId = refused
    ? need('conversationId', isGivenId, 'a string')
    : need('conversationId', isGenesysId, 'a Genesys id');
  const conversationStart = startMayBeEmpty
    ? need('conversationStart', (v) => v === '' || isUtcIso(v), 'a UTC timestamp or empty')
    : need('conversationStart', isUtcIso, 'a UTC timestamp');
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
export function parseLine(bytes: Buffer): LedgerLine {
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

export interface RawLine {
  /** The line's bytes, or undefined when longer than MAX_LINE_BYTES (still hashed). */
  bytes: Buffer | undefined;
  hash: string;
  terminated: boolean;
}

/** Streams a file's lines as exact bytes with their hashes (readline would drop a lone CR). */
export async function* rawLines(file: string): AsyncGenerator<RawLine> {
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
export async function ledgerFiles(dir: string): Promise<string[]> {
  try {
    return (await fs.readdir(dir)).filter((name) => fileNamePattern.test(name)).sort();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw asStorageError(error, `cannot read folder ${dir}`);
  }
}

/** The line ending just before offset `end` (a newline or end of file), read backwards in chunks. */

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
