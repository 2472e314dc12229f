/**
 * The CDR data model (SPEC §3.5) and the value rules every CDR obeys, whether it is being built from
 * what Genesys returned or parsed from a file that may have been edited by hand or planted. The
 * same checks run on both sides, so a CDR this tool writes is always one it can read back.
 */
import { StateFileError } from '../errors.js';
import { isGenesysId, isSafePathPart, sourceIdPattern } from '../util/ids.js';

/** Largest CDR file accepted (1 MiB): a real one is a few KiB; anything bigger is refused unread. */
export const MAX_CDR_BYTES = 1024 * 1024;

/** Codec names a CDR `media` element may carry (the configured codec, SPEC §2). */
export const CDR_CODECS: ReadonlySet<string> = new Set([
  'WAV',
  'WEBM',
  'WAV_ULAW',
  'OGG_VORBIS',
  'OGG_OPUS',
  'MP3',
  'ORIGINAL',
]);

/** A conversation participant; attributes other than `purpose` are present where known. */
export interface CdrParticipant {
  purpose: string;
  userId?: string;
  name?: string;
  email?: string;
  department?: string;
  title?: string;
}

/** A queue or wrap-up code: its id, and its name where it could be looked up in Genesys. */
export interface CdrNamedId {
  id: string;
  name?: string;
}

/** Where the CDR was made: the import source, and (in CDRs written since they exist) the tool and host. */
export interface CdrImportSource {
  name: string;
  policyId: string;
  importSourceId: string;
  /** The version of genesys-ingest that archived the recording. */
  toolVersion?: string;
  /** The host name of the machine it ran on. */
  host?: string;
}

/** One archived media file of a recording, relative to the CDR. */
export interface CdrMedia {
  codec: string;
  contentType: string;
  file: string;
  sizeBytes: number;
  sha256: string;
  key?: string;
}

/** Recording metadata as Genesys reported it, where known. */
export interface CdrRecording {
  mediaSubtype?: string;
  sessionId?: string;
  startTime?: string;
  endTime?: string;
  outputDurationMs?: number;
}

/** The CDR written next to an archived recording: its presence means the recording is archived. */
export interface ArchivedCdr {
  conversationId: string;
  recordingId: string;
  /** UTC ISO-8601 with milliseconds. */
  conversationStart: string;
  conversationEnd: string;
  /** The start in the configured zone, ISO-8601 with numeric offset. */
  localStart: { value: string; timezone: string };
  direction?: string;
  ani?: string;
  dnis?: string;
  durationMs: number;
  participants: CdrParticipant[];
  queues: CdrNamedId[];
  divisionIds: string[];
  wrapUpCodes: CdrNamedId[];
  recording: CdrRecording;
  media: CdrMedia[];
  importSource: CdrImportSource;
  ingestedAt: string;
  deleteRequested?: { at: string; deleteDate: string };
}

/** Failure bookkeeping of a retry entry. */
export interface RetryInfo {
  /** Every failed attempt, the first included. */
  attempts: number;
  firstFailedAt: string;
  lastFailedAt: string;
  /** Short, single line, no URL query strings. */
  lastError: string;
  /**
   * When this tool last asked Genesys to restore the recording from its archive (SPEC §8.3): no new
   * request goes out while it is younger than `restoreDays`.
   */
  restoreRequestedAt?: string;
}

/**
 * A retry-buffer entry: what is known so far about a recording or conversation whose ingest failed.
 * Only the ids (and conversationStart) matter for retrying; the other fields are informational.
 * An entry without `retry` has never failed yet (added by an operator).
 */
export interface RetryCdr extends Partial<Omit<ArchivedCdr, 'conversationId' | 'media'>> {
  conversationId: string;
  retry?: RetryInfo;
}

/** The result of parsing a CDR file: an archived CDR, or a retry entry. */
export type ParsedCdr = { kind: 'archived'; cdr: ArchivedCdr } | { kind: 'retry'; entry: RetryCdr };

/** A CDR file or value breaks the format: hostile, truncated, edited, or not a CDR at all. */
export class CdrInvalidError extends StateFileError {
  /** The reason alone, without the file name a caller may prepend. */
  readonly reason: string;
  constructor(reason: string, options?: { cause?: unknown }) {
    super('cdr.invalid', `invalid CDR: ${reason}`, options);
    this.reason = reason;
  }
}

/** Throws CdrInvalidError with `reason`. */
export function invalid(reason: string): never {
  throw new CdrInvalidError(reason);
}

const utcPattern = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$/;
const zonedPattern = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;
const sha256Pattern = /^[0-9a-f]{64}$/;

/**
 * True for a UTC ISO-8601 timestamp ending in `Z` that names a real instant. `Date.parse` alone
 * would roll 2024-02-30 over into March, so the calendar fields are compared after parsing.
 */
export function isUtcIso(value: unknown): value is string {
  if (typeof value !== 'string' || !utcPattern.test(value)) return false;
  const ms = Date.parse(value);
  return Number.isFinite(ms) && new Date(ms).toISOString().slice(0, 19) === value.slice(0, 19);
}

/** True for a lowercase SHA-256 hex digest. */
export function isSha256Hex(value: unknown): value is string {
  return typeof value === 'string' && sha256Pattern.test(value);
}

/** True for a media file name that stays in the CDR's folder: one plain, visible path component. */
export function isPlainFileName(value: unknown): value is string {
  return (
    typeof value === 'string' && isSafePathPart(value) && !value.includes('..') && !value.startsWith('.')
  );
}

function checkUtc(value: unknown, field: string): void {
  if (!isUtcIso(value)) invalid(`${field} is not a UTC ISO-8601 timestamp: ${show(value)}`);
}

function checkCount(value: unknown, field: string): void {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    invalid(`${field} is not a non-negative integer: ${show(value)}`);
  }
}

function checkString(value: unknown, field: string, nonEmpty = false): void {
  if (typeof value !== 'string' || (nonEmpty && value.length === 0)) {
    invalid(`${field} must be a${nonEmpty ? ' non-empty' : ''} string`);
  }
}

function checkOptional(value: unknown, check: (v: unknown) => void): void {
  if (value !== undefined) check(value);
}

function checkList<T>(value: unknown, field: string, each: (item: T, where: string) => void): void {
  if (!Array.isArray(value)) invalid(`${field} must be a list`);
  (value as T[]).forEach((item, i) => each(item, `${field}[${i}]`));
}

/** A short, printable rendering of a rejected value for error messages. */
export function show(value: unknown): string {
  const text = typeof value === 'string' ? JSON.stringify(value) : String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/**
 * Checks every field that is present against the CDR value rules. With `archived`, the fields an
 * archived CDR must have are required too, `media` is non-empty and `retry` is refused.
 */
export function checkCdrFields(cdr: Partial<ArchivedCdr> & { retry?: RetryInfo }, archived: boolean): void {
  if (!isGenesysId(cdr.conversationId))
    invalid(`conversationId is not a Genesys id: ${show(cdr.conversationId)}`);
  if (archived || cdr.recordingId !== undefined) {
    if (!isGenesysId(cdr.recordingId)) invalid(`recordingId is not a Genesys id: ${show(cdr.recordingId)}`);
  }
  const required = (value: unknown, field: string): void => {
    if (archived && value === undefined) invalid(`${field} is missing`);
  };
  for (const field of ['conversationStart', 'conversationEnd', 'ingestedAt'] as const) {
    required(cdr[field], field);
    checkOptional(cdr[field], (v) => checkUtc(v, field));
  }
  required(cdr.localStart, 'localStart');
  checkOptional(cdr.localStart, (v) => {
    const local = v as ArchivedCdr['localStart'];
    if (typeof local !== 'object' || local === null) invalid('localStart is missing');
    if (
      typeof local.value !== 'string' ||
      !zonedPattern.test(local.value) ||
      !Number.isFinite(Date.parse(local.value))
    ) {
      invalid(`localStart is not ISO-8601 with an offset: ${show(local.value)}`);
    }
    checkString(local.timezone, 'localStart timezone', true);
  });
  for (const field of ['direction', 'ani', 'dnis'] as const)
    checkOptional(cdr[field], (v) => checkString(v, field));
  required(cdr.durationMs, 'durationMs');
  checkOptional(cdr.durationMs, (v) => checkCount(v, 'durationMs'));
  for (const field of ['participants', 'queues', 'divisionIds', 'wrapUpCodes'] as const)
    required(cdr[field], field);
  checkOptional(cdr.participants, (v) =>
    checkList<CdrParticipant>(v, 'participants', (p, where) => {
      checkString(p.purpose, `${where} purpose`, true);
      for (const key of ['userId', 'name', 'email', 'department', 'title'] as const) {
        checkOptional(p[key], (s) => checkString(s, `${where} ${key}`));
      }
    }),
  );
  checkOptional(cdr.divisionIds, (v) =>
    checkList<unknown>(v, 'divisionIds', (id, where) => checkString(id, where, true)),
  );
  for (const field of ['queues', 'wrapUpCodes'] as const) {
    checkOptional(cdr[field], (v) =>
      checkList<CdrNamedId>(v, field, (item, where) => {
        if (typeof item !== 'object' || item === null) invalid(`${where} is malformed`);
        checkString(item.id, `${where} id`, true);
        checkOptional(item.name, (s) => checkString(s, `${where} name`, true));
      }),
    );
  }
  required(cdr.recording, 'recording');
  checkOptional(cdr.recording, (v) => {
    const r = v as CdrRecording;
    checkOptional(r.mediaSubtype, (s) => checkString(s, 'recording mediaSubtype'));
    checkOptional(r.sessionId, (s) => checkString(s, 'recording sessionId'));
    checkOptional(r.startTime, (s) => checkUtc(s, 'recording startTime'));
    checkOptional(r.endTime, (s) => checkUtc(s, 'recording endTime'));
    checkOptional(r.outputDurationMs, (n) => checkCount(n, 'recording outputDurationMs'));
  });
  if (archived) {
    checkList<CdrMedia>(cdr.media, 'media', (m, where) => checkMedia(m, where));
    if (cdr.media?.length === 0) invalid('an archived CDR needs at least one media element');
    if (cdr.retry !== undefined) invalid('an archived CDR never carries retry');
  } else if (cdr.media !== undefined) {
    invalid('a retry entry carries no media');
  }
  required(cdr.importSource, 'importSource');
  checkOptional(cdr.importSource, (v) => {
    const s = v as CdrImportSource;
    checkString(s.name, 'importSource name');
    checkOptional(s.toolVersion, (t) => checkString(t, 'importSource toolVersion', true));
    checkOptional(s.host, (t) => checkString(t, 'importSource host', true));
    for (const key of ['policyId', 'importSourceId'] as const) {
      if (typeof s[key] !== 'string' || !sourceIdPattern.test(s[key]))
        invalid(`importSource ${key} is not valid`);
    }
  });
  checkOptional(cdr.deleteRequested, (v) => {
    const d = v as NonNullable<ArchivedCdr['deleteRequested']>;
    checkUtc(d.at, 'deleteRequested at');
    checkUtc(d.deleteDate, 'deleteRequested deleteDate');
  });
  checkOptional(cdr.retry, (v) => {
    const r = v as RetryInfo;
    checkCount(r.attempts, 'retry attempts');
    checkUtc(r.firstFailedAt, 'retry firstFailedAt');
    checkUtc(r.lastFailedAt, 'retry lastFailedAt');
    checkString(r.lastError, 'retry lastError');
    checkOptional(r.restoreRequestedAt, (at) => checkUtc(at, 'retry restoreRequestedAt'));
  });
}

function checkMedia(m: CdrMedia, where: string): void {
  if (typeof m.codec !== 'string' || !CDR_CODECS.has(m.codec))
    invalid(`${where} codec is not known: ${show(m.codec)}`);
  checkString(m.contentType, `${where} contentType`, true);
  if (!isPlainFileName(m.file)) invalid(`${where} file is not a plain file name: ${show(m.file)}`);
  checkCount(m.sizeBytes, `${where} sizeBytes`);
  if (!isSha256Hex(m.sha256)) invalid(`${where} sha256 is not 64 lowercase hex digits: ${show(m.sha256)}`);
  checkOptional(m.key, (s) => checkString(s, `${where} key`, true));
}
