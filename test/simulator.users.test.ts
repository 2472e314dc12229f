import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { generateOrg, generatePki, startSimulator, type Simulator } from '../sim/src/index.js';
import { simApi, simLogin } from '../sim/src/test-client.js';

const pki = generatePki();
const org = generateOrg({ conversations: 0, agents: 6, deletedAgents: 3, seed: 'users' });
const users = [...org.users.values()];
const active = users.filter((u) => u.state === 'active');
const deleted = users.filter((u) => u.state === 'deleted');

interface Listing {
  entities: { id: string; name: string; email: string; state: string; division?: { id: string } }[];
  pageSize: number;
  pageNumber: number;
  total: number;
  pageCount: number;
}

let sim: Simulator;
let token: string;
const list = async (query: string) => {
  const res = await simApi(sim, token, 'GET', `/api/v2/users?${query}`);
  assert.equal(res.status, 200, res.text());
  return res.json<Listing>();
};

describe('users', () => {
  before(async () => {
    sim = await startSimulator({ pki, org, rateLimitPerMinute: 0 });
    token = await simLogin(sim);
  });
  after(() => sim.close());

  it('has active and deleted users', () => {
    assert.equal(active.length, 6);
    assert.equal(deleted.length, 3);
  });

  it('finds deleted users in bulk only with state=deleted or any', async () => {
    const wanted = [active[0], active[1], deleted[0], deleted[1]].map((u) => u?.id ?? '');
    const byDefault = await list(`id=${wanted.join(',')}&pageSize=100`);
    assert.deepEqual(new Set(byDefault.entities.map((e) => e.id)), new Set(wanted.slice(0, 2)));
    const any = await list(`id=${wanted.join(',')}&state=any&pageSize=100`);
    assert.deepEqual(new Set(any.entities.map((e) => e.id)), new Set(wanted));
    assert.equal(any.total, 4);
    assert.equal(any.pageCount, 1);
    const onlyDeleted = await list(`id=${wanted.join(',')}&state=deleted&pageSize=100`);
    assert.deepEqual(new Set(onlyDeleted.entities.map((e) => e.id)), new Set(wanted.slice(2)));
    assert.ok(onlyDeleted.entities.every((e) => e.state === 'deleted'));
  });

  it('accepts repeated id parameters mixed with comma lists, ignoring unknown ids', async () => {
    const [a, b, c] = users;
    const res = await list(
      `id=${a?.id},${b?.id}&id=${c?.id}&id=00000000-0000-4000-8000-000000000000&state=any&pageSize=10`,
    );
    assert.equal(res.total, 3);
    const entity = res.entities.find((e) => e.id === a?.id);
    assert.equal(entity?.email, a?.email);
    assert.equal(entity?.division?.id, a?.divisionId);
  });

  it('pages', async () => {
    const first = await list('state=any&pageSize=4&pageNumber=1');
    const third = await list('state=any&pageSize=4&pageNumber=3');
    assert.equal(first.entities.length, 4);
    assert.equal(third.entities.length, 1);
    assert.equal(first.total, 9);
    assert.equal(first.pageCount, 3);
    assert.equal(third.pageNumber, 3);
    assert.equal((await simApi(sim, token, 'GET', '/api/v2/users?pageSize=501')).status, 400);
  });

  it('reads one user; a deleted one only with state=deleted', async () => {
    const gone = deleted[0];
    assert.ok(gone);
    assert.equal(
      (await simApi(sim, token, 'GET', `/api/v2/users/${active[0]?.id}`)).json().name,
      active[0]?.name,
    );
    const missing = await simApi(sim, token, 'GET', `/api/v2/users/${gone.id}`);
    assert.equal(missing.status, 404);
    assert.equal(missing.json().code, 'not.found');
    const found = await simApi(sim, token, 'GET', `/api/v2/users/${gone.id}?state=deleted`);
    assert.equal(found.status, 200);
    assert.equal(found.json().state, 'deleted');
  });
});
