/**
 * Test PKI for the simulator: a CA generated per run, a server certificate for the simulator's
 * host names, a client certificate for mutual TLS (PEM and PKCS#12), and a second, unrelated CA
 * (with a client certificate of its own) for "untrusted" tests. Keys come from node:crypto, which is
 * far faster than node-forge's JavaScript RSA; node-forge only builds and signs the certificates.
 */
import { X509Certificate, generateKeyPairSync, randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { isIP } from 'node:net';
import path from 'node:path';
import forge from 'node-forge';

/** Everything a test needs to run TLS against the simulator, all PEM text unless said otherwise. */
export interface TestPki {
  readonly caCert: string;
  readonly caKey: string;
  readonly serverCert: string;
  readonly serverKey: string;
  /** Host names and IP addresses the server certificate is valid for. */
  readonly hosts: readonly string[];
  readonly clientCert: string;
  readonly clientKey: string;
  /** The client certificate, its key and the CA as PKCS#12, protected by `pfxPassword`. */
  readonly clientPfx: Buffer;
  readonly pfxPassword: string;
  /** Lowercase hex, no colons. */
  readonly clientFingerprintSha1: string;
  readonly clientFingerprintSha256: string;
  /** A CA that signed none of the above: trusting only it must fail. */
  readonly otherCaCert: string;
  /** A client certificate signed by `otherCaCert`, which the simulator must refuse. */
  readonly untrustedClientCert: string;
  readonly untrustedClientKey: string;
}

/** Options of `generatePki`. */
export interface PkiOptions {
  /** DNS names and IP addresses for the server certificate; default `['localhost', '127.0.0.1']`. */
  hosts?: string[];
  /** Password of `clientPfx`; default `pfx-pass`. */
  pfxPassword?: string;
  /** Validity of the server certificate, to build an expired or not-yet-valid one. */
  serverNotBefore?: Date;
  serverNotAfter?: Date;
}

const DAY_MS = 86_400_000;

interface KeyPair {
  privatePem: string;
  forgePrivate: forge.pki.rsa.PrivateKey;
  forgePublic: forge.pki.rsa.PublicKey;
}

function newKeyPair(): KeyPair {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
  });
  return {
    privatePem: privateKey,
    forgePrivate: forge.pki.privateKeyFromPem(privateKey),
    forgePublic: forge.pki.publicKeyFromPem(publicKey),
  };
}

function serialNumber(): string {
  const bytes = randomBytes(16);
  // A positive DER integer: clear the top bit, and keep it non-zero so no leading zero byte.
  bytes[0] = ((bytes[0] ?? 0) & 0x7f) | 0x10;
  return bytes.toString('hex');
}

interface CertRequest {
  commonName: string;
  keys: KeyPair;
  issuer?: { cert: forge.pki.Certificate; keys: KeyPair };
  extensions: object[];
  notBefore?: Date;
  notAfter?: Date;
}

function makeCert(request: CertRequest): forge.pki.Certificate {
  const cert = forge.pki.createCertificate();
  cert.publicKey = request.keys.forgePublic;
  cert.serialNumber = serialNumber();
  const now = Date.now();
  // Back-dated a day so tests that skew the clock still see a valid certificate.
  cert.validity.notBefore = request.notBefore ?? new Date(now - DAY_MS);
  cert.validity.notAfter = request.notAfter ?? new Date(now + 30 * DAY_MS);
  const subject = [
    { name: 'commonName', value: request.commonName },
    { name: 'organizationName', value: 'genesys-ingest simulator' },
  ];
  cert.setSubject(subject);
  cert.setIssuer(request.issuer ? request.issuer.cert.subject.attributes : subject);
  const extensions: object[] = [...request.extensions, { name: 'subjectKeyIdentifier' }];
  if (request.issuer) {
    extensions.push({
      name: 'authorityKeyIdentifier',
      keyIdentifier: request.issuer.cert.generateSubjectKeyIdentifier().getBytes(),
    });
  }
  cert.setExtensions(extensions);
  cert.sign((request.issuer ?? request).keys.forgePrivate, forge.md.sha256.create());
  return cert;
}

function makeCa(commonName: string): { cert: forge.pki.Certificate; keys: KeyPair } {
  const keys = newKeyPair();
  const cert = makeCert({
    commonName,
    keys,
    extensions: [
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    ],
  });
  return { cert, keys };
}

function leafExtensions(usage: 'serverAuth' | 'clientAuth', hosts: readonly string[] = []): object[] {
  const extensions: object[] = [
    { name: 'basicConstraints', cA: false, critical: true },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', [usage]: true },
  ];
  if (hosts.length > 0) {
    const altNames = hosts.map((host) =>
      isIP(host) !== 0 ? { type: 7, ip: host } : { type: 2, value: host },
    );
    extensions.push({ name: 'subjectAltName', altNames });
  }
  return extensions;
}

function fingerprint(pem: string, algorithm: 'sha1' | 'sha256'): string {
  const x509 = new X509Certificate(pem);
  const value = algorithm === 'sha1' ? x509.fingerprint : x509.fingerprint256;
  return value.replace(/:/g, '').toLowerCase();
}

/** Generates a fresh PKI for one test run (about half a second: five RSA-2048 keys). */
export function generatePki(options: PkiOptions = {}): TestPki {
  const hosts = options.hosts ?? ['localhost', '127.0.0.1'];
  const pfxPassword = options.pfxPassword ?? 'pfx-pass';
  const ca = makeCa('genesys-ingest simulator CA');
  const serverKeys = newKeyPair();
  const server = makeCert({
    commonName: hosts[0] ?? 'localhost',
    keys: serverKeys,
    issuer: ca,
    extensions: leafExtensions('serverAuth', hosts),
    ...(options.serverNotBefore ? { notBefore: options.serverNotBefore } : {}),
    ...(options.serverNotAfter ? { notAfter: options.serverNotAfter } : {}),
  });
  const clientKeys = newKeyPair();
  const client = makeCert({
    commonName: 'genesys-ingest client',
    keys: clientKeys,
    issuer: ca,
    extensions: leafExtensions('clientAuth'),
  });
  const other = makeCa('unrelated CA');
  const strangerKeys = newKeyPair();
  const stranger = makeCert({
    commonName: 'untrusted client',
    keys: strangerKeys,
    issuer: other,
    extensions: leafExtensions('clientAuth'),
  });
  // 3DES and a SHA-1 MAC: readable by OpenSSL 3 without the legacy provider (RC2 is not).
  const p12 = forge.pkcs12.toPkcs12Asn1(clientKeys.forgePrivate, [client, ca.cert], pfxPassword, {
    algorithm: '3des',
    friendlyName: 'genesys-ingest client',
  });
  const clientPfx = Buffer.from(forge.asn1.toDer(p12).getBytes(), 'binary');
  const clientCert = forge.pki.certificateToPem(client);
  return {
    caCert: forge.pki.certificateToPem(ca.cert),
    caKey: ca.keys.privatePem,
    serverCert: forge.pki.certificateToPem(server),
    serverKey: serverKeys.privatePem,
    hosts,
    clientCert,
    clientKey: clientKeys.privatePem,
    clientPfx,
    pfxPassword,
    clientFingerprintSha1: fingerprint(clientCert, 'sha1'),
    clientFingerprintSha256: fingerprint(clientCert, 'sha256'),
    otherCaCert: forge.pki.certificateToPem(other.cert),
    untrustedClientCert: forge.pki.certificateToPem(stranger),
    untrustedClientKey: strangerKeys.privatePem,
  };
}

/** Paths of the files `writePki` wrote. */
export interface PkiFiles {
  readonly caCert: string;
  readonly serverCert: string;
  readonly serverKey: string;
  readonly clientCert: string;
  readonly clientKey: string;
  readonly clientPfx: string;
  /** Client certificate followed by its key, for tools that want one PEM file. */
  readonly clientBundle: string;
  readonly otherCaCert: string;
  readonly untrustedClientCert: string;
  readonly untrustedClientKey: string;
}

/** Writes the PKI into `dir` (created if missing), every file with mode 0600; returns the paths. */
export async function writePki(pki: TestPki, dir: string): Promise<PkiFiles> {
  await fs.mkdir(dir, { recursive: true, mode: 0o700 });
  const contents: Record<keyof PkiFiles, [string, string | Buffer]> = {
    caCert: ['ca.pem', pki.caCert],
    serverCert: ['server.pem', pki.serverCert],
    serverKey: ['server.key', pki.serverKey],
    clientCert: ['client.pem', pki.clientCert],
    clientKey: ['client.key', pki.clientKey],
    clientPfx: ['client.p12', pki.clientPfx],
    clientBundle: ['client-bundle.pem', pki.clientCert + pki.clientKey],
    otherCaCert: ['other-ca.pem', pki.otherCaCert],
    untrustedClientCert: ['untrusted-client.pem', pki.untrustedClientCert],
    untrustedClientKey: ['untrusted-client.key', pki.untrustedClientKey],
  };
  const out: Partial<Record<keyof PkiFiles, string>> = {};
  for (const [key, [name, data]] of Object.entries(contents) as [
    keyof PkiFiles,
    [string, string | Buffer],
  ][]) {
    const file = path.join(dir, name);
    await fs.writeFile(file, data, { mode: 0o600 });
    // writeFile keeps the mode of a file that already existed; make it 0600 in every case.
    await fs.chmod(file, 0o600);
    out[key] = file;
  }
  return out as PkiFiles;
}
