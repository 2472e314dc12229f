import assert from 'node:assert/strict';
import { X509Certificate, createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { after, before, describe, it } from 'node:test';
import { generatePki, startSimulator, writePki, type Simulator, type TestPki } from '../sim/src/index.js';
import { simRequest } from '../sim/src/test-client.js';

const pki: TestPki = generatePki({ pfxPassword: 'secret-pfx' });

function token(
  sim: Simulator,
  options: Parameters<typeof simRequest>[1] = {},
): ReturnType<typeof simRequest> {
  return simRequest(`${sim.authUrl}/oauth/token`, {
    method: 'POST',
    ca: pki.caCert,
    headers: { Authorization: `Basic ${Buffer.from('sim-client:sim-secret').toString('base64')}` },
    body: 'grant_type=client_credentials',
    ...options,
  });
}

describe('generatePki', () => {
  it('issues a server certificate for localhost and 127.0.0.1, signed by the CA', () => {
    const server = new X509Certificate(pki.serverCert);
    const ca = new X509Certificate(pki.caCert);
    assert.ok(server.checkIssued(ca));
    assert.ok(server.verify(ca.publicKey));
    assert.equal(server.checkHost('localhost'), 'localhost');
    assert.equal(server.checkIP('127.0.0.1'), '127.0.0.1');
    assert.equal(server.checkHost('example.com'), undefined);
    assert.equal(ca.ca, true);
  });

  it('gives the client certificate fingerprints as lowercase hex without colons', () => {
    const der = new X509Certificate(pki.clientCert).raw;
    assert.equal(pki.clientFingerprintSha1, createHash('sha1').update(der).digest('hex'));
    assert.equal(pki.clientFingerprintSha256, createHash('sha256').update(der).digest('hex'));
    assert.match(pki.clientFingerprintSha256, /^[0-9a-f]{64}$/);
  });

  it('packs the client certificate and key into a PFX that OpenSSL opens with the password', () => {
    assert.equal(pki.pfxPassword, 'secret-pfx');
    assert.doesNotThrow(() => tls.createSecureContext({ pfx: pki.clientPfx, passphrase: 'secret-pfx' }));
    assert.throws(() => tls.createSecureContext({ pfx: pki.clientPfx, passphrase: 'wrong' }));
  });

  it('makes the other CA unrelated to every certificate in use', () => {
    const other = new X509Certificate(pki.otherCaCert);
    assert.equal(new X509Certificate(pki.serverCert).checkIssued(other), false);
    assert.equal(new X509Certificate(pki.clientCert).checkIssued(other), false);
    assert.ok(new X509Certificate(pki.untrustedClientCert).checkIssued(other));
  });

  it('honours custom hosts and server validity', () => {
    const expired = generatePki({
      hosts: ['sim.test'],
      serverNotBefore: new Date(Date.now() - 10 * 86_400_000),
      serverNotAfter: new Date(Date.now() - 86_400_000),
    });
    const server = new X509Certificate(expired.serverCert);
    assert.equal(server.checkHost('sim.test'), 'sim.test');
    assert.equal(server.checkHost('localhost'), undefined);
    assert.ok(Date.parse(server.validTo) < Date.now());
  });
});

describe('simulator host names', () => {
  it('names its URLs after a host the certificate covers', async () => {
    const sim = await startSimulator({ serverHosts: ['127.0.0.1'] });
    try {
      assert.match(sim.apiUrl, /^https:\/\/127\.0\.0\.1:\d+$/);
      const res = await simRequest(`${sim.apiUrl}/api/v2/users`, { ca: sim.pki.caCert });
      assert.equal(res.status, 401);
    } finally {
      await sim.close();
    }
  });
});

describe('writePki', () => {
  it('writes every file with mode 0600', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'sim-pki-'));
    try {
      const files = await writePki(pki, dir);
      for (const file of Object.values(files) as string[]) {
        const stat = await fs.stat(file);
        assert.equal(stat.mode & 0o777, 0o600, file);
      }
      assert.equal(await fs.readFile(files.caCert, 'utf8'), pki.caCert);
      assert.deepEqual(await fs.readFile(files.clientPfx), pki.clientPfx);
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});

describe('TLS against the simulator', () => {
  let sim: Simulator;
  before(async () => {
    sim = await startSimulator({ pki, requireClientCert: true });
  });
  after(() => sim.close());

  it('accepts the client certificate as PEM and as PFX', async () => {
    assert.equal((await token(sim, { cert: pki.clientCert, key: pki.clientKey })).status, 200);
    assert.equal((await token(sim, { pfx: pki.clientPfx, passphrase: pki.pfxPassword })).status, 200);
  });

  it('refuses a connection without a client certificate or with an untrusted one', async () => {
    await assert.rejects(token(sim));
    await assert.rejects(token(sim, { cert: pki.untrustedClientCert, key: pki.untrustedClientKey }));
  });

  it('is not trusted through the other CA', async () => {
    await assert.rejects(
      token(sim, { ca: pki.otherCaCert, cert: pki.clientCert, key: pki.clientKey }),
      (error: Error) => {
        assert.match(
          error.message,
          /self-signed certificate in certificate chain|unable to verify|certificate/i,
        );
        return true;
      },
    );
  });

  it('does not ask the media listener for a client certificate', async () => {
    const res = await simRequest(`${sim.mediaUrl}/recordings/0`, { ca: pki.caCert });
    assert.equal(res.status, 403);
  });
});
