/**
 * TLS and connection failures against the simulator: the trust list, host name and expiry checks,
 * mutual TLS with PEM, a PEM bundle and PFX client certificates, the thumbprint check, and the
 * run-level errors (exit 4) each failure becomes, with messages that say what to check.
 */
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ConfigError, RemoteError } from '../src/errors.js';
import type { GenesysClient, GenesysClientOptions } from '../src/genesys/index.js';
import {
  generatePki,
  startSimulator,
  writePki,
  type PkiFiles,
  type Simulator,
  type TestPki,
} from '../sim/src/index.js';
import { tempDir } from './helpers/cli.js';
import { assertNoSecretShown, captureFailure, ClientMaker, type Endpoints } from './helpers/genesys.js';

const SECRET = 'tls-SeCrEt-canary-90c1';
const seen: string[] = [];
const tokens = new Set<string>();

describe('TLS and connections', { concurrency: false }, () => {
  let dir: string;
  let pki: TestPki;
  let files: PkiFiles;
  let plain: Simulator;
  let mutual: Simulator;
  let clients: ClientMaker;

  const make = (
    sim: Endpoints,
    patch: Record<string, unknown> = {},
    options: GenesysClientOptions = {},
  ): GenesysClient => clients.make({ authUrl: sim.authUrl, apiUrl: sim.apiUrl, ...patch }, options);

  const fails = (action: Promise<unknown> | (() => unknown)) => captureFailure(seen, action);

  const works = async (client: GenesysClient): Promise<void> => {
    const info = await client.tokenInfo();
    assert.equal(info.OAuthClient?.id, 'sim-client');
    tokens.add((await client.auth.token()).accessToken);
  };

  before(async () => {
    dir = await tempDir('gi-tls-');
    pki = generatePki({ pfxPassword: 'pfx-Pass-canary-31' });
    files = await writePki(pki, path.join(dir, 'pki'));
    clients = new ClientMaker({
      name: 'tls',
      dir,
      clientId: 'sim-client',
      clientSecret: SECRET,
      trustList: files.caCert,
      importSourcePerClient: true,
    });
    const clientsOption = [{ clientId: 'sim-client', clientSecret: SECRET }];
    plain = await startSimulator({ pki, clients: clientsOption });
    mutual = await startSimulator({ pki, clients: clientsOption, requireClientCert: true });
  });

  after(async () => {
    clients.closeAll();
    await plain.close();
    await mutual.close();
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('trusts the simulator CA through tls.trustList, in addition to the system roots', async () => {
    const client = make(plain);
    // A probe proves DNS, proxy and TLS without credentials: any HTTP status passes.
    assert.equal(await client.probe('auth'), 404);
    assert.equal(await client.probe('api'), 401);
    await works(client);
  });

  it('refuses a server whose CA is not trusted, naming tls.trustList', async () => {
    for (const tls of [{ trustList: files.otherCaCert }, {}]) {
      const error = await fails(make(plain, { tls }).login());
      assert.ok(error instanceof RemoteError);
      assert.equal(error.code, 'tls.untrusted');
      assert.equal(error.exitCode, 4);
      assert.match(error.message, /not trusted .*"tls\.trustList"/);
    }
  });

  it('refuses a certificate issued for another host name', async () => {
    // A certificate for localhost only, reached as 127.0.0.1.
    const sim = await startSimulator({ pki: generatePki({ hosts: ['localhost'] }) });
    try {
      const ca = path.join(dir, 'only-localhost-ca.pem');
      await fs.writeFile(ca, sim.pki.caCert);
      const error = await fails(
        make(
          { authUrl: sim.authUrl.replace('localhost', '127.0.0.1'), apiUrl: sim.apiUrl },
          { tls: { trustList: ca } },
        ).login(),
      );
      assert.ok(error instanceof RemoteError);
      assert.equal(error.code, 'tls.hostnameMismatch');
      assert.match(error.message, /"authUrl"/);
    } finally {
      await sim.close();
    }
  });

  it('refuses an expired server certificate', async () => {
    const old = generatePki({
      serverNotBefore: new Date(Date.now() - 10 * 86_400_000),
      serverNotAfter: new Date(Date.now() - 86_400_000),
    });
    const sim = await startSimulator({
      pki: old,
      clients: [{ clientId: 'sim-client', clientSecret: SECRET }],
    });
    try {
      const ca = path.join(dir, 'old-ca.pem');
      await fs.writeFile(ca, old.caCert);
      const error = await fails(make(sim, { tls: { trustList: ca } }).login());
      assert.equal(error.code, 'tls.expired');
    } finally {
      await sim.close();
    }
  });

  it('presents a PEM, a PEM bundle or a PFX client certificate for mutual TLS', async () => {
    await works(
      make(mutual, {
        tls: { trustList: files.caCert, certFile: files.clientCert, keyFile: files.clientKey },
      }),
    );
    await works(
      make(mutual, {
        tls: { trustList: files.caCert, certFile: files.clientBundle, thumbprint: pki.clientFingerprintSha1 },
      }),
    );
    await works(
      make(mutual, {
        tls: {
          trustList: files.caCert,
          certFile: files.clientPfx,
          keyPassword: pki.pfxPassword,
          thumbprint: pki.clientFingerprintSha256,
        },
      }),
    );
  });

  it('fails mutual TLS without a certificate, or with one the server does not trust', async () => {
    const none = await fails(make(mutual, {}, { maxAttempts: 2 }).login());
    assert.ok(none instanceof RemoteError, String(none));
    const foreign = await fails(
      make(
        mutual,
        {
          tls: {
            trustList: files.caCert,
            certFile: files.untrustedClientCert,
            keyFile: files.untrustedClientKey,
          },
        },
        { maxAttempts: 2 },
      ).login(),
    );
    assert.ok(foreign instanceof RemoteError, String(foreign));
  });

  it('refuses a thumbprint mismatch and a wrong PFX password before any connection', async () => {
    const before = mutual.counts();
    const wrongThumb = await fails(() =>
      make(mutual, {
        tls: {
          trustList: files.caCert,
          certFile: files.clientCert,
          keyFile: files.clientKey,
          thumbprint: 'ab'.repeat(32),
        },
      }),
    );
    assert.ok(wrongThumb instanceof ConfigError);
    assert.equal(wrongThumb.exitCode, 2);
    assert.match(wrongThumb.message, /"tls\.thumbprint" \(abab.*\) does not match .*SHA-256 is [0-9a-f]{64}/);
    const badPassword = 'wrong-Pfx-canary-55';
    const wrongPassword = await fails(() =>
      make(mutual, { tls: { trustList: files.caCert, certFile: files.clientPfx, keyPassword: badPassword } }),
    );
    assert.ok(wrongPassword instanceof ConfigError);
    assert.match(wrongPassword.message, /tls\.keyPassword/);
    assert.ok(!wrongPassword.message.includes(badPassword));
    assert.deepEqual(mutual.counts(), before);
  });

  it('reports a refused connection and an unresolvable host as run-level errors', async () => {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as net.AddressInfo).port;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const refused = await fails(
      make({ authUrl: `https://127.0.0.1:${port}`, apiUrl: `https://127.0.0.1:${port}` }).login(),
    );
    assert.equal(refused.code, 'network.refused');
    assert.match(refused.message, /"authUrl"/);
    const dns = await fails(
      make(
        { authUrl: 'https://login.genesys-ingest-test.invalid', apiUrl: plain.apiUrl },
        {},
        { maxAttempts: 1 },
      ).login(),
    );
    assert.equal(dns.code, 'network.dns');
  });

  it('never shows a secret in these errors', () => {
    assertNoSecretShown(seen, [SECRET, pki.pfxPassword, 'wrong-Pfx-canary-55', ...tokens], ['base64', 'hex']);
  });
});
