/**
 * The bookkeeping of settling: report items and alerts, retry entries, ledger lines and the
 * settled index. Shared by the transcoded and the batch (ORIGINAL) paths.
 */
import { createHash } from 'node:crypto';
import path from 'node:path';
import type { ArchivedCdr, RetryCdr } from '../../archive/cdr.js';
import { cdrKey } from '../../archive/layout.js';
import { ArchiveObjectError } from '../../errors.js';
import type { LedgerConversationStatus } from '../../state/ledger.js';
import { recordRetryFailure, removeRetryEntry, type RetryEntry } from '../../state/retry-buffer.js';
import { isoUtc } from '../../util/time.js';
import type { RunContext } from '../run-context.js';
import type { ConversationFacts } from '../conversation-facts.js';
import type { AlertType, ItemStatus, ReportItem } from '../../state/report.js';

export interface Origin {
  /** The retry entry this attempt comes from, if any. */
  entry?: RetryEntry;
}

/** What became of a conversation's recordings in this attempt. */
export interface Tally {
  archived: string[];
  retry: boolean;
  /** A recording was refused (SPEC §4.3): the conversation's ledger line says `refused`. */
  refused?: boolean;
}

export function item(
  conversationId: string,
  recordingId: string,
  status: ItemStatus,
  reason: string,
  fromRetryBuffer: boolean,
): ReportItem {
  return { conversationId, recordingId, status, reason, file: '', sizeBytes: 0, sha256: '', fromRetryBuffer };
}

/** Raises an alert when its condition is first found; a retry entry failing again raises none. */
export function raise(
  ctx: RunContext,
  type: AlertType,
  conversationId: string,
  recordingId: string,
  message: string,
  fromRetry: boolean,
): void {
  if (!fromRetry) ctx.report.alert({ type, conversationId, recordingId, message });
}

export async function parkConversation(
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
  ctx.report.countFailure(fromRetry);
  ctx.report.item(item(facts.conversationId, entry.recordingId ?? '', 'failed', alert ?? reason, fromRetry));
  if (alert !== undefined)
    raise(ctx, alert, facts.conversationId, entry.recordingId ?? '', reason, fromRetry);
  await recordSettled(ctx, facts, 'retry', []);
}

export async function parkRecording(
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
  ctx.report.countFailure(fromRetry);
  ctx.report.item(item(facts.conversationId, recordingId, 'failed', alert ?? reason, fromRetry));
  if (alert !== undefined) raise(ctx, alert, facts.conversationId, recordingId, reason, fromRetry);
  // A per-conversation entry this attempt came from stays until `closeConversation` (SPEC §3.3):
  // dropped here, a run stopped before the conversation's other recordings settle would lose them.
}

/**
 * The archive holds the recording but the settled index did not know its conversation: a run may
 * have stopped between the CDR and its ledger line. Appending the line again is harmless; missing
 * it is not.
 */
export async function ledgerLineFor(ctx: RunContext, cdr: ArchivedCdr): Promise<void> {
  const key = cdrKeyOf(ctx, cdr);
  const bytes = await ctx.archive.readCdrBytes(key, ctx.signal);
  if (bytes === undefined)
    throw new ArchiveObjectError('archive.cdrVanished', `${key} vanished while it was being read`);
  await appendRecordingLine(ctx, cdr, bytes);
}

function cdrKeyOf(
  ctx: RunContext,
  cdr: Pick<ArchivedCdr, 'conversationStart' | 'conversationId' | 'recordingId'>,
): string {
  return cdrKey(ctx.config.timezone, Date.parse(cdr.conversationStart), cdr.conversationId, cdr.recordingId);
}

/**
 * The ledger's line for an archived recording, from its CDR and the CDR's exact bytes: written when
 * it is archived, when a delete rewrites the CDR (the last line for a recording wins), and when a
 * crash left the line out. Returns the media path relative to the archive root.
 */
export async function appendRecordingLine(
  ctx: RunContext,
  cdr: ArchivedCdr,
  xml: string | Buffer,
): Promise<string> {
  const primary = cdr.media[0];
  if (primary === undefined) return '';
  const file = `${path.posix.dirname(cdrKeyOf(ctx, cdr))}/${primary.file}`;
  await ctx.ledger.append([
    {
      type: 'recording',
      conversationId: cdr.conversationId,
      recordingId: cdr.recordingId,
      conversationStart: cdr.conversationStart,
      file,
      sha256: primary.sha256,
      cdrSha256: createHash('sha256').update(xml).digest('hex'),
    },
  ]);
  await ctx.archived.add(cdr.recordingId, Date.parse(cdr.conversationStart), file);
  return file;
}

export async function recordSettled(
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

export async function dropEntry(ctx: RunContext, origin: Origin): Promise<void> {
  if (origin.entry === undefined) return;
  await ctx.lock.assertHeld();
  await removeRetryEntry(ctx.paths, origin.entry.file);
}

/**
 * Ends a conversation's attempt once every listed recording is archived, settled or parked: its
 * ledger line, then its retry entry removed unless that same entry was just kept for a recording.
 * A per-conversation entry goes here and only here: each recording still failing has an entry of
 * its own by now (SPEC §3.3).
 */
export async function closeConversation(
  ctx: RunContext,
  facts: ConversationFacts,
  origin: Origin,
  tally: Tally,
): Promise<void> {
  const status: LedgerConversationStatus = tally.retry
    ? 'retry'
    : tally.refused === true
      ? 'refused'
      : tally.archived.length > 0
        ? 'archived'
        : 'gone';
  await recordSettled(ctx, facts, status, tally.archived);
  const keptForItsRecording = tally.retry && origin.entry?.recordingId !== undefined;
  if (!keptForItsRecording) await dropEntry(ctx, origin);
}
