/**
 * A small real tmpfs mounted by a test where it needs a full disk. Mounting needs root: without it,
 * or where mount fails (a container without CAP_SYS_ADMIN), the test is skipped with a message.
 */
import { spawnSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { TestContext } from 'node:test';

export interface Tmpfs {
  dir: string;
  /** Unmounts (idempotent); call it before removing the folder that holds the mount point. */
  unmount(): void;
}

/** Mounts a tmpfs of `sizeBytes` at `dir` (created 0700), or skips the test and returns undefined. */
export async function mountTmpfs(t: TestContext, dir: string, sizeBytes: number): Promise<Tmpfs | undefined> {
  if (process.getuid?.() !== 0) {
    t.skip('needs root to mount a tmpfs (run the suite as root to cover the full-disk case)');
    return undefined;
  }
  await fs.mkdir(dir, { recursive: true, mode: 0o700 });
  const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeBytes},mode=0700`, 'tmpfs', dir], {
    encoding: 'utf8',
  });
  if (mounted.status !== 0) {
    t.skip(`cannot mount a tmpfs at ${dir}: ${(mounted.stderr || String(mounted.error)).trim()}`);
    return undefined;
  }
  let done = false;
  return {
    dir,
    unmount() {
      if (done) return;
      done = true;
      spawnSync('umount', [dir]);
    },
  };
}

/** Bytes the file system of `dir` has free for us. */
export async function freeBytes(dir: string): Promise<number> {
  const stats = await fs.statfs(dir);
  return stats.bavail * stats.bsize;
}

/** Writes a filler file into `dir` so that exactly `leave` bytes stay free (a multiple of the page). */
export async function fillLeaving(dir: string, leave: number): Promise<void> {
  const filler = Buffer.alloc((await freeBytes(dir)) - leave, 0x5a);
  await fs.writeFile(path.join(dir, 'filler.bin'), filler, { mode: 0o600 });
  const left = await freeBytes(dir);
  if (left !== leave) throw new Error(`tmpfs at ${dir}: ${left} bytes free after filling, wanted ${leave}`);
}
