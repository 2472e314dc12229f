/**
 * The listing frontier (SPEC §4.1). Under the literal whole-day rule, listing from the cursor on a
 * busy day returns the whole day, every run. The frontier remembers, next to the cursor it was
 * saved with, up to where listing was complete and which conversations behind that are still
 * pending. The next run re-reads the pending ones by id and lists newest-first from the window end
 * down to the frontier, so it costs requests in proportion to the new conversations.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { AnalyticsConversation, ConversationQuery } from '../genesys/index.js';
import { writeFileAtomic } from '../state/atomic.js';
import { comparePositions, type Position } from '../state/position.js';
import { isGenesysId } from '../util/ids.js';
import type { RunContext } from './context.js';
import { PAGE_SIZE, VOICE_FILTER } from './discovery.js';
import { isRefused, readConversation, type ConversationFacts } from './facts.js';
import { refuseConversation } from './refuse.js';
import { intervalString, MAX_WINDOW_MS, syncHorizon } from './windows.js';

export interface Frontier {
  version: 1;
  /** The cursor saved together with this frontier; any other cursor (a rewind) voids it. */
  base: Position;
  /** Everything that started before this was listed completely. */
  listedUpTo: number;
  /** Listed but not settled when it was saved; they hold the cursor. */
  pending: Position[];
  /**
   * For each pending one, the newest position settled before it: where the cursor may go once
   * everything before it has settled (SPEC §3.2). Absent in frontiers saved by older versions.
   */
  settled?: Position[];
}

function fileOf(workDir: string): string {
  return path.join(workDir, 'frontier.json');
}

function isPosition(value: unknown): value is Position {
  const p = value as Position | undefined;
  return (
    typeof p?.startMs === 'number' &&
    Number.isFinite(p.startMs) &&
    typeof p.conversationId === 'string' &&
    (p.conversationId === '' || isGenesysId(p.conversationId))
  );
}

/** The frontier, if there is a readable one saved with exactly `cursor`. */
export async function loadFrontier(workDir: string, cursor: Position): Promise<Frontier | undefined> {
  let value: Frontier;
  try {
    value = JSON.parse(await fs.readFile(fileOf(workDir), 'utf8')) as Frontier;
  } catch {
    return undefined; // absent or unreadable: list from the cursor, which is always correct
  }
  if (
    value.version !== 1 ||
    !isPosition(value.base) ||
    typeof value.listedUpTo !== 'number' ||
    !Array.isArray(value.pending) ||
    !value.pending.every(isPosition) ||
    (value.settled !== undefined && !(Array.isArray(value.settled) && value.settled.every(isPosition)))
  )
    return undefined;
  return comparePositions(value.base, cursor) === 0 ? value : undefined;
}

export async function saveFrontier(workDir: string, frontier: Frontier): Promise<void> {
  await writeFileAtomic(fileOf(workDir), `${JSON.stringify(frontier)}\n`);
}

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
