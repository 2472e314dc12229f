/**
 * What the simulated Genesys saw while one child ran, from its request log and counters: requests
 * per listener and per API route, 202 "still transcoding" answers, 429s, and the API requests of
 * each whole minute — the figure SPEC §5 asks about ("within 10% of the allowed rate while a
 * backlog exists").
 */
import type { Simulator } from './index.js';

/** A point in the simulator's history to count from. */
export interface TrafficMark {
  seq: number;
  byRoute: Record<string, number>;
  rateLimited: number;
}

/** Requests the simulator saw since a mark. */
export interface Traffic {
  auth: number;
  /** API requests, refused ones included. */
  api: number;
  media: number;
  /** 429s from the rate limiter. */
  rateLimited: number;
  /** API answers with status 202. */
  accepted202: number;
  /** API requests per route pattern (e.g. `GET /api/v2/conversations/{id}/recordings`). */
  byRoute: Record<string, number>;
  /**
   * API requests the limiter counted (not 429s) in each whole minute from the first API request;
   * the window of a fresh token opens with its first request, so these are the limiter's windows.
   * The last, partial minute is left out.
   */
  perMinute: number[];
  /** Seconds from the first to the last API request. */
  apiSpanSeconds: number;
}

export function markTraffic(sim: Simulator): TrafficMark {
  const counts = sim.counts();
  return {
    seq: sim.log[sim.log.length - 1]?.seq ?? 0,
    byRoute: counts.byRoute,
    rateLimited: counts.rateLimited,
  };
}

/** Traffic since `mark` (the log keeps the last 200,000 requests, plenty for one scenario). */
export function trafficSince(sim: Simulator, mark: TrafficMark): Traffic {
  const traffic: Traffic = {
    auth: 0,
    api: 0,
    media: 0,
    rateLimited: sim.counts().rateLimited - mark.rateLimited,
    accepted202: 0,
    byRoute: {},
    perMinute: [],
    apiSpanSeconds: 0,
  };
  const counted: number[] = [];
  let first = -1;
  for (let i = sim.log.length - 1; i >= 0; i--) {
    const entry = sim.log[i];
    if (entry === undefined || entry.seq <= mark.seq) {
      first = i + 1;
      break;
    }
    first = i;
  }
  for (let i = Math.max(0, first); i < sim.log.length; i++) {
    const entry = sim.log[i];
    if (entry === undefined) continue;
    traffic[entry.listener] += 1;
    if (entry.listener !== 'api') continue;
    if (entry.status === 202) traffic.accepted202 += 1;
    if (entry.status !== 429) counted.push(entry.time);
  }
  for (const [route, n] of Object.entries(sim.counts().byRoute)) {
    const diff = n - (mark.byRoute[route] ?? 0);
    if (diff > 0) traffic.byRoute[route] = diff;
  }
  const start = counted[0];
  const end = counted[counted.length - 1];
  if (start !== undefined && end !== undefined) {
    traffic.apiSpanSeconds = (end - start) / 1000;
    const minutes = Math.floor((end - start) / 60_000);
    traffic.perMinute = Array.from({ length: minutes }, () => 0);
    for (const time of counted) {
      const bucket = Math.floor((time - start) / 60_000);
      if (bucket < minutes) traffic.perMinute[bucket] = (traffic.perMinute[bucket] ?? 0) + 1;
    }
  }
  return traffic;
}

/** Route counts as `name n` pairs, biggest first, with the route pattern shortened for a table. */
export function describeRoutes(byRoute: Record<string, number>): string {
  return Object.entries(byRoute)
    .sort((a, b) => b[1] - a[1])
    .map(([route, n]) => `${shortRoute(route)} ${n}`)
    .join(', ');
}

function shortRoute(route: string): string {
  const [method = '', pattern = route] = route.split(' ');
  if (pattern.endsWith('/details/query')) return 'query';
  if (pattern.includes('/details/jobs')) return 'jobs';
  if (pattern.includes('/analytics/conversations')) return 'details-by-id';
  if (pattern.includes('/recording/batchrequests')) return method === 'POST' ? 'batch-submit' : 'batch-poll';
  if (pattern.includes('/recordingmetadata')) return 'recordingmetadata';
  if (pattern.includes('/deletionprotection')) return 'deletionprotection';
  if (pattern.endsWith('/recordings/{recordingId}')) return method === 'PUT' ? 'recording-put' : 'recording';
  if (pattern.endsWith('/recordings')) return 'recordings';
  if (pattern.includes('/users')) return 'users';
  if (pattern.includes('/tokens/me')) return 'tokens-me';
  return route;
}
