/**
 * The retry batch (SPEC §3.3): invalid files are moved to `rejected/`, entries older than
 * `retryMaxAgeDays` to `dead/`, then up to `retryBatchSize` entries, least recently attempted first,
 * are re-read from Genesys and settled like newly listed conversations.
 */
import type { RetryCdr } from '../../archive/cdr.js';
import {
  moveExpiredToDead,
  quarantineInvalid,
  recordRetryFailure,
  selectRetryBatch,
  type RetryListing,
} from '../../state/retry-buffer.js';
import type { RunContext } from '../run-context.js';
import { isItemFailure, reasonOf } from '../failures.js';
import { settleConversation } from './conversation.js';
import { dryRunRetryBatch } from './dry-run.js';
import { conversationFacts } from '../conversation-facts.js';
import type { WorkPool } from '../../util/work-pool.js';

export async function runRetryBatch(ctx: RunContext, listing: RetryListing, pool: WorkPool): Promise<void> {
  // A dry run lists the batch it would take and the files it would move aside, touching none.
  if (ctx.dryRun) return dryRunRetryBatch(ctx, listing);
  // Moving entries out of the buffer is a commit point: only while the lock is still ours.
  if (listing.invalid.length > 0 || listing.entries.length > 0) await ctx.lock.assertHeld();
  for (const moved of await quarantineInvalid(ctx.paths, listing.invalid)) {
    ctx.report.alert({
      type: 'rejectedRetryFile',
      conversationId: '',
      recordingId: '',
      message: `${moved.file} is not a valid retry entry (${moved.reason}); moved to ${moved.movedTo}`,
    });
  }
  const dead = await moveExpiredToDead(ctx.paths, listing.entries, ctx.config.retryMaxAgeDays, ctx.now());
  for (const entry of dead) {
    ctx.report.alert({
      type: 'retryExhausted',
      conversationId: entry.conversationId,
      recordingId: entry.recordingId ?? '',
      message: `failing for more than ${ctx.config.retryMaxAgeDays} days; moved to dead/ (${entry.lastError ?? 'no error recorded'})`,
    });
  }
  const deadFiles = new Set(dead.map((e) => e.file));
  const batch = selectRetryBatch(
    listing.entries.filter((e) => !deadFiles.has(e.file)),
    ctx.config.retryBatchSize,
  );
  if (batch.length === 0) return;
  // A per-conversation entry's attempt covers its recordings' own entries (it updates them when a
  // recording fails again): trying those too would fetch the same recording twice at once.
  const whole = new Set(batch.filter((e) => e.recordingId === undefined).map((e) => e.conversationId));
  const attempts = batch.filter((e) => e.recordingId === undefined || !whole.has(e.conversationId));
  const conversations = await ctx.client.analytics.getDetailsByIds(
    [...new Set(attempts.map((e) => e.conversationId))],
    { signal: ctx.signal },
  );
  const byId = new Map(conversations.map((c) => [c.conversationId.toLowerCase(), c]));
  for (const entry of attempts) {
    if (ctx.stop.aborted) return;
    ctx.report.count('retried');
    await pool.submit(async () => {
      const conv = byId.get(entry.conversationId);
      const facts = conv === undefined ? undefined : conversationFacts(conv);
      if (facts === undefined) {
        const again: RetryCdr = { conversationId: entry.conversationId };
        if (entry.recordingId !== undefined) again.recordingId = entry.recordingId;
        if (entry.conversationStart !== undefined) again.conversationStart = entry.conversationStart;
        await recordRetryFailure(
          ctx.paths,
          again,
          'analytics does not know this conversation (yet)',
          ctx.now(),
        );
        ctx.report.countFailure(true);
        ctx.report.item({
          conversationId: entry.conversationId,
          recordingId: entry.recordingId ?? '',
          status: 'failed',
          reason: 'not found in analytics',
          file: '',
          sizeBytes: 0,
          sha256: '',
          fromRetryBuffer: true,
        });
        return;
      }
      try {
        await settleConversation(ctx, facts, { entry });
      } catch (error) {
        if (!isItemFailure(error)) throw error;
        ctx.events.debug(`retry of ${entry.file} failed: ${reasonOf(error)}`);
      }
    });
  }
}
