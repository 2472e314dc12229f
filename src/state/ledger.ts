/**
 * The ledger (SPEC §3.6): append-only JSONL, one file per month of writing (`<yyyy-MM>.jsonl`, UTC),
 * each line carrying `prev`, the SHA-256 of the previous line's exact bytes (newline excluded),
 * across month files; the first line ever has 64 zeros. Lines are fsynced before `append` returns,
 * so the cursor never passes a line that a crash could lose. Everything is read as a stream.
 */
import { constants, promises as fs } from 'node:fs';
import path from 'node:path';
import { StateFileError, asStorageError } from '../errors.js';
import { compactUtc, isoUtc } from '../util/time.js';
import { FILE_MODE, assertSize, ensureDir, fsyncDir, writeAll, writeFileAtomic } from '../util/atomic.js';
import {
  GENESIS_PREV,
  MAX_LINE_BYTES,
  ledgerFileName,
  ledgerFiles,
  normalise,
  parseLine,
  readLedger,
  sha256,
  verifyChain,
  type ChainVerification,
  type LedgerEntry,
  type LedgerLine,
  type TornLineRecovery,
  type Unchained,
} from './ledger-lines.js';

export * from './ledger-lines.js';

async function lineBefore(handle: fs.FileHandle, end: number): Promise<{ start: number; bytes: Buffer }> {
  const chunks: Buffer[] = [];
  for (let pos = end; pos > 0;) {
    const length = Math.min(64 * 1024, pos);
    const chunk = Buffer.alloc(length);
    await handle.read(chunk, 0, length, pos - length);
    const newline = chunk.lastIndexOf(0x0a);
    if (newline !== -1) {
      chunks.unshift(chunk.subarray(newline + 1));
      return { start: pos - length + newline + 1, bytes: Buffer.concat(chunks) };
    }
    chunks.unshift(chunk);
    pos -= length;
    if (end - pos > MAX_LINE_BYTES)
      throw new StateFileError('ledger.invalid', 'ledger line longer than 1 MiB');
  }
  return { start: 0, bytes: Buffer.concat(chunks) };
}

/** Hash of the last complete line in `files` (newest first), or GENESIS_PREV. */
async function lastHashOf(dir: string, files: readonly string[]): Promise<string> {
  for (const name of [...files].reverse()) {
    const handle = await fs.open(path.join(dir, name), 'r');
    try {
      const { size } = await handle.stat();
      if (size > 0) return sha256((await lineBefore(handle, size - 1)).bytes);
    } finally {
      await handle.close();
    }
  }
  return GENESIS_PREV;
}

const appendFlags = constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | (constants.O_NOFOLLOW ?? 0);

/** Runs before every append and throws to refuse it (the run's lock check, SPEC §3.1). */
export type AppendGuard = () => Promise<void>;

/** An open ledger: knows the last line's hash and appends chained, fsynced lines. */
export class Ledger {
  /** Set when `open` found a torn last line and dealt with it. */
  readonly recovered: TornLineRecovery | undefined;
  private head: string;
  private newestFile: string | undefined;
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(
    readonly dir: string,
    head: string,
    newestFile: string | undefined,
    recovered: TornLineRecovery | undefined,
    private readonly guard: AppendGuard | undefined,
  ) {
    this.head = head;
    this.newestFile = newestFile;
    this.recovered = recovered;
  }

  /** SHA-256 of the last line written (GENESIS_PREV for an empty ledger). */
  get lastHash(): string {
    return this.head;
  }

  /**
   * Opens the ledger in `ledgerDir` (created 0700 if missing) and finds the chain's head. A last line
   * without its newline (a crash mid-append) is completed when it is whole and chains correctly,
   * otherwise cut away after its bytes are saved beside the ledger; see `recovered`. `guard` runs
   * right before each append, in the append queue, and refuses it by throwing: two writers would
   * break the chain, so a run checks that it still holds the lock.
   */
  static async open(ledgerDir: string, nowMs = Date.now(), guard?: AppendGuard): Promise<Ledger> {
    await ensureDir(ledgerDir);
    const files = await ledgerFiles(ledgerDir);
    const newest = files.at(-1);
    try {
      const recovered = newest === undefined ? undefined : await repairTail(ledgerDir, files, nowMs);
      return new Ledger(ledgerDir, await lastHashOf(ledgerDir, files), newest, recovered, guard);
    } catch (error) {
      throw asStorageError(error, `cannot open ledger ${ledgerDir}`);
    }
  }

  /**
   * Appends `entries` as chained lines to the current month's file and fsyncs it (and the folder
   * when the file is new) before resolving. Calls are serialised. On a failed write the file is cut
   * back to where it was, so the chain stays intact.
   */
  append(entries: readonly LedgerEntry[], nowMs = Date.now()): Promise<void> {
    const run = this.queue.then(() => this.appendNow(entries, nowMs));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async appendNow(entries: readonly LedgerEntry[], nowMs: number): Promise<void> {
    if (entries.length === 0) return;
    await this.guard?.();
    let head = this.head;
    const lines: string[] = [];
    for (const entry of entries) {
      let fields: Unchained;
      try {
        fields = normalise({ ...entry, at: entry.at ?? isoUtc(nowMs) });
      } catch (error) {
        throw new StateFileError('ledger.invalidEntry', `refusing ledger entry: ${(error as Error).message}`);
      }
      const text = JSON.stringify({ ...fields, prev: head });
      head = sha256(text);
      lines.push(`${text}\n`);
    }
    // Never write into an older month than the newest file (a clock stepped back): order is the chain.
    const name = [ledgerFileName(nowMs), this.newestFile ?? ''].sort().at(-1) ?? ledgerFileName(nowMs);
    const file = path.join(this.dir, name);
    const created =
      name !== this.newestFile &&
      !(await fs.stat(file).then(
        () => true,
        () => false,
      ));
    let handle: fs.FileHandle | undefined;
    let before = 0;
    try {
      handle = await fs.open(file, appendFlags, FILE_MODE);
      before = (await handle.stat()).size;
      if (created) await handle.chmod(FILE_MODE);
      const written = await writeAll(handle, lines.join(''));
      await handle.sync();
      await assertSize(handle, before + written, file);
    } catch (error) {
      await handle?.truncate(before).catch(() => undefined);
      throw asStorageError(error, `cannot append to ledger ${file}`);
    } finally {
      await handle?.close().catch(() => undefined);
    }
    if (created) await fsyncDir(this.dir);
    this.head = head;
    this.newestFile = name;
  }

  /** See `verifyChain`. */
  static verifyChain(ledgerDir: string): Promise<ChainVerification> {
    return verifyChain(ledgerDir);
  }

  /** See `readLedger`. */
  static readLedger(ledgerDir: string): AsyncGenerator<LedgerLine> {
    return readLedger(ledgerDir);
  }
}

/** Completes or cuts away a torn last line of the newest file. */
async function repairTail(
  dir: string,
  files: readonly string[],
  nowMs: number,
): Promise<TornLineRecovery | undefined> {
  const name = files.at(-1) as string;
  const file = path.join(dir, name);
  const handle = await fs.open(file, 'r+');
  try {
    const { size } = await handle.stat();
    const last = Buffer.alloc(1);
    if (size === 0 || (await handle.read(last, 0, 1, size - 1), last[0] === 0x0a)) return undefined;
    const tail = await lineBefore(handle, size);
    const prev =
      tail.start > 0
        ? sha256((await lineBefore(handle, tail.start - 1)).bytes)
        : await lastHashOf(dir, files.slice(0, -1));
    let whole = false;
    try {
      whole = parseLine(tail.bytes).prev === prev;
    } catch {
      whole = false;
    }
    if (whole) {
      await writeAll(handle, '\n', size);
      await handle.sync();
      return { file: name, bytes: tail.bytes.length, action: 'completed' };
    }
    const savedAs = path.join(dir, `${name}.torn-${compactUtc(nowMs)}`);
    await writeFileAtomic(savedAs, tail.bytes);
    await handle.truncate(tail.start);
    await handle.sync();
    return { file: name, bytes: tail.bytes.length, action: 'truncated', savedAs };
  } finally {
    await handle.close();
  }
}

/**
 * Checks the whole chain, streaming every month file in order: each line must be a valid ledger
 * line ending in a newline whose `prev` is the hash of the line before. Counts every line and
 * reports the first broken one (1-based line number within its file). Read-only.
 */
