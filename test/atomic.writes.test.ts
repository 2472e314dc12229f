/** Short writes are errors, never smaller files (SPEC §3): the write-all loop and the size check. */
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { StorageError } from '../src/errors.js';
import { openAtomic, writeAll, type ByteWriter } from '../src/util/atomic.js';
import { tempDir } from './helpers/cli.js';

/** A file handle that takes at most `step` bytes per write (as a volume filling up does). */
class Trickle implements ByteWriter {
  readonly content: number[] = [];
  readonly calls: { offset: number; length: number; position: number | null }[] = [];
  constructor(private step: number) {}

  write(buffer: Uint8Array, offset: number, length: number, position: number | null) {
    this.calls.push({ offset, length, position });
    const n = Math.min(this.step, length);
    const at = position ?? this.content.length;
    for (let i = 0; i < n; i += 1) this.content[at + i] = buffer[offset + i]!;
    return Promise.resolve({ bytesWritten: n });
  }

  /** From now on every write takes nothing. */
  stall(): void {
    this.step = 0;
  }
}

describe('writeAll', () => {
  it('writes again until every byte is written when writes come back short', async () => {
    const handle = new Trickle(3);
    const written = await writeAll(handle, 'hello, world');
    assert.equal(written, 12);
    assert.equal(Buffer.from(handle.content).toString(), 'hello, world');
    assert.deepEqual(
      handle.calls.map((c) => c.offset),
      [0, 3, 6, 9],
    );
  });

  it('advances the position of a positioned write with the bytes written', async () => {
    const handle = new Trickle(4);
    handle.content.push(...Buffer.from('0123'));
    await writeAll(handle, Buffer.from('abcdefghij'), 4);
    assert.deepEqual(
      handle.calls.map((c) => c.position),
      [4, 8, 12],
    );
    assert.equal(Buffer.from(handle.content).toString(), '0123abcdefghij');
  });

  it('a write that makes no progress is a storage error (exit 6), not an endless loop', async () => {
    const handle = new Trickle(5);
    const pending = writeAll(handle, 'x'.repeat(20));
    handle.stall();
    await assert.rejects(pending, (error: unknown) => {
      assert.ok(error instanceof StorageError);
      assert.equal(error.code, 'storage.shortWrite');
      assert.equal(error.exitCode, 6);
      return true;
    });
  });
});

describe('openAtomic', () => {
  it('commits a file holding every byte written', async (t) => {
    const dir = await tempDir();
    t.after(() => fs.rm(dir, { recursive: true, force: true }));
    const target = await openAtomic(path.join(dir, 'media.wav'));
    await target.write(Buffer.alloc(40_000, 1));
    await target.write(Buffer.alloc(123, 2));
    assert.equal(target.bytesWritten, 40_123);
    await target.commit();
    assert.equal((await fs.stat(path.join(dir, 'media.wav'))).size, 40_123);
  });

  it('refuses to commit a file smaller than the bytes written, and removes it', async (t) => {
    const dir = await tempDir();
    t.after(() => fs.rm(dir, { recursive: true, force: true }));
    const target = await openAtomic(path.join(dir, 'media.wav'));
    await target.write(Buffer.alloc(40_000, 1));
    // Bytes lost behind the writer's back: the file on disk no longer holds what was counted.
    await fs.truncate(target.tempPath, 36_864);
    await assert.rejects(target.commit(), (error: unknown) => {
      assert.ok(error instanceof StorageError);
      assert.equal(error.code, 'storage.sizeMismatch');
      return true;
    });
    assert.deepEqual(await fs.readdir(dir), [], 'neither the final file nor the temporary one is left');
  });
});
