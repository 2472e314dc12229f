/**
 * Recordings a run archives, journaled in `work/<p_s>/inflight.txt` (one line per recording:
 * its archive folder key and id) before the first download, so the next run removes what a killed
 * run left for exactly those recordings (`.partial` files, unfinished uploads: the target's
 * `sweepRecording`), without walking years of archive (SPEC §3:
 * leftovers are removed by the next run). Only those: several import sources may share one archive
 * and write into the same folders at the same time, and another's temporary files are not ours.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { asStorageError } from '../errors.js';
import { ensureDir, FILE_MODE, fsyncDir, writeAll } from '../util/atomic.js';

export class InflightJournal {
  private readonly known = new Set<string>();
  private readonly file: string;

  constructor(workDir: string) {
    this.file = path.join(workDir, 'inflight.txt');
  }

  /**
   * Removes leftovers of every recording a previous run journaled, through `sweepRecording` (the
   * archive target's, given a folder key `<yyyy>/<MM>/<dd>/<conversationId>` and a recording id);
   * returns how many were removed.
   */
  async sweep(sweepRecording: (folderKey: string, recordingId: string) => Promise<number>): Promise<number> {
    let text: string;
    try {
      text = await fs.readFile(this.file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 0;
      throw asStorageError(error, `cannot read ${this.file}`);
    }
    let removed = 0;
    for (const rel of new Set(text.split('\n').filter((l) => l !== ''))) {
      const stem = path.posix.basename(rel);
      const folderKey = path.posix.dirname(rel);
      // Only keys inside the archive: the journal is ours, but never trust a path blindly.
      const parts = folderKey.split('/');
      if (parts.some((p) => p === '' || p === '.' || p === '..') || stem === '' || stem.startsWith('.'))
        continue;
      removed += await sweepRecording(folderKey, stem);
    }
    await fs.rm(this.file, { force: true });
    return removed;
  }

  /** Journals `recordingId` in the folder `folderKey` (once per run) before any of its files is written. */
  async note(folderKey: string, recordingId: string): Promise<void> {
    const rel = `${folderKey}/${recordingId}`;
    if (this.known.has(rel)) return;
    this.known.add(rel);
    await ensureDir(path.dirname(this.file));
    let handle: fs.FileHandle | undefined;
    try {
      const created = !(await fs.stat(this.file).then(
        () => true,
        () => false,
      ));
      handle = await fs.open(this.file, 'a', FILE_MODE);
      await writeAll(handle, `${rel}\n`);
      await handle.sync();
      if (created) await fsyncDir(path.dirname(this.file));
    } catch (error) {
      throw asStorageError(error, `cannot write ${this.file}`);
    } finally {
      await handle?.close().catch(() => undefined);
    }
  }
}
