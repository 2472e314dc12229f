/**
 * `--dry-run` (SPEC §1): what a run would do — ingest, retry, delete — listed as report items with
 * status `pending` and a reason starting "dry run: would …", and kept (bounded) for the human list
 * printed at the end. Nothing here downloads, writes, moves or deletes anything: recordings are
 * listed with `formatId=NONE`, retry entries and journaled deletes are read, never touched.
 */
import { retryEntryExpired, selectRetryBatch, type RetryListing } from '../../state/retry-buffer.js';
import type { RunContext } from '../run-context.js';
import type { DeleteIntent } from '../../state/delete-journal.js';
import type { ConversationFacts } from '../conversation-facts.js';
import { recordingAction, type RecordingAction } from './rules.js';
import { item } from './records.js';

export type DryRunAction = 'ingest' | 'retry' | 'delete' | 'reject' | 'skip';

/** Lines kept per action for the human list; the report has every item. */
export const DRY_RUN_LISTED = 10;

/**
 * Conversations whose recordings a dry run looks up (`formatId=NONE`, one request each). Genesys
 * allows 300 requests a minute per token, so looking up every conversation of a back-fill would
 * take as long as listing it for real; beyond this sample a conversation is listed from analytics
 * alone, as one item without a recording id (SPEC §3.7: a conversation whose recordings are
 * unknown counts once).
 */
export const DRY_RUN_RECORDING_LOOKUPS = 25;

export interface PlannedLine {
  conversationId: string;
  recordingId: string;
  detail: string;
}

/** What the dry run found, per action: how many, and the first few. */
export class DryRunPlan {
  readonly counts: Record<DryRunAction, number> = { ingest: 0, retry: 0, delete: 0, reject: 0, skip: 0 };
  readonly listed: Record<DryRunAction, PlannedLine[]> = {
    ingest: [],
    retry: [],
    delete: [],
    reject: [],
    skip: [],
  };
  /** Recording lookups made so far (at most DRY_RUN_RECORDING_LOOKUPS). */
  lookups = 0;
  /** Report items written for the plan (all `pending`; the others are conversations not ready yet). */
  items = 0;

  add(action: DryRunAction, line: PlannedLine): void {
    this.counts[action] += 1;
    if (this.listed[action].length < DRY_RUN_LISTED) this.listed[action].push(line);
  }
}

/** One thing the run would do: a `pending` report item and a line in the plan. */
export function planned(
  ctx: RunContext,
  action: DryRunAction,
  line: PlannedLine,
  reason: string,
  fromRetryBuffer: boolean,
): void {
  ctx.report.count('pending');
  ctx.report.item(item(line.conversationId, line.recordingId, 'pending', reason, fromRetryBuffer));
  ctx.plan.items += 1;
  ctx.plan.add(action, line);
}

/** A conversation that is ready, or over its maximum length: what a run would do with it. */
export async function dryRunConversation(
  ctx: RunContext,
  facts: ConversationFacts,
  kind: 'overMaxLength' | 'notRecorded' | 'ready',
): Promise<boolean> {
  const id = facts.conversationId;
  if (kind === 'notRecorded') {
    ctx.report.count('notRecorded');
    return true;
  }
  if (kind === 'overMaxLength') {
    const detail = `in progress for more than maxRecordingLengthMinutes (${ctx.config.maxRecordingLengthMinutes})`;
    planned(
      ctx,
      'retry',
      { conversationId: id, recordingId: '', detail },
      `dry run: would be parked in the retry buffer (${detail})`,
      false,
    );
    return true;
  }
  const known = await ctx.settled.get(id, facts.startMs);
  if (known !== undefined && known.status !== 'notRecorded') {
    ctx.report.count('alreadyArchived', Math.max(1, known.recordingIds.length));
    return true;
  }
  const then = ctx.config.deleteAfterIngest ? ', then deleted in Genesys (deleteAfterIngest)' : '';
  if (ctx.plan.lookups >= DRY_RUN_RECORDING_LOOKUPS) {
    const detail = 'recordings not looked up in a dry run';
    planned(
      ctx,
      'ingest',
      { conversationId: id, recordingId: '', detail },
      `dry run: would be ingested${then} (${detail})`,
      false,
    );
    if (then !== '') ctx.plan.add('delete', { conversationId: id, recordingId: '', detail: 'after ingest' });
    return true;
  }
  ctx.plan.lookups += 1;
  const result = await ctx.client.recordings.getRecordings(id, 'NONE', { signal: ctx.signal });
  const recordings = result.transcoding
    ? []
    : result.recordings.filter((r) => recordingAction(r) !== 'skipNonAudio');
  if (recordings.length === 0) {
    const detail = 'Genesys lists no audio recording yet';
    planned(
      ctx,
      'ingest',
      { conversationId: id, recordingId: '', detail },
      `dry run: would be ingested${then} (${detail})`,
      false,
    );
    return true;
  }
  for (const rec of recordings) {
    const recId = String(rec.id).toLowerCase();
    const line = (detail: string): PlannedLine => ({ conversationId: id, recordingId: recId, detail });
    const kind = recordingAction(rec);
    const [action, detail, reason] =
      kind === 'archived' && ctx.config.restoreArchived ? RESTORE_OUTCOME : RECORDING_OUTCOMES[kind];
    planned(ctx, action, line(detail), `dry run: ${reason}${kind === 'download' ? then : ''}`, false);
    if (kind === 'download' && then !== '') ctx.plan.add('delete', line('after ingest'));
  }
  return true;
}

/** An ARCHIVED recording with `restoreArchived` (SPEC §8.3). */
const RESTORE_OUTCOME: [DryRunAction, string, string] = [
  'retry',
  'archived in Genesys: its restore would be requested',
  'would request its restore in Genesys (unless requested less than restoreDays ago) and park it in the retry buffer',
];

/** What a run would do with a recording in each state (SPEC §4.2, §4.3): action, detail, reason. */
const RECORDING_OUTCOMES: Record<RecordingAction, [DryRunAction, string, string]> = {
  download: ['ingest', 'available', 'would be ingested'],
  notYet: [
    'ingest',
    'not available yet: a run waits for it, else parks it',
    'would be ingested once available, else parked in the retry buffer',
  ],
  archived: [
    'retry',
    'archived in Genesys: restore it there',
    'would be parked in the retry buffer (archived in Genesys)',
  ],
  restoring: [
    'retry',
    'being restored in Genesys',
    'would wait in the retry buffer until Genesys has restored it',
  ],
  gone: ['skip', 'deleted in Genesys', 'nothing to ingest (deleted in Genesys)'],
  error: ['skip', 'in state ERROR in Genesys', 'nothing to ingest (state ERROR in Genesys)'],
  skipNonAudio: ['skip', 'not audio', 'nothing to ingest (not audio)'],
};

/** The retry batch a run would take, and the files it would move aside (SPEC §3.3). */
export function dryRunRetryBatch(ctx: RunContext, listing: RetryListing): void {
  for (const bad of listing.invalid) {
    planned(
      ctx,
      'reject',
      { conversationId: '', recordingId: '', detail: `${bad.file}: ${bad.reason}` },
      `dry run: ${bad.file} would be moved to rejected/ (${bad.reason})`,
      true,
    );
  }
  const now = ctx.now();
  const live = [];
  for (const entry of listing.entries) {
    if (!retryEntryExpired(entry, ctx.config.retryMaxAgeDays, now)) {
      live.push(entry);
      continue;
    }
    const detail = `failing for more than ${ctx.config.retryMaxAgeDays} days`;
    planned(
      ctx,
      'reject',
      { conversationId: entry.conversationId, recordingId: entry.recordingId ?? '', detail },
      `dry run: would be moved to dead/ (${detail})`,
      true,
    );
  }
  for (const entry of selectRetryBatch(live, ctx.config.retryBatchSize)) {
    const detail = `${entry.attempts} attempt${entry.attempts === 1 ? '' : 's'}${entry.lastError === undefined ? '' : `, last: ${entry.lastError}`}`;
    planned(
      ctx,
      'retry',
      { conversationId: entry.conversationId, recordingId: entry.recordingId ?? '', detail },
      `dry run: would be retried (${detail})`,
      true,
    );
  }
}

/** The journaled deletes a run would carry out first (SPEC §4.5). */
export function dryRunDeletes(ctx: RunContext, intents: readonly DeleteIntent[]): void {
  for (const intent of intents) {
    const detail = `journaled ${intent.journaledAt}`;
    planned(
      ctx,
      'delete',
      { conversationId: intent.conversationId, recordingId: intent.recordingId, detail },
      `dry run: would be deleted in Genesys (delete journal, ${detail}), unless under deletion protection`,
      false,
    );
  }
}
