import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { LockedError } from '../src/errors.js';
import { Lock, readLock } from '../src/state/lock.js';
import { looksLikeThisTool } from '../src/state/lock-holder.js';
import { tempDir } from './helpers/cli.js';

const THREE_MINUTES_AGO = (): string => new Date(Date.now() - 3 * 60_000).toISOString();

/** A running process whose command line is `node -e … <args>`; killed when the test ends. */
async function liveProcess(t: import('node:test').TestContext, args: string[]): Promise<number> {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)', ...args], { stdio: 'ignore' });
  t.after(() => child.kill('SIGKILL'));
  await new Promise((resolve, reject) => child.once('spawn', resolve).once('error', reject));
  return child.pid!;
}

async function writeLockFile(
  file: string,
  fields: { pid: number; host: string; runId: string; heartbeatAt: string },
) {
  await fs.writeFile(file, JSON.stringify({ command: 'run', startedAt: fields.heartbeatAt, ...fields }), {
    mode: 0o600,
  });
}

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

  it('never takes over a live run of this tool on this host, however old its heartbeat (a clock step)', async (t) => {
    await withDir(async (dir) => {
      const file = path.join(dir, 'x.lock');
      const pid = await liveProcess(t, [path.join(dir, 'bin', 'genesys-ingest.js'), 'run']);
      await writeLockFile(file, {
        pid,
        host: os.hostname(),
        runId: 'live-run',
        heartbeatAt: THREE_MINUTES_AGO(),
      });
      await assert.rejects(
        Lock.acquire(file, { command: 'run' }),
        (e: unknown) => e instanceof LockedError && e.exitCode === 3 && e.message.includes(`pid ${pid}`),
      );
      assert.equal((await readLock(file))?.runId, 'live-run');
    });
  });

  it('takes over a heartbeat-stale lock whose PID on this host now runs another program', async (t) => {
    if (process.platform === 'win32')
      return t.skip('Windows: a live process cannot be identified, so it is kept');
    await withDir(async (dir) => {
      const file = path.join(dir, 'x.lock');
      const pid = await liveProcess(t, []);
      await writeLockFile(file, {
        pid,
        host: os.hostname(),
        runId: 'reused-pid',
        heartbeatAt: THREE_MINUTES_AGO(),
      });
      const lock = await Lock.acquire(file, { command: 'run', takeoverPauseMs: 0 });
      assert.equal((await readLock(file))?.runId, lock.info.runId);
      await lock.release();
    });
  });

  it('takes over a heartbeat-stale lock naming a dead PID on this host', async () => {
    await withDir(async (dir) => {
      const file = path.join(dir, 'x.lock');
      const child = spawn(process.execPath, ['-e', 'setTimeout(()=>{}, 60000)', 'genesys-ingest']);
      const pid = child.pid!;
      child.kill('SIGKILL');
      await new Promise((r) => child.on('close', r));
      await writeLockFile(file, {
        pid,
        host: os.hostname(),
        runId: 'dead-run',
        heartbeatAt: THREE_MINUTES_AGO(),
      });
      const lock = await Lock.acquire(file, { command: 'run', takeoverPauseMs: 0 });
      assert.equal((await readLock(file))?.runId, lock.info.runId);
      await lock.release();
    });
  });

  it('takes over a lock naming this process that this process does not hold (a restarted container is pid 1 again)', async () => {
    await withDir(async (dir) => {
      const file = path.join(dir, 'x.lock');
      const fresh = new Date().toISOString();
      await writeLockFile(file, {
        pid: process.pid,
        host: os.hostname(),
        runId: 'earlier-life',
        heartbeatAt: fresh,
      });
      const lock = await Lock.acquire(file, { command: 'run', takeoverPauseMs: 0 });
      assert.equal((await readLock(file))?.runId, lock.info.runId);
      await lock.release();
    });
  });

  it('gives up (exit 3) when, after taking a stale lock over, it reads back another run id', async () => {
    await withDir(async (dir) => {
      const file = path.join(dir, 'x.lock');
      await writeLockFile(file, {
        pid: 1,
        host: 'other-host',
        runId: 'old-run',
        heartbeatAt: THREE_MINUTES_AGO(),
      });
      // Another process that judged the same lock stale writes its own during the pause.
      const acquiring = Lock.acquire(file, { command: 'run', takeoverPauseMs: 4000 });
      let ours: string | undefined;
      for (let i = 0; i < 400 && (ours === undefined || ours === 'old-run'); i += 1) {
        await new Promise((r) => setTimeout(r, 5));
        ours = (await readLock(file))?.runId;
      }
      assert.ok(ours !== undefined && ours !== 'old-run', 'the stale lock was taken over');
      // Well inside the pause, but long after an immediate read-back would have been done.
      await new Promise((r) => setTimeout(r, 500));
      await writeLockFile(file, {
        pid: 1,
        host: 'other-host',
        runId: 'racer',
        heartbeatAt: new Date().toISOString(),
      });
      await assert.rejects(acquiring, (e: unknown) => e instanceof LockedError && e.exitCode === 3);
      assert.equal((await readLock(file))?.runId, 'racer', 'the other run keeps its lock');
    });
  });

  it('recognises this tool by an argument named genesys-ingest', () => {
    assert.ok(
      looksLikeThisTool(['node', '/usr/lib/node_modules/genesys-ingest/bin/genesys-ingest.js', 'run']),
    );
    assert.ok(looksLikeThisTool(['/usr/bin/node', '/usr/local/bin/genesys-ingest', 'catchup']));
    assert.ok(looksLikeThisTool(['C:\\tools\\genesys-ingest.exe', 'run']));
    assert.ok(!looksLikeThisTool(['node', '/home/ci/genesys-ingest/scripts/run-tests.mjs']));
    assert.ok(!looksLikeThisTool(['sleep', '600']));
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
