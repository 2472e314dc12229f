/**
 * Fault injection: rules that make the next matching requests fail in a chosen way — an error
 * status, a connection reset or truncation mid-body, a short chunked body, a trickle, an expired
 * media URL — so client retry and integrity logic can be tested for real over the wire.
 */
import type { ListenerName } from './http-util.js';

/** What a fault does to a matching request. */
export type FaultAction =
  /** Answer with this status instead (Genesys ErrorBody on auth/api, S3 XML on media). */
  | { kind: 'status'; status: number; retryAfterSeconds?: number; code?: string }
  /** Send headers (full Content-Length) and `afterBytes` of the body, then a TCP reset. */
  | { kind: 'reset'; afterBytes?: number }
  /** Send headers (full Content-Length) and `afterBytes` of the body, then close cleanly. */
  | { kind: 'truncate'; afterBytes?: number }
  /** Chunked body (no Content-Length) that ends properly after `afterBytes`. */
  | { kind: 'shortChunked'; afterBytes?: number }
  /** Send the body `bytesPerChunk` bytes every `intervalMs` (default 1 byte per 500 ms). */
  | { kind: 'trickle'; bytesPerChunk?: number; intervalMs?: number }
  /** Media only: 403 AccessDenied "Request has expired", whatever the URL says. */
  | { kind: 'expireUrl' }
  /** Wait this long before handling the request normally. */
  | { kind: 'delay'; ms: number }
  /** Close the connection without any response. */
  | { kind: 'hangup' }
  /** Hold the request until `until` settles (the test releases it), then handle it normally. */
  | { kind: 'hold'; until: Promise<unknown> };

/** Body-level actions, applied while the real response is written. */
export type BodyFault = Extract<FaultAction, { kind: 'reset' | 'truncate' | 'shortChunked' | 'trickle' }>;

/** Which requests a rule applies to, and how often. */
export interface FaultRule {
  listener?: ListenerName;
  /** HTTP method, case-insensitive. */
  method?: string;
  /** Tested against the URL path (no query). A string is used as a regular expression. */
  path?: RegExp | string;
  action: FaultAction;
  /** How many matching requests get the fault; default 1; `Infinity` for all. */
  times?: number;
  /** Let this many matching requests through before the fault starts; default 0. */
  after?: number;
}

/** A rule added to the injector, with its counters. */
export interface FaultHandle {
  readonly rule: FaultRule;
  /** Matching requests seen so far. */
  readonly matched: number;
  /** Requests the fault was applied to. */
  readonly applied: number;
  remove(): void;
}

interface ActiveRule {
  rule: FaultRule;
  pattern: RegExp | undefined;
  matched: number;
  applied: number;
  removed: boolean;
}

/** The rules of one simulator (`sim.faults`). */
export class FaultInjector {
  private rules: ActiveRule[] = [];
  private revokeCountdown: number | undefined;

  /** Adds a rule; rules are tried in the order added, the first one that fires wins. */
  add(rule: FaultRule): FaultHandle {
    const pattern =
      rule.path === undefined ? undefined : typeof rule.path === 'string' ? new RegExp(rule.path) : rule.path;
    const active: ActiveRule = { rule, pattern, matched: 0, applied: 0, removed: false };
    this.rules.push(active);
    return {
      rule,
      get matched() {
        return active.matched;
      },
      get applied() {
        return active.applied;
      },
      remove: () => {
        active.removed = true;
        this.rules = this.rules.filter((r) => r !== active);
      },
    };
  }

  /** Removes every rule and any pending token revocation. */
  clear(): void {
    this.rules = [];
    this.revokeCountdown = undefined;
  }

  /**
   * Revokes every token issued so far right before the `n`-th API request from now (1 = the next
   * one), so that request and later ones with an old token get 401 `bad.credentials`.
   */
  revokeTokensAtRequest(n: number): void {
    if (!Number.isInteger(n) || n < 1) throw new Error('revokeTokensAtRequest: n must be a positive integer');
    this.revokeCountdown = n;
  }

  /** Called for each API request; true when tokens must be revoked before handling it. */
  shouldRevokeNow(): boolean {
    if (this.revokeCountdown === undefined) return false;
    this.revokeCountdown--;
    if (this.revokeCountdown > 0) return false;
    this.revokeCountdown = undefined;
    return true;
  }

  /** The action for this request, if a rule fires (counting it). */
  take(listener: ListenerName, method: string, path: string): FaultAction | undefined {
    for (const active of this.rules) {
      const { rule } = active;
      if (rule.listener !== undefined && rule.listener !== listener) continue;
      if (rule.method !== undefined && rule.method.toUpperCase() !== method.toUpperCase()) continue;
      if (active.pattern && !active.pattern.test(path)) continue;
      active.matched++;
      if (active.matched <= (rule.after ?? 0)) continue;
      if (active.applied >= (rule.times ?? 1)) continue;
      active.applied++;
      return rule.action;
    }
    return undefined;
  }
}

/** True for actions that change how the body is written rather than what is answered. */
export function isBodyFault(action: FaultAction | undefined): action is BodyFault {
  return (
    action !== undefined &&
    (action.kind === 'reset' ||
      action.kind === 'truncate' ||
      action.kind === 'shortChunked' ||
      action.kind === 'trickle')
  );
}
