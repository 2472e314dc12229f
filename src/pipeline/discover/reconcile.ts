/**
 * Late data (SPEC §4.1): analytics can surface a conversation after its window was listed. Once per
 * UTC day, `run` re-lists with an asynchronous job the latest UTC day that ended at least
 * `reconcileAfterHours` ago; a conversation there that the ledger does not know is settled now, and
 * a due one raises `lateDiscovered`. The day done is remembered in `work/<p_s>/reconcile.json`.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '../../util/atomic.js';
import type { Position } from '../../state/position.js';
import { isoUtc } from '../../util/time.js';
import { listWindowAsync } from './async-listing.js';
import type { RunContext } from '../run-context.js';
import { settleConversation } from '../settle/conversation.js';
import type { WorkPool } from '../../util/work-pool.js';
import { refuseConversation } from '../settle/refuse.js';

const DAY_MS = 86_400_000;

interface ReconcileState {
  lastDay: string;
}

/** The UTC day to reconcile at `nowMs`, as [start, end). */
export function reconcileDay(nowMs: number, afterHours: number): { fromMs: number; toMs: number } {
  const toMs = Math.floor((nowMs - afterHours * 3_600_000) / DAY_MS) * DAY_MS;
  return { fromMs: toMs - DAY_MS, toMs };
}

async function lastDone(file: string): Promise<string | undefined> {
  try {
    const state = JSON.parse(await fs.readFile(file, 'utf8')) as ReconcileState;
    return typeof state.lastDay === 'string' ? state.lastDay : undefined;
  } catch {
    return undefined;
  }
}

export async function reconcileLateData(ctx: RunContext, pool: WorkPool, cursor: Position): Promise<void> {
  const hours = ctx.config.reconcileAfterHours;
  if (ctx.command !== 'run' || ctx.dryRun || hours === 0 || ctx.stop.aborted) return;
  const day = reconcileDay(ctx.now(), hours);
  const name = isoUtc(day.fromMs).slice(0, 10);
  const file = path.join(ctx.paths.workDir, 'reconcile.json');
  const done = await lastDone(file);
  // Only a day the cursor has passed and the import covers: anything later is still listed normally.
  if (
    (done !== undefined && done >= name) ||
    day.toMs > cursor.startMs ||
    day.toMs <= ctx.config.recordingStartTimestamp
  )
    return;
  let late = 0;
  const result = await listWindowAsync(
    ctx,
    { fromMs: day.fromMs, toMs: day.toMs, mode: 'async' },
    { startMs: Math.max(day.fromMs, ctx.config.recordingStartTimestamp) - 1, conversationId: '' },
    {
      onConversation: async (facts) => {
        if ((await ctx.settled.get(facts.conversationId, facts.startMs)) !== undefined) return;
        late += 1;
        await pool.submit(async () => {
          const before = ctx.report.counts.ingested + ctx.report.counts.failed;
          await settleConversation(ctx, facts);
          if (facts.due) {
            const outcome =
              ctx.report.counts.ingested + ctx.report.counts.failed > before
                ? 'ingested or parked in the retry buffer'
                : 'settled';
            ctx.report.alert({
              type: 'lateDiscovered',
              conversationId: facts.conversationId,
              recordingId: '',
              message: `surfaced in analytics after its window was listed; ${outcome}`,
            });
          }
        });
      },
      onProgress: () => Promise.resolve(),
      onRefused: (refusal) => refuseConversation(ctx, refusal),
    },
  );
  await pool.drain();
  // Not available yet (the data lake lags), or stopped: try again in a later run.
  if (result === 'complete') {
    ctx.events.windowListed({ ...day, mode: 'reconcile', conversations: late });
    await writeFileAtomic(file, `${JSON.stringify({ lastDay: name } satisfies ReconcileState)}\n`);
  }
}
