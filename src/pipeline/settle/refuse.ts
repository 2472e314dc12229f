/**
 * Data from Genesys that breaks the model is the recording's or conversation's problem, never the
 * run's and never the operator's (SPEC §4.3): a conversation or recording whose id is not a UUID, or
 * whose times cannot be read, is refused — alert `invalidRecord`, a `failed` item with reason
 * `invalidRecord` (ids as given), a `refused` ledger line — and the cursor moves past it.
 */
import type { RecordingMetadata } from '../../genesys/index.js';
import { isGenesysId } from '../../util/ids.js';
import { isoUtc, parseUtcIso } from '../../util/time.js';
import type { RunContext } from '../run-context.js';
import { asGiven, type RefusedConversation } from '../conversation-facts.js';
import { item, raise } from './records.js';

/**
 * Refuses a conversation found while listing. One refused in an earlier run (or earlier in this
 * one) is passed over quietly: a conversation whose start cannot be read is returned by every
 * listing of its day, and must not raise its alert again each time.
 */
export async function refuseConversation(ctx: RunContext, refusal: RefusedConversation): Promise<void> {
  const { conversationId, startMs } = refusal;
  if ((await ctx.settled.get(conversationId, startMs)) !== undefined) return;
  ctx.report.count('discovered');
  ctx.report.countFailure(false);
  ctx.report.item(item(conversationId, '', 'failed', 'invalidRecord', false));
  raise(ctx, 'invalidRecord', conversationId, '', `refused: ${refusal.reason}`, false);
  if (ctx.dryRun) return;
  await ctx.ledger.append([
    {
      type: 'conversation',
      conversationId,
      conversationStart: startMs === undefined ? '' : isoUtc(startMs),
      status: 'refused',
      recordingIds: [],
    },
  ]);
  await ctx.settled.add(conversationId, startMs, { status: 'refused', recordingIds: [] });
}

/** Why a recording must be refused, or undefined when its id and times can be read. */
export function recordingProblem(
  rec: Pick<RecordingMetadata, 'id' | 'startTime' | 'endTime'>,
): string | undefined {
  if (!isGenesysId(rec.id))
    return `Genesys gave a recording id that is not a UUID: ${JSON.stringify(asGiven(rec.id))}`;
  for (const field of ['startTime', 'endTime'] as const) {
    const value: unknown = rec[field];
    if (value !== undefined && parseUtcIso(value) === undefined)
      return `the recording's ${field} cannot be read: ${JSON.stringify(asGiven(value))}`;
  }
  return undefined;
}

/** Refuses one recording of a conversation; the conversation's ledger line then says `refused`. */
export function refuseRecording(
  ctx: RunContext,
  conversationId: string,
  rec: Pick<RecordingMetadata, 'id'>,
  reason: string,
  fromRetry: boolean,
): void {
  const recordingId = isGenesysId(rec.id) ? rec.id.toLowerCase() : asGiven(rec.id);
  ctx.report.countFailure(fromRetry);
  ctx.report.item(item(conversationId, recordingId, 'failed', 'invalidRecord', fromRetry));
  raise(ctx, 'invalidRecord', conversationId, recordingId, `refused: ${reason}`, fromRetry);
}
