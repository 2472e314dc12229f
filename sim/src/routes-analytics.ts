/**
 * Synchronous analytics (genesys-api.md §4): the conversation detail query with the literal
 * whole-day interval rule, its limits (7-day interval, start at most `syncMaxAgeDays` back, page
 * size, result cap), and the multi-get and single-conversation reads.
 */
import { badRequest, notFound, type ApiRequest, type Route, type SimContext } from './api-core.js';
import {
  compileFilters,
  conversationJson,
  orderConversations,
  startOfUtcDay,
  touchedDays,
} from './analytics-view.js';
import { listParam, parseInterval } from './http-util.js';

const DAY_MS = 86_400_000;

/** Permissions of every analytics detail route. */
export const ANALYTICS_VIEW = {
  any: ['analytics:conversationDetail:view', 'analytics:agentConversationDetail:view'],
} as const;

function asObject(body: unknown): Record<string, unknown> {
  if (body === null || typeof body !== 'object' || Array.isArray(body))
    throw badRequest('A JSON object body is required');
  return body as Record<string, unknown>;
}

function positiveInt(value: unknown, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1)
    throw badRequest(`${name} must be a positive integer`);
  return value;
}

function detailQuery(req: ApiRequest, ctx: SimContext): { status: number; body: unknown } {
  const body = asObject(req.body);
  const interval = parseInterval(body.interval);
  if (!interval)
    throw badRequest('interval must be an ISO-8601 interval start/end with start before end', 'invalid.date');
  const { options } = ctx;
  const now = ctx.now();
  if (interval.to - interval.from > 7 * DAY_MS) throw badRequest('The interval must not exceed 7 days');
  const earliest = startOfUtcDay(now) - (options.syncMaxAgeDays - 1) * DAY_MS;
  if (interval.from < earliest) {
    throw badRequest(
      `Interval start dates may be at most ${options.syncMaxAgeDays} days in the past (including today); use the asynchronous jobs for older data`,
    );
  }
  const paging = (body.paging ?? {}) as Record<string, unknown>;
  const pageSize = positiveInt(paging.pageSize, 25, 'paging.pageSize');
  const pageNumber = positiveInt(paging.pageNumber, 1, 'paging.pageNumber');
  if (pageSize > options.maxPageSize)
    throw badRequest(`paging.pageSize must not exceed ${options.maxPageSize}`);
  const matches = compileFilters(body);
  // The literal rule: every conversation that started on a UTC day the interval touches.
  const days = touchedDays(interval.from, interval.to);
  const found = ctx.org
    .startingBetween(days.from, days.to)
    .filter((c) => ctx.org.isVisible(c, now) && c.startMs <= now && matches(c));
  const ordered = orderConversations(found, body);
  const offset = (pageNumber - 1) * pageSize;
  if (offset >= options.syncMaxResults) {
    throw badRequest(
      `A query can return at most ${options.syncMaxResults} results; page ${pageNumber} of size ${pageSize} lies beyond that`,
    );
  }
  const end = Math.min(offset + pageSize, options.syncMaxResults, ordered.length);
  const page = ordered.slice(offset, end).map((c) => conversationJson(c));
  return {
    status: 200,
    body:
      page.length > 0 ? { conversations: page, totalHits: ordered.length } : { totalHits: ordered.length },
  };
}

function multiGet(req: ApiRequest, ctx: SimContext): { status: number; body: unknown } {
  const ids = listParam(req.query, 'id');
  if (ids.length === 0) throw badRequest('id is required');
  if (ids.length > 100) throw badRequest('At most 100 conversation ids may be requested at once');
  const now = ctx.now();
  const conversations = [];
  for (const id of ids) {
    const c = ctx.org.conversation(id);
    if (c && ctx.org.isVisible(c, now)) conversations.push(conversationJson(c));
  }
  return { status: 200, body: conversations.length > 0 ? { conversations } : {} };
}

function single(req: ApiRequest, ctx: SimContext): { status: number; body: unknown } {
  const conversation = ctx.org.conversation(req.params.conversationId ?? '');
  if (!conversation || !ctx.org.isVisible(conversation, ctx.now())) {
    throw notFound('The requested conversation was not found.');
  }
  return { status: 200, body: conversationJson(conversation) };
}

/** The synchronous analytics routes. */
export function analyticsRoutes(): Route[] {
  return [
    {
      method: 'POST',
      pattern: '/api/v2/analytics/conversations/details/query',
      permissions: ANALYTICS_VIEW,
      handler: detailQuery,
    },
    {
      method: 'GET',
      pattern: '/api/v2/analytics/conversations/details',
      permissions: ANALYTICS_VIEW,
      handler: multiGet,
    },
    {
      method: 'GET',
      pattern: '/api/v2/analytics/conversations/{conversationId}/details',
      permissions: ANALYTICS_VIEW,
      handler: single,
    },
  ];
}
