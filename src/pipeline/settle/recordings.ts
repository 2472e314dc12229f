/**
 * Settles the listed recordings of a ready conversation (SPEC §4.3): each is archived, parked in
 * the retry buffer, or reported gone; shared by the transcoded path and ORIGINAL's batch path.
 */
import type { RecordingMetadata, UserInfo } from '../../genesys/index.js';
import { isoUtc } from '../../util/time.js';
import { archiveRecording, alreadyHeld, type MediaSource } from './archive-recording.js';
import { type RunContext } from '../run-context.js';
import { isItemFailure, reasonOf } from '../failures.js';
import { participantUserIds, type CdrLookups, type ConversationFacts } from '../conversation-facts.js';
import { lookUpNames } from './names.js';
import type { AlertType } from '../../state/report.js';
import { recordingProblem, refuseRecording } from './refuse.js';
import { recordingAction } from './rules.js';
import { settleArchivedRecording } from './restore.js';
import {
  closeConversation,
  item,
  parkConversation,
  parkRecording,
  raise,
  type Origin,
  type Tally,
} from './records.js';

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
  ctx.report.count('skippedNonAudio', work.length - audio.length);
  if (audio.length === 0) {
    await parkConversation(ctx, facts, origin, 'overdue', 'due, but Genesys lists no audio recording yet');
    return;
  }
  const [users, names] = await Promise.all([lookUpUsers(ctx, facts), lookUpNames(ctx, facts)]);
  const lookups: CdrLookups = { users, ...names };
  const tally: Tally = { archived: [], retry: false };
  for (const w of audio) {
    const problem = recordingProblem(w.rec);
    if (problem !== undefined) {
      refuseRecording(ctx, facts.conversationId, w.rec, problem, fromRetry);
      tally.refused = true;
      continue;
    }
    await settleRecording(ctx, facts, w, lookups, origin, tally);
  }
  await closeConversation(ctx, facts, origin, tally);
}

async function settleRecording(
  ctx: RunContext,
  facts: ConversationFacts,
  w: RecordingWork,
  lookups: CdrLookups,
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
    ctx.report.countFailure(fromRetry);
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
  if (action === 'restoring' || (action === 'archived' && ctx.config.restoreArchived)) {
    await settleArchivedRecording(ctx, facts, recId, origin, action);
    tally.retry = true;
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
    const outcome = await archiveRecording(ctx, facts, w.rec, w.sources, lookups, w.refresh);
    ctx.report.count('ingested');
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
