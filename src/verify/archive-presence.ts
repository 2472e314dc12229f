/**
 * Whether the archive holds a recording the ledger says it archived (SPEC §8.1: media and CDR, by
 * existence and size; §8.2 also by hash). The one place `verify --reconcile` and
 * `verify --conversation` ask the archive, through the archive target (§7): the CDR beside the
 * ledger's media `file` (the layout of §3.4, the same keys on every target).
 */
import { createHash } from 'node:crypto';
import path from 'node:path';
import { isCdrInvalid, type CdrMedia } from '../archive/cdr.js';
import { cdrFileName } from '../archive/layout.js';
import type { ArchiveTarget } from '../archive/target.js';

/** A recording as the ledger records it: its id, and its media file relative to the archive root. */
export interface LedgerHeld {
  recordingId: string;
  file: string;
}

export interface PresentFile {
  /** Relative to the archive root, `/`-separated. */
  file: string;
  kind: 'media' | 'cdr';
  /** Undefined when the file is not there. */
  sizeBytes: number | undefined;
  expectedSizeBytes?: number;
  /** With `hash`: the file's SHA-256 now, and what its CDR says it must be. */
  sha256?: string;
  expectedSha256?: string;
  ok: boolean;
}

export interface Presence {
  /** Missing or wrong-size files, one sentence each; empty when the archive holds the recording. */
  problems: string[];
  /** With `hash`: files present with the right size whose content no longer matches its CDR. */
  altered: string[];
  files: PresentFile[];
  /** SHA-256 of the CDR's bytes (with `hash`), for the ledger's `cdrSha256`. */
  cdrSha256?: string;
}

/** True for a ledger `file` that stays inside the archive (the ledger is read, never trusted blindly). */
function isInside(file: string): boolean {
  const parts = file.split(/[/\\]/);
  return file !== '' && !path.isAbsolute(file) && !parts.some((p) => p === '' || p === '.' || p === '..');
}

/**
 * Checks one recording the ledger holds: its CDR beside the ledger's media file, every media file
 * the CDR names (and the ledger's own), each with the size its CDR gives; with `hash`, re-hashed.
 */
export async function recordingPresence(
  target: ArchiveTarget,
  held: LedgerHeld,
  options: { hash?: boolean } = {},
): Promise<Presence> {
  const problems: string[] = [];
  const altered: string[] = [];
  const files: PresentFile[] = [];
  if (!isInside(held.file))
    return {
      problems: [`the ledger's file ${JSON.stringify(held.file)} lies outside the archive`],
      altered,
      files,
    };
  const mediaPath = held.file;
  const folder = path.posix.dirname(mediaPath);
  const cdrFile = `${folder}/${cdrFileName(held.recordingId)}`;
  const cdrRel = cdrFile;
  let media: CdrMedia[] = [];
  let cdrSha256: string | undefined;
  try {
    const parsed = await target.readCdr(cdrFile);
    if (parsed === undefined) throw Object.assign(new Error('gone'), { code: 'ENOENT' });
    if (parsed.kind !== 'archived') problems.push(`CDR ${cdrRel} is not an archived CDR`);
    else media = parsed.cdr.media;
    const cdrSize = await target.size(cdrFile);
    if (options.hash === true) {
      const bytes = await target.readCdrBytes(cdrFile);
      if (bytes !== undefined) cdrSha256 = createHash('sha256').update(bytes).digest('hex');
    }
    files.push({ file: cdrRel, kind: 'cdr', sizeBytes: cdrSize, ok: parsed.kind === 'archived' });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') problems.push(`CDR ${cdrRel} is gone`);
    else if (isCdrInvalid(error)) problems.push(`CDR ${cdrRel} cannot be read: ${error.reason}`);
    else throw error;
    files.push({
      file: cdrRel,
      kind: 'cdr',
      sizeBytes: code === 'ENOENT' ? undefined : await target.size(cdrFile),
      ok: false,
    });
  }
  const expected = new Map<string, CdrMedia | undefined>(media.map((m) => [`${folder}/${m.file}`, m]));
  if (!expected.has(mediaPath)) expected.set(mediaPath, undefined);
  for (const [file, m] of expected) {
    const rel = file;
    const size = await target.size(file);
    const entry: PresentFile = { file: rel, kind: 'media', sizeBytes: size, ok: size !== undefined };
    if (m !== undefined) entry.expectedSizeBytes = m.sizeBytes;
    if (size === undefined) problems.push(`media ${rel} is gone`);
    else if (m !== undefined && size !== m.sizeBytes) {
      problems.push(`media ${rel} is ${size} bytes, its CDR says ${m.sizeBytes}`);
      entry.ok = false;
    } else if (options.hash === true && m !== undefined) {
      entry.sha256 = (await target.hash(file)).sha256;
      entry.expectedSha256 = m.sha256;
      if (entry.sha256 !== m.sha256) {
        altered.push(`media ${rel} does not match the SHA-256 its CDR gives`);
        entry.ok = false;
      }
    }
    files.push(entry);
  }
  return cdrSha256 === undefined ? { problems, altered, files } : { problems, altered, files, cdrSha256 };
}
