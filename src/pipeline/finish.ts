/**
 * The end of a run (SPEC §3.7): the report's summary, `status.json`, the `lagging` alert, the
 * healthcheck ping, and what is printed — the report itself with `--json`, a table on a TTY, one
 * summary line plus alerts on a non-TTY (cron).
 */
import { createReadStream } from 'node:fs';
import { renderTable } from '../cli/output.js';
import { ExitCode, IngestError, LockedError } from '../errors.js';
import { formatCursorLine } from '../state/cursor-file.js';
import type { Position } from '../state/position.js';
import { retryBufferStats } from '../state/retry-buffer.js';
import { isGenesysId } from '../util/ids.js';
import type { RunContext } from './context.js';
import { reasonOf } from './context.js';
import { dryRunSummary, renderPlan } from './dry-run-print.js';
import { pingHealthcheck } from './healthcheck.js';
import { writeStatus } from './report.js';
import { lagMinutes } from './rules.js';

export interface FinishInfo {
  exitCode: number;
  failure: unknown;
  window: { from: string; to: string } | null;
  /** The cursor when the run started, and where the run left it (the saved durable prefix). */
  before: Position;
  after: Position;
  startedAt: number;
}

/**
 * Finishes the run; returns the final exit code (an alert raised here, `lagging`, makes it 1). A
 * report that cannot be written is thrown (exit 6, SPEC §4.6) after status.json says so. A dry run
 * is not a run that happened (SPEC §1): no `lagging` (it never moves the cursor, so its lag says
 * nothing about the import source's health), no `status.json`, no healthcheck ping.
 */
export async function finishRun(ctx: RunContext, info: FinishInfo): Promise<number> {
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
  const stats = await retryBufferStats(paths).catch(() => ({ size: 0, dead: 0, oldestFirstFailedAt: null }));
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
    if (exitCode === ExitCode.ok || exitCode === ExitCode.partial)
      exitCode = error instanceof IngestError ? error.exitCode : ExitCode.internal;
  }
  // A run that lost its lock writes nothing more of the import source's state (SPEC §3.1): status.json
  // belongs to the run that holds it. Its own report file is still finished.
  if (!ctx.dryRun && !(info.failure instanceof LockedError))
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
    }).catch((error: unknown) => {
      // The report's own failure is the one to tell; status.json shares its folder and its disk.
      if (reportFailure === undefined) throw error;
    });
  if (!ctx.dryRun)
    await pingHealthcheck(ctx, exitCode === ExitCode.ok || exitCode === ExitCode.partial ? '' : '/fail');
  if (file === undefined) throw reportFailure;
  await printOutcome(ctx, file, exitCode, { ...info, retryBufferSize: stats.size, lag });
  return exitCode;
}

async function printOutcome(
  ctx: RunContext,
  reportFile: string,
  exitCode: number,
  info: FinishInfo & { retryBufferSize: number; lag: number },
): Promise<void> {
  const { output, report } = ctx;
  if (ctx.dryRun && !output.json) {
    const plan = await renderPlan(ctx, reportFile);
    if (plan !== '') output.result(plan);
  } else if (output.json) {
    await new Promise<void>((resolve, reject) => {
      const stream = createReadStream(reportFile);
      stream.on('error', reject);
      stream.on('end', resolve);
      stream.pipe(process.stdout, { end: false });
    });
    output.markDocumentWritten();
  } else if (output.interactive) {
    const c = report.counts;
    output.result(
      await renderTable(
        output,
        [
          'discovered',
          'ingested',
          'already',
          'pending',
          'failed',
          'retried',
          'deleted',
          'not recorded',
          'alerts',
        ],
        [
          [
            c.discovered,
            c.ingested,
            c.alreadyArchived,
            c.pending,
            c.failed,
            c.retried,
            c.deleted,
            c.notRecorded,
            c.alerts,
          ].map(String),
        ],
      ),
    );
  }
  const c = report.counts;
  const gone = report.goneCount;
  const retry = `${report.counts.failed} failed`;
  // Dated, so a cron log reads on its own; the report has every detail.
  const summary = ctx.dryRun
    ? dryRunSummary(ctx, info.after, info.lag, exitCode)
    : `${new Date().toISOString()} ${ctx.command}: ${c.ingested} ingested, ${c.alreadyArchived} already archived, ${c.pending} pending, ${retry}, ${gone} deleted in Genesys, ${c.notRecorded} not recorded, ${c.deleted} deleted after ingest, ${c.alerts} alert${c.alerts === 1 ? '' : 's'}; retry buffer ${info.retryBufferSize}; cursor ${formatCursorLine(info.after)}; exit ${exitCode}`;
  output.info(summary);
  for (const alert of report.alerts)
    output.warn(
      `${alert.type}${alert.conversationId === '' ? '' : ` ${shownId(alert.conversationId)}`}${alert.recordingId === '' ? '' : `/${shownId(alert.recordingId)}`}: ${alert.message}`,
    );
  if (info.failure !== undefined && exitCode !== ExitCode.interrupted)
    output.debug(`stopped by: ${reasonOf(info.failure)}`);
  output.debug(`report: ${reportFile}`);
}

/** An id for the terminal: a refused one is shown JSON-escaped, so no control character reaches it. */
function shownId(id: string): string {
  return isGenesysId(id) ? id : JSON.stringify(id);
}
