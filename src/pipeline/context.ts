/** Everything one run shares, and the rule for which failures stop it (SPEC §4.6). */
import { UnsafeIdError } from '../archive/layout.js';
import type { Config } from '../config/types.js';
import { InterruptedError, LockedError, RemoteError, StorageError } from '../errors.js';
import {
  GenesysApiError,
  MediaRefusedError,
  MediaTransferError,
  type GenesysClient,
} from '../genesys/index.js';
import type { Ledger } from '../state/ledger.js';
import type { Lock } from '../state/lock.js';
import type { StatePaths } from '../state/paths.js';
import type { RunEvents } from './events.js';
import type { ReportWriter } from './report.js';
import type { DeleteJournal } from './deletes.js';
import type { DryRunPlan } from './dry-run.js';
import type { InflightJournal } from './inflight.js';
import type { BatchFetcher } from './original.js';
import type { Semaphore } from './semaphore.js';
import type { ArchivedIndex } from './archived-index.js';
import type { SettledIndex } from './settled-index.js';

export interface RunContext {
  readonly command: 'run' | 'catchup';
  readonly config: Config;
  readonly paths: StatePaths;
  readonly lock: Lock;
  readonly client: GenesysClient;
  readonly report: ReportWriter;
  readonly ledger: Ledger;
  readonly settled: SettledIndex;
  /** The ledger's recordings by id (SPEC §3.4). */
  readonly archived: ArchivedIndex;
  readonly inflight: InflightJournal;
  readonly deletes: DeleteJournal;
  /** Batch downloads (codec ORIGINAL). */
  readonly batcher: BatchFetcher;
  /** At most `concurrency` downloads at a time, however many conversations are in flight. */
  readonly downloads: Semaphore;
  readonly events: RunEvents;
  readonly dryRun: boolean;
  /** What a dry run would do (empty otherwise), for the list printed at the end. */
  readonly plan: DryRunPlan;
  readonly signal: AbortSignal;
  /** Genesys' time (local clock corrected by the skew seen in `Date`, when over 60 s). */
  now(): number;
  /** How long one run polls a recording still uploading or transcoding (SPEC §4.3: two minutes). */
  readonly notReadyPollMs: number;
  /** Results the synchronous query serves per interval (Genesys: 10,000; smaller in tests). */
  readonly syncResultCap: number;
  /** Set when something attempted for the first time in this run failed (exit 1). */
  firstFailure: boolean;
  /** Set when a run-level failure stops new work. */
  stopping: boolean;
}

/**
 * True for failures that concern one recording or conversation: it goes to the retry buffer and the
 * run goes on. Everything else (network, TLS, proxy, credentials, permissions, disk, lock, signal)
 * stops the run.
 */
export function isItemFailure(error: unknown): boolean {
  if (
    error instanceof GenesysApiError ||
    error instanceof MediaRefusedError ||
    error instanceof MediaTransferError
  )
    return true;
  if (
    error instanceof RemoteError ||
    error instanceof StorageError ||
    error instanceof LockedError ||
    error instanceof InterruptedError
  )
    return false;
  // An id from Genesys that cannot become a file name: that item is refused, the run goes on.
  return error instanceof UnsafeIdError;
}

/** A short, single-line reason for a report item or retry entry (no URL queries, no secrets). */
export function reasonOf(error: unknown): string {
  const code = (error as { code?: unknown } | undefined)?.code;
  const message = error instanceof Error ? error.message : String(error);
  const text = `${typeof code === 'string' ? `${code}: ` : ''}${message}`;
  return text
    .replace(/\?[^\s"']*/g, '?…')
    .replace(/\s+/g, ' ')
    .slice(0, 300);
}
