/**
 * CDR XML (SPEC §3.5): the metadata record written next to each archived recording, and the same
 * format for retry-buffer entries (SPEC §3.3). Built and parsed with fast-xml-parser; parsing treats
 * every file as hostile (size cap, no DTD, no entity expansion, known elements only, ids checked
 * before any of them can become part of a path).
 */
import { constants, promises as fs } from 'node:fs';
import {
  CdrInvalidError,
  MAX_CDR_BYTES,
  checkCdrFields,
  invalid,
  type ArchivedCdr,
  type CdrNamedId,
  type CdrParticipant,
  type CdrRecording,
  type ParsedCdr,
  type RetryCdr,
} from './cdr-model.js';
import { readCdrTree } from './cdr-parse.js';
import { ATTR, TEXT, buildXml, parseXmlTree } from './cdr-xml.js';

export {
  CDR_CODECS,
  CdrInvalidError,
  MAX_CDR_BYTES,
  isPlainFileName,
  isSha256Hex,
  isUtcIso,
  type ArchivedCdr,
  type CdrImportSource,
  type CdrMedia,
  type CdrNamedId,
  type CdrParticipant,
  type CdrRecording,
  type ParsedCdr,
  type RetryCdr,
  type RetryInfo,
} from './cdr-model.js';

type Tree = Record<string, unknown>;

/** Attribute entries for the defined values of `source`, in the order of `keys`. */
function attrs<T extends object>(source: T, keys: readonly (keyof T & string)[]): Tree {
  const out: Tree = {};
  for (const key of keys) {
    const value = source[key];
    if (value !== undefined) out[`${ATTR}${key}`] = String(value);
  }
  return out;
}

const participantKeys = ['purpose', 'userId', 'name', 'email', 'department', 'title'] as const;
const namedKeys = ['id', 'name'] as const;
const importSourceKeys = ['name', 'policyId', 'importSourceId', 'toolVersion', 'host'] as const;
const recordingKeys = ['mediaSubtype', 'sessionId', 'startTime', 'endTime', 'outputDurationMs'] as const;

/** The builder tree of `<cdr>` for the fields present, in the element order of SPEC §3.5. */
function cdrTree(cdr: Partial<ArchivedCdr> & RetryCdr): Tree {
  const root: Tree = { [`${ATTR}version`]: '1' };
  const put = (name: string, value: unknown): void => {
    if (value !== undefined) root[name] = value;
  };
  put('conversationId', cdr.conversationId);
  put('recordingId', cdr.recordingId);
  put('conversationStart', cdr.conversationStart);
  put('conversationEnd', cdr.conversationEnd);
  if (cdr.localStart)
    put('localStart', { [TEXT]: cdr.localStart.value, [`${ATTR}timezone`]: cdr.localStart.timezone });
  put('direction', cdr.direction);
  put('ani', cdr.ani);
  put('dnis', cdr.dnis);
  put('durationMs', cdr.durationMs === undefined ? undefined : String(cdr.durationMs));
  if (cdr.participants) {
    put('participants', {
      participant: cdr.participants.map((p: CdrParticipant) => attrs(p, participantKeys)),
    });
  }
  const named = (list: CdrNamedId[]) => list.map((q) => attrs(q, namedKeys));
  if (cdr.queues) put('queues', { queue: named(cdr.queues) });
  if (cdr.divisionIds) put('divisionIds', { divisionId: [...cdr.divisionIds] });
  if (cdr.wrapUpCodes) put('wrapUpCodes', { wrapUpCode: named(cdr.wrapUpCodes) });
  if (cdr.recording) put('recording', attrs<CdrRecording>(cdr.recording, recordingKeys));
  if (cdr.media && cdr.media.length > 0) {
    put(
      'media',
      cdr.media.map((m) => attrs(m, ['codec', 'contentType', 'file', 'sizeBytes', 'sha256', 'key'])),
    );
  }
  if (cdr.importSource) put('importSource', attrs(cdr.importSource, importSourceKeys));
  put('ingestedAt', cdr.ingestedAt);
  if (cdr.deleteRequested) put('deleteRequested', attrs(cdr.deleteRequested, ['at', 'deleteDate']));
  if (cdr.retry)
    put(
      'retry',
      attrs(cdr.retry, ['attempts', 'firstFailedAt', 'lastFailedAt', 'lastError', 'restoreRequestedAt']),
    );
  return { cdr: root };
}

/**
 * The CDR XML of an archived recording. Throws CdrInvalidError when a value breaks the CDR rules
 * (a timestamp that is not UTC ISO-8601 with `Z`, a negative size, ...): a CDR that this tool could
 * not read back is never written.
 */
export function buildArchivedCdrXml(cdr: ArchivedCdr): string {
  checkCdrFields(cdr, true);
  return buildXml(cdrTree(cdr));
}

/** The CDR XML of a retry entry (no media; `retry` when it has failed at least once). */
export function buildRetryCdrXml(entry: RetryCdr): string {
  checkCdrFields(entry, false);
  return buildXml(cdrTree(entry));
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

/**
 * Parses and validates a CDR document. Throws CdrInvalidError (code `cdr.invalid`) for anything
 * that is not a well-formed, version 1 CDR with valid ids and values; a DOCTYPE or ENTITY
 * declaration is refused before the parser sees the text.
 */
export function parseCdrXml(input: string | Buffer): ParsedCdr {
  const size = typeof input === 'string' ? Buffer.byteLength(input, 'utf8') : input.length;
  if (size > MAX_CDR_BYTES) invalid(`larger than ${MAX_CDR_BYTES} bytes`);
  let text: string;
  if (typeof input === 'string') {
    text = input.startsWith('\uFEFF') ? input.slice(1) : input;
  } else {
    try {
      text = utf8.decode(input);
    } catch {
      invalid('not valid UTF-8');
    }
  }
  // We never write a DTD, so any declaration is refused outright: no entity can be defined at all.
  if (/<!DOCTYPE/i.test(text) || /<!ENTITY/i.test(text)) invalid('contains a DOCTYPE or ENTITY declaration');
  return readCdrTree(parseXmlTree(text));
}

// O_NOFOLLOW does not exist on Windows; lstat above still refuses links there.
const openFlags = constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0);

/**
 * Reads and parses one CDR file. Only a regular file is read (a symbolic link is refused, never
 * followed); one larger than MAX_CDR_BYTES is refused without reading it. File-system errors
 * (ENOENT, EACCES, ...) are thrown as they are; content problems as CdrInvalidError.
 */
export async function readCdrFile(file: string): Promise<ParsedCdr> {
  const stat = await fs.lstat(file);
  if (stat.isSymbolicLink()) invalid('is a symbolic link');
  if (!stat.isFile()) invalid('is not a regular file');
  if (stat.size > MAX_CDR_BYTES) invalid(`larger than ${MAX_CDR_BYTES} bytes (${stat.size})`);
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(file, openFlags);
  } catch (error) {
    // ELOOP: the name was swapped for a link after lstat.
    if ((error as NodeJS.ErrnoException).code === 'ELOOP') invalid('is a symbolic link');
    throw error;
  }
  try {
    const opened = await handle.stat();
    if (!opened.isFile()) invalid('is not a regular file');
    // Read one byte past the cap so a file that grew after lstat is still caught.
    const buffer = Buffer.alloc(Math.min(opened.size, MAX_CDR_BYTES) + 1);
    let length = 0;
    while (length < buffer.length) {
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, length);
      if (bytesRead === 0) break;
      length += bytesRead;
    }
    if (length > MAX_CDR_BYTES) invalid(`larger than ${MAX_CDR_BYTES} bytes`);
    if (length > opened.size) invalid('changed while it was being read');
    return parseCdrXml(buffer.subarray(0, length));
  } finally {
    await handle.close();
  }
}

/** True when `error` is a CdrInvalidError (a file that is not a valid CDR). */
export function isCdrInvalid(error: unknown): error is CdrInvalidError {
  return error instanceof CdrInvalidError;
}
