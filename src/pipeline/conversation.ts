/**
 * Settles one conversation (SPEC §4.3): pending, over maximum length, not recorded, or ready — then
 * its recordings are listed once and each is archived, parked in the retry buffer, or reported gone.
 * Returns whether the conversation is settled, so the cursor knows whether it may pass it.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { ArchivedCdr, RetryCdr } from '../archive/cdr.js';
import { cdrFileName, conversationFolder } from '../archive/layout.js';
import type { Recording, UserInfo } from '../genesys/index.js';
import type { LedgerConversationStatus } from '../state/ledger.js';
import { recordRetryFailure, removeRetryEntry, type RetryEntry } from '../state/retry-buffer.js';
import { isGenesysId } from '../util/ids.js';
import { isoUtc, parseUtcIso } from '../util/time.js';
import { archiveRecording, existingCdr, formatIdFor } from './archive-recording.js';
import { isItemFailure, reasonOf, type RunContext } from './context.js';
import { participantUserIds, type ConversationFacts } from './facts.js';
import type { AlertType } from './report.js';
import { recordingAction, settleVerdict } from './rules.js';

export interface Origin {
  /** The retry entry this attempt comes from, if any. */
  entry?: RetryEntry;
}

interface Tally {
  archived: string[];
  retry: boolean;
  gone: boolean;
}

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
    ctx.report.counts.alreadyArchived += Math.max(1, known.recordingIds.length);
    for (const rec of known.recordingIds)
      ctx.report.item(
        item(id, rec, 'alreadyArchived', known.status === 'retry' ? 'in the retry buffer' : '', false),
      );
    return true;
  }
  try {
    await ingestReady(ctx, facts, origin);
  } catch (error) {
    if (!isItemFailure(error)) throw error;
    await parkConversation(ctx, facts, origin, undefined, reasonOf(error));
  }
  return true;
}

async function ingestReady(ctx: RunContext, facts: ConversationFacts, origin: Origin): Promise<void> {
  const id = facts.conversationId;
  const fromRetry = origin.entry !== undefined;
  const wanted = origin.entry?.recordingId;
  const recordings = await listWhenReady(ctx, id, wanted);
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
  const audio = recordings.filter((r) => recordingAction(r) !== 'skipNonAudio');
  ctx.report.counts.skippedNonAudio += recordings.length - audio.length;
  if (audio.length === 0) {
    await parkConversation(ctx, facts, origin, 'overdue', 'due, but Genesys lists no audio recording yet');
    return;
  }
  const users = await lookUpUsers(ctx, facts);
  const tally: Tally = { archived: [], retry: false, gone: false };
  for (const rec of audio) {
    if (!isGenesysId(rec.id)) {
      raise(
        ctx,
        'recordingError',
        id,
        '',
        `Genesys gave a recording id that is not a UUID: ${JSON.stringify(String(rec.id).slice(0, 60))}`,
        fromRetry,
      );
      ctx.report.counts.failed += 1;
      ctx.firstFailure ||= !fromRetry;
      continue;
    }
    await settleRecording(ctx, facts, rec, users, origin, tally);
  }
  const status: LedgerConversationStatus = tally.retry
    ? 'retry'
    : tally.archived.length > 0
      ? 'archived'
      : 'gone';
  await recordSettled(ctx, facts, status, tally.archived);
  if (!tally.retry) await dropEntry(ctx, origin);
}

async function settleRecording(
  ctx: RunContext,
  facts: ConversationFacts,
  rec: Recording,
  users: ReadonlyMap<string, UserInfo>,
  origin: Origin,
  tally: Tally,
): Promise<void> {
  const id = facts.conversationId;
  const recId = rec.id.toLowerCase();
  const fromRetry = origin.entry !== undefined;
  const action = recordingAction(rec);
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
    tally.gone = true;
    return;
  }
  if (action === 'error') {
    ctx.report.counts.failed += 1;
    ctx.firstFailure ||= !fromRetry;
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
        ? 'archived in Genesys (restore it there)'
        : `still ${rec.fileState ?? 'not available'} after polling`,
    );
    tally.retry = true;
    return;
  }
  const existing = await existingCdr(ctx, facts, recId);
  if (existing !== undefined) {
    ctx.report.counts.alreadyArchived += 1;
    const primary = existing.media[0];
    // The archive holds it but the settled index did not: a run may have stopped between the CDR
    // and its ledger line. Appending the line again is harmless; missing it is not.
    await ledgerLineFor(ctx, existing);
    ctx.report.item({
      ...item(id, recId, 'alreadyArchived', '', fromRetry),
      file: primary?.file ?? '',
      sizeBytes: primary?.sizeBytes ?? 0,
      sha256: primary?.sha256 ?? '',
    });
    tally.archived.push(recId);
    return;
  }
  try {
    const formatId = formatIdFor(ctx);
    const outcome = await archiveRecording(ctx, facts, rec, users, async () => {
      const fresh = await ctx.client.recordings.waitForRecording(
        id,
        recId,
        formatId === 'NONE' ? 'WAV' : formatId,
        { signal: ctx.signal },
      );
      return fresh.transcoding ? undefined : fresh.recording;
    });
    ctx.report.counts.ingested += 1;
    if (ctx.config.deleteAfterIngest) {
      await ctx.deletes.add({
        conversationId: id,
        recordingId: recId,
        conversationStart: isoUtc(facts.startMs),
        journaledAt: isoUtc(ctx.now()),
        ...(rec.deleteDate !== undefined && parseUtcIso(rec.deleteDate) !== undefined
          ? { currentDeleteDate: isoUtc(parseUtcIso(rec.deleteDate)!) }
          : {}),
      });
    }
    ctx.report.item({
      ...item(id, recId, outcome.kind, '', fromRetry),
      file: outcome.file,
      sizeBytes: outcome.sizeBytes,
      sha256: outcome.sha256,
    });
    tally.archived.push(recId);
  } catch (error) {
    if (!isItemFailure(error)) throw error;
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
      only === undefined ? result.recordings : result.recordings.filter((r) => r.id.toLowerCase() === only);
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
    ctx.output.debug(`user details unavailable for ${facts.conversationId}: ${reasonOf(error)}`);
    return new Map();
  }
}

function item(
  conversationId: string,
  recordingId: string,
  status: 'ingested' | 'alreadyArchived' | 'pending' | 'failed' | 'gone',
  reason: string,
  fromRetryBuffer: boolean,
) {
  return { conversationId, recordingId, status, reason, file: '', sizeBytes: 0, sha256: '', fromRetryBuffer };
}

/** Raises an alert when its condition is first found; a retry entry failing again raises none. */
function raise(
  ctx: RunContext,
  type: AlertType,
  conversationId: string,
  recordingId: string,
  message: string,
  fromRetry: boolean,
): void {
  if (!fromRetry) ctx.report.alert({ type, conversationId, recordingId, message });
}

async function parkConversation(
  ctx: RunContext,
  facts: ConversationFacts,
  origin: Origin,
  alert: AlertType | undefined,
  reason: string,
): Promise<void> {
  const fromRetry = origin.entry !== undefined;
  const entry: RetryCdr = { conversationId: facts.conversationId, conversationStart: isoUtc(facts.startMs) };
  if (origin.entry?.recordingId !== undefined) entry.recordingId = origin.entry.recordingId;
  await recordRetryFailure(ctx.paths, entry, reason, ctx.now());
  ctx.report.counts.failed += 1;
  ctx.firstFailure ||= !fromRetry;
  ctx.report.item(item(facts.conversationId, entry.recordingId ?? '', 'failed', alert ?? reason, fromRetry));
  if (alert !== undefined)
    raise(ctx, alert, facts.conversationId, entry.recordingId ?? '', reason, fromRetry);
  await recordSettled(ctx, facts, 'retry', []);
}

async function parkRecording(
  ctx: RunContext,
  facts: ConversationFacts,
  recordingId: string,
  origin: Origin,
  alert: AlertType | undefined,
  reason: string,
): Promise<void> {
  const fromRetry = origin.entry !== undefined;
  await recordRetryFailure(
    ctx.paths,
    { conversationId: facts.conversationId, recordingId, conversationStart: isoUtc(facts.startMs) },
    reason,
    ctx.now(),
  );
  ctx.report.counts.failed += 1;
  ctx.firstFailure ||= !fromRetry;
  ctx.report.item(item(facts.conversationId, recordingId, 'failed', alert ?? reason, fromRetry));
  if (alert !== undefined) raise(ctx, alert, facts.conversationId, recordingId, reason, fromRetry);
  // A per-conversation entry this attempt came from is replaced by the per-recording one.
  if (origin.entry !== undefined && origin.entry.recordingId === undefined) await dropEntry(ctx, origin);
}

async function ledgerLineFor(ctx: RunContext, cdr: ArchivedCdr): Promise<void> {
  const primary = cdr.media[0];
  if (primary === undefined) return;
  const folder = conversationFolder(
    ctx.config.archiveDir,
    ctx.config.timezone,
    Date.parse(cdr.conversationStart),
    cdr.conversationId,
  );
  const xml = await readFile(path.join(folder, cdrFileName(cdr.recordingId)));
  await ctx.ledger.append([
    {
      type: 'recording',
      conversationId: cdr.conversationId,
      recordingId: cdr.recordingId,
      conversationStart: cdr.conversationStart,
      file: path.relative(ctx.config.archiveDir, path.join(folder, primary.file)).split(path.sep).join('/'),
      sha256: primary.sha256,
      cdrSha256: createHash('sha256').update(xml).digest('hex'),
    },
  ]);
}

async function recordSettled(
  ctx: RunContext,
  facts: ConversationFacts,
  status: LedgerConversationStatus,
  recordingIds: string[],
): Promise<void> {
  await ctx.ledger.append([
    {
      type: 'conversation',
      conversationId: facts.conversationId,
      conversationStart: isoUtc(facts.startMs),
      status,
      recordingIds,
    },
  ]);
  await ctx.settled.add(facts.conversationId, facts.startMs, { status, recordingIds });
}

async function dropEntry(ctx: RunContext, origin: Origin): Promise<void> {
  if (origin.entry === undefined) return;
  await ctx.lock.assertHeld();
  await removeRetryEntry(ctx.paths, origin.entry.file);
}

async function dryRunConversation(
  ctx: RunContext,
  facts: ConversationFacts,
  kind: 'overMaxLength' | 'notRecorded' | 'ready',
): Promise<boolean> {
  if (kind === 'notRecorded') {
    ctx.report.counts.notRecorded += 1;
    return true;
  }
  const known = await ctx.settled.get(facts.conversationId, facts.startMs);
  if (known !== undefined && known.status !== 'notRecorded') {
    ctx.report.counts.alreadyArchived += Math.max(1, known.recordingIds.length);
    return true;
  }
  const result = await ctx.client.recordings.getRecordings(facts.conversationId, 'NONE', {
    signal: ctx.signal,
  });
  const recordings = result.transcoding
    ? []
    : result.recordings.filter((r) => recordingAction(r) !== 'skipNonAudio');
  for (const rec of recordings.length > 0 ? recordings : [{ id: '' }]) {
    ctx.report.counts.pending += 1;
    ctx.report.item(
      item(
        facts.conversationId,
        rec.id,
        'pending',
        kind === 'overMaxLength' ? 'dry run: over maximum length' : 'dry run: would be ingested',
        false,
      ),
    );
  }
  return true;
}
