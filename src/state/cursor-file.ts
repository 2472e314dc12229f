/**
 * The cursor file (SPEC §3.2): one line `<conversationId>;<yyyy.MM.dd HH:mm:ss.SSS>` in UTC, the
 * format the commercial product documents, so an operator can read and edit it by hand.
 */
import { closeSync, existsSync, openSync, promises as fs, readdirSync, readSync } from 'node:fs';
import path from 'node:path';
import { StateFileError } from '../errors.js';
import { isGenesysId } from '../util/ids.js';
import { writeFileAtomic } from '../util/atomic.js';
import type { StatePaths } from './paths.js';
import type { Position } from './position.js';

export const CURSOR_FORMAT =
  '<conversationId>;yyyy.MM.dd HH:mm:ss.SSS  (UTC, e.g. 6f0c2a4e-1b1d-4c55-9a2b-0c3f2b1d9e77;2024.05.01 10:00:00.123 — the id may be empty)';
/** A cursor this far in the future cannot be right: it would skip conversations. */
export const MAX_FUTURE_MS = 5 * 60_000;

const timestampPattern = /^(\d{4})\.(\d{2})\.(\d{2}) (\d{2}):(\d{2}):(\d{2})\.(\d{3})$/;

export interface ParsedCursor {
  readonly position: Position;
  /** Set when the file named an id that is not a Genesys conversation id; it was read as empty. */
  readonly ignoredId?: string;
}

/** Formats epoch ms as the cursor file's timestamp (UTC). */
export function formatCursorTimestamp(ms: number): string {
  const d = new Date(ms);
  const p = (n: number, w = 2): string => String(n).padStart(w, '0');
  return `${p(d.getUTCFullYear(), 4)}.${p(d.getUTCMonth() + 1)}.${p(d.getUTCDate())} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}.${p(d.getUTCMilliseconds(), 3)}`;
}

/** Parses the cursor file's timestamp format (UTC); undefined when it is not exactly that. */
export function parseCursorTimestamp(text: string): number | undefined {
  const m = timestampPattern.exec(text);
  if (m === null) return undefined;
  const [year, month, day, hour, minute, second, milli] = m.slice(1).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const ms = Date.UTC(year, month - 1, day, hour, minute, second, milli);
  const d = new Date(ms);
  // Date.UTC rolls 2024.02.30 over into March; a rolled-over date is not the date written.
  if (
    year < 1970 ||
    d.getUTCFullYear() !== year ||
    d.getUTCMonth() !== month - 1 ||
    d.getUTCDate() !== day ||
    hour > 23 ||
    minute > 59 ||
    second > 59
  ) {
    return undefined;
  }
  return ms;
}

/** The file's one line. */
export function formatCursorLine(position: Position): string {
  return `${position.conversationId};${formatCursorTimestamp(position.startMs)}`;
}

/**
 * Parses the file's content. A UTF-8 BOM and one trailing LF or CRLF are accepted (a file saved in
 * Notepad); anything else that is not exactly the format is an error naming the file.
 */
export function parseCursorText(raw: string | Buffer, file: string, nowMs: number): ParsedCursor {
  let text = typeof raw === 'string' ? raw : raw.toString('utf8');
  text = text.replace(/^\uFEFF/, '').replace(/\r?\n$/, '');
  const fail = (why: string): never => {
    throw new StateFileError(
      'cursor.unreadable',
      `${file}: cursor file ${why}; expected one line: ${CURSOR_FORMAT}`,
    );
  };
  if (text === '') fail('is empty');
  if (/[\r\n]/.test(text)) fail('has more than one line');
  const sep = text.lastIndexOf(';');
  if (sep < 0) fail(`has no ';' between id and timestamp (${JSON.stringify(truncate(text))})`);
  const id = text.slice(0, sep);
  const stamp = text.slice(sep + 1);
  const startMs = parseCursorTimestamp(stamp);
  if (startMs === undefined) fail(`has an invalid timestamp ${JSON.stringify(truncate(stamp))}`);
  if (startMs! > nowMs + MAX_FUTURE_MS)
    fail(`has a timestamp in the future (${stamp} UTC), which would skip conversations`);
  if (id !== '' && !isGenesysId(id)) {
    return { position: { startMs: startMs!, conversationId: '' }, ignoredId: truncate(id) };
  }
  return { position: { startMs: startMs!, conversationId: id.toLowerCase() } };
}

function truncate(s: string): string {
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

export type CursorState =
  | { readonly kind: 'file'; readonly parsed: ParsedCursor; readonly bytes: Buffer }
  | { readonly kind: 'initial'; readonly position: Position };

/**
 * True when this import source has run before (a ledger line or a run's report exists), so a missing
 * cursor means it was removed. A dry run never counts (SPEC §1): its report ends in `-dryrun.json`,
 * and `status.json` is no evidence either (every run that writes it wrote its report first; dry runs
 * before this rule wrote one, with a `-run.json` report whose header says `"dryRun":true`).
 */
export function hasRunBefore(paths: StatePaths): boolean {
  return visibleFiles(paths.ledgerDir).length > 0 || visibleFiles(paths.reportsDir).some(isRunReport);
}

function visibleFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  try {
    return readdirSync(dir)
      .filter((name) => !name.startsWith('.'))
      .map((name) => path.join(dir, name));
  } catch {
    return [];
  }
}

/**
 * A report of a run that happened: not status.json, not a dry run's (by name, or by its header
 * line), not a reconcile's.
 */
function isRunReport(file: string): boolean {
  const name = path.basename(file);
  // A `verify --reconcile` report is an audit of the records, not a run.
  if (name === 'status.json' || name.endsWith('-dryrun.json') || name.endsWith('-reconcile.json'))
    return false;
  let head: string;
  try {
    const fd = openSync(file, 'r');
    try {
      const buffer = Buffer.alloc(16_384);
      head = buffer.subarray(0, readSync(fd, buffer, 0, buffer.length, 0)).toString('utf8');
    } finally {
      closeSync(fd);
    }
  } catch {
    // Unreadable: count it, a missing cursor must never be taken lightly.
    return true;
  }
  return !/^[^\n]*"dryRun":true,\r?\n/.test(head);
}

/**
 * Reads the cursor. A missing file on the first run means `recordingStartTimestamp`; a missing file
 * after earlier runs is an error (it was removed; `cursor set` recreates it).
 */
export async function readCursor(paths: StatePaths, startMs: number, nowMs: number): Promise<CursorState> {
  let bytes: Buffer;
  try {
    bytes = await fs.readFile(paths.cursorFile);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT') {
      throw new StateFileError(
        'cursor.unreadable',
        `${paths.cursorFile}: cursor file cannot be read (${code ?? 'error'})`,
        { cause: error },
      );
    }
    if (hasRunBefore(paths)) {
      throw new StateFileError(
        'cursor.missing',
        `${paths.cursorFile}: cursor file is missing but this import source has run before; restore it from ${paths.cursorBackup} or recreate it with 'genesys-ingest cursor set TIME' (format: ${CURSOR_FORMAT})`,
      );
    }
    return { kind: 'initial', position: { startMs, conversationId: '' } };
  }
  return { kind: 'file', parsed: parseCursorText(bytes, paths.cursorFile, nowMs), bytes };
}

/** Writes the cursor durably (SPEC §3: temp, fsync, rename, fsync folder). */
export async function writeCursor(paths: StatePaths, position: Position): Promise<void> {
  await writeFileAtomic(paths.cursorFile, `${formatCursorLine(position)}\n`);
}
