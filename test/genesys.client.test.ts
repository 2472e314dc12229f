/**
 * The Genesys client against the simulator over HTTPS (CA trusted through `tls.trustList`): login
 * and the encrypted token cache, 401 handling, retries, paging, transcoding polls, users cache,
 * media downloads, error classification, and finally a scan for leaked secrets.
 */
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { RemoteError } from '../src/errors.js';
import { GenesysApiError, type GenesysClientOptions } from '../src/genesys/index.js';
import type { GenesysClient } from '../src/genesys/index.js';
import { statePaths, type StatePaths } from '../src/state/paths.js';
import { addConversation, generateOrg, generatePki } from '../sim/src/index.js';
import type { SimulatorOptions, TestPki } from '../sim/src/index.js';
import { assertNoSecretShown, captureFailure, openClientEnv, type ClientEnv } from './helpers/genesys.js';

const CLIENT_ID = 'ingest-client';
const SECRET = 'cl1ent-SeCrEt-canary-4d2f9a';
/** Every secret the tests learn; nothing captured may contain any of them in any encoding. */
const secrets = new Set<string>([SECRET, `${CLIENT_ID}:${SECRET}`]);
/** Error renderings and state files captured along the way. */
const seen: string[] = [];

interface Env extends Pick<ClientEnv, 'sim' | 'dir'> {
  paths: StatePaths;
  make(options?: GenesysClientOptions, patch?: Record<string, unknown>): GenesysClient;
  close(): Promise<void>;
}

/** One PKI for every simulator of this file: key generation is the slow part of starting one. */
let sharedPki: TestPki | undefined;

async function env(simOptions: SimulatorOptions = {}): Promise<Env> {
  sharedPki ??= generatePki();
  const e = await openClientEnv({
    name: 'test',
    clientId: CLIENT_ID,
    clientSecret: SECRET,
    dirPrefix: 'gi-genesys-',
    simulator: { pki: sharedPki, ...simOptions },
  });
  return {
    sim: e.sim,
    dir: e.dir,
    paths: statePaths(path.join(e.dir, 'state'), 'pol', 'src'),
    make: (options = {}, patch = {}) => e.make(patch, options),
    // The state files (token and user caches) join the captured texts before the folder goes.
    close: () =>
      e.close(async (dir) => {
        for (const file of await listFiles(path.join(dir, 'state')))
          seen.push((await fs.readFile(file)).toString('latin1'));
      }),
  };
}

async function listFiles(root: string): Promise<string[]> {
  const entries = await fs.readdir(root, { withFileTypes: true, recursive: true }).catch(() => []);
  return entries.filter((e) => e.isFile()).map((e) => path.join(e.parentPath, e.name));
}

/** Awaits a rejection, records how the error renders, and returns it. */
const failure = (promise: Promise<unknown>) => captureFailure(seen, promise, { json: true });

async function remember(client: GenesysClient): Promise<void> {
  secrets.add((await client.auth.token()).accessToken);
}

const recentInterval = (): string =>
  `${new Date(Date.now() - 3 * 86_400_000).toISOString()}/${new Date().toISOString()}`;

describe('genesys client', { concurrency: false }, () => {
  const envs: Env[] = [];
  const open = async (o?: SimulatorOptions): Promise<Env> => {
    const e = await env(o);
    envs.push(e);
    return e;
  };
  after(async () => {
    for (const e of envs) await e.close().catch(() => undefined);
  });

  it('logs in once and reuses the encrypted cached token across client instances', async () => {
    const e = await open();
    const a = e.make();
    await a.tokenInfo();
    await remember(a);
    const b = e.make();
    const info = await b.tokenInfo();
    assert.equal(info.OAuthClient?.id, CLIENT_ID);
    assert.equal(e.sim.counts().auth, 1);
    assert.equal(b.auth.logins, 0);
    const stat = await fs.stat(e.paths.tokenFile);
    assert.equal(stat.mode & 0o777, 0o600);
    assert.equal(a.apiRequests, 2);
    assert.equal(b.apiRequests, 1);
    // A tampered cache is ignored, never fatal.
    const text = await fs.readFile(e.paths.tokenFile, 'utf8');
    const envelope = JSON.parse(text) as { data: string };
    const bytes = Buffer.from(envelope.data, 'base64');
    bytes[0] = (bytes[0] ?? 0) ^ 1;
    await fs.writeFile(e.paths.tokenFile, JSON.stringify({ ...envelope, data: bytes.toString('base64') }));
    const c = e.make();
    await c.tokenInfo();
    await remember(c);
    assert.equal(c.auth.logins, 1);
    await fs.writeFile(e.paths.tokenFile, 'not json at all');
    const d = e.make();
    await d.login();
    await remember(d);
    assert.equal(d.auth.logins, 1);
  });

  it('refuses a wrong secret with auth.invalidClient naming the client id only', async () => {
    const e = await open();
    const wrong = 'wr0ng-SeCrEt-canary-77aa';
    secrets.add(wrong);
    const error = await failure(e.make({}, { clientSecret: wrong }).login());
    assert.ok(error instanceof RemoteError);
    assert.equal(error.code, 'auth.invalidClient');
    assert.equal(error.exitCode, 4);
    assert.match(error.message, new RegExp(CLIENT_ID));
    assert.match(error.message, /check "clientId" and the client secret/);
  });

  it('honours Retry-After on 429, retries 5xx and broken connections, and gives up past the budget', async () => {
    const e = await open();
    const client = e.make();
    await client.login();
    e.sim.faults.add({
      listener: 'api',
      path: '/tokens/me',
      action: { kind: 'status', status: 429, retryAfterSeconds: 1 },
    });
    const started = Date.now();
    await client.tokenInfo();
    assert.ok(Date.now() - started >= 900, 'waited for Retry-After');
    e.sim.faults.add({
      listener: 'api',
      path: '/tokens/me',
      action: { kind: 'status', status: 503 },
      times: 2,
    });
    e.sim.faults.add({ listener: 'api', path: '/tokens/me', action: { kind: 'hangup' } });
    const before = e.sim.counts().api;
    await client.tokenInfo();
    assert.equal(e.sim.counts().api - before, 4);

    e.sim.faults.add({
      listener: 'api',
      path: '/tokens/me',
      action: { kind: 'status', status: 502 },
      times: Infinity,
    });
    const gone = await failure(client.tokenInfo());
    assert.ok(gone instanceof RemoteError);
    assert.equal(gone.code, 'api.unavailable');
    assert.match(gone.message, /502 after 5 attempts/);
    e.sim.faults.clear();

    // 429s have their own allowance, apart from the five attempts.
    const patient = e.make({ maxRateLimitWaits: 7 });
    await patient.login();
    e.sim.faults.add({
      listener: 'api',
      path: '/tokens/me',
      action: { kind: 'status', status: 429, retryAfterSeconds: 0 },
      times: Infinity,
    });
    const beforeStorm = e.sim.counts().api;
    const storm = await failure(patient.tokenInfo());
    assert.equal(storm.code, 'api.rateLimited');
    assert.equal(e.sim.counts().api - beforeStorm, 7);
    e.sim.faults.clear();

    // A Retry-After beyond the run's deadline stops at once instead of waiting.
    const hurried = e.make({ deadline: Date.now() + 2_000 });
    await hurried.login();
    e.sim.faults.add({
      listener: 'api',
      path: '/tokens/me',
      action: { kind: 'status', status: 429, retryAfterSeconds: 30 },
    });
    const beforeHurried = e.sim.counts().api;
    const limited = await failure(hurried.tokenInfo());
    assert.equal(limited.code, 'api.rateLimited');
    // Given up on the Retry-After itself, without waiting for it: one request, the budget named.
    assert.match(limited.message, /beyond the run's time budget/);
    assert.equal(e.sim.counts().api - beforeHurried, 1);
  });

  it('logs in again once when tokens are revoked mid-run, even for concurrent requests', async () => {
    const e = await open();
    const client = e.make();
    await client.tokenInfo();
    await remember(client);
    const issued = e.sim.tokensIssued();
    e.sim.revokeAllTokens();
    await Promise.all(Array.from({ length: 6 }, () => client.tokenInfo()));
    await remember(client);
    assert.equal(e.sim.tokensIssued(), issued + 1);
    assert.equal(client.auth.logins, 2);

    // 401 again right after a fresh login: run-level.
    e.sim.faults.add({
      listener: 'api',
      path: '/tokens/me',
      action: { kind: 'status', status: 401 },
      times: 2,
    });
    const error = await failure(client.tokenInfo());
    assert.ok(error instanceof RemoteError);
    assert.equal(error.code, 'auth.rejected');
    await remember(client);
  });

  it('classifies 403 missing.permissions as run-level and a 404 as item-level', async () => {
    const e = await open({
      clients: [
        { clientId: CLIENT_ID, clientSecret: SECRET },
        { clientId: 'no-analytics', clientSecret: SECRET, permissions: ['recording:recording:view'] },
      ],
    });
    const limited = e.make({}, { clientId: 'no-analytics' });
    const denied = await failure(limited.analytics.queryDetails({ interval: recentInterval() }));
    assert.ok(denied instanceof RemoteError);
    assert.equal(denied.code, 'api.missingPermissions');
    assert.match(denied.message, /analytics:conversationDetail:view/);
    await remember(limited);

    const client = e.make();
    const missing = await failure(client.recordings.getMetadata('00000000-0000-4000-8000-000000000000'));
    assert.ok(missing instanceof GenesysApiError);
    assert.equal(missing.status, 404);
    assert.equal(missing.genesysCode, 'conversation.not.found');
    assert.ok(!(missing instanceof RemoteError));
    await remember(client);
  });

  it('pages the details query across many pages and re-reads by id', async () => {
    const now = Date.now();
    const e = await open({
      org: generateOrg({ conversations: 230, toMs: now, fromMs: now - 2 * 86_400_000 }),
    });
    const client = e.make();
    const ids: string[] = [];
    let pages = 0;
    for await (const page of client.analytics.pageDetails({ interval: recentInterval() }, { pageSize: 25 })) {
      pages += 1;
      assert.equal(page.totalHits, 230);
      ids.push(...page.conversations.map((c) => c.conversationId));
    }
    assert.equal(pages, 10);
    assert.equal(new Set(ids).size, 230);
    const again = await client.analytics.getDetailsByIds([
      ...ids.slice(0, 150),
      'f0000000-0000-4000-8000-000000000000',
    ]);
    assert.equal(again.length, 150);
    assert.equal(e.sim.counts().byRoute['GET /api/v2/analytics/conversations/details'], 2);
    await remember(client);
  });

  it('polls 202 while transcoding, then reports transcoding after the maximum wait', async () => {
    const e = await open({ transcodeMs: 400 });
    const conversation = addConversation(e.sim.org, {
      startMs: Date.now() - 3_600_000,
      durationMs: 60_000,
      recordings: 1,
    });
    const client = e.make({ recordingServerWaitMs: 50, poll: { pollBaseMs: 50 } });
    const result = await client.recordings.waitForRecordings(conversation.id, 'MP3');
    assert.equal(result.transcoding, false);
    assert.ok(!result.transcoding && result.recordings[0]?.mediaUris?.S?.mediaUri);
    const polls = e.sim.counts().byRoute['GET /api/v2/conversations/{conversationId}/recordings'] ?? 0;
    assert.ok(polls >= 2, `polled ${polls} times`);
    const other = addConversation(e.sim.org, { startMs: Date.now() - 3_600_000, durationMs: 60_000 });
    e.sim.org.setFileState(other.recordings[0]!.id, 'AVAILABLE');
    const overdue = await client.recordings.waitForRecordings(other.id, 'OGG_OPUS', {
      maxWaitMs: 150,
      pollBaseMs: 40,
    });
    assert.equal(overdue.transcoding, true);
    await remember(client);
  });

  it('keeps user details on disk for userCacheLifetimeMinutes across runs', async () => {
    const e = await open();
    const ids = [...e.sim.org.users.keys()];
    const unknown = 'a0000000-0000-4000-8000-00000000000a';
    const first = await e.make().users.getUsers([...ids, unknown]);
    assert.equal(first.size, ids.length);
    const route = (): number => e.sim.counts().byRoute['GET /api/v2/users'] ?? 0;
    assert.equal(route(), 1);
    const second = await e.make().users.getUsers([ids[0]!, unknown]);
    assert.equal(second.get(ids[0]!)?.id, ids[0]);
    assert.equal(route(), 1, 'served from the cache file, the unknown id included');
    const later = e.make({ now: () => Date.now() + 61 * 60_000 });
    await later.users.getUsers([ids[0]!]);
    assert.equal(route(), 2, 'expired after the lifetime');
    assert.equal((await fs.stat(e.paths.userCacheFile)).mode & 0o777, 0o600);
  });

  it('keeps queue and wrap-up code names on disk for userCacheLifetimeMinutes; a 404 is cached as unknown', async () => {
    const e = await open();
    const queues = e.sim.org.queues;
    const code = e.sim.org.wrapUpCodes[0]!;
    const unknown = 'a0000000-0000-4000-8000-00000000000b';
    const route = (r: string): number => e.sim.counts().byRoute[`GET /api/v2/routing/${r}`] ?? 0;
    const first = await e.make().queues.getNames([...queues.map((q) => q.id), unknown, queues[0]!.id]);
    assert.deepEqual(first, new Map(queues.map((q) => [q.id, q.name])));
    assert.equal(
      route('queues/{queueId}'),
      queues.length + 1,
      'one request per id, the unknown one included',
    );
    assert.deepEqual(await e.make().wrapUpCodes.getNames([code.id]), new Map([[code.id, code.name]]));
    const second = e.make();
    assert.deepEqual(
      await second.queues.getNames([queues[0]!.id, unknown]),
      new Map([[queues[0]!.id, queues[0]!.name]]),
    );
    assert.deepEqual(await second.wrapUpCodes.getNames([code.id]), new Map([[code.id, code.name]]));
    assert.equal(
      route('queues/{queueId}'),
      queues.length + 1,
      'served from the cache file, the unknown id included',
    );
    assert.equal(route('wrapupcodes/{codeId}'), 1);
    const later = e.make({ now: () => Date.now() + 61 * 60_000 });
    await later.queues.getNames([queues[0]!.id]);
    assert.equal(route('queues/{queueId}'), queues.length + 2, 'expired after the lifetime');
    for (const file of [e.paths.queueCacheFile, e.paths.wrapUpCodeCacheFile])
      assert.equal((await fs.stat(file)).mode & 0o777, 0o600);
  });

  it('throws a refused name lookup (403 missing.permissions) for the caller to degrade', async () => {
    const e = await open({
      clients: [{ clientId: CLIENT_ID, clientSecret: SECRET, permissions: ['recording:recording:view'] }],
    });
    const client = e.make();
    const refused = await failure(client.queues.getNames([e.sim.org.queues[0]!.id]));
    assert.ok(refused instanceof RemoteError);
    assert.equal(refused.code, 'api.missingPermissions');
    assert.match(refused.message, /routing:queue:view/);
    await remember(client);
  });

  it('learns the clock skew from the first API Date header', async () => {
    const e = await open({ clockSkewMs: 120_000 });
    const client = e.make();
    assert.equal(client.clockSkewMs, undefined);
    await client.tokenInfo();
    assert.ok(Math.abs((client.clockSkewMs ?? 0) - 120_000) < 2_000, String(client.clockSkewMs));
    await remember(client);
  });

  it('covers batch download, deletion protection, retention and analytics jobs', async () => {
    const e = await open();
    const client = e.make();
    const c1 = addConversation(e.sim.org, { startMs: Date.now() - 7_200_000, durationMs: 60_000 });
    const c2 = addConversation(e.sim.org, {
      startMs: Date.now() - 7_100_000,
      durationMs: 60_000,
      protected: true,
    });
    const job = await client.recordings.submitBatch([{ conversationId: c1.id }]);
    assert.equal(JSON.stringify(job), JSON.stringify({ id: job.id, token: '[token]' }));
    const status = await client.recordings.getBatch(job);
    assert.equal(status.status, 'Completed');
    assert.ok(status.results?.[0]?.resultUrl);
    const protectedIds = await client.recordings.getProtectedConversations([c1.id, c2.id]);
    assert.deepEqual([...protectedIds], [c2.id]);
    const recording = c1.recordings[0]!;
    const deleteDate = new Date(Date.now() + 86_400_000).toISOString();
    await client.recordings.updateRetention(c1.id, recording.id, { deleteDate });
    assert.equal(e.sim.org.retentionLog.length, 1);
    const refused = await failure(
      client.recordings.updateRetention(c2.id, c2.recordings[0]!.id, { deleteDate }),
    );
    assert.ok(refused instanceof GenesysApiError);
    const jobId = await client.analytics.createJob({ interval: recentInterval() });
    assert.equal((await client.analytics.getJobStatus(jobId)).state, 'FULFILLED');
    let count = 0;
    for await (const page of client.analytics.pageJobResults(jobId, { pageSize: 20 }))
      count += page.conversations?.length ?? 0;
    assert.ok(count >= 2);
    await client.analytics.deleteJob(jobId);
    await client.analytics.deleteJob(jobId);
    assert.ok((await client.analytics.getJobsAvailability()) !== undefined);
    await remember(client);
  });
});

// Registered last: runs after every test above has captured its errors and state files.
describe('secrets', () => {
  it('never appear in errors or state files, in any encoding', () => {
    assert.ok(seen.length > 10);
    assert.ok(
      seen.some((t) => t.includes('"iv"')),
      'the encrypted token cache was among the captured files',
    );
    assert.ok(
      seen.some((t) => t.includes('"users"')),
      'the user cache was among the captured files',
    );
    assertNoSecretShown(seen, secrets, ['base64', 'base64url', 'hex']);
  });
});
