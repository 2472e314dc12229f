/**
 * The filesystem archive target (SPEC §3, §3.4): `<dir>/<key>`. Media is streamed into
 * `.<name>.<random>.partial` beside its final name, size-checked, fsynced and renamed into place,
 * the folder fsynced (`util/atomic.ts`); CDRs likewise. Folders 0700, files 0600. No download
 * starts while the volume has less free space than minFreeDiskMb plus its size (SPEC §4.6).
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { asStorageError, StorageError } from '../errors.js';
import { ensureDir, isPartialName, openAtomic, readIfExists, writeFileAtomic } from '../util/atomic.js';
import { FreeSpace } from '../util/free-space.js';
import { readCdrFile, type ParsedCdr } from './cdr.js';
import { hashFile } from './hash-file.js';
import { UnsafeIdError } from './layout.js';
import type { ArchiveEntry, ArchiveTarget, MediaUpload, ObjectFacts, TargetCheck } from './target.js';

export interface FilesystemTargetOptions {
  /** minFreeDiskMb in bytes. */
  readonly minFreeBytes: number;
  /** Folders never listed (a state folder kept inside the archive). */
  readonly skip?: readonly string[];
}

export class FilesystemTarget implements ArchiveTarget {
  readonly type = 'filesystem' as const;
  readonly where: string;
  readonly #root: string;
  readonly #freeSpace: FreeSpace;
  readonly #minFreeBytes: number;
  readonly #skip: ReadonlySet<string>;

  constructor(dir: string, options: FilesystemTargetOptions) {
    this.#root = path.resolve(dir);
    this.where = this.#root;
    this.#freeSpace = new FreeSpace(this.#root);
    this.#minFreeBytes = options.minFreeBytes;
    this.#skip = new Set((options.skip ?? []).map((p) => path.resolve(p)));
  }

  /** The file behind `key`, checked to stay under the root. */
  pathOf(key: string): string {
    const full = path.resolve(this.#root, ...key.split('/'));
    const rel = path.relative(this.#root, full);
    if (key !== '' && (rel === '' || rel.startsWith('..') || path.isAbsolute(rel)))
      throw new UnsafeIdError('path', key);
    return full;
  }

  async prepare(): Promise<void> {
    await ensureDir(this.#root);
  }

  /**
   * Removes the temporary files of one recording: `.<recordingId>.<ext>.<random>.partial`,
   * `.<recordingId>_<key>.<ext>.<random>.partial` and its CDR's `.<recordingId>.xml.<random>.partial`.
   */
  async sweepRecording(folderKey: string, recordingId: string): Promise<number> {
    const folder = this.pathOf(folderKey);
    let names: string[];
    try {
      names = await fs.readdir(folder);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 0;
      throw asStorageError(error, `cannot read folder ${folder}`);
    }
    let removed = 0;
    for (const name of names) {
      const ours = name.startsWith(`.${recordingId}.`) || name.startsWith(`.${recordingId}_`);
      if (!ours || !isPartialName(name)) continue;
      await fs.rm(path.join(folder, name), { force: true });
      removed += 1;
    }
    return removed;
  }

  async openMedia(key: string, options: { expectedBytes?: number }): Promise<MediaUpload> {
    const finalPath = this.pathOf(key);
    const freeBytes = await this.#freeSpace.reserve(options.expectedBytes ?? 0, this.#minFreeBytes);
    if (freeBytes !== undefined)
      throw new StorageError(
        'storage.lowSpace',
        `only ${Math.floor(freeBytes / 1048576)} MB free in ${this.#root}; minFreeDiskMb is ${Math.round(this.#minFreeBytes / 1048576)}: no download starts below that`,
      );
    const file = await openAtomic(finalPath);
    return {
      tempPath: file.tempPath,
      start: () => Promise.resolve(),
      write: (chunk) => file.write(chunk),
      // openAtomic's commit checks the file holds every byte written before the rename.
      commit: async (facts) => {
        if (facts.bytes !== file.bytesWritten) {
          await file.abort();
          throw new StorageError(
            'storage.sizeMismatch',
            `${file.tempPath} got ${file.bytesWritten} bytes where ${facts.bytes} were hashed; it is not kept`,
          );
        }
        await file.commit();
      },
      abort: () => file.abort(),
    };
  }

  async putCdr(key: string, xml: string | Uint8Array): Promise<void> {
    await writeFileAtomic(this.pathOf(key), xml);
  }

  async readCdr(key: string): Promise<ParsedCdr | undefined> {
    try {
      return await readCdrFile(this.pathOf(key));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  }

  readCdrBytes(key: string): Promise<Buffer | undefined> {
    return readIfExists(this.pathOf(key));
  }

  /** The filesystem vouches for nothing: the file is re-read and hashed (the delete gate's re-read). */
  async head(key: string): Promise<ObjectFacts | undefined> {
    try {
      return await hashFile(this.pathOf(key));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  }

  hash(key: string): Promise<{ sha256: string; size: number }> {
    return hashFile(this.pathOf(key));
  }

  async read(key: string): Promise<AsyncIterable<Uint8Array>> {
    const handle = await fs.open(this.pathOf(key), 'r');
    return handle.createReadStream();
  }

  exists(key: string): Promise<boolean> {
    return fs.lstat(this.pathOf(key)).then(
      () => true,
      () => false,
    );
  }

  async *listFolder(folderKey: string): AsyncIterable<ArchiveEntry> {
    const dir = this.pathOf(folderKey);
    let folder: import('node:fs').Dir;
    try {
      folder = await fs.opendir(dir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw error;
    }
    // The Dir iterator closes the folder when the loop ends or throws.
    for await (const entry of folder) {
      if (entry.isDirectory()) {
        if (!this.#skip.has(path.join(dir, entry.name))) yield { name: entry.name, type: 'folder' };
      } else
        yield {
          name: entry.name,
          type: entry.isFile() ? 'file' : entry.isSymbolicLink() ? 'link' : 'other',
        };
    }
  }

  async removeUnfinished(key: string): Promise<void> {
    await fs.rm(this.pathOf(key), { force: true });
  }

  onlineChecks(): Promise<TargetCheck[]> {
    return Promise.resolve([]);
  }

  close(): void {}
}
