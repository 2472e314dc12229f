/**
 * What the core tells the face while a run goes on. The core never writes to the terminal: it
 * sends notes, warnings and debug lines here, and offers a progress source the face may poll.
 */
import type { RequestLogger } from '../genesys/index.js';
import type { Counts, ReportItem } from '../state/report.js';
import type { DryRunAction } from './settle/dry-run.js';

/** A live view of the run, for a progress line; every getter is cheap and safe to call at any time. */
export interface ProgressSource {
  readonly command: 'run' | 'catchup';
  readonly dryRun: boolean;
  counts(): Readonly<Counts>;
  /** A dry run's plan so far (what a run would ingest, retry, delete). */
  planCounts(): Readonly<Record<DryRunAction, number>>;
  bytesDownloaded(): number;
  /** Where the cursor would be saved now (the durable prefix), as a start time. */
  cursorMs(): number;
  /** Where listing ends. */
  readonly windowEndMs: number;
}

/** A span of conversation start times listed in full. */
export interface ListedWindow {
  readonly fromMs: number;
  readonly toMs: number;
  /**
   * Synchronous query, asynchronous job, the newest-first listing since the saved frontier, or the
   * once-a-day re-listing for late data.
   */
  readonly mode: 'sync' | 'async' | 'frontier' | 'reconcile';
  /** Conversations handed over to be settled (for `reconcile`: the late ones). */
  readonly conversations: number;
}

export interface RunEvents {
  /** Information for people (hidden with --quiet). */
  info(text: string): void;
  /** Something that asks something of the operator. */
  warn(text: string): void;
  /** Detail for --verbose. */
  debug(text: string): void;
  /** A window was listed (for --verbose). */
  windowListed(window: ListedWindow): void;
  /** A recording (or a conversation, with no recording id) reached its outcome in this run: every report item. */
  settled(item: Readonly<ReportItem>): void;
  /** Every HTTP request the Genesys client sends (for --debug); absent, nothing is measured. */
  readonly request?: RequestLogger;
  /** Listing starts; the returned function is called when it ends. */
  progress(source: ProgressSource): Promise<() => void>;
  /**
   * The run is at a named point where a crash must lose and duplicate nothing; the test suite's
   * face may kill the process here (`cli/crash-point.ts`). Otherwise it does nothing.
   */
  reached(point: 'before-delete-call'): void;
}
