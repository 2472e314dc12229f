/**
 * Free space in one folder, read at most every 5 s and lowered by each reservation in between, so a
 * burst of downloads cannot all pass the check on the same reading.
 */
import { promises as fs } from 'node:fs';

export class FreeSpace {
  private reading: { at: number; freeBytes: number } | undefined;

  constructor(private readonly dir: string) {}

  /**
   * Reserves `bytes` when at least `floor` bytes stay free besides them; otherwise returns the free
   * bytes seen (and reserves nothing).
   */
  async reserve(bytes: number, floor: number): Promise<number | undefined> {
    const now = Date.now();
    if (this.reading === undefined || now - this.reading.at > 5000) {
      const stats = await fs.statfs(this.dir);
      this.reading = { at: now, freeBytes: stats.bavail * stats.bsize };
    }
    if (this.reading.freeBytes < floor + bytes) return this.reading.freeBytes;
    this.reading.freeBytes -= bytes;
    return undefined;
  }
}
