import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import {
  addConversation,
  generateOrg,
  generatePki,
  startSimulator,
  type Simulator,
} from '../sim/src/index.js';
import { TransferError, simApi, simLogin, simRequest } from '../sim/src/test-client.js';

const pki = generatePki();
const NOW = Date.now();
const org = generateOrg({ conversations: 3, seed: 'faults', toMs: NOW });
const conversation = addConversation(org, { startMs: NOW - 3_600_000, sizeBytes: 100_000 });
const size = 100_000;

let sim: Simulator;
let token: string;

async function mediaUrl(): Promise<string> {
  const res = await simApi(
    sim,
    token,
    'GET',
    `/api/v2/conversations/${conversation.id}/recordings?formatId=WAV`,
  );
  const uri = res.json<{ mediaUris?: { S?: { mediaUri: string } } }[]>()[0]?.mediaUris?.S?.mediaUri;
  assert.ok(uri);
  return uri;
}

async function transferError(promise: Promise<unknown>): Promise<TransferError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof TransferError, String(error));
    return error;
  }
  assert.fail('the request should have failed');
}

describe('fault injection', () => {
  before(async () => {
    sim = await startSimulator({ pki, org, rateLimitPerMinute: 0 });
    token = await simLogin(sim);
  });
  after(() => sim.close());
  beforeEach(() => sim.faults.clear());

  it('answers injected 5xx with a Genesys ErrorBody, and 429 with Retry-After', async () => {
    sim.faults.add({ listener: 'api', path: /\/users$/, action: { kind: 'status', status: 503 } });
    const unavailable = await simApi(sim, token, 'GET', '/api/v2/users');
    assert.equal(unavailable.status, 503);
    assert.equal(unavailable.json().code, 'service.unavailable');
    assert.equal((await simApi(sim, token, 'GET', '/api/v2/users')).status, 200, 'applied once by default');
    sim.faults.add({
      listener: 'api',
      method: 'GET',
      action: { kind: 'status', status: 429, retryAfterSeconds: 7 },
    });
    const limited = await simApi(sim, token, 'GET', '/api/v2/users');
    assert.equal(limited.status, 429);
    assert.equal(limited.headers['retry-after'], '7');
    assert.equal(limited.json().message, 'Rate limit exceeded the maximum. Retry the request in [7] seconds');
    const entry = sim.log.find((e) => e.status === 429);
    assert.equal(entry?.fault, 'status');
  });

  it('applies a rule `times` times after letting `after` requests through', async () => {
    const rule = sim.faults.add({
      listener: 'api',
      action: { kind: 'status', status: 500 },
      after: 2,
      times: 2,
    });
    const statuses = [];
    for (let i = 0; i < 6; i++) statuses.push((await simApi(sim, token, 'GET', '/api/v2/users')).status);
    assert.deepEqual(statuses, [200, 200, 500, 500, 200, 200]);
    assert.equal(rule.matched, 6);
    assert.equal(rule.applied, 2);
  });

  it('fails the auth listener too', async () => {
    sim.faults.add({ listener: 'auth', action: { kind: 'status', status: 502 } });
    await assert.rejects(simLogin(sim), /login failed: 502/);
    assert.ok(await simLogin(sim));
  });

  it('resets the connection mid-body', async () => {
    const url = await mediaUrl();
    sim.faults.add({ listener: 'media', action: { kind: 'reset', afterBytes: 10_000 } });
    const error = await transferError(simRequest(url, { ca: pki.caCert }));
    assert.equal(error.code, 'ECONNRESET');
    assert.equal(error.status, 200);
    assert.ok(error.received <= 10_000);
    assert.equal(error.headers?.['content-length'], String(size));
  });

  it('truncates a body below its Content-Length and closes cleanly', async () => {
    const url = await mediaUrl();
    sim.faults.add({ listener: 'media', action: { kind: 'truncate', afterBytes: 20_000 } });
    const error = await transferError(simRequest(url, { ca: pki.caCert }));
    assert.equal(error.received, 20_000);
    assert.equal(error.headers?.['content-length'], String(size));
  });

  it('ends a chunked body cleanly but short', async () => {
    const url = await mediaUrl();
    sim.faults.add({ listener: 'media', action: { kind: 'shortChunked', afterBytes: 30_000 } });
    const res = await simRequest(url, { ca: pki.caCert });
    assert.equal(res.status, 200);
    assert.equal(res.headers['content-length'], undefined);
    assert.equal(res.headers['transfer-encoding'], 'chunked');
    assert.equal(res.body.length, 30_000);
  });

  it('trickles a body slowly', async () => {
    const url = await mediaUrl();
    sim.faults.add({
      listener: 'media',
      action: { kind: 'trickle', bytesPerChunk: 25_000, intervalMs: 100 },
    });
    const started = Date.now();
    const res = await simRequest(url, { ca: pki.caCert });
    assert.equal(res.body.length, size);
    assert.ok(Date.now() - started >= 280, 'four chunks, three pauses');
  });

  it('expires a media URL on demand', async () => {
    const url = await mediaUrl();
    sim.faults.add({ listener: 'media', action: { kind: 'expireUrl' } });
    const res = await simRequest(url, { ca: pki.caCert });
    assert.equal(res.status, 403);
    assert.match(res.text(), /Request has expired/);
    assert.equal((await simRequest(url, { ca: pki.caCert })).status, 200);
  });

  it('applies body faults to API responses too', async () => {
    sim.faults.add({ listener: 'api', path: '^/api/v2/users$', action: { kind: 'truncate' } });
    const error = await transferError(simApi(sim, token, 'GET', '/api/v2/users'));
    assert.equal(error.status, 200);
  });

  it('hangs up without a response, or answers late', async () => {
    sim.faults.add({ listener: 'api', action: { kind: 'hangup' } });
    const error = await transferError(simApi(sim, token, 'GET', '/api/v2/users'));
    assert.equal(error.status, undefined);
    assert.equal(sim.log.at(-1)?.status, 0);
    sim.faults.add({ listener: 'api', action: { kind: 'delay', ms: 200 } });
    const started = Date.now();
    assert.equal((await simApi(sim, token, 'GET', '/api/v2/users')).status, 200);
    assert.ok(Date.now() - started >= 190);
  });

  it('revokes every token at the n-th API request', async () => {
    const mine = await simLogin(sim);
    sim.faults.revokeTokensAtRequest(3);
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await simApi(sim, mine, 'GET', '/api/v2/users')).status);
    assert.deepEqual(statuses, [200, 200, 401, 401]);
    assert.equal((await simApi(sim, await simLogin(sim), 'GET', '/api/v2/users')).status, 200);
    token = await simLogin(sim);
  });
});
