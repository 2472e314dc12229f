/**
 * The forward proxy (SPEC §2 `proxy.*`): a real proxy (the `proxy` package) with Basic
 * authentication carries auth, API and media traffic alike; a wrong password is a run-level 407
 * error and an unreachable proxy another, and neither message shows the password.
 */
import assert from 'node:assert/strict';
import { promises as fs, writeFileSync } from 'node:fs';
import path from 'node:path';
import { inspect } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { loadConfig } from '../src/config/load.js';
import { RemoteError } from '../src/errors.js';
import { createGenesysClient, type GenesysClient } from '../src/genesys/index.js';
import { openAtomic } from '../src/util/atomic.js';
import { statePaths } from '../src/state/paths.js';
import { addConversation, startSimulator, writePki, type Simulator } from '../src/simulator/index.js';
import { tempDir } from './helpers/cli.js';
import { startProxy, type TestProxy } from './helpers/proxy.js';

const SECRET = 'proxy-test-SeCrEt-canary-a1';

describe('forward proxy', { concurrency: false }, () => {
  let sim: Simulator;
  let proxy: TestProxy;
  let dir: string;
  let trustList: string;
  let n = 0;
  const seen: string[] = [];
  const secrets = new Set<string>([SECRET]);
  const clients: GenesysClient[] = [];

  const make = (proxyConfig: Record<string, unknown>, options = {}): GenesysClient => {
    const file = path.join(dir, `config-${(n += 1)}.json`);
    writeFileSync(
      file,
      JSON.stringify({
        name: 'proxy',
        policyId: 'pol',
        importSourceId: `s${n}`,
        clientId: 'sim-client',
        clientSecret: SECRET,
        authUrl: sim.authUrl,
        apiUrl: sim.apiUrl,
        tls: { trustList },
        proxy: proxyConfig,
        codec: 'WAV',
        timezone: 'UTC',
        recordingStartTimestamp: '2024-01-01T00:00:00Z',
        maxRecordingLengthMinutes: 60,
        availabilityDelayMinutes: 5,
        userCacheLifetimeMinutes: 60,
      }),
    );
    const config = loadConfig(file, { requireSecret: true });
    const client = createGenesysClient(
      config,
      statePaths(config.stateDir, config.policyId, config.importSourceId),
      {
        retryBaseMs: 5,
        ...options,
      },
    );
    clients.push(client);
    return client;
  };

  async function fails(promise: Promise<unknown>): Promise<Error & { code?: string; exitCode?: number }> {
    try {
      await promise;
    } catch (error) {
      seen.push(String(error), inspect(error, { depth: 10 }));
      return error as Error;
    }
    assert.fail('expected a rejection');
  }

  before(async () => {
    sim = await startSimulator({ clients: [{ clientId: 'sim-client', clientSecret: SECRET }] });
    proxy = await startProxy({ password: 'pr0xy-Pass:canary/7' });
    secrets.add(proxy.password);
    secrets.add(`${proxy.username}:${proxy.password}`);
    dir = await tempDir('gi-proxy-');
    trustList = (await writePki(sim.pki, path.join(dir, 'pki'))).caCert;
  });

  after(async () => {
    for (const c of clients) c.close();
    await proxy.close();
    await sim.close();
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('sends auth, API and media traffic through the proxy', async () => {
    const conversation = addConversation(sim.org, { startMs: Date.now() - 3_600_000, durationMs: 60_000 });
    const client = make({
      host: proxy.host,
      port: proxy.port,
      username: proxy.username,
      password: proxy.password,
    });
    const result = await client.recordings.getRecordings(conversation.id, 'WAV');
    assert.ok(!result.transcoding);
    const url = result.recordings[0]?.mediaUris?.S?.mediaUri;
    assert.ok(url);
    secrets.add(new URL(url).searchParams.get('X-Amz-Signature') ?? '');
    secrets.add((await client.auth.token()).accessToken);
    const file = await openAtomic(path.join(dir, 'archive', 'x.wav'));
    const download = await client.downloadMedia(url, file);
    await file.abort();
    assert.equal(download.bytes, conversation.recordings[0]!.sizeBytes);
    const hostOf = (u: string): string => new URL(u).host;
    for (const listener of [sim.authUrl, sim.apiUrl, sim.mediaUrl]) {
      assert.ok(
        proxy.connects.includes(hostOf(listener)),
        `${hostOf(listener)} not in ${proxy.connects.join(', ')}`,
      );
    }
    assert.equal(proxy.connects.length, 3, 'one tunnel per host: kept alive and reused');
  });

  it('turns a refused proxy password into RemoteError proxy.authRequired (407)', async () => {
    const wrong = 'wr0ng-Proxy-canary-22';
    secrets.add(wrong);
    const refusedBefore = proxy.refused;
    const error = await fails(
      make({ host: proxy.host, port: proxy.port, username: proxy.username, password: wrong }).login(),
    );
    assert.ok(error instanceof RemoteError);
    assert.equal(error.code, 'proxy.authRequired');
    assert.equal(error.exitCode, 4);
    assert.match(error.message, /407/);
    assert.match(error.message, /"proxy\.password"/);
    assert.equal(proxy.refused, refusedBefore + 1, 'not retried');
    const anonymous = await fails(make({ host: proxy.host, port: proxy.port }).login());
    assert.equal(anonymous.code, 'proxy.authRequired');
  });

  it('reports an unreachable proxy', async () => {
    const closed = await startProxy();
    const port = closed.port;
    await closed.close();
    const error = await fails(make({ host: '127.0.0.1', port }, { maxAttempts: 2 }).login());
    assert.ok(error instanceof RemoteError);
    assert.equal(error.code, 'proxy.unreachable');
    assert.match(error.message, /"proxy\.host" and "proxy\.port"/);
  });

  it('never shows the proxy password, token, secret or signature', () => {
    for (const secret of secrets) {
      if (secret === '') continue;
      const forms = [
        secret,
        encodeURIComponent(secret),
        Buffer.from(secret).toString('base64'),
        Buffer.from(secret).toString('hex'),
      ];
      for (const text of seen)
        for (const form of forms) assert.ok(!text.includes(form), `leaked: ${text.slice(0, 300)}`);
    }
  });
});
