/**
 * Recordings archived in Genesys (SPEC §8.3). With `restoreArchived`, an ARCHIVED recording gets one
 * restore request — `PUT …/recordings/{id}` with `archiveDate` = now + `restoreDays` — and waits in
 * the retry buffer, its entry marked with when the request went out, until a later run finds it
 * `RESTORED` and archives it like any other. No alert: nothing is asked of the operator. A
 * `RESTORING` recording waits the same way, with or without the setting (a restore takes hours;
 * polling it for two minutes in a run would only cost time).
 *
 * Genesys facts (research/genesys-api.md §7, §10; help.mypurecloud.com "Interaction storage": a
 * retrieval of an archived recording "can take several hours"): the `fileState` values ARCHIVED,
 * RESTORING and RESTORED are in the published Recording model, and the PUT's description says that
 * changing the archive date of an archived recording starts a restoration. UNCONFIRMED: that the
 * restored copy stays until the `archiveDate` sent (the model's `restoreExpirationTime` may say
 * otherwise), how long RESTORING lasts, and whether the permission `recording:recording:restore` is
 * needed besides `editRetention` (the simulator asks for both).
 */
import { recordRetryFailure, restoreRequestedAtOf } from '../../state/retry-buffer.js';
import { isoUtc } from '../../util/time.js';
import type { ConversationFacts } from '../conversation-facts.js';
import { isItemFailure, reasonOf } from '../failures.js';
import type { RunContext } from '../run-context.js';
import { item, parkRecording, type Origin } from './records.js';
import { restoreDue } from './rules.js';

/** The report item's reason for a recording waiting on a restore in Genesys. */
export const RESTORING_REASON = 'restoring';

const DAY_MS = 86_400_000;

/**
 * Settles a recording that Genesys holds in its archive (`archived`, with `restoreArchived`) or is
 * restoring (`restoring`): a restore request when one is due, then the retry buffer, no alert.
 */
export async function settleArchivedRecording(
  ctx: RunContext,
  facts: ConversationFacts,
  recordingId: string,
  origin: Origin,
  state: 'archived' | 'restoring',
): Promise<void> {
  const conversationId = facts.conversationId;
  let requested = false;
  let why = 'Genesys is restoring it from its archive';
  if (state === 'archived') {
    const mark = await restoreRequestedAtOf(ctx.paths, conversationId, recordingId);
    const now = ctx.now();
    if (restoreDue(mark, now, ctx.config.restoreDays)) {
      const until = isoUtc(now + ctx.config.restoreDays * DAY_MS);
      try {
        // A request changes Genesys' state: only while this run still holds the lock (SPEC §3.1).
        await ctx.lock.assertHeld();
        await ctx.client.recordings.updateRetention(
          conversationId,
          recordingId,
          { archiveDate: until },
          { signal: ctx.signal },
        );
      } catch (error) {
        if (!isItemFailure(error) || ctx.signal.aborted) throw error;
        // Genesys refused this one (a limit on restorations, say): as without the setting.
        await parkRecording(
          ctx,
          facts,
          recordingId,
          origin,
          'archivedInGenesys',
          `archived in Genesys and the restore request failed (${reasonOf(error)}); restore it there; in the retry buffer`,
        );
        return;
      }
      ctx.report.count('restoreRequested');
      requested = true;
      why = `archived in Genesys; restore requested, available until ${until}`;
    } else {
      why = `archived in Genesys; restore requested at ${mark}, not asked again before restoreDays (${ctx.config.restoreDays}) have passed`;
    }
  }
  const fromRetry = origin.entry !== undefined;
  await recordRetryFailure(
    ctx.paths,
    { conversationId, recordingId, conversationStart: isoUtc(facts.startMs) },
    why,
    ctx.now(),
    { restoreRequested: requested },
  );
  ctx.report.countFailure(fromRetry);
  ctx.report.item(item(conversationId, recordingId, 'failed', RESTORING_REASON, fromRetry));
}
