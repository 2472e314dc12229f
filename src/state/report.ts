/**
 * The run report (SPEC §3.7), written as the run goes: the header first, items appended as they
 * settle, summary fields last, so memory stays flat however many recordings a run handles. The file
 * is `reports/<p_s>/<yyyyMMddTHHmmssZ>-<command>[-dryrun].json`, made durable with a rename at the end.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { asStorageError } from '../errors.js';
import {
  ensureDir,
  FILE_MODE,
  fsyncDir,
  partialPathFor,
  renameWithRetry,
  writeAll,
  writeFileAtomic,
} from '../util/atomic.js';
import { compactUtc, isoUtc } from '../util/time.js';
import type { RunTotals } from './run-totals.js';

export type ItemStatus = 'ingested' | 'alreadyArchived' | 'pending' | 'failed' | 'deleted' | 'gone';
export type AlertType =
  | 'overMaxLength'
  | 'overdue'
  | 'archivedInGenesys'
  | 'deletedInGenesys'
  | 'recordingError'
  | 'deleteProtected'
  | 'deleteFailed'
  | 'rejectedRetryFile'
  | 'retryExhausted'
  | 'lagging'
  | 'clockSkew'
  | 'discoveryCapped'
  | 'lateDiscovered'
  /** Queue or wrap-up code names could not be looked up: CDRs carry ids only (SPEC §3.5). Once a run. */
  | 'namesUnavailable'
  /** Data from Genesys that breaks the model: a bad id or an unreadable time (SPEC §4.3). */
  | 'invalidRecord';

export interface ReportItem {
  conversationId: string;
  recordingId: string;
  status: ItemStatus;
  reason: string;
  file: string;
  sizeBytes: number;
  sha256: string;
  fromRetryBuffer: boolean;
}

export interface Alert {
  type: AlertType;
  conversationId: string;
  recordingId: string;
  message: string;
}

export interface Counts {
  discovered: number;
  ingested: number;
  alreadyArchived: number;
  pending: number;
  failed: number;
  retried: number;
  deleted: number;
  notRecorded: number;
  skippedNonAudio: number;
  alerts: number;
  /** Restores requested in Genesys for recordings archived there (SPEC §8.3). */
  restoreRequested: number;
}

export function emptyCounts(): Counts {
  return {
    discovered: 0,
    ingested: 0,
    alreadyArchived: 0,
    pending: 0,
    failed: 0,
    retried: 0,
    deleted: 0,
    notRecorded: 0,
    skippedNonAudio: 0,
    alerts: 0,
    restoreRequested: 0,
  };
}

/** What an item is counted as with `ReportWriter.count`; alerts and failures have their own methods. */
export type Counter = Exclude<keyof Counts, 'alerts' | 'failed'>;

/** Alerts kept in memory at most; beyond this they are counted but not listed (a flood says enough). */
const MAX_ALERTS_LISTED = 10_000;

export interface ReportHeader {
  command: string;
  importSource: { name: string; policyId: string; importSourceId: string };
  startedAtMs: number;
  dryRun: boolean;
}

export interface ReportSummary {
  exitCode: number;
  window: { from: string; to: string } | null;
  cursor: { before: string; after: string };
  apiRequests: number;
  bytesDownloaded: number;
  retryBuffer: { size: number; dead: number };
}

/**
 * `<yyyyMMddTHHmmssZ>-<command>.json`; a dry run's ends in `-dryrun.json`, so it can never be taken
 * for a run that happened (SPEC §1, §3.2: reports are the evidence that an import source has run).
 */
export function reportFileName(header: Pick<ReportHeader, 'command' | 'startedAtMs' | 'dryRun'>): string {
  return `${compactUtc(header.startedAtMs)}-${header.command}${header.dryRun ? '-dryrun' : ''}.json`;
}

/**
 * Owns the run's counters: they change only through `count`, `countFailure` and `alert`, and are
 * read through `counts` (live, read-only).
 */
export class ReportWriter {
  private readonly tally = emptyCounts();
  private failedFirstAttempt = false;
  readonly alerts: Alert[] = [];
  readonly file: string;
  private handle: fs.FileHandle | undefined;
  private temp: string;
  private items = 0;
  private chain: Promise<void> = Promise.resolve();
  /** The first failed write: later items are not written, and `finish()` throws it. */
  private failure: Error | undefined;

  private constructor(
    readonly dir: string,
    readonly header: ReportHeader,
    private readonly onFailure: (error: unknown) => void,
    private readonly onItem: (item: ReportItem) => void,
    name: string,
  ) {
    this.file = path.join(dir, name);
    this.temp = partialPathFor(this.file);
  }

  /**
   * Opens the report. `onFailure` is told (once) when an item cannot be written, so the run stops
   * at once (SPEC §4.6: a report that cannot be written is exit 6) rather than at its end.
   * `onItem` sees each item as it is appended (the face's --verbose lines).
   */
  static async open(
    dir: string,
    header: ReportHeader,
    onFailure: (error: unknown) => void = () => undefined,
    onItem: (item: ReportItem) => void = () => undefined,
  ): Promise<ReportWriter> {
    await ensureDir(dir);
    // Names have whole seconds: a report started in the same second as an earlier one (two quick dry
    // runs) takes the next free second rather than replace it. Its `startedAt` stays exact.
    let nameMs = header.startedAtMs;
    while (await pathExists(path.join(dir, reportFileName({ ...header, startedAtMs: nameMs }))))
      nameMs += 1000;
    const writer = new ReportWriter(
      dir,
      header,
      onFailure,
      onItem,
      reportFileName({ ...header, startedAtMs: nameMs }),
    );
    try {
      writer.handle = await fs.open(writer.temp, 'wx', FILE_MODE);
      const head = {
        command: header.command,
        importSource: header.importSource,
        startedAt: isoUtc(header.startedAtMs),
        dryRun: header.dryRun,
      };
      await writeAll(writer.handle, `${JSON.stringify(head).slice(0, -1)},\n"items":[`);
    } catch (error) {
      await writer.removeTemp();
      throw asStorageError(error, `cannot write the report in ${dir}`);
    }
    return writer;
  }

  /** The counters so far (the same object throughout, so a progress line can read it as it changes). */
  get counts(): Readonly<Counts> {
    return this.tally;
  }

  /** Counts `n` (default 1) more of `counter`. */
  count(counter: Counter, n = 1): void {
    this.tally[counter] += n;
  }

  /** Counts a failure; only one attempted for the first time in this run (not from the retry buffer) makes the exit code 1. */
  countFailure(fromRetryBuffer: boolean): void {
    this.tally.failed += 1;
    if (!fromRetryBuffer) this.failedFirstAttempt = true;
  }

  /** Something attempted for the first time in this run failed (exit 1). */
  get firstAttemptFailed(): boolean {
    return this.failedFirstAttempt;
  }

  /** Recordings found deleted in Genesys (status `gone`), for the summary line. */
  goneCount = 0;
  /** Bytes of the media archived in this run (items `ingested`), for the metrics' totals (SPEC §8.4). */
  bytesArchived = 0;
  /** Alerts by type, every one counted (the listed ones are capped), for the metrics' totals. */
  readonly alertsByType = new Map<AlertType, number>();

  /** Appends an item (serialised; the file is written in order). */
  item(item: ReportItem): void {
    if (item.status === 'gone') this.goneCount += 1;
    if (item.status === 'ingested') this.bytesArchived += item.sizeBytes;
    this.onItem(item);
    const text = `${this.items === 0 ? '\n' : ',\n'}${JSON.stringify(item)}`;
    this.items += 1;
    this.chain = this.chain.then(async () => {
      if (this.failure !== undefined || this.handle === undefined) return;
      try {
        await writeAll(this.handle, text);
      } catch (error) {
        // Kept, never left as a rejected promise nobody awaits (that ended the process, exit 1).
        const wrapped = asStorageError(error, `cannot write the report ${this.temp}`);
        this.failure = wrapped instanceof Error ? wrapped : new Error(String(wrapped));
        this.onFailure(this.failure);
      }
    });
  }

  /** Records an alert and counts it. */
  alert(alert: Alert): void {
    this.tally.alerts += 1;
    this.alertsByType.set(alert.type, (this.alertsByType.get(alert.type) ?? 0) + 1);
    if (this.alerts.length < MAX_ALERTS_LISTED) this.alerts.push(alert);
  }

  /** Writes the summary and makes the report durable; returns its path. */
  async finish(summary: ReportSummary, finishedAtMs: number): Promise<string> {
    await this.chain;
    if (this.failure !== undefined) {
      await this.removeTemp();
      throw this.failure;
    }
    const tail = {
      finishedAt: isoUtc(finishedAtMs),
      exitCode: summary.exitCode,
      window: summary.window,
      cursor: summary.cursor,
      counts: this.counts,
      apiRequests: summary.apiRequests,
      bytesDownloaded: summary.bytesDownloaded,
      alerts: this.alerts,
      retryBuffer: summary.retryBuffer,
    };
    try {
      await writeAll(this.handle!, `\n],\n${JSON.stringify(tail).slice(1)}\n`);
      await this.handle!.sync();
      await this.handle!.close();
      this.handle = undefined;
      await renameWithRetry(this.temp, this.file);
    } catch (error) {
      await this.removeTemp();
      throw asStorageError(error, `cannot write the report ${this.file}`);
    }
    await fsyncDir(this.dir);
    return this.file;
  }

  /** Removes the unfinished report (a run that could not even start). */
  async discard(): Promise<void> {
    await this.chain.catch(() => undefined);
    await this.removeTemp();
  }

  private async removeTemp(): Promise<void> {
    await this.handle?.close().catch(() => undefined);
    this.handle = undefined;
    await fs.rm(this.temp, { force: true }).catch(() => undefined);
  }
}

export interface StatusDocument {
  /** The command that wrote it (`run` or `catchup`), for `status`. */
  command: string;
  cursor: { conversationId: string; timestamp: string };
  lagMinutes: number;
  pending: number;
  retryBuffer: { size: number; dead: number; oldestFirstFailedAt: string | null };
  lastExitCode: number;
  finishedAt: string;
  /** Over all runs, for the metrics file's counters (SPEC §8.4). */
  totals: RunTotals;
}

/** `status.json`: the one file a monitoring system needs to read. */
export async function writeStatus(file: string, status: StatusDocument): Promise<void> {
  await writeFileAtomic(file, `${JSON.stringify(status, null, 2)}\n`);
}

async function pathExists(file: string): Promise<boolean> {
  return fs.lstat(file).then(
    () => true,
    () => false,
  );
}
