/** Re-hashing archived files, shared by the pre-delete check and `verify --archive`. */
import { createHash } from 'node:crypto';
import { constants, promises as fs } from 'node:fs';

// O_NOFOLLOW: a link is refused, not followed. O_NONBLOCK: a FIFO planted under a media name must
// not hang on open (regular files ignore it). Both are 0 where they do not exist (Windows).
const readFlags = constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0) | (constants.O_NONBLOCK ?? 0);

let spare: Buffer | undefined;

/**
 * SHA-256 and size of a regular file, streamed in 1 MiB reads. A symbolic link is refused
 * (O_NOFOLLOW: ELOOP), never followed; errors are thrown with their code.
 */
export async function hashFile(file: string): Promise<{ sha256: string; size: number }> {
  const handle = await fs.open(file, readFlags);
  try {
    if (!(await handle.stat()).isFile()) {
      throw Object.assign(new Error('not a regular file'), { code: 'ENOTREG' });
    }
    const hash = createHash('sha256');
    // One read buffer is reused: a fresh 1 MiB per file costs more in garbage collection than hashing.
    const buffer = spare ?? Buffer.allocUnsafe(1024 * 1024);
    spare = undefined;
    try {
      let size = 0;
      for (;;) {
        const { bytesRead } = await handle.read(buffer, 0, buffer.length, null);
        if (bytesRead === 0) break;
        hash.update(buffer.subarray(0, bytesRead));
        size += bytesRead;
      }
      return { sha256: hash.digest('hex'), size };
    } finally {
      spare = buffer;
    }
  } finally {
    await handle.close();
  }
}
