/**
 * Delete after ingest (SPEC §4.5). The intent is journaled under `work/<p_s>/deletes/` before the
 * call and cleared once done; each run works through the journal first. Right before the call the
 * archived media is re-read and must match its CDR, and deletion protection is looked up. The
 * recording's current `deleteDate` is then read from Genesys (never the one it had at archiving:
 * it may have been set sooner since, while protected or before a crash) and the call sets
 * `deleteDate` to the earlier of that and now + deleteGraceHours; a later date is never sent.
 */
import path from 'node:path';
import { buildArchivedCdrXml, type ArchivedCdr } from '../../archive/cdr.js';
import { cdrKey } from '../../archive/layout.js';
import { StorageError } from '../../errors.js';
import { GenesysApiError } from '../../genesys/index.js';
import { isoUtc } from '../../util/time.js';
import { type RunContext } from '../run-context.js';
import { isItemFailure, reasonOf } from '../failures.js';
import { appendRecordingLine } from './records.js';

import { DeleteJournal, type DeleteIntent } from '../../state/delete-journal.js';

const BATCH = 100;

/**
 * The archived CDR, when every media object it names still matches it: size and SHA-256 as the
 * archive target vouches for them (the filesystem re-reads the file; a store answers a HEAD with
 * the object's size and `sha256` metadata, SPEC §7).
 */
async function verifiedCdr(
  ctx: RunContext,
  intent: DeleteIntent,
): Promise<{ cdr: ArchivedCdr; key: string } | string> {
  const key = cdrKey(
    ctx.config.timezone,
    Date.parse(intent.conversationStart),
    intent.conversationId,
    intent.recordingId,
  );
  const folder = path.posix.dirname(key);
  let cdr: ArchivedCdr;
  try {
    const parsed = await ctx.archive.readCdr(key, ctx.signal);
    if (parsed === undefined) return 'its CDR cannot be read (ENOENT: it is not in the archive)';
    if (parsed.kind !== 'archived') return 'its CDR is not an archived CDR';
    cdr = parsed.cdr;
  } catch (error) {
    if (error instanceof StorageError) throw error;
    return `its CDR cannot be read (${reasonOf(error)})`;
  }
  for (const media of cdr.media) {
    let actual;
    try {
      actual = await ctx.archive.head(`${folder}/${media.file}`, ctx.signal);
    } catch (error) {
      if (error instanceof StorageError) throw error;
      actual = undefined;
    }
    if (actual === undefined) return `${media.file} is missing or unreadable`;
    if (actual.sha256 !== media.sha256 || actual.size !== media.sizeBytes)
      return `${media.file} does not match the SHA-256 in its CDR`;
  }
  return { cdr, key };
}

/** Carries out `intents` (journal first, then those archived in this run). */
export async function processDeletes(
  ctx: RunContext,
  journal: DeleteJournal,
  intents: DeleteIntent[],
): Promise<void> {
  for (let i = 0; i < intents.length && !ctx.stop.aborted; i += BATCH) {
    const batch = intents.slice(i, i + BATCH);
    const protectedIds = await ctx.client.recordings.getProtectedConversations(
      [...new Set(batch.map((b) => b.conversationId))],
      { signal: ctx.signal },
    );
    for (const intent of batch) {
      if (ctx.stop.aborted) return;
      await deleteOne(ctx, journal, intent, protectedIds.has(intent.conversationId));
    }
  }
}

async function deleteOne(
  ctx: RunContext,
  journal: DeleteJournal,
  intent: DeleteIntent,
  isProtected: boolean,
): Promise<void> {
  const { report } = ctx;
  if (isProtected) {
    if (intent.protectedAlerted !== true) {
      report.alert({
        type: 'deleteProtected',
        conversationId: intent.conversationId,
        recordingId: intent.recordingId,
        message:
          'under deletion protection (legal hold); kept in the delete journal and checked again each run',
      });
      await journal.write({ ...intent, protectedAlerted: true });
    }
    return;
  }
  const checked = await verifiedCdr(ctx, intent);
  if (typeof checked === 'string') {
    await deleteFailed(ctx, journal, intent, `not deleted: the archived copy cannot be verified: ${checked}`);
    return;
  }
  let deleteDate: string;
  try {
    const plan = await planDelete(ctx, intent);
    deleteDate = plan.deleteDate;
    await ctx.lock.assertHeld();
    ctx.events.reached('before-delete-call');
    if (plan.call) {
      await ctx.client.recordings.updateRetention(
        intent.conversationId,
        intent.recordingId,
        { deleteDate },
        { signal: ctx.signal },
      );
    }
  } catch (error) {
    if (error instanceof GenesysApiError && error.status === 404) {
      // Already gone in Genesys: the delete is done.
      deleteDate = isoUtc(graceEndOf(ctx));
    } else if (isItemFailure(error)) {
      await deleteFailed(ctx, journal, intent, `the delete call failed: ${reasonOf(error)}`);
      return;
    } else {
      throw error;
    }
  }
  const cdr: ArchivedCdr = { ...checked.cdr, deleteRequested: { at: isoUtc(ctx.now()), deleteDate } };
  const xml = buildArchivedCdrXml(cdr);
  await ctx.archive.putCdr(checked.key, xml, ctx.signal);
  await appendRecordingLine(ctx, cdr, xml);
  const primary = cdr.media[0]!;
  await journal.clear(intent);
  report.count('deleted');
  report.item({
    conversationId: intent.conversationId,
    recordingId: intent.recordingId,
    status: 'deleted',
    reason: `deleteDate ${deleteDate}`,
    file: primary.file,
    sizeBytes: primary.sizeBytes,
    sha256: primary.sha256,
    fromRetryBuffer: false,
  });
}

function graceEndOf(ctx: RunContext): number {
  return ctx.now() + ctx.config.deleteGraceHours * 3_600_000;
}

/**
 * The deleteDate to ask for: the earlier of the recording's current one, read from Genesys now, and
 * now + deleteGraceHours. When the current one is already that early or earlier, no call is made
 * and the delete counts as done: Genesys deletes the recording by then anyway, and a PUT repeating
 * a date could only ever lose a still sooner one set between this read and the call.
 */
async function planDelete(
  ctx: RunContext,
  intent: DeleteIntent,
): Promise<{ deleteDate: string; call: boolean }> {
  const { conversationId, recordingId } = intent;
  const metadata = await ctx.client.recordings.getRecordingMetadata(conversationId, recordingId, {
    signal: ctx.signal,
  });
  const graceEnd = graceEndOf(ctx);
  const current = metadata?.deleteDate === undefined ? Number.NaN : Date.parse(metadata.deleteDate);
  if (Number.isFinite(current) && current <= graceEnd) return { deleteDate: isoUtc(current), call: false };
  return { deleteDate: isoUtc(graceEnd), call: true };
}

async function deleteFailed(
  ctx: RunContext,
  journal: DeleteJournal,
  intent: DeleteIntent,
  message: string,
): Promise<void> {
  if (intent.failedAlerted === true) return;
  ctx.report.alert({
    type: 'deleteFailed',
    conversationId: intent.conversationId,
    recordingId: intent.recordingId,
    message: `${message}; kept in the delete journal and tried again in later runs`,
  });
  await journal.write({ ...intent, failedAlerted: true });
}
