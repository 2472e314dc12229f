/**
 * The forward proxy (SPEC §2 `proxy.*`): a real proxy (the `proxy` package) with Basic
 * authentication carries auth, API and media traffic alike; a wrong password is a run-level 407
 * error and an unreachable proxy another, and neither message shows the password.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { RemoteError } from '../src/errors.js';
import type { GenesysClient, GenesysClientOptions } from '../src/genesys/index.js';
import { openAtomic } from '../src/util/atomic.js';
import { addConversation, type Simulator } from '../sim/src/index.js';
import { assertNoSecretShown, captureFailure, openClientEnv, type ClientEnv } from './helpers/genesys.js';
import { startProxy, type TestProxy } from './helpers/proxy.js';

const SECRET = 'proxy-test-SeCrEt-canary-a1';

describe('forward proxy', { concurrency: false }, () => {
  let env: ClientEnv;
  let sim: Simulator;
  let proxy: TestProxy;
  let dir: string;
  const seen: string[] = [];
  const secrets = new Set<string>([SECRET]);

  const make = (proxyConfig: Record<string, unknown>, options: GenesysClientOptions = {}): GenesysClient =>
    env.make({ proxy: proxyConfig }, options);

  const fails = (promise: Promise<unknown>) => captureFailure(seen, promise);

  before(async () => {
    env = await openClientEnv({
      name: 'proxy',
      clientId: 'sim-client',
      clientSecret: SECRET,
      dirPrefix: 'gi-proxy-',
      importSourcePerClient: true,
    });
    ({ sim, dir } = env);
    proxy = await startProxy({ password: 'pr0xy-Pass:canary/7' });
    secrets.add(proxy.password);
    secrets.add(`${proxy.username}:${proxy.password}`);
  });

  after(async () => {
    await env.close();
    await proxy.close();
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
    // A signature the URL did not carry was recorded as ''.
    assertNoSecretShown(
      seen,
      [...secrets].filter((secret) => secret !== ''),
      ['base64', 'hex'],
    );
  });
});
