import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { LockedError } from '../src/errors.js';
import { Lock, readLock } from '../src/state/lock.js';
import { tempDir } from './helpers/cli.js';

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await tempDir();
  try {
    await fn(dir);
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

describe('lock', () => {
  it('is exclusive, carries pid/host/run id, is 0600, and is released', async () => {
    await withDir(async (dir) => {
      const file = path.join(dir, 'a', 'x.lock');
      const lock = await Lock.acquire(file, { command: 'run' });
      const info = await readLock(file);
      assert.equal(info?.pid, process.pid);
      assert.equal(info?.host, os.hostname());
      assert.equal(info?.runId, lock.info.runId);
      assert.equal((await fs.stat(file)).mode & 0o777, 0o600);
      assert.equal((await fs.stat(path.dirname(file))).mode & 0o777, 0o700);
      await assert.rejects(
        Lock.acquire(file, { command: 'run' }),
        (e: unknown) => e instanceof LockedError && e.exitCode === 3 && /pid \d+/.test(e.message),
      );
      await lock.release();
      await assert.rejects(fs.stat(file), { code: 'ENOENT' });
      const again = await Lock.acquire(file, { command: 'run' });
      await again.release();
    });
  });

  it('takes over the lock of a killed process on this host at once', async () => {
    await withDir(async (dir) => {
      const file = path.join(dir, 'x.lock');
      const child = spawn(process.execPath, ['-e', 'setTimeout(()=>{}, 60000)']);
      const pid = child.pid!;
      child.kill('SIGKILL');
      await new Promise((r) => child.on('close', r));
      const now = new Date().toISOString();
      await fs.writeFile(
        file,
        JSON.stringify({
          pid,
          host: os.hostname(),
          runId: 'dead-run',
          command: 'run',
          startedAt: now,
          heartbeatAt: now,
        }),
      );
      const lock = await Lock.acquire(file, { command: 'run' });
      assert.notEqual((await readLock(file))?.runId, 'dead-run');
      await lock.release();
    });
  });

  it('takes over a lock whose heartbeat is older than two minutes, whatever host it names', async () => {
    await withDir(async (dir) => {
      const file = path.join(dir, 'x.lock');
      const old = new Date(Date.now() - 3 * 60_000).toISOString();
      await fs.writeFile(
        file,
        JSON.stringify({
          pid: 1,
          host: 'other-host',
          runId: 'old-run',
          command: 'run',
          startedAt: old,
          heartbeatAt: old,
        }),
      );
      const lock = await Lock.acquire(file, { command: 'run' });
      await lock.release();
    });
  });

  it('respects a fresh lock held by another host', async () => {
    await withDir(async (dir) => {
      const file = path.join(dir, 'x.lock');
      const now = new Date().toISOString();
      await fs.writeFile(
        file,
        JSON.stringify({
          pid: 1,
          host: 'other-host',
          runId: 'live',
          command: 'catchup',
          startedAt: now,
          heartbeatAt: now,
        }),
      );
      await assert.rejects(Lock.acquire(file, { command: 'run' }), /catchup \(pid 1 on other-host/);
    });
  });

  it('renews its heartbeat', async () => {
    await withDir(async (dir) => {
      const file = path.join(dir, 'x.lock');
      let clock = Date.now();
      const lock = await Lock.acquire(file, { command: 'run', heartbeatMs: 20, now: () => clock });
      const first = (await readLock(file))!.heartbeatAt;
      clock += 10_000;
      const deadline = Date.now() + 5000;
      while ((await readLock(file))?.heartbeatAt === first && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 20));
      }
      assert.equal((await readLock(file))!.heartbeatAt, new Date(clock).toISOString());
      await lock.assertHeld();
      await lock.release();
    });
  });

  it('notices when another process took the lock, and never removes a lock that is not its own', async () => {
    await withDir(async (dir) => {
      const file = path.join(dir, 'x.lock');
      const lock = await Lock.acquire(file, { command: 'run', heartbeatMs: 60_000 });
      await lock.assertHeld();
      await fs.writeFile(file, JSON.stringify({ ...(await readLock(file))!, runId: 'thief' }));
      await assert.rejects(lock.assertHeld(), (e: unknown) => e instanceof LockedError && e.exitCode === 3);
      await lock.release();
      assert.equal((await readLock(file))?.runId, 'thief');
    });
  });
});
