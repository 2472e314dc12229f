/**
 * Splits the span from the cursor to the window end into query windows (SPEC §4.1): at most 7 days
 * each; the synchronous query serves interval starts up to 35 days back, older windows go to the
 * asynchronous jobs.
 */
export const MAX_WINDOW_MS = 7 * 24 * 60 * 60_000;
const DAY_MS = 24 * 60 * 60_000;
/** The synchronous query accepts starts up to 35 days back (UTC days, today included); one day of margin. */
export const SYNC_MAX_AGE_DAYS = 34;

export interface QueryWindow {
  fromMs: number;
  toMs: number;
  mode: 'sync' | 'async';
}

export function startOfUtcDay(ms: number): number {
  return Math.floor(ms / DAY_MS) * DAY_MS;
}

/** The earliest interval start the synchronous query serves at `nowMs`. */
export function syncHorizon(nowMs: number): number {
  return startOfUtcDay(nowMs) - SYNC_MAX_AGE_DAYS * DAY_MS;
}

/**
 * Windows covering [fromMs, toMs), oldest first. Windows never straddle the sync horizon, and async
 * windows end on UTC day boundaries where possible so a job covers whole days.
 */
export function planWindows(fromMs: number, toMs: number, nowMs: number): QueryWindow[] {
  const windows: QueryWindow[] = [];
  const horizon = syncHorizon(nowMs);
  let start = fromMs;
  while (start < toMs) {
    const mode: QueryWindow['mode'] = start < horizon ? 'async' : 'sync';
    let end = Math.min(start + MAX_WINDOW_MS, toMs);
    if (mode === 'async') end = Math.min(end, horizon);
    windows.push({ fromMs: start, toMs: end, mode });
    start = end;
  }
  return windows;
}

/** ISO-8601 interval as the analytics API takes it. */
export function intervalString(fromMs: number, toMs: number): string {
  return `${new Date(fromMs).toISOString()}/${new Date(toMs).toISOString()}`;
}

/**
 * A window over the synchronous query's result cap, split at its first UTC day boundary; undefined
 * when it lies within one UTC day (under the whole-day rule it cannot be split further: the
 * asynchronous jobs serve it).
 */
export function splitCapped(window: QueryWindow): [QueryWindow, QueryWindow] | undefined {
  const nextDay = startOfUtcDay(window.fromMs) + DAY_MS;
  if (nextDay >= window.toMs) return undefined;
  return [
    { ...window, toMs: nextDay },
    { ...window, fromMs: nextDay },
  ];
}
