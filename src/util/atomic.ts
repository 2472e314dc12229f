/**
 * Durable writes (SPEC §3): every file is written to `.<final name>.<random>.partial` in its own
 * folder, fsynced, renamed over the final name, and the folder fsynced, so a crash leaves either the
 * old file or the new one, never half of one. Folders are created 0700, files 0600.
 */
import { randomBytes } from 'node:crypto';
import { constants, promises as fs } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { asStorageError, StorageError } from '../errors.js';

export const FILE_MODE = 0o600;
export const DIR_MODE = 0o700;
const PARTIAL_SUFFIX = '.partial';

/** fsync a folder so a rename or create inside it survives power loss; skipped where unsupported. */
export async function fsyncDir(dir: string): Promise<void> {
  let handle: fs.FileHandle | undefined;
  try {
    handle = await fs.open(dir, constants.O_RDONLY);
    await handle.sync();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    // Windows and some network shares cannot open or fsync a folder: the step is skipped there.
    if (code === 'EISDIR' || code === 'EPERM' || code === 'EINVAL' || code === 'ENOTSUP' || code === 'EBADF')
      return;
    throw asStorageError(error, `cannot fsync folder ${dir}`);
  } finally {
    await handle?.close().catch(() => undefined);
  }
}

/**
 * Creates `dir` and any missing parents with mode 0700; every folder created is fsynced in its
 * parent so the new entry is durable too. Returns the folders it created, outermost first.
 */
export async function ensureDir(dir: string): Promise<string[]> {
  const missing: string[] = [];
  let current = path.resolve(dir);
  for (;;) {
    try {
      const stat = await fs.stat(current);
      if (!stat.isDirectory())
        throw asStorageError(Object.assign(new Error('not a folder'), { code: 'ENOTDIR' }), current);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT')
        throw asStorageError(error, `cannot use folder ${current}`);
      missing.unshift(current);
      const parent = path.dirname(current);
      if (parent === current) break;
      current = parent;
    }
  }
  for (const folder of missing) {
    try {
      await fs.mkdir(folder, { mode: DIR_MODE });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST')
        throw asStorageError(error, `cannot create folder ${folder}`);
    }
    await fs.chmod(folder, DIR_MODE).catch(() => undefined);
    await fsyncDir(path.dirname(folder));
  }
  return missing;
}

/** The temporary name used for `finalPath` while it is being written. */
export function partialPathFor(finalPath: string): string {
  const dir = path.dirname(finalPath);
  return path.join(dir, `.${path.basename(finalPath)}.${randomBytes(6).toString('hex')}${PARTIAL_SUFFIX}`);
}

/** True for names this module leaves behind when a writer is killed mid-write. */
export function isPartialName(name: string): boolean {
  return name.startsWith('.') && name.endsWith(PARTIAL_SUFFIX);
}

/**
 * Renames, retrying for up to 10 seconds when a virus scanner or indexer holds the file on Windows
 * (EPERM, EBUSY, EACCES).
 */
export async function renameWithRetry(from: string, to: string, budgetMs = 10_000): Promise<void> {
  const deadline = Date.now() + budgetMs;
  for (let delay = 50; ; delay = Math.min(delay * 2, 1000)) {
    try {
      await fs.rename(from, to);
      return;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      const transient = code === 'EPERM' || code === 'EBUSY' || code === 'EACCES';
      if (!transient || Date.now() + delay > deadline || process.platform !== 'win32') {
        throw asStorageError(error, `cannot rename into ${to}`);
      }
      await sleep(delay);
    }
  }
}

/** What `writeAll` needs of a file handle (a `fs.FileHandle` has it). */
export interface ByteWriter {
  write(
    buffer: Uint8Array,
    offset: number,
    length: number,
    position: number | null,
  ): Promise<{ bytesWritten: number }>;
}

/**
 * Writes every byte of `data` (SPEC §3: a short write is an error, never a smaller file). A write
 * may take fewer bytes than given (a volume filling up): the rest is written again until all of it
 * is, and a write that makes no progress is an error. `position` is where to write (null: the
 * file's current position, or its end when opened for appending). Returns the bytes written.
 */
export async function writeAll(
  handle: ByteWriter,
  data: string | Uint8Array,
  position: number | null = null,
): Promise<number> {
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  let done = 0;
  while (done < bytes.length) {
    const { bytesWritten } = await handle.write(
      bytes,
      done,
      bytes.length - done,
      position === null ? null : position + done,
    );
    if (!(bytesWritten > 0)) {
      throw new StorageError(
        'storage.shortWrite',
        `a write made no progress after ${done} of ${bytes.length} bytes`,
      );
    }
    done += bytesWritten;
  }
  return done;
}

/** Throws when the file behind `handle` does not hold exactly `expected` bytes (checked before a rename). */
export async function assertSize(handle: fs.FileHandle, expected: number, file: string): Promise<void> {
  const { size } = await handle.stat();
  if (size !== expected) {
    throw new StorageError(
      'storage.sizeMismatch',
      `${file} holds ${size} bytes where ${expected} were written; it is not kept`,
    );
  }
}

/** Writes `data` to `finalPath` atomically and durably (temp, fsync, rename, fsync folder). */
export async function writeFileAtomic(finalPath: string, data: string | Uint8Array): Promise<void> {
  const dir = path.dirname(finalPath);
  await ensureDir(dir);
  const temp = partialPathFor(finalPath);
  let handle: fs.FileHandle | undefined;
  try {
    // 'wx' (O_CREAT|O_EXCL): a pre-planted file or symlink at the temp name is refused.
    handle = await fs.open(temp, 'wx', FILE_MODE);
    const written = await writeAll(handle, data);
    await handle.sync();
    await assertSize(handle, written, temp);
    await handle.close();
    handle = undefined;
    await renameWithRetry(temp, finalPath);
  } catch (error) {
    await handle?.close().catch(() => undefined);
    await fs.rm(temp, { force: true }).catch(() => undefined);
    throw asStorageError(error, `cannot write ${finalPath}`);
  }
  await fsyncDir(dir);
}

/**
 * An open temporary file for streamed content (media). `write()` appends every byte of a chunk;
 * `commit()` checks the file holds every byte written, fsyncs and renames it into place; `abort()`
 * removes it. Exactly one of the two must be called.
 */
export interface AtomicFile {
  readonly tempPath: string;
  readonly finalPath: string;
  readonly handle: fs.FileHandle;
  /** Bytes written so far through `write()`. */
  readonly bytesWritten: number;
  write(chunk: Uint8Array): Promise<void>;
  commit(): Promise<void>;
  abort(): Promise<void>;
}

/** Opens a temporary file next to `finalPath` for streaming into. */
export async function openAtomic(finalPath: string): Promise<AtomicFile> {
  const dir = path.dirname(finalPath);
  await ensureDir(dir);
  const tempPath = partialPathFor(finalPath);
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(tempPath, 'wx', FILE_MODE);
  } catch (error) {
    throw asStorageError(error, `cannot create ${tempPath}`);
  }
  let settled = false;
  let written = 0;
  return {
    tempPath,
    finalPath,
    handle,
    get bytesWritten() {
      return written;
    },
    async write(chunk) {
      // Positioned at the count, not the file's position: what was written is exactly what is counted.
      written += await writeAll(handle, chunk, written);
    },
    async commit() {
      if (settled) return;
      settled = true;
      try {
        await assertSize(handle, written, tempPath);
        await handle.sync();
        await handle.close();
        await renameWithRetry(tempPath, finalPath);
      } catch (error) {
        await handle.close().catch(() => undefined);
        await fs.rm(tempPath, { force: true }).catch(() => undefined);
        throw asStorageError(error, `cannot write ${finalPath}`);
      }
      await fsyncDir(dir);
    },
    async abort() {
      if (settled) return;
      settled = true;
      await handle.close().catch(() => undefined);
      await fs.rm(tempPath, { force: true }).catch(() => undefined);
    },
  };
}

/**
 * Removes `.partial` files left by a killed writer, in `root` and every folder below it. Returns the
 * number removed.
 */
export async function sweepPartials(root: string): Promise<number> {
  let removed = 0;
  let entries: import('node:fs').Dirent[];
  try {
    entries = await fs.readdir(root, { withFileTypes: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw asStorageError(error, `cannot read folder ${root}`);
  }
  for (const entry of entries) {
    const full = path.join(root, entry.name);
    if (entry.isDirectory()) removed += await sweepPartials(full);
    else if (entry.isFile() && isPartialName(entry.name)) {
      await fs.rm(full, { force: true });
      removed += 1;
    }
  }
  return removed;
}

/** Reads a file, or returns undefined when it does not exist. */
export async function readIfExists(file: string): Promise<Buffer | undefined> {
  try {
    return await fs.readFile(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}
