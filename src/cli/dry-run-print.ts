/**
 * What a dry run prints (SPEC §1, §3.7): the things a run would do — a table on a terminal, one
 * line each elsewhere — bounded to the first few per action with a count of the rest (the report
 * lists every one), and a summary line that says it was a dry run and where the cursor stays.
 */
import type { DryRunAction, DryRunPlan, PlannedLine } from '../pipeline/settle/dry-run.js';
import type { RunOutcome } from '../pipeline/finish.js';
import { formatCursorLine } from '../state/cursor-file.js';
import { renderTable, type Output } from './output.js';

const VERBS: Record<DryRunAction, string> = {
  ingest: 'ingest',
  retry: 'retry',
  delete: 'delete',
  reject: 'move aside',
  skip: 'skip',
};

const NOUNS: Record<DryRunAction, string> = {
  ingest: 'to ingest',
  retry: 'to retry',
  delete: 'to delete',
  reject: 'to move aside',
  skip: 'to skip',
};

function target(line: PlannedLine): string {
  if (line.conversationId === '') return '-';
  return line.recordingId === '' ? line.conversationId : `${line.conversationId}/${line.recordingId}`;
}

/** The list of what a run would do, or '' when it would do nothing. */
export async function renderPlan(output: Output, plan: DryRunPlan, reportFile: string): Promise<string> {
  const actions = (Object.keys(VERBS) as DryRunAction[]).filter((a) => plan.counts[a] > 0);
  if (actions.length === 0) return '';
  const more = actions
    .filter((a) => plan.counts[a] > plan.listed[a].length)
    .map((a) => `… and ${plan.counts[a] - plan.listed[a].length} more ${NOUNS[a]}`);
  const tail = more.length === 0 ? [] : [`${more.join(', ')} (every one is in ${reportFile})`];
  if (output.interactive) {
    const rows = actions.flatMap((a) =>
      plan.listed[a].map((line) => [VERBS[a], line.conversationId, line.recordingId, line.detail]),
    );
    const table = await renderTable(output, ['would', 'conversation', 'recording', 'detail'], rows);
    return [table, ...tail].join('\n');
  }
  const lines = actions.flatMap((a) =>
    plan.listed[a].map((line) => `would ${VERBS[a]}  ${target(line)}  (${line.detail})`),
  );
  return [...lines, ...tail].join('\n');
}

/** The dated one-line summary of a dry run. */
export function dryRunSummary(outcome: RunOutcome): string {
  const { plan, counts: c, cursor, lagMinutes, exitCode } = outcome;
  const waiting = Math.max(0, c.pending - plan.items);
  const aside = plan.counts.reject === 0 ? '' : `, move aside ${plan.counts.reject}`;
  const skip = plan.counts.skip === 0 ? '' : `, skip ${plan.counts.skip}`;
  return `${new Date().toISOString()} ${outcome.command} --dry-run: would ingest ${plan.counts.ingest}, retry ${plan.counts.retry}, delete ${plan.counts.delete}${aside}${skip}; ${c.alreadyArchived} already archived, ${waiting} not ready yet, ${c.notRecorded} not recorded, ${c.discovered} conversations listed, ${c.alerts} alert${c.alerts === 1 ? '' : 's'}; nothing was changed; cursor stays ${formatCursorLine(cursor)} (${lagMinutes} minutes behind now − availability delay); exit ${exitCode}`;
}
