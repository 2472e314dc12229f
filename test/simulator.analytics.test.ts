import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  addConversation,
  generateOrg,
  generatePki,
  startSimulator,
  type SimConversation,
  type Simulator,
} from '../sim/src/index.js';
import { simApi, simLogin } from '../sim/src/test-client.js';

const DAY = 86_400_000;
const NOW = Date.UTC(2026, 4, 10, 12, 0, 0);
const D = Date.UTC(2026, 4, 8);
const pki = generatePki();
const clock = { t: NOW };

const org = generateOrg({ conversations: 0, seed: 'analytics', toMs: NOW });
const add = (startMs: number, extra: Partial<Parameters<typeof addConversation>[1]> = {}): SimConversation =>
  addConversation(org, { startMs, durationMs: 60_000, ...extra });
const atMidnight = add(D);
const lastMs = add(D + DAY - 1);
const nextDay = add(D + DAY);
const dayBefore = add(D - 1);
const chat = add(D + 10 * 3_600_000, { mediaType: 'chat' });
const late = add(D + 11 * 3_600_000, { visibleFrom: NOW + 3_600_000 });
const running = add(NOW - 300_000, { inProgress: true });
// A busy day (May 6) with three conversations starting in the same millisecond.
const busyDay = D - 2 * DAY;
const busy = Array.from({ length: 20 }, (_, i) => add(busyDay + 3_600_000 + i * 60_000));
const ties = [0, 1, 2].map(() => add(busyDay + 3_600_000 + 5 * 60_000 + 30_000));
const busyAll = [...busy, ...ties].sort((a, b) => a.startMs - b.startMs || (a.id < b.id ? -1 : 1));

let sim: Simulator;
let token: string;

interface QueryResult {
  totalHits: number;
  conversations?: { conversationId: string; conversationEnd?: string }[];
}

async function query(
  body: Record<string, unknown>,
): Promise<{ status: number; result: QueryResult & { code?: string } }> {
  const res = await simApi(sim, token, 'POST', '/api/v2/analytics/conversations/details/query', body);
  return { status: res.status, result: res.json<QueryResult & { code?: string }>() };
}

function interval(from: number, to: number): string {
  return `${new Date(from).toISOString()}/${new Date(to).toISOString()}`;
}

const voice = [{ type: 'and', predicates: [{ type: 'dimension', dimension: 'mediaType', value: 'voice' }] }];

function ids(result: QueryResult): string[] {
  return (result.conversations ?? []).map((c) => c.conversationId);
}

describe('analytics detail query', () => {
  before(async () => {
    sim = await startSimulator({ pki, org, now: () => clock.t, syncMaxResults: 15, rateLimitPerMinute: 0 });
    token = await simLogin(sim);
  });
  after(() => sim.close());

  it('returns every conversation of each UTC day the interval touches, however small the interval', async () => {
    const { status, result } = await query({
      interval: interval(D + 12 * 3_600_000, D + 12 * 3_600_000 + 1),
    });
    assert.equal(status, 200);
    assert.deepEqual(new Set(ids(result)), new Set([atMidnight.id, chat.id, lastMs.id]));
    assert.equal(result.totalHits, 3);
  });

  it('treats the interval end as exclusive when it falls on midnight', async () => {
    const exact = await query({ interval: interval(D + 23 * 3_600_000, D + DAY), segmentFilters: voice });
    assert.deepEqual(ids(exact.result), [atMidnight.id, lastMs.id]);
    const past = await query({ interval: interval(D + 23 * 3_600_000, D + DAY + 1), segmentFilters: voice });
    assert.deepEqual(ids(past.result), [atMidnight.id, lastMs.id, nextDay.id]);
    assert.ok(!ids(past.result).includes(dayBefore.id));
  });

  it('filters on the mediaType segment dimension', async () => {
    const { result } = await query({ interval: interval(D, D + DAY), segmentFilters: voice });
    assert.ok(!ids(result).includes(chat.id));
    assert.equal(result.totalHits, 2);
  });

  it('hides late data until it becomes visible, and shows in-progress conversations without an end', async () => {
    const today = await query({ interval: interval(NOW - 60_000, NOW) });
    const mine = today.result.conversations?.find((c) => c.conversationId === running.id);
    assert.ok(mine);
    assert.equal(mine.conversationEnd, undefined);
    assert.ok(!ids((await query({ interval: interval(D, D + DAY) })).result).includes(late.id));
    clock.t = NOW + 3_600_000;
    try {
      assert.ok(ids((await query({ interval: interval(D, D + DAY) })).result).includes(late.id));
    } finally {
      clock.t = NOW;
    }
  });

  it('refuses intervals over 7 days or starting more than 35 days back', async () => {
    assert.equal((await query({ interval: interval(D - 7 * DAY, D) })).status, 200);
    const long = await query({ interval: interval(D - 7 * DAY - 1, D) });
    assert.equal(long.status, 400);
    assert.equal(long.result.code, 'bad.request');
    const earliest = Date.UTC(2026, 4, 10) - 34 * DAY;
    assert.equal((await query({ interval: interval(earliest, earliest + DAY) })).status, 200);
    const old = await query({ interval: interval(earliest - 1, earliest + DAY) });
    assert.equal(old.status, 400);
    assert.equal(old.result.code, 'bad.request');
    assert.equal((await query({ interval: 'yesterday' })).status, 400);
  });

  it('pages with 1-based page numbers and caps the page size', async () => {
    const day = interval(busyDay, busyDay + DAY);
    const pages: string[] = [];
    for (let n = 1; n <= 3; n++) {
      const { status, result } = await query({ interval: day, paging: { pageSize: 5, pageNumber: n } });
      assert.equal(status, 200);
      assert.equal(result.totalHits, 23);
      assert.equal(ids(result).length, 5);
      pages.push(...ids(result));
    }
    assert.deepEqual(
      pages,
      busyAll.slice(0, 15).map((c) => c.id),
    );
    assert.equal((await query({ interval: day, paging: { pageSize: 101, pageNumber: 1 } })).status, 400);
    assert.equal((await query({ interval: day, paging: { pageSize: 10, pageNumber: 0 } })).status, 400);
    assert.equal((await query({ interval: day, paging: { pageSize: 0, pageNumber: 1 } })).status, 400);
  });

  it('stops at syncMaxResults: the page reaching the cap is cut, pages beyond it are refused', async () => {
    const day = interval(busyDay, busyDay + DAY);
    const second = await query({ interval: day, paging: { pageSize: 10, pageNumber: 2 } });
    assert.equal(ids(second.result).length, 5);
    assert.equal(second.result.totalHits, 23);
    const third = await query({ interval: day, paging: { pageSize: 10, pageNumber: 3 } });
    assert.equal(third.status, 400);
    assert.equal(third.result.code, 'bad.request');
  });

  it('orders ascending or descending by conversationStart, ties by conversationId', async () => {
    const day = interval(busyDay, busyDay + DAY);
    const asc = await query({
      interval: day,
      order: 'asc',
      orderBy: 'conversationStart',
      paging: { pageSize: 15, pageNumber: 1 },
    });
    assert.deepEqual(
      ids(asc.result),
      busyAll.slice(0, 15).map((c) => c.id),
    );
    const desc = await query({
      interval: day,
      order: 'desc',
      orderBy: 'conversationStart',
      paging: { pageSize: 15, pageNumber: 1 },
    });
    assert.deepEqual(
      ids(desc.result),
      [...busyAll]
        .reverse()
        .slice(0, 15)
        .map((c) => c.id),
    );
    const tied = ids(asc.result).filter((id) => ties.some((t) => t.id === id));
    assert.deepEqual(tied, ties.map((t) => t.id).sort());
  });

  it('answers an empty day with totalHits 0 and no conversations field', async () => {
    const { status, result } = await query({ interval: interval(D - 20 * DAY, D - 20 * DAY + 1000) });
    assert.equal(status, 200);
    assert.deepEqual(result, { totalHits: 0 });
  });

  it('refuses filters on dimensions it does not implement', async () => {
    const bad = [{ type: 'and', predicates: [{ dimension: 'mediaStatsMinConversationMos', value: '1' }] }];
    assert.equal((await query({ interval: interval(D, D + DAY), conversationFilters: bad })).status, 400);
  });
});

describe('analytics conversation reads', () => {
  before(async () => {
    sim = await startSimulator({ pki, org, now: () => clock.t, rateLimitPerMinute: 0 });
    token = await simLogin(sim);
  });
  after(() => sim.close());

  it('multi-gets visible conversations by id (comma-separated)', async () => {
    const unknown = '00000000-0000-4000-8000-000000000000';
    const res = await simApi(
      sim,
      token,
      'GET',
      `/api/v2/analytics/conversations/details?id=${atMidnight.id},${late.id},${unknown},${running.id}`,
    );
    assert.equal(res.status, 200);
    const got = res
      .json<{ conversations: { conversationId: string }[] }>()
      .conversations.map((c) => c.conversationId);
    assert.deepEqual(got, [atMidnight.id, running.id]);
    const many = Array.from({ length: 101 }, () => unknown).join(',');
    assert.equal(
      (await simApi(sim, token, 'GET', `/api/v2/analytics/conversations/details?id=${many}`)).status,
      400,
    );
  });

  it('reads one conversation, 404 when unknown', async () => {
    const res = await simApi(sim, token, 'GET', `/api/v2/analytics/conversations/${lastMs.id}/details`);
    assert.equal(res.status, 200);
    const body = res.json<{
      conversationStart: string;
      participants: { purpose: string; sessions: { recording?: boolean }[] }[];
    }>();
    assert.equal(body.conversationStart, new Date(D + DAY - 1).toISOString());
    assert.ok(body.participants.some((p) => p.purpose === 'customer' && p.sessions[0]?.recording === true));
    assert.equal(
      (await simApi(sim, token, 'GET', '/api/v2/analytics/conversations/nope/details')).status,
      404,
    );
  });
});
