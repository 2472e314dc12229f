/**
 * One run per import source (SPEC §3.1). The lock file holds PID, host, a random run id and a
 * heartbeat renewed every 15 seconds. It is stale when the heartbeat is older than two minutes, or at
 * once when it names this host and a PID that is not running — but never while it names this host
 * and a running process of this tool (a forward clock step makes a live holder's heartbeat look
 * old; see lock-holder.ts). Whoever takes a stale lock over reads it back after a short pause.
 * Before every commit point (ledger append, cursor save, retry-entry removal, delete) the holder
 * checks the file still carries its run id.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { asStorageError, LockedError } from '../errors.js';
import { ensureDir, FILE_MODE, fsyncDir, partialPathFor, writeFileAtomic } from '../util/atomic.js';
import { holderState } from './lock-holder.js';

export const HEARTBEAT_MS = 15_000;
export const STALE_MS = 2 * 60_000;
/**
 * After taking a stale lock over, wait this long before reading it back: another process that
 * judged the same lock stale may remove ours and write its own meanwhile (its remove and create
 * are a few file operations apart), and then one of the two must give up.
 */
export const TAKEOVER_PAUSE_MS = 500;

/** Run ids of the locks this process holds (a lock naming this PID and none of them is a leftover). */
const heldHere = new Set<string>();

export interface LockInfo {
  pid: number;
  host: string;
  runId: string;
  command: string;
  startedAt: string;
  heartbeatAt: string;
}

export interface LockOptions {
  command: string;
  now?: () => number;
  heartbeatMs?: number;
  staleMs?: number;
  takeoverPauseMs?: number;
}

/** Reads the lock file; undefined when absent or unreadable (a lock being created, or garbage). */
export async function readLock(lockFile: string): Promise<LockInfo | undefined> {
  try {
    const parsed = JSON.parse(await fs.readFile(lockFile, 'utf8')) as Partial<LockInfo>;
    if (typeof parsed.runId !== 'string' || typeof parsed.pid !== 'number' || typeof parsed.host !== 'string')
      return undefined;
    return parsed as LockInfo;
  } catch {
    return undefined;
  }
}

/** Why a held lock may be taken over, or undefined when it is live. */
export async function staleReason(
  lockFile: string,
  info: LockInfo | undefined,
  nowMs: number,
  staleMs = STALE_MS,
): Promise<string | undefined> {
  if (info === undefined) {
    // Unparseable: a writer may be between create and write, so only its age can make it stale.
    const stat = await fs.stat(lockFile).catch(() => undefined);
    if (stat === undefined) return 'gone';
    return nowMs - stat.mtimeMs > staleMs ? 'unreadable and old' : undefined;
  }
  if (info.host === os.hostname()) {
    if (info.pid === process.pid) {
      if (!heldHere.has(info.runId)) return `it names this process (pid ${info.pid}), which does not hold it`;
    } else {
      const state = await holderState(info.pid);
      if (state === 'notRunning') return `process ${info.pid} is not running`;
      // A live run of this tool here is never displaced, whatever its heartbeat says (a clock step).
      // A process that cannot be identified is taken for one: see lock-holder.ts.
      if (state === 'thisTool' || state === 'unknownProgram') return undefined;
      // 'otherProgram': the PID was reused by another program; the heartbeat decides.
    }
  }
  const beat = Date.parse(info.heartbeatAt);
  if (!Number.isFinite(beat) || nowMs - beat > staleMs)
    return `heartbeat older than ${Math.round(staleMs / 1000)} s`;
  return undefined;
}

/** A held lock. `assertHeld()` before every commit; `release()` at the end. */
export class Lock {
  private timer: NodeJS.Timeout | undefined;
  private lost = false;

  private constructor(
    readonly file: string,
    readonly info: LockInfo,
    private readonly now: () => number,
    /** Folders created to hold the lock; removed again on release when nothing else was put there. */
    private readonly createdDirs: string[],
  ) {}

  /** Takes the lock or throws LockedError (exit 3) naming the holder. */
  static async acquire(lockFile: string, options: LockOptions): Promise<Lock> {
    const now = options.now ?? Date.now;
    const createdDirs = await ensureDir(path.dirname(lockFile));
    const stamp = new Date(now()).toISOString();
    const info: LockInfo = {
      pid: process.pid,
      host: os.hostname(),
      runId: randomUUID(),
      command: options.command,
      startedAt: stamp,
      heartbeatAt: stamp,
    };
    let tookOver = false;
    for (let attempt = 0; attempt < 3; attempt += 1) {
      if (await createExclusive(lockFile, info)) {
        const lock = new Lock(lockFile, info, now, createdDirs);
        // Two processes that both found the same stale lock may both get here; the loser sees
        // another run id on the read-back and gives up.
        if (tookOver) await sleep(options.takeoverPauseMs ?? TAKEOVER_PAUSE_MS);
        if ((await readLock(lockFile))?.runId !== info.runId) {
          throw new LockedError(
            `another run took the stale lock ${lockFile} over at the same time; it holds it now`,
          );
        }
        heldHere.add(info.runId);
        lock.startHeartbeat(options.heartbeatMs ?? HEARTBEAT_MS);
        return lock;
      }
      const holder = await readLock(lockFile);
      const stale = await staleReason(lockFile, holder, now(), options.staleMs);
      if (stale === undefined) {
        const who =
          holder === undefined
            ? 'another process'
            : `${holder.command} (pid ${holder.pid} on ${holder.host}, started ${holder.startedAt})`;
        throw new LockedError(
          `another run holds the lock of this import source: ${who}; lock file ${lockFile}`,
        );
      }
      // Remove only the lock judged stale: another process may have replaced it meanwhile.
      if (!sameHolder(holder, await readLock(lockFile))) continue;
      await fs.rm(lockFile, { force: true });
      tookOver = true;
    }
    throw new LockedError(`could not take the lock ${lockFile}: other processes keep taking it`);
  }

  private startHeartbeat(intervalMs: number): void {
    this.timer = setInterval(() => {
      void this.beat();
    }, intervalMs);
    this.timer.unref();
  }

  private async beat(): Promise<void> {
    if (this.lost) return;
    const current = await readLock(this.file);
    if (current?.runId !== this.info.runId) {
      this.lost = true;
      return;
    }
    this.info.heartbeatAt = new Date(this.now()).toISOString();
    await writeFileAtomic(this.file, JSON.stringify(this.info)).catch(() => undefined);
  }

  /** Throws LockedError (exit 3) when the lock file no longer carries this run's id. */
  async assertHeld(): Promise<void> {
    const current = await readLock(this.file);
    if (this.lost || current?.runId !== this.info.runId) {
      this.lost = true;
      throw new LockedError(
        `the lock ${this.file} was taken by another process; stopping without writing more`,
      );
    }
  }

  /** Stops the heartbeat and removes the lock file if it is still ours. */
  async release(): Promise<void> {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    heldHere.delete(this.info.runId);
    if (this.lost) return;
    const current = await readLock(this.file);
    if (current?.runId === this.info.runId) {
      await fs.rm(this.file, { force: true });
      await fsyncDir(path.dirname(this.file));
    }
    // A refused command must leave the disk as it found it: drop folders the lock alone created.
    for (const dir of [...this.createdDirs].reverse()) {
      try {
        await fs.rmdir(dir);
      } catch {
        break; // not empty: something was written there, keep it and its parents
      }
    }
  }
}

function sameHolder(a: LockInfo | undefined, b: LockInfo | undefined): boolean {
  return a?.runId === b?.runId && a?.heartbeatAt === b?.heartbeatAt;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Creates the lock file with its content in one step: write a temp file, then link() it (fails if the lock exists). */
async function createExclusive(lockFile: string, info: LockInfo): Promise<boolean> {
  const temp = partialPathFor(`${lockFile}.${randomBytes(3).toString('hex')}`);
  const handle = await fs.open(temp, 'wx', FILE_MODE).catch((error: unknown) => {
    throw asStorageError(error, `cannot create the lock ${lockFile}`);
  });
  try {
    await handle.writeFile(JSON.stringify(info));
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await fs.link(temp, lockFile);
    await fsyncDir(path.dirname(lockFile));
    return true;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return false;
    // File systems without hard links: an exclusive create is the next best thing.
    if (code === 'EPERM' || code === 'ENOTSUP' || code === 'ENOSYS') return createWithOpen(lockFile, info);
    throw asStorageError(error, `cannot create the lock ${lockFile}`);
  } finally {
    await fs.rm(temp, { force: true });
  }
}

async function createWithOpen(lockFile: string, info: LockInfo): Promise<boolean> {
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(lockFile, 'wx', FILE_MODE);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw asStorageError(error, `cannot create the lock ${lockFile}`);
  }
  try {
    await handle.writeFile(JSON.stringify(info));
    await handle.sync();
  } finally {
    await handle.close();
  }
  return true;
}
