/**
 * Settles one conversation (SPEC §4.3): pending, over maximum length, not recorded, or ready — then
 * its recordings are listed once and each is archived, parked in the retry buffer, or reported gone.
 * Returns whether the conversation is settled, so the cursor knows whether it may pass it.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Recording } from '../../genesys/index.js';
import { formatIdFor, sourcesOf, type MediaSource } from './archive-recording.js';
import { type RunContext } from '../run-context.js';
import { isItemFailure, reasonOf } from '../failures.js';
import { dryRunConversation } from './dry-run.js';
import { type ConversationFacts } from '../conversation-facts.js';
import { ingestOriginal } from './original-batch.js';
import { settleRecordings } from './recordings.js';
import { recordingAction, settleVerdict } from './rules.js';
import { dropEntry, item, parkConversation, recordSettled, type Origin } from './records.js';

export type { Origin } from './records.js';

export async function settleConversation(
  ctx: RunContext,
  facts: ConversationFacts,
  origin: Origin = {},
): Promise<boolean> {
  const fromRetry = origin.entry !== undefined;
  const id = facts.conversationId;
  const verdict = settleVerdict(facts, ctx.now(), ctx.config);
  if (verdict.kind === 'pending') {
    ctx.report.count('pending');
    ctx.report.item(item(id, '', 'pending', verdict.reason, fromRetry));
    return false;
  }
  if (ctx.dryRun) return dryRunConversation(ctx, facts, verdict.kind);
  if (verdict.kind === 'overMaxLength') {
    await parkConversation(
      ctx,
      facts,
      origin,
      'overMaxLength',
      `in progress for more than maxRecordingLengthMinutes (${ctx.config.maxRecordingLengthMinutes})`,
    );
    return true;
  }
  if (verdict.kind === 'notRecorded') {
    ctx.report.count('notRecorded');
    await recordSettled(ctx, facts, 'notRecorded', []);
    await dropEntry(ctx, origin);
    return true;
  }
  // Ready. A conversation the ledger shows settled costs no API request (SPEC §3.6).
  const known = await ctx.settled.get(id, facts.startMs);
  if (known !== undefined && !fromRetry && known.status !== 'notRecorded') {
    // A refused conversation counts only the recordings it did archive.
    ctx.report.count(
      'alreadyArchived',
      known.status === 'refused' ? known.recordingIds.length : Math.max(1, known.recordingIds.length),
    );
    for (const rec of known.recordingIds)
      ctx.report.item(
        item(id, rec, 'alreadyArchived', known.status === 'retry' ? 'in the retry buffer' : '', false),
      );
    return true;
  }
  try {
    if (ctx.config.codec === 'ORIGINAL') return await ingestOriginal(ctx, facts, origin);
    await ingestTranscoded(ctx, facts, origin);
  } catch (error) {
    // Once the run is stopping, a failure is the run's (an aborted download), never parked as the item's.
    if (!isItemFailure(error) || ctx.signal.aborted) throw error;
    await parkConversation(ctx, facts, origin, undefined, reasonOf(error));
  }
  return true;
}

async function ingestTranscoded(ctx: RunContext, facts: ConversationFacts, origin: Origin): Promise<void> {
  const recordings = await listWhenReady(ctx, facts.conversationId, origin.entry?.recordingId);
  if (recordings === undefined) {
    await parkConversation(
      ctx,
      facts,
      origin,
      'overdue',
      `still transcoding after ${Math.round(ctx.notReadyPollMs / 1000)} s of polling`,
    );
    return;
  }
  const format = formatIdFor(ctx);
  const refresh = (recId: string) => async (): Promise<MediaSource[] | undefined> => {
    const fresh = await ctx.client.recordings.waitForRecording(facts.conversationId, recId, format, {
      signal: ctx.signal,
    });
    return fresh.transcoding ? undefined : sourcesOf(fresh.recording);
  };
  await settleRecordings(
    ctx,
    facts,
    origin,
    recordings.map((rec) => ({
      rec,
      sources: sourcesOf(rec),
      refresh: refresh(String(rec.id).toLowerCase()),
    })),
  );
}

/** A recording to settle: what Genesys says about it, where its media is, how to get fresh URLs. */

/** Lists the recordings, polling while Genesys transcodes or uploads, for at most two minutes. */
async function listWhenReady(
  ctx: RunContext,
  conversationId: string,
  only: string | undefined,
): Promise<Recording[] | undefined> {
  const deadline = Date.now() + ctx.notReadyPollMs;
  for (let pause = Math.min(2000, ctx.notReadyPollMs / 4); ; pause = Math.min(pause * 2, 15_000)) {
    const result = await ctx.client.recordings.waitForRecordings(conversationId, formatIdFor(ctx), {
      signal: ctx.signal,
      maxWaitMs: Math.max(0, deadline - Date.now()),
    });
    if (result.transcoding) return undefined;
    const recordings =
      only === undefined
        ? result.recordings
        : result.recordings.filter((r) => String(r.id).toLowerCase() === only);
    const waiting = recordings.some((r) => recordingAction(r) === 'notYet');
    if (!waiting || Date.now() + pause > deadline) return recordings;
    await sleep(pause, undefined, { signal: ctx.signal });
  }
}
