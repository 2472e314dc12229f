/**
 * Archive folders a run writes into, journaled in `work/<p_s>/inflight.txt` before the first
 * download there, so the next run removes `.partial` files a killed run left in exactly those
 * folders, without walking years of archive (SPEC §3: leftovers are removed by the next run).
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { asStorageError } from '../errors.js';
import { ensureDir, FILE_MODE, fsyncDir, sweepPartials } from '../state/atomic.js';

export class InflightJournal {
  private readonly known = new Set<string>();
  private readonly file: string;

  constructor(workDir: string) {
    this.file = path.join(workDir, 'inflight.txt');
  }

  /** Removes leftovers in every folder a previous run journaled; returns how many were removed. */
  async sweep(archiveDir: string): Promise<number> {
    let text: string;
    try {
      text = await fs.readFile(this.file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 0;
      throw asStorageError(error, `cannot read ${this.file}`);
    }
    let removed = 0;
    for (const rel of new Set(text.split('\n').filter((l) => l !== ''))) {
      const folder = path.resolve(archiveDir, rel);
      // Only folders inside the archive: the journal is ours, but never trust a path blindly.
      if (path.relative(archiveDir, folder).startsWith('..')) continue;
      removed += await sweepPartials(folder);
    }
    await fs.rm(this.file, { force: true });
    return removed;
  }

  /** Journals `folder` (once per run) before anything is written into it. */
  async note(archiveDir: string, folder: string): Promise<void> {
    const rel = path.relative(archiveDir, folder);
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
      await handle.write(`${rel}\n`);
      await handle.sync();
      if (created) await fsyncDir(path.dirname(this.file));
    } catch (error) {
      throw asStorageError(error, `cannot write ${this.file}`);
    } finally {
      await handle?.close().catch(() => undefined);
    }
  }
}
