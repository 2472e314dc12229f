/**
 * The listing frontier (SPEC §4.1). Under the literal whole-day rule, listing from the cursor on a
 * busy day returns the whole day, every run. The frontier remembers, next to the cursor it was
 * saved with, up to where listing was complete and which conversations behind that are still
 * pending. The next run re-reads the pending ones by id and lists newest-first from the window end
 * down to the frontier, so it costs requests in proportion to the new conversations.
 */
import type { AnalyticsConversation, ConversationQuery } from '../../genesys/index.js';
import { type Position } from '../../state/position.js';
import type { RunContext } from '../run-context.js';
import { PAGE_SIZE, VOICE_FILTER } from './sync-listing.js';
import { isRefused, readConversation, type ConversationFacts } from '../conversation-facts.js';
import { refuseConversation } from '../settle/refuse.js';
import { intervalString, MAX_WINDOW_MS, syncHorizon } from './windows.js';

import type { Frontier } from '../../state/frontier-file.js';

/** Whether newest-first listing from the frontier can serve the span up to `windowEnd`. */
export function frontierServes(frontier: Frontier, windowEnd: number, nowMs: number): boolean {
  return (
    frontier.listedUpTo <= windowEnd &&
    windowEnd - frontier.listedUpTo <= MAX_WINDOW_MS &&
    frontier.listedUpTo >= syncHorizon(nowMs)
  );
}

/**
 * Lists, newest first, the conversations that started in [listedUpTo, windowEnd); returns them
 * oldest first, or 'capped' when more than the synchronous query can page through.
 */
export async function listSinceFrontier(
  ctx: RunContext,
  listedUpTo: number,
  windowEnd: number,
): Promise<ConversationFacts[] | 'capped'> {
  if (windowEnd <= listedUpTo) return [];
  const query: ConversationQuery = {
    interval: intervalString(listedUpTo, windowEnd),
    order: 'desc',
    orderBy: 'conversationStart',
    segmentFilters: VOICE_FILTER,
  };
  const found = new Map<string, ConversationFacts>();
  for await (const page of ctx.client.analytics.pageDetails(query, {
    pageSize: PAGE_SIZE,
    signal: ctx.signal,
  })) {
    let reachedOld = false;
    for (const conv of page.conversations) {
      const facts = readConversation(conv);
      if (facts.startMs !== undefined && facts.startMs < listedUpTo) reachedOld = true;
      else if (isRefused(facts)) {
        if (facts.startMs === undefined || facts.startMs < windowEnd) await refuseConversation(ctx, facts);
      } else if (facts.startMs < windowEnd) found.set(facts.conversationId, facts);
    }
    // Pages are newest first: once one reaches back past the frontier, everything newer was seen.
    if (reachedOld) break;
    if (page.pageNumber * page.pageSize >= ctx.syncResultCap && page.conversations.length === page.pageSize)
      return 'capped';
  }
  return [...found.values()].sort(
    (a, b) => a.startMs - b.startMs || (a.conversationId < b.conversationId ? -1 : 1),
  );
}

/** Re-reads the frontier's pending conversations by id (100 per request). */
export async function rereadPending(
  ctx: RunContext,
  pending: Position[],
): Promise<{ found: ConversationFacts[]; missing: Position[] }> {
  if (pending.length === 0) return { found: [], missing: [] };
  const conversations: AnalyticsConversation[] = await ctx.client.analytics.getDetailsByIds(
    pending.map((p) => p.conversationId),
    { signal: ctx.signal },
  );
  const byId = new Map<string, ConversationFacts>();
  const refused = new Set<string>();
  for (const conv of conversations) {
    const facts = readConversation(conv);
    if (!isRefused(facts)) byId.set(facts.conversationId, facts);
    else if (pending.some((p) => p.conversationId === facts.conversationId)) {
      // Pending before, unreadable now: refused, so it no longer holds the cursor.
      await refuseConversation(ctx, facts);
      refused.add(facts.conversationId);
    }
  }
  return {
    found: pending.flatMap((p) => byId.get(p.conversationId) ?? []),
    missing: pending.filter((p) => !byId.has(p.conversationId) && !refused.has(p.conversationId)),
  };
}
