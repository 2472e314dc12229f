/**
 * The discovery phase of a run: from the frontier when one was saved with this cursor (newest-first,
 * cost proportional to new conversations), else window by window from the cursor, oldest first
 * (SPEC §4.1). Every conversation found is registered with the durable prefix and settled in the
 * pool; the cursor is saved as the prefix grows.
 */
import type { Position } from '../../state/position.js';
import { isoUtc } from '../../util/time.js';
import type { RunContext } from '../run-context.js';
import { settleConversation } from '../settle/conversation.js';
import { listWindowAsync } from './async-listing.js';
import { listWindowSync, type ListingEvents } from './sync-listing.js';
import { conversationFacts, participantUserIds, type ConversationFacts } from '../conversation-facts.js';
import type { AnalyticsConversation } from '../../genesys/index.js';
import { frontierServes, listSinceFrontier, rereadPending } from './frontier.js';
import { loadFrontier, type Frontier } from '../../state/frontier-file.js';
import type { WorkPool } from '../../util/work-pool.js';
import type { CursorKeeper } from './cursor-keeper.js';
import { refuseConversation } from '../settle/refuse.js';
import { planWindows } from './windows.js';

export interface DiscoveryDeps {
  ctx: RunContext;
  /** The cursor: every conversation found is registered with it, and it moves as they settle. */
  cursor: CursorKeeper;
  pool: WorkPool;
  /** Work to do after each batch has settled (deletes). */
  afterBatch(): Promise<void>;
}

/** Returns up to where listing is complete (for the next frontier), or undefined when it stopped short. */
export async function discover(
  deps: DiscoveryDeps,
  start: Position,
  windowEnd: number,
): Promise<number | undefined> {
  const { ctx } = deps;
  const frontier = await loadFrontier(ctx.paths.workDir, start);
  if (frontier !== undefined && frontierServes(frontier, windowEnd, ctx.now())) {
    const outcome = await fromFrontier(deps, frontier, windowEnd);
    if (outcome === 'done') return windowEnd;
    if (outcome === 'stopped') return undefined;
    ctx.events.debug('the frontier could not serve this run; listing from the cursor');
  }
  return fromCursor(deps, windowEnd);
}

/**
 * One bulk users call for a page of conversations, so the CDRs of the whole page are built from the
 * cache: user lookups cost one request per 100 new users, not one per conversation. A failure here
 * is harmless (each conversation looks its users up again, and media never waits for them).
 */
export async function prefetchUsers(
  ctx: RunContext,
  conversations: readonly AnalyticsConversation[],
): Promise<void> {
  if (ctx.dryRun) return;
  // Only conversations that will be ingested now: a re-listed, settled one costs no request at all.
  const wanted: AnalyticsConversation[] = [];
  for (const conv of conversations) {
    const facts = conversationFacts(conv);
    if (facts === undefined || !facts.due || facts.endMs === undefined) continue;
    if ((await ctx.settled.get(facts.conversationId, facts.startMs)) === undefined) wanted.push(conv);
  }
  const ids = [...new Set(wanted.flatMap((c) => participantUserIds(c)))];
  if (ids.length === 0) return;
  await ctx.client.users.getUsers(ids, { signal: ctx.signal }).catch(() => undefined);
}

async function submit(deps: DiscoveryDeps, facts: ConversationFacts): Promise<void> {
  deps.ctx.report.count('discovered');
  deps.cursor.listed({ startMs: facts.startMs, conversationId: facts.conversationId });
  await deps.pool.submit(async () => {
    if (await settleConversation(deps.ctx, facts)) await deps.cursor.settled(facts.conversationId);
  });
}

async function fromFrontier(
  deps: DiscoveryDeps,
  frontier: Frontier,
  windowEnd: number,
): Promise<'done' | 'stopped' | 'capped'> {
  const { ctx, cursor, pool } = deps;
  const fresh = await listSinceFrontier(ctx, frontier.listedUpTo, windowEnd);
  if (fresh === 'capped') return 'capped';
  const { found } = await rereadPending(ctx, frontier.pending);
  await prefetchUsers(
    ctx,
    [...found, ...fresh].map((f) => f.raw),
  );
  // Every pending conversation holds the cursor until it settles in this run, including one analytics
  // no longer returns (never assume it settled); all are registered before any settles.
  for (const position of frontier.pending) cursor.listed(position);
  // Everything else behind listedUpTo settled in earlier runs: the cursor may move up to the newest
  // of those before each pending one, once that one settles (SPEC §3.2).
  for (const position of frontier.settled ?? []) cursor.settledEarlier(position);
  const before = ctx.report.counts.discovered;
  for (const facts of [...found, ...fresh]) {
    if (ctx.stop.aborted) break;
    await submit(deps, facts);
  }
  ctx.events.windowListed({
    fromMs: frontier.listedUpTo,
    toMs: windowEnd,
    mode: 'frontier',
    conversations: ctx.report.counts.discovered - before,
  });
  await pool.drain();
  await deps.afterBatch();
  if (ctx.stop.aborted) return 'stopped';
  await cursor.listedUpTo({ startMs: windowEnd, conversationId: '' });
  return 'done';
}

const DAY_MS = 86_400_000;

async function fromCursor(deps: DiscoveryDeps, windowEnd: number): Promise<number | undefined> {
  const { ctx, cursor, pool } = deps;
  const queue = planWindows(cursor.position.startMs, windowEnd, ctx.now());
  const events: ListingEvents = {
    onConversation: (facts) => submit(deps, facts),
    onListed: (facts) => cursor.listed({ startMs: facts.startMs, conversationId: facts.conversationId }),
    onProgress: (complete) => cursor.listedUpTo(complete),
    onPage: (conversations) => prefetchUsers(ctx, conversations),
    onRefused: (refusal) => refuseConversation(ctx, refusal),
  };
  for (let window = queue.shift(); window !== undefined; window = queue.shift()) {
    if (ctx.stop.aborted) return undefined;
    const before = ctx.report.counts.discovered;
    let result =
      window.mode === 'sync' ? await listWindowSync(ctx, window, cursor.position, events) : 'async';
    if (result === 'capped') {
      // Under the whole-day rule only a window of one UTC day cannot be split further.
      const nextDay = Math.floor(window.fromMs / DAY_MS) * DAY_MS + DAY_MS;
      if (nextDay < window.toMs) {
        queue.unshift({ ...window, toMs: nextDay }, { ...window, fromMs: nextDay });
        continue;
      }
      result = 'async';
    }
    const listedBy = result === 'async' ? 'async' : 'sync';
    if (result === 'async') {
      const outcome = await listWindowAsync(ctx, window, cursor.position, events);
      if (outcome === 'unavailable') {
        ctx.report.alert({
          type: 'discoveryCapped',
          conversationId: '',
          recordingId: '',
          message: `the conversations from ${isoUtc(window.fromMs)} to ${isoUtc(window.toMs)} need an asynchronous analytics job, whose data is not available yet; the cursor waits here`,
        });
        await pool.drain();
        return undefined;
      }
      result = outcome;
    }
    if (result === 'complete')
      ctx.events.windowListed({
        fromMs: window.fromMs,
        toMs: window.toMs,
        mode: listedBy,
        conversations: ctx.report.counts.discovered - before,
      });
    await pool.drain();
    await deps.afterBatch();
    await cursor.listedUpTo(
      result === 'complete' ? { startMs: window.toMs, conversationId: '' } : cursor.position,
    );
    if (result !== 'complete') return undefined;
  }
  return ctx.stop.aborted ? undefined : windowEnd;
}
