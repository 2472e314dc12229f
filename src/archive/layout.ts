/**
 * Where a recording lives in the archive (SPEC §3.4):
 * `<archiveDir>/<yyyy>/<MM>/<dd>/<conversationId>/<recordingId>.<ext>` and its CDR beside it, the
 * date being the conversation start in the configured timezone. Ids are checked before they become
 * path parts, and the result is checked to stay under the archive root.
 */
import path from 'node:path';
import { ExitCode, IngestError } from '../errors.js';
import { isGenesysId, isSafePathPart } from '../util/ids.js';
import { datePartsInZone } from '../util/time.js';

/** An id from Genesys that cannot become a path part: that item is refused, the run goes on. */
export class UnsafeIdError extends IngestError {
  constructor(what: string, value: string) {
    super(
      'archive.unsafeId',
      `refusing ${what} ${JSON.stringify(value.slice(0, 80))}: not a Genesys id, it cannot become a file name`,
      ExitCode.partial,
    );
  }
}

/**
 * The archive key of a conversation's folder (SPEC §3.4, §7): `<yyyy>/<MM>/<dd>/<conversationId>`,
 * `/`-separated, relative to the archive root (a folder, or a bucket prefix).
 */
export function conversationKey(
  timezone: string,
  conversationStartMs: number,
  conversationId: string,
): string {
  if (!isGenesysId(conversationId)) throw new UnsafeIdError('conversation id', conversationId);
  const [yyyy, mm, dd] = datePartsInZone(conversationStartMs, timezone);
  return `${yyyy}/${mm}/${dd}/${conversationId.toLowerCase()}`;
}

/** The archive key of a recording's CDR: its conversation's key and `<recordingId>.xml`. */
export function cdrKey(
  timezone: string,
  conversationStartMs: number,
  conversationId: string,
  recordingId: string,
): string {
  return `${conversationKey(timezone, conversationStartMs, conversationId)}/${cdrFileName(recordingId)}`;
}

export function conversationFolder(
  archiveDir: string,
  timezone: string,
  conversationStartMs: number,
  conversationId: string,
): string {
  if (!isGenesysId(conversationId)) throw new UnsafeIdError('conversation id', conversationId);
  const [yyyy, mm, dd] = datePartsInZone(conversationStartMs, timezone);
  const folder = path.join(archiveDir, yyyy, mm, dd, conversationId.toLowerCase());
  assertInside(archiveDir, folder);
  return folder;
}

/** Where a recording's CDR lives: its conversation's folder and `<recordingId>.xml`. */
export function cdrPath(
  archiveDir: string,
  timezone: string,
  conversationStartMs: number,
  conversationId: string,
  recordingId: string,
): string {
  return path.join(
    conversationFolder(archiveDir, timezone, conversationStartMs, conversationId),
    cdrFileName(recordingId),
  );
}

/** `<recordingId>.xml`, the CDR's name. */
export function cdrFileName(recordingId: string): string {
  if (!isGenesysId(recordingId)) throw new UnsafeIdError('recording id', recordingId);
  return `${recordingId.toLowerCase()}.xml`;
}

/** `<recordingId>.<ext>`, or `<recordingId>_<key>.<ext>` when a recording has several media files. */
export function mediaFileName(recordingId: string, ext: string, key: string | undefined): string {
  if (!isGenesysId(recordingId)) throw new UnsafeIdError('recording id', recordingId);
  if (key !== undefined && (!isSafePathPart(key) || !/^[A-Za-z0-9_-]{1,32}$/.test(key)))
    throw new UnsafeIdError('media key', key);
  return key === undefined
    ? `${recordingId.toLowerCase()}.${ext}`
    : `${recordingId.toLowerCase()}_${key}.${ext}`;
}

function assertInside(root: string, target: string): void {
  const rel = path.relative(path.resolve(root), path.resolve(target));
  if (rel.startsWith('..') || path.isAbsolute(rel)) throw new UnsafeIdError('path', target);
}
