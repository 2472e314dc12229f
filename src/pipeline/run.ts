/**
 * One pass of the pipeline shared by `run` and `catchup` (SPEC §4), given a loaded config and a held
 * lock: fail-fast checks, login, retry batch, the windows from the cursor to now − availability
 * delay, cursor saves as conversations settle, the report and status.json. Run-level failures stop
 * new work; the cursor is saved at the durable prefix and the error decides the exit code, once, for
 * the report, status.json and the exit alike. Nothing here touches the terminal or the process object.
 */
import type { Config } from '../config/types.js';
import { exitCodeOf, ExitCode, IngestError, LockedError } from '../errors.js';
import { createGenesysClient } from '../genesys/index.js';
import { readCursor, writeCursor } from '../state/cursor-file.js';
import { Ledger } from '../state/ledger.js';
import type { Position } from '../state/position.js';
import { listRetryEntries } from '../state/retry-buffer.js';
import { sweepPartials } from '../util/atomic.js';
import { openArchiveTarget } from '../archive/open-target.js';
import { ownStateFolders } from '../state/paths.js';
import type { Lock } from '../state/lock.js';
import type { StatePaths } from '../state/paths.js';
import { isoUtc } from '../util/time.js';
import type { RunContext } from './run-context.js';
import type { RunEvents } from './events.js';
import { discover } from './discover/discover.js';
import { saveFrontier } from '../state/frontier-file.js';
import { WorkPool } from '../util/work-pool.js';
import { CursorKeeper } from './discover/cursor-keeper.js';
import { RunStop } from './run-stop.js';
import { ReportWriter } from '../state/report.js';
import { runRetryBatch } from './settle/retry-batch.js';
import { ArchivedIndex } from '../state/archived-index.js';
import { SettledIndex } from '../state/settled-index.js';
import { DeleteJournal } from '../state/delete-journal.js';
import { processDeletes } from './settle/deletes.js';
import { DRY_RUN_RECORDING_LOOKUPS, DryRunPlan, dryRunDeletes } from './settle/dry-run.js';
import { finishRun, type RunOutcome } from './finish.js';
import { CLOCK_SKEW_LIMIT_MS, windowEndAt } from './settle/rules.js';
import { reconcileLateData } from './discover/reconcile.js';
import { BatchFetcher } from './settle/original-batch.js';
import { Semaphore } from '../util/semaphore.js';
import { BATCH_MAX_ITEMS } from '../genesys/recordings.js';
import { InflightJournal } from '../state/inflight-journal.js';
import { pingHealthcheck } from './healthcheck.js';
import { metricsAfterEarlyStop, writeMetricsFile } from './metrics.js';
import path from 'node:path';

export interface PipelineInput {
  command: 'run' | 'catchup';
  dryRun: boolean;
  config: Config;
  paths: StatePaths;
  /** Held by the caller for the whole call. */
  lock: Lock;
  /** Aborted (with the reason as the failure) to stop the run: a signal, an escaped error. */
  signal: AbortSignal;
  events: RunEvents;
  /** catchup: list windows up to this time (default now − availability delay). */
  untilMs?: number;
  /** How long one run polls a recording still uploading or transcoding (SPEC §4.3: two minutes). */
  notReadyPollMs: number;
  /** Results the synchronous query serves per interval (Genesys: 10,000; smaller in tests). */
  syncResultCap: number;
}

export async function runPipeline(input: PipelineInput): Promise<RunOutcome> {
  const startedAtMs = Date.now();
  try {
    return await runPass(input);
  } catch (error) {
    // Stopped before its outcome (cursor unreadable, report or status.json not writable, ...): the
    // metrics file still says so (SPEC §8.4: whatever the exit code). Not a dry run, nor a run that
    // lost the lock: the import source's state is not theirs to write.
    const { config, paths, events } = input;
    if (config.metricsFile !== undefined && !input.dryRun && !(error instanceof LockedError)) {
      const file = config.metricsFile;
      const finishedAtMs = Date.now();
      await metricsAfterEarlyStop(config, paths, { exitCode: exitCodeOf(error), startedAtMs, finishedAtMs })
        .then((snapshot) => writeMetricsFile(file, snapshot))
        .catch((failure: unknown) =>
          events.warn(`the metrics file ${file} cannot be written: ${(failure as Error).message}`),
        );
    }
    throw error;
  }
}

async function runPass(input: PipelineInput): Promise<RunOutcome> {
  const options = input;
  const { config, paths, lock, events } = input;
  const startedAt = Date.now();
  // Fail fast, before any network: cursor and retry buffer must be readable.
  const cursorState = await readCursor(paths, config.recordingStartTimestamp, startedAt);
  if (cursorState.kind === 'file' && cursorState.parsed.ignoredId !== undefined) {
    events.warn(
      `the cursor's id ${JSON.stringify(cursorState.parsed.ignoredId)} is not a Genesys conversation id; it is read as empty`,
    );
  }
  const start: Position = cursorState.kind === 'file' ? cursorState.parsed.position : cursorState.position;
  const listing = await listRetryEntries(paths);
  const inflight = new InflightJournal(paths.workDir);
  const deletes = new DeleteJournal(paths.deletesDir);
  const deleting = config.deleteAfterIngest && !options.dryRun;
  // A dry run reads the journal too, to list the deletes a run would carry out first.
  const journaled = config.deleteAfterIngest
    ? await deletes.load((file) =>
        events.warn(`${file} in the delete journal cannot be read; it is left alone`),
      )
    : [];
  // What stops the run from outside (a signal, an escaped error) stops it like a run-level failure.
  const stop = new RunStop(input.signal);
  // Built before anything is opened: an unusable TLS setting is a clean exit 2.
  // No retry wait may end after the run's time budget (SPEC §4.7: Retry-After honoured within it).
  const client = createGenesysClient(config, paths, {
    signal: stop.abort,
    ...(options.command === 'run' ? { deadline: startedAt + config.maxRunMinutes * 60_000 } : {}),
    ...(events.request === undefined ? {} : { onRequest: events.request }),
  });
  // The configured target (SPEC §7); its SDK, if any, is loaded only now.
  const archive = await openArchiveTarget(config);
  if (!options.dryRun) {
    // The first run writes the cursor before any ledger line or report: a missing cursor then always means it was removed.
    if (cursorState.kind === 'initial') await writeCursor(paths, start);
    // Only this import source's folders: another one sharing the stateDir may be writing now.
    for (const folder of ownStateFolders(paths)) await sweepPartials(folder);
    await archive.prepare(stop.abort);
    await inflight.sweep((folderKey, recordingId) => archive.sweepRecording(folderKey, recordingId));
  }

  // `run` stops starting new work after maxRunMinutes so it ends before the next cron tick; catchup runs to the end.
  if (options.command === 'run') stop.deadlineAfter(config.maxRunMinutes);

  const report = await ReportWriter.open(
    paths.reportsDir,
    {
      command: options.command,
      importSource: {
        name: config.name,
        policyId: config.policyId,
        importSourceId: config.importSourceId,
      },
      startedAtMs: startedAt,
      dryRun: options.dryRun,
    },
    // A report item that cannot be written stops the run at once (SPEC §4.6: exit 6, state saved).
    (error) => stop.fail(error),
    (item) => events.settled(item),
  );
  let skewMs = 0;
  const ctx: RunContext = {
    command: options.command,
    config,
    paths,
    lock,
    client,
    report,
    // Each ledger line is written only while this run still holds the lock (SPEC §3.1).
    ledger: await Ledger.open(paths.ledgerDir, Date.now(), () => lock.assertHeld()),
    settled: new SettledIndex(path.join(paths.workDir, 'settled')),
    archived: new ArchivedIndex(path.join(paths.workDir, 'archived')),
    inflight,
    deletes,
    batcher: new BatchFetcher({ client, signal: stop.abort, stop: stop.stop }),
    archive,
    downloads: new Semaphore(config.concurrency),
    events,
    dryRun: options.dryRun,
    plan: new DryRunPlan(),
    signal: stop.abort,
    stop: stop.stop,
    now: () => Date.now() + skewMs,
    notReadyPollMs: input.notReadyPollMs,
    syncResultCap: input.syncResultCap,
  };
  // Each save is written only while this run still holds the lock (SPEC §3.1); a dry run writes none.
  const cursor = new CursorKeeper(start, {
    write: options.dryRun
      ? undefined
      : async (position) => {
          await lock.assertHeld();
          await writeCursor(paths, position);
        },
  });

  // Conversations waiting on a batch, or on Genesys, must not hold back downloads: the pool holds
  // more conversations than the download limit (for ORIGINAL, whole batches: one gathers while others run; a multiple of 100 so none goes out short).
  // A task's run-level failure stops the run at once: in-flight downloads are aborted (their
  // temporary files removed) instead of running to their end before drain() sees the failure.
  const pool = new WorkPool(
    config.codec === 'ORIGINAL' ? 3 * BATCH_MAX_ITEMS : 2 * config.concurrency,
    stop.stop,
    (error) => stop.fail(error),
  );
  let windowInfo: { from: string; to: string } | null = null;
  let listedUpTo: number | undefined;
  let failure: unknown;
  try {
    // A dry run is not a run that happened: a healthcheck must not take it for one.
    if (options.dryRun)
      events.info(
        `${options.command} --dry-run: listing what a run would ingest, retry and delete; nothing is downloaded, written, moved or deleted`,
      );
    else await pingHealthcheck(ctx, '/start');
    await client.login();
    // One cheap call so the API's clock is known before the window end is chosen (SPEC §4 step 2).
    await client.tokenInfo(stop.abort);
    // Genesys' time decides the window end and every availability decision, whatever the skew:
    // a local clock even a few seconds fast would otherwise list up to a time Genesys has not reached.
    skewMs = client.clockSkewMs ?? 0;
    if (Math.abs(skewMs) > CLOCK_SKEW_LIMIT_MS) {
      report.alert({
        type: 'clockSkew',
        conversationId: '',
        recordingId: '',
        message: `the local clock differs from Genesys by ${Math.round(skewMs / 1000)} s; using Genesys' time`,
      });
    }
    if (deleting) await processDeletes(ctx, ctx.deletes, journaled);
    if (options.dryRun) dryRunDeletes(ctx, journaled);
    await runRetryBatch(ctx, listing, pool);
    await pool.drain();
    if (deleting) await processDeletes(ctx, ctx.deletes, ctx.deletes.takePending());

    const windowEnd = Math.min(
      options.untilMs ?? Number.POSITIVE_INFINITY,
      windowEndAt(ctx.now(), config.availabilityDelayMinutes),
    );
    windowInfo = { from: isoUtc(start.startMs), to: isoUtc(Math.max(windowEnd, start.startMs)) };
    if (options.dryRun)
      events.info(
        `dry run: ${ctx.plan.counts.delete} journaled delete${ctx.plan.counts.delete === 1 ? '' : 's'}, ${ctx.plan.counts.retry} retry entr${ctx.plan.counts.retry === 1 ? 'y' : 'ies'} in the batch; listing conversations from ${windowInfo.from} to ${windowInfo.to} (recordings of the first ${DRY_RUN_RECORDING_LOOKUPS} conversations to ingest are looked up, formatId=NONE)`,
      );
    const stopProgress = await events.progress({
      command: options.command,
      dryRun: options.dryRun,
      counts: () => report.counts,
      planCounts: () => ctx.plan.counts,
      bytesDownloaded: () => client.bytesDownloaded,
      cursorMs: () => cursor.position.startMs,
      windowEndMs: windowEnd,
    });
    try {
      listedUpTo = await discover(
        {
          ctx,
          cursor,
          pool,
          afterBatch: async () => {
            if (deleting) await processDeletes(ctx, ctx.deletes, ctx.deletes.takePending());
          },
        },
        start,
        windowEnd,
      );
      await reconcileLateData(ctx, pool, cursor.position);
    } finally {
      stopProgress();
    }
    await pool.drain();
  } catch (error) {
    // What stopped the run from outside the work (a signal, the report, an escaped error) is
    // the cause; the error seen here is then only its consequence.
    failure = stop.failed ? stop.failure : error;
    stop.fail(failure);
    await pool.settle();
  } finally {
    stop.dispose();
  }
  if (failure === undefined && stop.failed) failure = stop.failure;
  // Whatever happened, the cursor moves to the durable prefix: settled work is never re-done.
  if (!options.dryRun && !(failure instanceof IngestError && failure.code === 'lock.held')) {
    await cursor.saveNow().catch(() => undefined);
  }
  if (!options.dryRun && failure === undefined && listedUpTo !== undefined) {
    // Saved with the cursor it belongs to: a rewind (any other cursor) voids it.
    await saveFrontier(paths.workDir, cursor.frontier(listedUpTo));
  }
  try {
    return await finishRun(ctx, {
      exitCode: exitCodeFor(failure, ctx),
      failure,
      window: windowInfo,
      before: start,
      after: cursor.saved,
      startedAt,
    });
  } finally {
    client.close();
    archive.close();
  }
}

function exitCodeFor(failure: unknown, ctx: RunContext): number {
  if (failure !== undefined) return exitCodeOf(failure);
  return ctx.report.firstAttemptFailed || ctx.report.counts.alerts > 0 ? ExitCode.partial : ExitCode.ok;
}
