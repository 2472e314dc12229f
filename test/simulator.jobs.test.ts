import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  addConversation,
  generateOrg,
  generatePki,
  startSimulator,
  type Simulator,
} from '../sim/src/index.js';
import { simApi, simLogin } from '../sim/src/test-client.js';

const DAY = 86_400_000;
const NOW = Date.UTC(2026, 6, 1, 12);
const clock = { t: NOW };
const pki = generatePki();
const org = generateOrg({ conversations: 0, seed: 'jobs', toMs: NOW });
const old = Date.UTC(2026, 3, 20);
// Five conversations on an old day, one spanning midnight into the next, one chat.
const oldDay = Array.from({ length: 5 }, (_, i) =>
  addConversation(org, { startMs: old + 3_600_000 * (i + 1), durationMs: 60_000 }),
);
const spanning = addConversation(org, { startMs: old + DAY - 600_000, durationMs: 1_800_000 });
const chat = addConversation(org, { startMs: old + DAY + 60_000, mediaType: 'chat' });
const recent = addConversation(org, { startMs: NOW - 600_000, durationMs: 300_000 });

interface Status {
  state: string;
  submissionDate: string;
  completionDate?: string;
  expirationDate?: string;
  errorMessage?: string;
}

interface Results {
  conversations?: { conversationId: string; participants: { attributes?: Record<string, string> }[] }[];
  cursor?: string;
  dataAvailabilityDate: string;
}

let sim: Simulator;
let token: string;
const base = '/api/v2/analytics/conversations/details/jobs';
const voice = [{ type: 'and', predicates: [{ dimension: 'mediaType', value: 'voice' }] }];
const iso = (ms: number) => new Date(ms).toISOString();

async function submit(body: Record<string, unknown>): Promise<string> {
  const res = await simApi(sim, token, 'POST', base, body);
  assert.equal(res.status, 202, res.text());
  return res.json<{ jobId: string }>().jobId;
}

async function status(id: string): Promise<Status> {
  const res = await simApi(sim, token, 'GET', `${base}/${id}`);
  assert.equal(res.status, 200, res.text());
  return res.json<Status>();
}

async function allResults(
  id: string,
  pageSize: number,
): Promise<{ ids: string[]; pages: number; last: Results }> {
  const ids: string[] = [];
  let cursor: string | undefined;
  let pages = 0;
  let last: Results;
  do {
    const res = await simApi(
      sim,
      token,
      'GET',
      `${base}/${id}/results?pageSize=${pageSize}${cursor ? `&cursor=${cursor}` : ''}`,
    );
    assert.equal(res.status, 200, res.text());
    last = res.json<Results>();
    ids.push(...(last.conversations ?? []).map((c) => c.conversationId));
    cursor = last.cursor;
    pages++;
  } while (cursor !== undefined);
  return { ids, pages, last };
}

describe('analytics jobs', () => {
  before(async () => {
    sim = await startSimulator({
      pki,
      org,
      now: () => clock.t,
      asyncJobMs: 10_000,
      asyncJobTtlMs: 3_600_000,
      dataAvailabilityLagMs: 1_800_000,
      rateLimitPerMinute: 0,
    });
    token = await simLogin(sim);
  });
  after(() => sim.close());

  it('runs QUEUED → PENDING → FULFILLED and pages results with a cursor', async () => {
    clock.t = NOW;
    const id = await submit({ interval: `${iso(old)}/${iso(old + DAY)}`, segmentFilters: voice });
    assert.equal((await status(id)).state, 'QUEUED');
    assert.equal((await simApi(sim, token, 'GET', `${base}/${id}/results`)).status, 400);
    clock.t = NOW + 5_000;
    assert.equal((await status(id)).state, 'PENDING');
    clock.t = NOW + 10_000;
    const done = await status(id);
    assert.equal(done.state, 'FULFILLED');
    assert.equal(done.submissionDate, iso(NOW));
    assert.equal(done.completionDate, iso(NOW + 10_000));
    assert.equal(done.expirationDate, iso(NOW + 10_000 + 3_600_000));
    const { ids, pages, last } = await allResults(id, 2);
    assert.deepEqual(ids, [...oldDay.map((c) => c.id), spanning.id]);
    assert.equal(pages, 3);
    assert.equal(last.dataAvailabilityDate, iso(NOW + 10_000 - 1_800_000));
    const first = await simApi(sim, token, 'GET', `${base}/${id}/results?pageSize=1`);
    assert.ok(
      first
        .json<Results>()
        .conversations?.[0]?.participants.some((p) => p.attributes?.customerId !== undefined),
    );
  });

  it('matches activity during the interval, not the start day, and applies filters', async () => {
    clock.t = NOW;
    const id = await submit({ interval: `${iso(old + DAY)}/${iso(old + DAY + 3_600_000)}` });
    clock.t = NOW + 10_000;
    assert.deepEqual(new Set((await allResults(id, 100)).ids), new Set([spanning.id, chat.id]));
    clock.t = NOW;
    const startOfDay = await submit({
      interval: `${iso(old + DAY)}/${iso(old + DAY + 3_600_000)}`,
      startOfDayIntervalMatching: true,
    });
    clock.t = NOW + 10_000;
    assert.deepEqual((await allResults(startOfDay, 100)).ids, [chat.id]);
  });

  it('sees only data before the dataAvailabilityDate', async () => {
    clock.t = NOW;
    const availability = await simApi(sim, token, 'GET', `${base}/availability`);
    assert.equal(availability.json().dataAvailabilityDate, iso(NOW - 1_800_000));
    const id = await submit({ interval: `${iso(NOW - DAY)}/${iso(NOW)}` });
    clock.t = NOW + 10_000;
    assert.ok(!(await allResults(id, 100)).ids.includes(recent.id));
  });

  it('deletes jobs, 404s unknown ones, and expires them', async () => {
    clock.t = NOW;
    const id = await submit({ interval: `${iso(old)}/${iso(old + DAY)}` });
    const deleted = await simApi(sim, token, 'DELETE', `${base}/${id}`);
    assert.equal(deleted.status, 204);
    assert.equal((await simApi(sim, token, 'GET', `${base}/${id}`)).status, 404);
    assert.equal(
      (await simApi(sim, token, 'GET', `${base}/00000000-0000-4000-8000-000000000000/results`)).status,
      404,
    );
    const aging = await submit({ interval: `${iso(old)}/${iso(old + DAY)}` });
    clock.t = NOW + 10_000 + 3_600_000;
    assert.equal((await status(aging)).state, 'EXPIRED');
    assert.equal((await simApi(sim, token, 'GET', `${base}/${aging}/results`)).status, 404);
    clock.t = NOW;
    const early = await submit({ interval: `${iso(old)}/${iso(old + DAY)}` });
    sim.jobs.expireAll();
    clock.t = NOW + 10_000;
    assert.equal((await status(early)).state, 'EXPIRED');
  });

  it('fails jobs on demand and refuses a bad interval', async () => {
    clock.t = NOW;
    sim.jobs.failNext(1);
    const id = await submit({ interval: `${iso(old)}/${iso(old + DAY)}` });
    clock.t = NOW + 10_000;
    const failed = await status(id);
    assert.equal(failed.state, 'FAILED');
    assert.ok(failed.errorMessage);
    assert.equal((await simApi(sim, token, 'POST', base, { interval: 'last week' })).status, 400);
  });
});
