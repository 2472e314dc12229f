/**
 * How analytics shows conversations: the JSON shape (genesys-api.md §6), the query filters the
 * simulator understands, ordering, and the UTC days an interval touches.
 */
import { badRequest } from './api-core.js';
import { compact, iso } from './http-util.js';
import type { SimConversation, SimParticipant, SimSegment, SimSession } from './model.js';

const DAY_MS = 86_400_000;

/** The analytics JSON of a conversation; `withAttributes` adds participant data (jobs only). */
export function conversationJson(c: SimConversation, withAttributes = false): Record<string, unknown> {
  return withOverrides(c.jsonOverrides, {
    conversationId: c.id,
    conversationStart: iso(c.startMs),
    conversationEnd: c.endMs === undefined ? undefined : iso(c.endMs),
    originatingDirection: c.direction,
    divisionIds: c.divisionIds,
    participants: c.participants.map((p) => ({
      participantId: p.id,
      participantName: p.name,
      purpose: p.purpose,
      userId: p.userId,
      attributes: withAttributes ? p.attributes : undefined,
      sessions: p.sessions.map((s) => ({
        sessionId: s.id,
        mediaType: s.mediaType,
        direction: s.direction,
        ani: s.ani,
        dnis: s.dnis,
        recording: s.recording === true ? true : undefined,
        segments: s.segments.map((g) => ({
          segmentStart: iso(g.startMs),
          segmentEnd: g.endMs === undefined ? undefined : iso(g.endMs),
          segmentType: g.type,
          queueId: g.queueId,
          wrapUpCode: g.wrapUpCode,
          disconnectType: g.disconnectType,
        })),
      })),
    })),
  });
}

/** The JSON `compact` makes of `json`, with a test's overrides applied (an `undefined` one drops the field). */
export function withOverrides(
  overrides: Record<string, unknown> | undefined,
  json: Record<string, unknown>,
): Record<string, unknown> {
  return compact({ ...json, ...overrides }) as Record<string, unknown>;
}

/** [start of the first, end of the last) UTC day touched by the interval [from, to). */
export function touchedDays(from: number, to: number): { from: number; to: number } {
  return { from: Math.floor(from / DAY_MS) * DAY_MS, to: (Math.floor((to - 1) / DAY_MS) + 1) * DAY_MS };
}

/** Start of the UTC day of `ms`. */
export function startOfUtcDay(ms: number): number {
  return Math.floor(ms / DAY_MS) * DAY_MS;
}

interface Predicate {
  dimension: string;
  operator: 'matches' | 'exists' | 'notExists';
  value: string | undefined;
}

interface Filter {
  type: 'and' | 'or';
  predicates: Predicate[];
  clauses: { type: 'and' | 'or'; predicates: Predicate[] }[];
}

type Lookup = (dimension: string) => string[] | undefined;

const CONVERSATION_DIMENSIONS = new Set([
  'conversationId',
  'conversationEnd',
  'conversationStart',
  'divisionId',
  'originatingDirection',
]);
const SEGMENT_DIMENSIONS = new Set([
  'mediaType',
  'recording',
  'direction',
  'ani',
  'dnis',
  'purpose',
  'userId',
  'participantName',
  'queueId',
  'wrapUpCode',
  'segmentType',
  'segmentEnd',
  'sessionId',
]);

function parsePredicates(raw: unknown, known: Set<string>, where: string): Predicate[] {
  if (raw === undefined) return [];
  if (!Array.isArray(raw)) throw badRequest(`${where}.predicates must be a list`);
  return raw.map((p: unknown) => {
    const pred = (p ?? {}) as Record<string, unknown>;
    const type = pred.type ?? 'dimension';
    if (type !== 'dimension') throw badRequest(`the simulator only supports dimension predicates (${where})`);
    const dimension = pred.dimension;
    if (typeof dimension !== 'string' || !known.has(dimension)) {
      throw badRequest(`unsupported dimension ${JSON.stringify(dimension)} in ${where}`);
    }
    const operator = pred.operator ?? 'matches';
    if (operator !== 'matches' && operator !== 'exists' && operator !== 'notExists') {
      throw badRequest(`unsupported operator ${JSON.stringify(operator)} in ${where}`);
    }
    if (operator === 'matches' && typeof pred.value !== 'string')
      throw badRequest(`predicate value must be a string (${where})`);
    return { dimension, operator, value: typeof pred.value === 'string' ? pred.value : undefined };
  });
}

function parseFilters(raw: unknown, known: Set<string>, where: string): Filter[] {
  if (raw === undefined) return [];
  if (!Array.isArray(raw)) throw badRequest(`${where} must be a list`);
  return raw.map((f: unknown) => {
    const filter = (f ?? {}) as Record<string, unknown>;
    const type = filter.type;
    if (type !== 'and' && type !== 'or') throw badRequest(`${where}.type must be 'and' or 'or'`);
    const clausesRaw = filter.clauses ?? [];
    if (!Array.isArray(clausesRaw)) throw badRequest(`${where}.clauses must be a list`);
    const clauses = clausesRaw.map((c: unknown): Filter['clauses'][number] => {
      const clause = (c ?? {}) as Record<string, unknown>;
      const clauseType = clause.type;
      if (clauseType !== 'and' && clauseType !== 'or')
        throw badRequest(`${where}.clauses.type must be 'and' or 'or'`);
      return { type: clauseType, predicates: parsePredicates(clause.predicates, known, where) };
    });
    return { type, predicates: parsePredicates(filter.predicates, known, where), clauses };
  });
}

function holds(pred: Predicate, lookup: Lookup): boolean {
  const values = lookup(pred.dimension) ?? [];
  if (pred.operator === 'exists') return values.length > 0;
  if (pred.operator === 'notExists') return values.length === 0;
  return values.includes(pred.value ?? '');
}

function combine(type: 'and' | 'or', results: boolean[]): boolean {
  if (results.length === 0) return true;
  return type === 'and' ? results.every(Boolean) : results.some(Boolean);
}

function filterHolds(filter: Filter, lookup: Lookup): boolean {
  const results = filter.predicates.map((p) => holds(p, lookup));
  for (const clause of filter.clauses)
    results.push(
      combine(
        clause.type,
        clause.predicates.map((p) => holds(p, lookup)),
      ),
    );
  return combine(filter.type, results);
}

function conversationLookup(c: SimConversation): Lookup {
  return (dimension) => {
    switch (dimension) {
      case 'conversationId':
        return [c.id];
      case 'conversationStart':
        return [iso(c.startMs)];
      case 'conversationEnd':
        return c.endMs === undefined ? [] : [iso(c.endMs)];
      case 'divisionId':
        return c.divisionIds;
      case 'originatingDirection':
        return [c.direction];
      default:
        return undefined;
    }
  };
}

function segmentLookup(p: SimParticipant, s: SimSession, g: SimSegment): Lookup {
  const one = (v: string | undefined): string[] => (v === undefined ? [] : [v]);
  return (dimension) => {
    switch (dimension) {
      case 'mediaType':
        return [s.mediaType];
      case 'recording':
        return s.recording === true ? ['true'] : [];
      case 'direction':
        return [s.direction];
      case 'ani':
        return one(s.ani);
      case 'dnis':
        return one(s.dnis);
      case 'purpose':
        return [p.purpose];
      case 'userId':
        return one(p.userId);
      case 'participantName':
        return one(p.name);
      case 'queueId':
        return one(g.queueId);
      case 'wrapUpCode':
        return one(g.wrapUpCode);
      case 'segmentType':
        return [g.type];
      case 'segmentEnd':
        return g.endMs === undefined ? [] : [iso(g.endMs)];
      case 'sessionId':
        return [s.id];
      default:
        return undefined;
    }
  };
}

/**
 * A predicate for the query's `conversationFilters` and `segmentFilters` (all filters must hold; a
 * segment filter holds when one segment satisfies it). Unsupported dimensions → 400.
 */
export function compileFilters(body: Record<string, unknown>): (c: SimConversation) => boolean {
  const conversationFilters = parseFilters(
    body.conversationFilters,
    CONVERSATION_DIMENSIONS,
    'conversationFilters',
  );
  const segmentFilters = parseFilters(body.segmentFilters, SEGMENT_DIMENSIONS, 'segmentFilters');
  return (c) => {
    const lookup = conversationLookup(c);
    if (!conversationFilters.every((f) => filterHolds(f, lookup))) return false;
    return segmentFilters.every((f) =>
      c.participants.some((p) =>
        p.sessions.some((s) => s.segments.some((g) => filterHolds(f, segmentLookup(p, s, g)))),
      ),
    );
  };
}

/** Orders conversations by `orderBy` (`conversationStart` or `conversationEnd`), ties by id. */
export function orderConversations(
  list: SimConversation[],
  body: Record<string, unknown>,
): SimConversation[] {
  const order = body.order ?? 'asc';
  if (order !== 'asc' && order !== 'desc' && order !== 'unordered')
    throw badRequest(`invalid order ${JSON.stringify(order)}`);
  const orderBy = body.orderBy ?? 'conversationStart';
  if (orderBy !== 'conversationStart' && orderBy !== 'conversationEnd') {
    throw badRequest(
      `the simulator only supports orderBy conversationStart or conversationEnd, not ${JSON.stringify(orderBy)}`,
    );
  }
  const time = (c: SimConversation): number =>
    orderBy === 'conversationStart' ? c.startMs : (c.endMs ?? Infinity);
  const sorted = [...list].sort((a, b) => time(a) - time(b) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return order === 'desc' ? sorted.reverse() : sorted;
}
