/**
 * Lists a window's conversations with the synchronous details query, oldest first (SPEC §4.1), and
 * hands each one to `onConversation`. Under the literal whole-day rule the query returns every
 * conversation that started on a touched UTC day, so start times are filtered here. The cursor may
 * only move to positions strictly earlier than the newest start received so far, and when
 * `totalHits` changes between pages the window is listed again before it moves.
 */
import type { AnalyticsConversation, ConversationQuery, QueryFilter } from '../../genesys/index.js';
import type { Position } from '../../state/position.js';
import type { RunContext } from '../run-context.js';
import {
  isRefused,
  readConversation,
  type ConversationFacts,
  type RefusedConversation,
} from '../conversation-facts.js';
import { completeBefore } from './durable-prefix.js';
import { intervalString, type QueryWindow } from './windows.js';

export const PAGE_SIZE = 100;
const MAX_RELISTS = 3;

/** Only voice conversations; never filtered on end or recording, which would hide live ones. */
export const VOICE_FILTER: QueryFilter[] = [
  { type: 'and', predicates: [{ type: 'dimension', dimension: 'mediaType', value: 'voice' }] },
];

export interface ListingEvents {
  /** A conversation in the window, after the cursor. */
  onConversation(facts: ConversationFacts): Promise<void>;
  /**
   * Everything up to `complete` has been listed: handed over, or registered with `onListed` (so the
   * cursor cannot pass it before it settles).
   */
  onProgress(complete: Position): Promise<void>;
  /** A conversation about to be handed over, registered with the durable prefix ahead of time. */
  onListed?(facts: ConversationFacts): void;
  /**
   * A conversation whose data breaks the model (SPEC §4.3), in the window or with no readable start;
   * refused before the cursor moves past it.
   */
  onRefused(refusal: RefusedConversation): Promise<void>;
  /** A page is about to be handed over (one bulk users lookup for all of it). */
  onPage?(conversations: AnalyticsConversation[]): Promise<void>;
}

/**
 * True for a conversation this window must hand over: one that started in the window after the
 * cursor, or a refused one whose start cannot be read (it has no place in the order).
 */
export function isDue(
  read: { conversationId: string; startMs: number | undefined },
  window: { fromMs: number; toMs: number },
  after: Position,
): boolean {
  const { startMs, conversationId } = read;
  if (startMs === undefined) return true;
  if (startMs < window.fromMs || startMs >= window.toMs) return false;
  return startMs > after.startMs || (startMs === after.startMs && conversationId > after.conversationId);
}

export type ListingResult = 'complete' | 'unstable' | 'capped' | 'stopped';

export async function listWindowSync(
  ctx: RunContext,
  window: QueryWindow,
  after: Position,
  events: ListingEvents,
): Promise<ListingResult> {
  const query: ConversationQuery = {
    interval: intervalString(window.fromMs, window.toMs),
    order: 'asc',
    orderBy: 'conversationStart',
    segmentFilters: VOICE_FILTER,
  };
  const seen = new Set<string>();
  for (let attempt = 0; attempt <= MAX_RELISTS; attempt += 1) {
    let totalHits: number | undefined;
    let newest = Number.NEGATIVE_INFINITY;
    let changed = false;
    for await (const page of ctx.client.analytics.pageDetails(query, {
      pageSize: PAGE_SIZE,
      signal: ctx.signal,
    })) {
      if (totalHits === undefined) {
        totalHits = page.totalHits;
        if (totalHits > ctx.syncResultCap) return 'capped';
      } else if (page.totalHits !== totalHits) {
        changed = true;
      }
      await events.onPage?.(page.conversations);
      // The whole page is registered first, so the cursor may move as soon as its conversations
      // settle, not only once the last of them has been handed to the (bounded) work pool.
      const handOver: ConversationFacts[] = [];
      for (const conv of page.conversations) {
        const read = readConversation(conv);
        if (read.startMs !== undefined) newest = Math.max(newest, read.startMs);
        if (!isDue(read, window, after) || seen.has(read.conversationId)) continue;
        seen.add(read.conversationId);
        if (isRefused(read)) await events.onRefused(read);
        else {
          events.onListed?.(read);
          handOver.push(read);
        }
      }
      // A relisting pass never moves the cursor until it has read the whole window again.
      if (!changed && attempt === 0)
        await events.onProgress(
          newest >= window.toMs
            ? { startMs: window.toMs, conversationId: '' }
            : completeBefore(Math.max(newest, window.fromMs)),
        );
      for (const facts of handOver) {
        if (ctx.stop.aborted) return 'stopped';
        await events.onConversation(facts);
      }
      if (ctx.stop.aborted) return 'stopped';
    }
    if (!changed) {
      await events.onProgress({ startMs: window.toMs, conversationId: '' });
      return 'complete';
    }
    ctx.events.debug(`totalHits changed while listing ${query.interval}; listing it again`);
  }
  return 'unstable';
}
