/**
 * Everything one run's settle and discover code shares. Every member is read-only and none points
 * back at the context: what changes during a run lives with its owner, the counters in the report
 * (`ReportWriter.count`), the cursor in the `CursorKeeper` (handed to discovery, not kept here),
 * and stopping in the two signals of `RunStop` (`signal`, `stop`).
 */
import type { Config } from '../config/types.js';
import type { GenesysClient } from '../genesys/index.js';
import type { Ledger } from '../state/ledger.js';
import type { Lock } from '../state/lock.js';
import type { StatePaths } from '../state/paths.js';
import type { RunEvents } from './events.js';
import type { ReportWriter } from '../state/report.js';
import type { DeleteJournal } from '../state/delete-journal.js';
import type { DryRunPlan } from './settle/dry-run.js';
import type { InflightJournal } from '../state/inflight-journal.js';
import type { BatchFetcher } from './settle/original-batch.js';
import type { ArchiveTarget } from '../archive/target.js';
import type { Semaphore } from '../util/semaphore.js';
import type { ArchivedIndex } from '../state/archived-index.js';
import type { SettledIndex } from '../state/settled-index.js';

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
  /** Where recordings and CDRs are written (SPEC §7); the core never knows which target it is. */
  readonly archive: ArchiveTarget;
  /** At most `concurrency` downloads at a time, however many conversations are in flight. */
  readonly downloads: Semaphore;
  readonly events: RunEvents;
  readonly dryRun: boolean;
  /** What a dry run would do (empty otherwise), for the list printed at the end. */
  readonly plan: DryRunPlan;
  /** Aborted by a run-level failure: work in flight ends at once (`RunStop.abort`). */
  readonly signal: AbortSignal;
  /** Aborted when no new work may start: a run-level failure or `run`'s deadline (`RunStop.stop`). */
  readonly stop: AbortSignal;
  /** Genesys' time (local clock corrected by the skew seen in `Date`, when over 60 s). */
  now(): number;
  /** How long one run polls a recording still uploading or transcoding (SPEC §4.3: two minutes). */
  readonly notReadyPollMs: number;
  /** Results the synchronous query serves per interval (Genesys: 10,000; smaller in tests). */
  readonly syncResultCap: number;
}
