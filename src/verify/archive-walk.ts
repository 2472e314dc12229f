/**
 * The archive walk of `verify --archive` (SPEC §1, §3.4, §7): every folder under the archive root is
 * listed through the archive target (`opendir` on a folder, a delimited listing on a store), one
 * folder open per level, so the tree is never held in memory. Every
 * `*.xml` is taken as a CDR (wherever it lies: one in the wrong place is reported `misplaced`, not
 * ignored), every media file it names is re-hashed, and what no CDR names is `orphaned`. Only the
 * names of one folder's non-CDR files are kept, until that folder is finished. Nothing is written.
 */
import path from 'node:path';
import { CdrInvalidError, type ArchivedCdr, type ParsedCdr } from '../archive/cdr.js';
import { cdrKey } from '../archive/layout.js';
import { childKey, type ArchiveTarget } from '../archive/target.js';
import { isPartialName } from '../util/atomic.js';
import { isGenesysId } from '../util/ids.js';

/** What `verify --archive` can find wrong with one file. */
export type ArchiveFindingKind =
  | 'missing'
  | 'altered'
  | 'orphaned'
  | 'leftoverPartial'
  | 'unparseableCdr'
  | 'misplaced'
  | 'notInLedger'
  | 'ledgerMismatch';

/** One problem; `path` is relative to `archiveDir`, with `/` separators (as in the ledger). */
export interface ArchiveFinding {
  kind: ArchiveFindingKind;
  path: string;
  detail: string;
}

/** An archived CDR the walk has read, with its media checked. */
export interface WalkedCdr {
  /** Archive-relative path of the CDR. */
  rel: string;
  cdr: ArchivedCdr;
  /** SHA-256 of the CDR file's bytes (what the ledger's `cdrSha256` holds). */
  cdrSha256: string;
  /** Archive-relative path of its first media file (what the ledger's `file` holds). */
  primaryRel: string;
  /** True when it is not where the layout puts it (already reported). */
  misplaced: boolean;
  mediaFiles: number;
  mediaBytes: number;
}

export interface WalkHandlers {
  finding(finding: ArchiveFinding): void;
  /** Called for every CDR that parsed, after its media were re-hashed. */
  cdr(walked: WalkedCdr): Promise<void>;
  /** Called for a CDR that could not be read; the recording id comes from its file name, if it is one. */
  unreadableCdr(recordingId: string | undefined): Promise<void>;
}

export interface WalkOptions {
  /** The archive (a filesystem target skips a state folder kept inside it). */
  target: ArchiveTarget;
  timezone: string;
  /** Only these archive days (`yyyy/MM/dd`, inclusive, either end optional): `--from`/`--to`. */
  days?: { from?: string; to?: string };
}

const DATE_PART = [/^\d{4}$/, /^\d{2}$/, /^\d{2}$/];

/**
 * With `days`, only the date folders that can hold those days are entered, and nothing above the
 * day level is judged (it belongs to no day). `key` is a folder above or at the day level.
 */
function dayFolderWanted(key: string, days: { from?: string; to?: string }): boolean {
  const parts = key.split('/');
  if (parts.some((p, i) => !DATE_PART[i]!.test(p))) return false;
  const len = key.length;
  return (
    (days.from === undefined || key >= days.from.slice(0, len)) &&
    (days.to === undefined || key <= days.to.slice(0, len))
  );
}

/**
 * Folders the file system or the storage puts there, never part of the layout: a volume mounted at
 * the archive root has `lost+found`, and snapshot folders would hold whole copies of the archive.
 */
const SYSTEM_FOLDERS: ReadonlySet<string> = new Set([
  'lost+found',
  'System Volume Information',
  '$RECYCLE.BIN',
  '.snapshot',
  '.zfs',
]);

/** A non-CDR entry of a folder, judged once the folder's CDRs are known. */
interface Other {
  name: string;
  type: 'file' | 'link' | 'other';
}

/** The archive-relative form of `full`, with `/` separators. */
export function relativeTo(root: string, full: string): string {
  return path.relative(root, full).split(path.sep).join('/');
}

function codeOf(error: unknown): string {
  return (error as NodeJS.ErrnoException).code ?? (error as Error).message;
}

/** Walks the whole archive. A root that does not exist is an empty archive. */
export async function walkArchive(options: WalkOptions, handlers: WalkHandlers): Promise<void> {
  await walkFolder('', options, handlers);
}

async function walkFolder(dir: string, options: WalkOptions, handlers: WalkHandlers): Promise<void> {
  const others: Other[] = [];
  const named = new Set<string>();
  const unreadableStems: string[] = [];
  // A folder that does not exist (the root before the first run, a sub-folder vanishing mid-walk)
  // lists nothing: it is not ours to judge. Only the listing's own errors make a folder unreadable.
  const listing = options.target.listFolder(dir)[Symbol.asyncIterator]();
  for (;;) {
    let next: IteratorResult<{ name: string; type: 'file' | 'folder' | 'link' | 'other' }>;
    try {
      next = await listing.next();
    } catch (error) {
      handlers.finding({
        kind: 'missing',
        path: dir || '.',
        detail: `folder cannot be read (${codeOf(error)}): nothing in it was checked`,
      });
      return;
    }
    if (next.done === true) break;
    const entry = next.value;
    const key = childKey(dir, entry.name);
    // Above the day folders with --from/--to: only date folders in range are entered.
    const depth = dir === '' ? 0 : dir.split('/').length;
    if (options.days !== undefined && depth < 3) {
      if (entry.type === 'folder' && dayFolderWanted(key, options.days))
        await walkFolder(key, options, handlers);
      continue;
    }
    if (entry.type === 'folder') {
      if (!SYSTEM_FOLDERS.has(entry.name)) await walkFolder(key, options, handlers);
    } else if (isPartialName(entry.name)) {
      handlers.finding({
        kind: 'leftoverPartial',
        path: key,
        detail: 'temporary file of an interrupted write',
      });
    } else if (entry.type === 'file' && entry.name.endsWith('.xml')) {
      const media = await checkCdr(key, options, handlers);
      if (media === undefined) unreadableStems.push(entry.name.slice(0, -'.xml'.length));
      else for (const name of media) named.add(name);
    } else {
      others.push({ name: entry.name, type: entry.type });
    }
  }
  for (const other of others) {
    if (named.has(other.name)) continue;
    // The media of a CDR that cannot be read are covered by its `unparseableCdr` finding.
    if (unreadableStems.some((s) => other.name.startsWith(`${s}.`) || other.name.startsWith(`${s}_`)))
      continue;
    const what =
      other.type === 'link'
        ? 'a symbolic link (not followed)'
        : other.type === 'other'
          ? 'not a regular file'
          : 'a file';
    handlers.finding({
      kind: 'orphaned',
      path: childKey(dir, other.name),
      detail: `${what} that no CDR names`,
    });
  }
}

/**
 * Reads one CDR, re-hashes its media and checks where it lies. Returns the media file names it
 * names, or undefined when it could not be read as an archived CDR.
 */
async function checkCdr(
  rel: string,
  options: WalkOptions,
  handlers: WalkHandlers,
): Promise<string[] | undefined> {
  const { target } = options;
  const stem = path.posix.basename(rel, '.xml');
  const unreadable = async (reason: string): Promise<undefined> => {
    handlers.finding({
      kind: 'unparseableCdr',
      path: rel,
      detail: `${reason}; the media beside it were not checked`,
    });
    await handlers.unreadableCdr(isGenesysId(stem) ? stem.toLowerCase() : undefined);
    return undefined;
  };
  let parsed: ParsedCdr;
  let cdrSha256: string;
  try {
    const read = await target.readCdr(rel);
    if (read === undefined) throw Object.assign(new Error('vanished'), { code: 'ENOENT' });
    parsed = read;
    cdrSha256 = (await target.hash(rel)).sha256;
  } catch (error) {
    if (error instanceof CdrInvalidError) return unreadable(error.reason);
    return unreadable(`cannot be read (${codeOf(error)})`);
  }
  if (parsed.kind === 'retry') return unreadable('a retry entry, not an archived CDR (it names no media)');
  const cdr = parsed.cdr;
  const dir = path.posix.dirname(rel);
  let mediaBytes = 0;
  for (const media of cdr.media) {
    const where = `${dir}/${media.file}`;
    let actual: { sha256: string; size: number };
    try {
      actual = await target.hash(where);
    } catch (error) {
      const code = codeOf(error);
      const detail =
        code === 'ENOENT'
          ? `named by ${rel} but not in the archive`
          : code === 'ELOOP' || code === 'ENOTREG'
            ? `not the archived file: ${code === 'ELOOP' ? 'a symbolic link' : 'not a regular file'}`
            : `cannot be read (${code})`;
      const kind = code === 'ELOOP' || code === 'ENOTREG' ? 'altered' : 'missing';
      handlers.finding({ kind, path: where, detail });
      continue;
    }
    mediaBytes += actual.size;
    const problems: string[] = [];
    if (actual.sha256 !== media.sha256) problems.push(`SHA-256 ${actual.sha256}, CDR says ${media.sha256}`);
    if (actual.size !== media.sizeBytes) problems.push(`${actual.size} bytes, CDR says ${media.sizeBytes}`);
    if (problems.length > 0) handlers.finding({ kind: 'altered', path: where, detail: problems.join('; ') });
  }
  const misplaced = placement(rel, cdr, options);
  if (misplaced !== undefined) handlers.finding({ kind: 'misplaced', path: rel, detail: misplaced });
  await handlers.cdr({
    rel,
    cdr,
    cdrSha256,
    primaryRel: `${dir}/${cdr.media[0]!.file}`,
    misplaced: misplaced !== undefined,
    mediaFiles: cdr.media.length,
    mediaBytes,
  });
  return cdr.media.map((m) => m.file);
}

/** Why a CDR is not where the layout puts it (SPEC §3.4), or undefined when it is. */
function placement(rel: string, cdr: ArchivedCdr, options: WalkOptions): string | undefined {
  let expected: string;
  try {
    const startMs = Date.parse(cdr.conversationStart);
    expected = cdrKey(options.timezone, startMs, cdr.conversationId, cdr.recordingId);
  } catch (error) {
    return `its ids cannot form an archive path: ${(error as Error).message}`;
  }
  if (expected === rel) return undefined;
  return `belongs at ${expected} (conversation ${cdr.conversationId} starting ${cdr.conversationStart}, dated in ${options.timezone})`;
}
