/**
 * Per-token request limit in fixed 60-second windows, as Genesys' `token.rate.per.minute`
 * (genesys-api.md §12). A window opens with a token's first request; requests refused with 429 do
 * not count.
 */

/** The outcome of one request against the limit, with what the `inin-ratelimit-*` headers say. */
export interface RateDecision {
  readonly allowed: boolean;
  readonly limit: number;
  readonly count: number;
  /** Seconds until the window resets (at least 1). */
  readonly resetSeconds: number;
}

/** When limiting is off the headers still advertise a limit, one no client will come near. */
export const UNLIMITED_ADVERTISED = 1_000_000;
const WINDOW_MS = 60_000;

/** Counts requests per token. */
export class RateLimiter {
  private readonly windows = new Map<string, { start: number; count: number }>();

  constructor(
    private readonly limitPerMinute: number,
    private readonly now: () => number,
  ) {}

  /** The state of `key`'s window without counting a request (for responses refused before the limiter). */
  peek(key: string | undefined): RateDecision {
    const now = this.now();
    const window = key === undefined ? undefined : this.windows.get(key);
    const live = window !== undefined && now >= window.start && now < window.start + WINDOW_MS;
    const limit = this.limitPerMinute > 0 ? this.limitPerMinute : UNLIMITED_ADVERTISED;
    return {
      allowed: true,
      limit,
      count: live ? window.count : 0,
      resetSeconds: live ? Math.max(1, Math.ceil((window.start + WINDOW_MS - now) / 1000)) : 60,
    };
  }

  /** Counts a request of `key` (a token) and says whether it may go on. */
  take(key: string): RateDecision {
    const now = this.now();
    let window = this.windows.get(key);
    if (!window || now >= window.start + WINDOW_MS || now < window.start) {
      window = { start: now, count: 0 };
      this.windows.set(key, window);
    }
    const resetSeconds = Math.max(1, Math.ceil((window.start + WINDOW_MS - now) / 1000));
    if (this.limitPerMinute <= 0) {
      window.count++;
      return { allowed: true, limit: UNLIMITED_ADVERTISED, count: window.count, resetSeconds };
    }
    if (window.count >= this.limitPerMinute) {
      return { allowed: false, limit: this.limitPerMinute, count: window.count, resetSeconds };
    }
    window.count++;
    return { allowed: true, limit: this.limitPerMinute, count: window.count, resetSeconds };
  }
}
