/**
 * Pacing from the `inin-ratelimit-*` headers, on a simulated clock against the simulator's own rate
 * limiter: a backlog runs close to the allowed rate and never into a 429. Also Retry-After parsing.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Pacer, retryAfterMs, sleep } from '../src/genesys/pacer.js';
import { RateLimiter } from '../sim/src/rate-limit.js';

const headers = (d: { limit: number; count: number; resetSeconds: number }): Record<string, string> => ({
  'inin-ratelimit-allowed': String(d.limit),
  'inin-ratelimit-count': String(d.count),
  'inin-ratelimit-reset': String(d.resetSeconds),
});

/**
 * Sends as fast as the pacer lets it, `concurrency` requests in flight, each answered `latencyMs`
 * later, for `durationMs` of simulated time. Returns how many the limiter accepted and refused.
 */
function drive(
  limit: number,
  durationMs: number,
  latencyMs: number,
  concurrency: number,
): { sent: number; refused: number } {
  let now = 1_000_000;
  const start = now;
  const pacer = new Pacer({ now: () => now });
  const limiter = new RateLimiter(limit, () => now);
  const pending: Array<{ at: number; decision: ReturnType<RateLimiter['take']> }> = [];
  let sent = 0;
  let refused = 0;
  while (now - start < durationMs) {
    pending.sort((a, b) => a.at - b.at);
    const first = pending[0];
    if (first !== undefined && (pending.length >= concurrency || first.at <= now)) {
      pending.shift();
      now = Math.max(now, first.at);
      pacer.observe(headers(first.decision), pending.length);
      continue;
    }
    const wait = pacer.tryAcquire(now);
    if (wait > 0) {
      now = Math.min(now + wait, first?.at ?? Number.POSITIVE_INFINITY);
      continue;
    }
    const decision = limiter.take('token');
    if (decision.allowed) sent += 1;
    else refused += 1;
    pending.push({ at: now + latencyMs, decision });
  }
  return { sent, refused };
}

describe('pacer', () => {
  for (const [limit, latency, concurrency] of [
    [300, 0, 1],
    [300, 40, 4],
    [300, 1_000, 8],
    [180, 5, 2],
    [60, 200, 4],
  ] as const) {
    it(`keeps a backlog within 10% of ${limit}/min without a 429 (latency ${latency} ms, ${concurrency} in flight)`, () => {
      const minutes = 5;
      const { sent, refused } = drive(limit, minutes * 60_000, latency, concurrency);
      assert.equal(refused, 0);
      assert.ok(sent >= limit * minutes * 0.9, `sent ${sent} of ${limit * minutes}`);
      assert.ok(sent <= limit * minutes, `sent ${sent}`);
    });
  }

  it('lets light traffic through without delay and spreads a burst', () => {
    let now = 0;
    const pacer = new Pacer({ now: () => now });
    assert.equal(pacer.tryAcquire(), 0, 'nothing known yet');
    pacer.observe({
      'inin-ratelimit-allowed': '300',
      'inin-ratelimit-count': '1',
      'inin-ratelimit-reset': '60',
    });
    let immediate = 0;
    while (pacer.tryAcquire() === 0) immediate += 1;
    assert.ok(immediate >= 25 && immediate <= 35, `burst of ${immediate}`);
    now += 10_000;
    assert.equal(pacer.tryAcquire(), 0, 'the budget grows with time');
    pacer.blockUntil(now + 2_000);
    assert.equal(pacer.delayFor(now), 2_000);
  });

  it('reads Retry-After in seconds, as an HTTP date, or from the Genesys message', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    assert.equal(retryAfterMs({ 'retry-after': '7' }, '', now), 7_000);
    assert.equal(retryAfterMs({ 'retry-after': 'Thu, 01 Jan 2026 00:00:30 GMT' }, '', now), 30_000);
    assert.equal(
      retryAfterMs(
        {},
        '{"message":"Rate limit exceeded the maximum. Retry the request in [12] seconds"}',
        now,
      ),
      12_000,
    );
    assert.equal(retryAfterMs({}, '', now), undefined);
  });

  it('sleeps abortably, rejecting with the reason', async () => {
    const controller = new AbortController();
    const reason = new Error('stop');
    setTimeout(() => controller.abort(reason), 10);
    await assert.rejects(sleep(10_000, controller.signal), (e) => e === reason);
  });
});
