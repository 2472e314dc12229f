/**
 * File-level helpers shared by the retry-buffer modules: entry names, streaming folder scans and
 * durable moves between the buffer and its `rejected/` and `dead/` folders.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { CdrInvalidError } from '../archive/cdr.js';
import { asStorageError } from '../errors.js';
import { isGenesysId } from '../util/ids.js';
import { ensureDir, fsyncDir, isPartialName, renameWithRetry } from '../util/atomic.js';
import type { StatePaths } from './paths.js';

/** The folders of the retry buffer (a StatePaths has them all). */
export type RetryPaths = Pick<StatePaths, 'retryDir' | 'rejectedDir' | 'deadDir' | 'removedDir'>;

/** A name the tool itself gives entries: `<conversationId>.xml` or `<conversationId>_<recordingId>.xml`. */
export const entryNamePattern =
  /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}(_[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})?\.xml$/;

/**
 * The canonical file name of a retry entry: per recording when the recording is known, per
 * conversation otherwise. Ids are lowercased so one recording always maps to one name.
 */
export function retryEntryName(conversationId: string, recordingId?: string): string {
  if (!isGenesysId(conversationId) || (recordingId !== undefined && !isGenesysId(recordingId))) {
    throw new CdrInvalidError('retry entry names are built from Genesys ids (UUIDs) only');
  }
  const conversation = conversationId.toLowerCase();
  return recordingId === undefined
    ? `${conversation}.xml`
    : `${conversation}_${recordingId.toLowerCase()}.xml`;
}

/** A non-folder, non-temporary item of a folder, with its lstat (links are never followed). */
export interface FolderItem {
  name: string;
  path: string;
  stat: import('node:fs').Stats;
}

/**
 * Streams the files of `dir` (opendir, so a huge backlog is never held as one array of names),
 * skipping sub-folders and `.partial` temp files. Symbolic links are reported, never followed.
 * A missing folder yields nothing.
 */
export async function* scanFolder(dir: string): AsyncGenerator<FolderItem> {
  let handle: import('node:fs').Dir;
  try {
    handle = await fs.opendir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw asStorageError(error, `cannot read folder ${dir}`);
  }
  for await (const dirent of handle) {
    if (dirent.isDirectory() || isPartialName(dirent.name)) continue;
    const full = path.join(dir, dirent.name);
    let stat: import('node:fs').Stats;
    try {
      stat = await fs.lstat(full);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue; // removed meanwhile
      throw asStorageError(error, `cannot inspect ${full}`);
    }
    // Some file systems report an unknown type in the dirent; lstat decides.
    if (stat.isDirectory()) continue;
    yield { name: dirent.name, path: full, stat };
  }
}

/** True when `file` exists as anything (a dangling link included). */
export async function exists(file: string): Promise<boolean> {
  try {
    await fs.lstat(file);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw asStorageError(error, `cannot inspect ${file}`);
  }
}

/**
 * Moves `from` into `toDir`, durably: rename, then fsync of the destination and source folders.
 * With `keepExisting`, a same-named file already there is kept and the newcomer gets a numeric
 * suffix (`name.1.xml`, `name.2.xml`, ...); otherwise it is replaced. Returns the destination path.
 */
export async function moveInto(from: string, toDir: string, keepExisting: boolean): Promise<string> {
  await ensureDir(toDir);
  const name = path.basename(from);
  let target = path.join(toDir, name);
  if (keepExisting) {
    const ext = path.extname(name);
    const base = name.slice(0, name.length - ext.length);
    for (let n = 1; await exists(target); n += 1) target = path.join(toDir, `${base}.${n}${ext}`);
  }
  await renameWithRetry(from, target);
  await fsyncDir(toDir);
  await fsyncDir(path.dirname(from));
  return target;
}

/** Removes `file` if it is there; true when it was. The caller fsyncs the folder. */
export async function unlinkIfExists(file: string): Promise<boolean> {
  try {
    await fs.unlink(file);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw asStorageError(error, `cannot remove ${file}`);
  }
}
