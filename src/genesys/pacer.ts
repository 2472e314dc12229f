/**
 * Keeps the request rate just under the token's limit (SPEC §4.7, §5) from the `inin-ratelimit-*`
 * headers Genesys puts on every API response: `allowed` requests per window, `count` used so far,
 * `reset` seconds until the window restarts. Requests may burst a little; beyond that the budget
 * grows evenly over the window, so a backlog runs at about the allowed rate without a 429 storm.
 * When the budget is nearly spent, everyone waits for the reset. A 429's Retry-After blocks all.
 */
import type { IncomingHttpHeaders } from 'node:http';

/** Parses `Retry-After` (seconds or HTTP date), else the `[N] seconds` in Genesys' 429 message. */
export function retryAfterMs(headers: IncomingHttpHeaders, text: string, now: number): number | undefined {
  const raw = headers['retry-after'];
  if (typeof raw === 'string' && raw.trim() !== '') {
    const seconds = Number(raw.trim());
    if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
    const at = Date.parse(raw);
    if (Number.isFinite(at)) return Math.max(0, at - now);
  }
  const inMessage = /Retry the request in \[(\d+)\] seconds/i.exec(text)?.[1];
  return inMessage === undefined ? undefined : Number(inMessage) * 1000;
}

/** One signal that aborts when either does. */
export function combine(a: AbortSignal | undefined, b: AbortSignal | undefined): AbortSignal | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return AbortSignal.any([a, b]);
}

/** Resolves after `ms`, or rejects with the signal's reason as soon as it aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.reject(abortReason(signal));
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(abortReason(signal!));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** The reason a signal was aborted with, as an Error (callers abort with InterruptedError). */
export function abortReason(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  return reason instanceof Error
    ? reason
    : new Error(typeof reason === 'string' ? `aborted: ${reason}` : 'aborted');
}

function header(headers: IncomingHttpHeaders, name: string): number | undefined {
  const raw = headers[name];
  const text = Array.isArray(raw) ? raw[0] : raw;
  if (text === undefined || text.trim() === '') return undefined;
  const n = Number(text);
  return Number.isFinite(n) ? n : undefined;
}

export interface PacerOptions {
  /** Assumed window length when Genesys does not say (its limits are per minute). */
  readonly windowMs?: number;
  readonly now?: () => number;
}

/** Rate-limit pacer for the requests of one access token (the limit is per token). */
export class Pacer {
  #allowed: number | undefined;
  #used = 0;
  #resetAt = 0;
  #blockedUntil = 0;
  readonly #windowMs: number;
  readonly #now: () => number;

  constructor(options: PacerOptions = {}) {
    this.#windowMs = options.windowMs ?? 60_000;
    this.#now = options.now ?? Date.now;
  }

  /** Waits until one more request fits, then counts it. */
  async acquire(signal?: AbortSignal): Promise<void> {
    for (;;) {
      const wait = this.tryAcquire();
      if (wait <= 0) return;
      // Re-checked in slices: a response arriving meanwhile may tell a better time.
      await sleep(Math.min(wait, 5_000), signal);
    }
  }

  /** Counts one request and returns 0 when it may go at `now`; else how long to wait (not counted). */
  tryAcquire(now: number = this.#now()): number {
    const wait = this.delayFor(now);
    if (wait <= 0) this.#used += 1;
    return wait;
  }

  /** How long the next request should wait at `now` (0: go). Exposed for tests. */
  delayFor(now: number): number {
    if (now < this.#blockedUntil) return this.#blockedUntil - now;
    const allowed = this.#allowed;
    if (allowed === undefined || allowed <= 0) return 0;
    if (now >= this.#resetAt) {
      // The window has restarted since we last heard; count afresh until the next answer.
      this.#used = 0;
      this.#resetAt = now + this.#windowMs;
    }
    const safety = Math.max(1, Math.ceil(allowed * 0.03));
    if (this.#used >= allowed - safety) return this.#resetAt - now + 25;
    const burst = Math.max(2, Math.ceil(allowed * 0.1));
    const left = this.#resetAt - now;
    const elapsed = Math.min(1, Math.max(0, 1 - left / this.#windowMs));
    if (this.#used < burst + elapsed * allowed) return 0;
    // The time at which the evenly growing budget admits one more request.
    const needFraction = Math.min(1, (this.#used - burst + 1) / allowed);
    const at = this.#resetAt - this.#windowMs * (1 - needFraction);
    return Math.max(1, Math.ceil(at - now));
  }

  /** Learns the limit, the count and the reset from a response's headers. */
  observe(headers: IncomingHttpHeaders, inFlight = 0): void {
    const allowed = header(headers, 'inin-ratelimit-allowed');
    const count = header(headers, 'inin-ratelimit-count');
    const reset = header(headers, 'inin-ratelimit-reset');
    if (allowed === undefined || count === undefined) return;
    const now = this.#now();
    this.#allowed = allowed;
    // Requests still in flight were probably sent after the server counted this one.
    this.#used = Math.max(count + inFlight, 0);
    if (reset !== undefined) this.#resetAt = now + Math.max(0, reset) * 1000;
    else if (this.#resetAt <= now) this.#resetAt = now + this.#windowMs;
  }

  /** After a 429: nobody sends before `until` (epoch ms). */
  blockUntil(until: number): void {
    this.#blockedUntil = Math.max(this.#blockedUntil, until);
  }

  /** A new token gets a fresh budget. */
  reset(): void {
    this.#allowed = undefined;
    this.#used = 0;
    this.#resetAt = 0;
  }
}
