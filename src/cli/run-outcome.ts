/**
 * How a finished `run` or `catchup` is printed (SPEC §3.7): the report itself with `--json`, a table
 * on a TTY, one dated summary line plus the alerts everywhere (a cron log reads on its own).
 */
import { createReadStream } from 'node:fs';
import { ExitCode } from '../errors.js';
import { reasonOf } from '../pipeline/failures.js';
import type { RunOutcome } from '../pipeline/finish.js';
import { formatCursorLine } from '../state/cursor-file.js';
import { isGenesysId } from '../util/ids.js';
import { dryRunSummary, renderPlan } from './dry-run-print.js';
import { renderTable, type Output } from './output.js';

export async function printOutcome(output: Output, outcome: RunOutcome, reportFile: string): Promise<void> {
  const c = outcome.counts;
  if (outcome.dryRun && !output.json) {
    const plan = await renderPlan(output, outcome.plan, reportFile);
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
  const exitCode = outcome.exitCode;
  // Dated, so a cron log reads on its own; the report has every detail.
  const summary = outcome.dryRun
    ? dryRunSummary(outcome)
    : `${new Date().toISOString()} ${outcome.command}: ${c.ingested} ingested, ${c.alreadyArchived} already archived, ${c.pending} pending, ${c.failed} failed, ${outcome.goneCount} deleted in Genesys, ${c.notRecorded} not recorded, ${c.deleted} deleted after ingest, ${c.restoreRequested > 0 ? `${c.restoreRequested} restore${c.restoreRequested === 1 ? '' : 's'} requested in Genesys, ` : ''}${c.alerts} alert${c.alerts === 1 ? '' : 's'}; retry buffer ${outcome.retryBufferSize}; cursor ${formatCursorLine(outcome.cursor)}; exit ${exitCode}`;
  output.info(summary);
  for (const alert of outcome.alerts)
    output.warn(
      `${alert.type}${alert.conversationId === '' ? '' : ` ${shownId(alert.conversationId)}`}${alert.recordingId === '' ? '' : `/${shownId(alert.recordingId)}`}: ${alert.message}`,
    );
  if (outcome.failure !== undefined && exitCode !== ExitCode.interrupted)
    output.debug(`stopped by: ${reasonOf(outcome.failure)}`);
  output.debug(`report: ${reportFile}`);
}

/** An id for the terminal: a refused one is shown JSON-escaped, so no control character reaches it. */
function shownId(id: string): string {
  return isGenesysId(id) ? id : JSON.stringify(id);
}
