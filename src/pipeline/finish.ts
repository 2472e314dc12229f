/**
 * The end of a run (SPEC §3.7): the report's summary, `status.json`, the `lagging` alert, the
 * healthcheck ping, and the outcome handed to the face, which prints it.
 */
import { ExitCode, exitCodeOf, LockedError } from '../errors.js';
import { formatCursorLine } from '../state/cursor-file.js';
import type { Position } from '../state/position.js';
import { retryBufferStats } from '../state/retry-buffer.js';
import type { RunContext } from './run-context.js';
import type { DryRunPlan } from './settle/dry-run.js';
import { pingHealthcheck } from './healthcheck.js';
import { writeStatus, type Alert, type Counts } from '../state/report.js';
import { lagMinutes } from './settle/rules.js';
import { sourceKey } from '../config/types.js';
import { addTotals, readStatusDocument, totalsFrom } from '../state/run-totals.js';
import { cursorLagSeconds, writeMetricsFile, type MetricsSnapshot } from './metrics.js';

export interface FinishInfo {
  exitCode: number;
  failure: unknown;
  window: { from: string; to: string } | null;
  /** The cursor when the run started, and where the run left it (the saved durable prefix). */
  before: Position;
  after: Position;
  startedAt: number;
}

/** How a run ended: everything the face needs to print it and to exit with. */
export interface RunOutcome {
  readonly command: 'run' | 'catchup';
  readonly dryRun: boolean;
  /** The one exit code: in the report, in status.json, and the process's. */
  readonly exitCode: number;
  /** What stopped the run early, if anything. */
  readonly failure: unknown;
  /** The error to tell the operator: the report's own failure, else what stopped the run. */
  readonly error: unknown;
  /** The finished report; undefined when it could not be written. */
  readonly reportFile: string | undefined;
  readonly counts: Readonly<Counts>;
  /** Recordings found deleted in Genesys. */
  readonly goneCount: number;
  readonly alerts: readonly Alert[];
  readonly plan: DryRunPlan;
  /** Where the run left the cursor. */
  readonly cursor: Position;
  readonly lagMinutes: number;
  readonly retryBufferSize: number;
}

/**
 * Finishes the run and returns its outcome (an alert raised here, `lagging`, makes it exit 1). A
 * report that cannot be written is the outcome's error (exit 6, SPEC §4.6), after status.json says
 * so. A dry run is not a run that happened (SPEC §1): no `lagging` (it never moves the cursor, so its
 * lag says nothing about the import source's health), no `status.json`, no healthcheck ping.
 */
export async function finishRun(ctx: RunContext, info: FinishInfo): Promise<RunOutcome> {
  const { config, paths, report } = ctx;
  const now = ctx.now();
  const position = info.after;
  const lag = lagMinutes(position.startMs, now, config.availabilityDelayMinutes);
  let exitCode = info.exitCode;
  if (lag > config.maxLagMinutes && info.failure === undefined && !ctx.dryRun) {
    report.alert({
      type: 'lagging',
      conversationId: '',
      recordingId: '',
      message: `the cursor lags ${lag} minutes behind now − availability delay (maxLagMinutes ${config.maxLagMinutes})`,
    });
    if (exitCode === ExitCode.ok) exitCode = ExitCode.partial;
  }
  const stats = await retryBufferStats(paths).catch(() => ({
    size: 0,
    dead: 0,
    oldestFirstFailedAt: null,
    restoring: 0,
  }));
  let file: string | undefined;
  let reportFailure: unknown;
  try {
    file = await report.finish(
      {
        exitCode,
        window: info.window,
        cursor: { before: formatCursorLine(info.before), after: formatCursorLine(info.after) },
        apiRequests: ctx.client.apiRequests,
        bytesDownloaded: ctx.client.bytesDownloaded,
        retryBuffer: { size: stats.size, dead: stats.dead },
      },
      now,
    );
  } catch (error) {
    reportFailure = error;
    // 6 and 4 take precedence over 1 (SPEC §1.1); a failure already decided stays.
    if (exitCode === ExitCode.ok || exitCode === ExitCode.partial) exitCode = exitCodeOf(error);
  }
  // A run that lost its lock writes nothing more of the import source's state (SPEC §3.1): status.json
  // belongs to the run that holds it. Its own report file is still finished.
  const totals = addTotals(totalsFrom(await readStatusDocument(paths.statusFile)), {
    recordingsIngested: report.counts.ingested,
    bytesArchived: report.bytesArchived,
    apiRequests: ctx.client.apiRequests,
    alerts: Object.fromEntries(report.alertsByType),
  });
  if (!ctx.dryRun && !(info.failure instanceof LockedError)) {
    await writeStatus(paths.statusFile, {
      command: ctx.command,
      cursor: {
        conversationId: position.conversationId,
        timestamp: new Date(position.startMs).toISOString(),
      },
      lagMinutes: lag,
      pending: report.counts.pending,
      retryBuffer: stats,
      lastExitCode: exitCode,
      finishedAt: new Date(now).toISOString(),
      totals,
    }).catch((error: unknown) => {
      // The report's own failure is the one to tell; status.json shares its folder and its disk.
      if (reportFailure === undefined) throw error;
    });
    // After status.json, whose totals it shows (a failure there is written by runPipeline instead).
    await writeRunMetrics(ctx, {
      importSource: sourceKey(config),
      finishedAtMs: now,
      exitCode,
      durationMs: Date.now() - info.startedAt,
      cursorLagSeconds: cursorLagSeconds(position.startMs, now, config.availabilityDelayMinutes),
      pending: report.counts.pending,
      retryBuffer: { size: stats.size, dead: stats.dead },
      totals,
    });
  }
  if (!ctx.dryRun)
    await pingHealthcheck(ctx, exitCode === ExitCode.ok || exitCode === ExitCode.partial ? '' : '/fail');
  return {
    command: ctx.command,
    dryRun: ctx.dryRun,
    exitCode,
    failure: info.failure,
    error: reportFailure ?? info.failure,
    reportFile: file,
    counts: report.counts,
    goneCount: report.goneCount,
    alerts: report.alerts,
    plan: ctx.plan,
    cursor: info.after,
    lagMinutes: lag,
    retryBufferSize: stats.size,
  };
}

/**
 * Rewrites the metrics file when one is configured. A file that cannot be written is told, never
 * the run's failure: it is monitoring output, and its staleness is what the alert rules watch.
 */
async function writeRunMetrics(ctx: RunContext, snapshot: MetricsSnapshot): Promise<void> {
  const file = ctx.config.metricsFile;
  if (file === undefined) return;
  await writeMetricsFile(file, snapshot).catch((error: unknown) =>
    ctx.events.warn(`the metrics file ${file} cannot be written: ${(error as Error).message}`),
  );
}
