/**
 * The archive target (SPEC §7): the one interface through which everything reaches the archive —
 * archiving a recording (`pipeline/settle/archive-recording.ts`), the dedupe check, the delete gate
 * (`pipeline/settle/deletes.ts`), `verify --archive` (`verify/archive*.ts`) and the online `verify`
 * checks. The core never knows which target it writes to.
 *
 * Implementations: `FilesystemTarget` (`filesystem-target.ts`, the default), `S3Target`
 * (`s3-target.ts`), `AzureTarget` (`azure-target.ts`), built by `openArchiveTarget`
 * (`open-target.ts`), which imports each SDK lazily (`await import`) only when that target is
 * configured. Each target's online `verify` checks are its `onlineChecks` (`s3-verify.ts`,
 * `azure-verify.ts`), gathered by `verify/store.ts`.
 *
 * **Keys.** Every method takes a *key*: the archive-relative path with `/` separators, exactly the
 * filesystem layout below the root (`<yyyy>/<MM>/<dd>/<conversationId>/<recordingId>.<ext>` and
 * `….xml`, built by `layout.ts`, ids checked there). A target maps a key to its own name space: the
 * folder `<dir>/<key>`, the object `<prefix><key>`. Keys never start with `/` nor hold `.`/`..`
 * parts; a target may still refuse a key that would leave its root.
 *
 * **Invariants every target keeps** (SPEC §3.4, §7):
 * - A CDR is written (`putCdr`) only after every media object it names was confirmed by
 *   `MediaUpload.commit`; the caller guarantees the order, the target guarantees that `commit`
 *   resolves only when the object is durable and its size read back equals the bytes hashed.
 *   So a CDR's presence means its recording is archived and verified.
 * - A media object without a CDR is an unfinished attempt: it may be replaced by a later put, and
 *   its leftovers are removed by `sweepRecording`.
 * - Nothing half-written is ever visible under a final key (a temporary file renamed into place; a
 *   single PUT or a completed multipart upload).
 * - Errors: a failure concerning one object is thrown as `ArchiveObjectError` (the recording goes to
 *   the retry buffer); the store unreachable, refusing the credentials or refusing writes past the
 *   retry budget, a full or read-only disk, as `StorageError` (exit 6: the run stops, the cursor at
 *   the durable prefix). An aborted `signal` rejects with the signal's reason.
 * - No method logs; no error message carries a credential (keys, tokens, signatures, SAS).
 */
import type { ParsedCdr } from './cdr.js';

/** What the media host said about the media, once its response arrived (before the first byte). */
export interface MediaStart {
  /** As served (`Content-Type`), if any. */
  readonly contentType: string | undefined;
  /** As announced (`Content-Length`) or reported by Genesys, if known. */
  readonly contentLength: number | undefined;
}

/** What the caller hashed and counted while streaming, checked by `commit`. */
export interface MediaFacts {
  readonly bytes: number;
  /** Lowercase hex SHA-256 of the bytes written. */
  readonly sha256: string;
  /** Stored with the object where the target keeps content types. */
  readonly contentType: string;
}

/**
 * One media object being written, streamed as it downloads. `start` (at most once, before any
 * `write`), then `write` for each chunk in order (it resolves when the chunk is accepted: that is
 * the back-pressure), then exactly one of `commit` or `abort`.
 */
export interface MediaUpload {
  /** Where the bytes go while written, for messages (a temporary file, an object key). */
  readonly tempPath: string;
  start(info: MediaStart): Promise<void>;
  write(chunk: Uint8Array): Promise<void>;
  /**
   * Makes the object durable under its key with `sha256` recorded where the target keeps metadata,
   * reads its size back and rejects (removing what it wrote) unless it equals `facts.bytes`.
   */
  commit(facts: MediaFacts): Promise<void>;
  /** Discards everything written (a multipart upload is aborted, a temporary file removed). */
  abort(): Promise<void>;
}

/** Size and SHA-256 of a stored object as `head` reports them. */
export interface ObjectFacts {
  readonly size: number;
  /**
   * The filesystem re-hashes the file's bytes; an object store returns the `sha256` metadata written
   * with the object (undefined when it has none). The delete gate compares these with the CDR.
   */
  readonly sha256: string | undefined;
}

/** One line of `verify` (the shape of `verify/check.ts` `Check`). */
export interface TargetCheck {
  name: string;
  ok: boolean;
  detail: string;
  hint?: string;
}

/** One entry of a folder listing (`listFolder`). */
export interface ArchiveEntry {
  /** The entry's name inside the folder (no `/`). */
  readonly name: string;
  /** `folder` for a common prefix on an object store. */
  readonly type: 'file' | 'folder' | 'link' | 'other';
}

export interface ArchiveTarget {
  readonly type: 'filesystem' | 's3' | 'azure';
  /** For messages: the folder, `s3://bucket/prefix`, the container URL. Never a credential. */
  readonly where: string;

  /**
   * Before a run writes (not in a dry run): creates the root where that applies (a folder) and
   * checks the store can be reached. Throws StorageError when it cannot.
   */
  prepare(signal?: AbortSignal): Promise<void>;

  /**
   * Removes what an interrupted run left of one recording in one conversation folder (`folderKey`
   * = `<yyyy>/<MM>/<dd>/<conversationId>`): `.partial` files, incomplete multipart uploads. Never
   * touches a finished object nor another recording's leftovers. Returns how many were removed.
   */
  sweepRecording(folderKey: string, recordingId: string): Promise<number>;

  /**
   * Opens a media object for streaming. `expectedBytes` (when known) lets a target that spools
   * locally check free space first (SPEC §4.6 minFreeDiskMb: StorageError `storage.lowSpace`).
   */
  openMedia(key: string, options: { expectedBytes?: number; signal?: AbortSignal }): Promise<MediaUpload>;

  /** Writes a CDR (or rewrites one, after a delete) whole and atomically, `application/xml`. */
  putCdr(key: string, xml: string | Uint8Array, signal?: AbortSignal): Promise<void>;

  /**
   * Reads and parses a CDR: undefined when there is none. Content problems throw CdrInvalidError;
   * a file that is not a regular file (a link) is refused, never followed.
   */
  readCdr(key: string, signal?: AbortSignal): Promise<ParsedCdr | undefined>;

  /** The exact bytes of a CDR (for the ledger's `cdrSha256`); undefined when there is none. */
  readCdrBytes(key: string, signal?: AbortSignal): Promise<Buffer | undefined>;

  /** Size and SHA-256 as the target vouches for them (see ObjectFacts); undefined when absent. */
  head(key: string, signal?: AbortSignal): Promise<ObjectFacts | undefined>;

  /**
   * Re-reads the whole object and hashes it (`verify --archive`). Errors carry a `code`: `ENOENT`
   * when it is absent, `ELOOP`/`ENOTREG` for a link or a non-file on the filesystem.
   */
  hash(key: string, signal?: AbortSignal): Promise<{ sha256: string; size: number }>;

  /** The object's bytes as a stream (restore, tools). Errors as `hash`. */
  read(key: string, signal?: AbortSignal): Promise<AsyncIterable<Uint8Array>>;

  /**
   * The size of the object under `key`, cheaply (no read: a stat, a HEAD); undefined when there is
   * none, or it is not a regular file. `verify --reconcile` asks this for every recording.
   */
  size(key: string, signal?: AbortSignal): Promise<number | undefined>;

  /** True when an object (or a file) exists under `key`. */
  exists(key: string, signal?: AbortSignal): Promise<boolean>;

  /**
   * Lists one folder (`''` is the root), in no particular order: files, and sub-folders (common
   * prefixes). A folder that does not exist lists nothing; other errors throw with a `code`.
   * `verify --archive` walks the archive with it, one folder at a time (flat memory).
   */
  listFolder(folderKey: string, signal?: AbortSignal): AsyncIterable<ArchiveEntry>;

  /**
   * Removes an unfinished media object (one no CDR names), e.g. one whose confirmation failed. A
   * store that refuses (object lock) leaves it: a later put replaces it.
   */
  removeUnfinished(key: string, signal?: AbortSignal): Promise<void>;

  /**
   * `verify`'s online checks of the store (SPEC §7): it exists and lists; object lock where
   * configured; a write probe under `<prefix>.genesys-ingest-verify/`, removed again, unless
   * object lock is set. Never leaves anything behind. A filesystem target has none (its folder is
   * checked offline).
   */
  onlineChecks(signal?: AbortSignal): Promise<TargetCheck[]>;

  /** Releases connections; the target is not used after. */
  close(): void;
}

/** `<key>` of a folder's child. */
export function childKey(folderKey: string, name: string): string {
  return folderKey === '' ? name : `${folderKey}/${name}`;
}
