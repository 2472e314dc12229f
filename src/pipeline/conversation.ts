/**
 * Settles one conversation (SPEC §4.3): pending, over maximum length, not recorded, or ready — then
 * its recordings are listed once and each is archived, parked in the retry buffer, or reported gone.
 * Returns whether the conversation is settled, so the cursor knows whether it may pass it.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Recording, RecordingMetadata, UserInfo } from '../genesys/index.js';
import { isoUtc } from '../util/time.js';
import {
  archiveRecording,
  alreadyHeld,
  formatIdFor,
  sourcesOf,
  type MediaSource,
} from './archive-recording.js';
import { isItemFailure, reasonOf, type RunContext } from './context.js';
import { dryRunConversation } from './dry-run.js';
import { participantUserIds, type ConversationFacts } from './facts.js';
import { ingestOriginal } from './original.js';
import type { AlertType } from './report.js';
import { recordingProblem, refuseRecording } from './refuse.js';
import { recordingAction, settleVerdict } from './rules.js';
import {
  closeConversation,
  countFailure,
  dropEntry,
  item,
  parkConversation,
  parkRecording,
  raise,
  recordSettled,
  type Origin,
  type Tally,
} from './settle-records.js';

export type { Origin } from './settle-records.js';

export async function settleConversation(
  ctx: RunContext,
  facts: ConversationFacts,
  origin: Origin = {},
): Promise<boolean> {
  const fromRetry = origin.entry !== undefined;
  const id = facts.conversationId;
  const verdict = settleVerdict(facts, ctx.now(), ctx.config);
  if (verdict.kind === 'pending') {
    ctx.report.counts.pending += 1;
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
    ctx.report.counts.notRecorded += 1;
    await recordSettled(ctx, facts, 'notRecorded', []);
    await dropEntry(ctx, origin);
    return true;
  }
  // Ready. A conversation the ledger shows settled costs no API request (SPEC §3.6).
  const known = await ctx.settled.get(id, facts.startMs);
  if (known !== undefined && !fromRetry && known.status !== 'notRecorded') {
    // A refused conversation counts only the recordings it did archive.
    ctx.report.counts.alreadyArchived +=
      known.status === 'refused' ? known.recordingIds.length : Math.max(1, known.recordingIds.length);
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
export interface RecordingWork {
  rec: RecordingMetadata & { outputDurationMs?: number | undefined };
  sources: MediaSource[];
  refresh: () => Promise<MediaSource[] | undefined>;
}

/** Settles the listed recordings of a ready conversation and closes it (shared with ORIGINAL). */
export async function settleRecordings(
  ctx: RunContext,
  facts: ConversationFacts,
  origin: Origin,
  work: RecordingWork[],
): Promise<void> {
  const fromRetry = origin.entry !== undefined;
  const audio = work.filter((w) => recordingAction(w.rec) !== 'skipNonAudio');
  ctx.report.counts.skippedNonAudio += work.length - audio.length;
  if (audio.length === 0) {
    await parkConversation(ctx, facts, origin, 'overdue', 'due, but Genesys lists no audio recording yet');
    return;
  }
  const users = await lookUpUsers(ctx, facts);
  const tally: Tally = { archived: [], retry: false };
  for (const w of audio) {
    const problem = recordingProblem(w.rec);
    if (problem !== undefined) {
      refuseRecording(ctx, facts.conversationId, w.rec, problem, fromRetry);
      tally.refused = true;
      continue;
    }
    await settleRecording(ctx, facts, w, users, origin, tally);
  }
  await closeConversation(ctx, facts, origin, tally);
}

async function settleRecording(
  ctx: RunContext,
  facts: ConversationFacts,
  w: RecordingWork,
  users: ReadonlyMap<string, UserInfo>,
  origin: Origin,
  tally: Tally,
): Promise<void> {
  const id = facts.conversationId;
  const recId = w.rec.id.toLowerCase();
  const fromRetry = origin.entry !== undefined;
  // What the ledger or the archive holds is never fetched again, whatever Genesys says of it now.
  if (await alreadyHeld(ctx, facts, recId, fromRetry)) {
    tally.archived.push(recId);
    return;
  }
  const action = recordingAction(w.rec);
  if (action === 'gone') {
    ctx.report.item(item(id, recId, 'gone', 'deleted in Genesys', fromRetry));
    raise(
      ctx,
      'deletedInGenesys',
      id,
      recId,
      'the recording was deleted in Genesys before it was archived',
      fromRetry,
    );
    return;
  }
  if (action === 'error') {
    countFailure(ctx, fromRetry);
    ctx.report.item(item(id, recId, 'failed', 'recordingError', fromRetry));
    raise(
      ctx,
      'recordingError',
      id,
      recId,
      'Genesys reports the recording in state ERROR; it is not retried',
      fromRetry,
    );
    return;
  }
  if (action === 'archived' || action === 'notYet') {
    const type: AlertType = action === 'archived' ? 'archivedInGenesys' : 'overdue';
    await parkRecording(
      ctx,
      facts,
      recId,
      origin,
      type,
      action === 'archived'
        ? 'archived in Genesys (restore it there); in the retry buffer'
        : `still ${w.rec.fileState ?? 'not available'} after ${Math.round(ctx.notReadyPollMs / 1000)} s of polling; in the retry buffer`,
    );
    tally.retry = true;
    return;
  }
  try {
    const outcome = await archiveRecording(ctx, facts, w.rec, w.sources, users, w.refresh);
    ctx.report.counts.ingested += 1;
    ctx.report.item({
      ...item(id, recId, 'ingested', '', fromRetry),
      file: outcome.file,
      sizeBytes: outcome.sizeBytes,
      sha256: outcome.sha256,
    });
    tally.archived.push(recId);
    if (ctx.config.deleteAfterIngest) {
      // The recording's deleteDate is read right before the delete call, never remembered from here.
      await ctx.deletes.add({
        conversationId: id,
        recordingId: recId,
        conversationStart: isoUtc(facts.startMs),
        journaledAt: isoUtc(ctx.now()),
      });
    }
  } catch (error) {
    // Once the run is stopping, a failure is the run's (an aborted download), never parked as the item's.
    if (!isItemFailure(error) || ctx.signal.aborted) throw error;
    await parkRecording(ctx, facts, recId, origin, undefined, reasonOf(error));
    tally.retry = true;
  }
}

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

async function lookUpUsers(
  ctx: RunContext,
  facts: ConversationFacts,
): Promise<ReadonlyMap<string, UserInfo>> {
  const ids = participantUserIds(facts.raw);
  if (ids.length === 0) return new Map();
  try {
    return await ctx.client.users.getUsers(ids, { signal: ctx.signal });
  } catch (error) {
    // Media is never held back for user details: the CDR keeps the ids and the names analytics gave.
    if (ctx.signal.aborted) throw error;
    ctx.events.debug(`user details unavailable for ${facts.conversationId}: ${reasonOf(error)}`);
    return new Map();
  }
}
