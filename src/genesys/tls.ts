/**
 * TLS material from `Config.tls` (SPEC §2): the trust list is added to the system roots (never
 * replaces them), the client certificate is PEM (cert + key files, or both in one file) or PFX/P12,
 * and `tls.thumbprint` must match the certificate actually loaded. Everything is checked once, up
 * front, so a wrong password or a mismatched thumbprint is a clear configuration error instead of a
 * handshake failure halfway through a run.
 */
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import tls from 'node:tls';
import type { Config } from '../config/types.js';
import { ConfigError } from '../errors.js';

/** The TLS options handed to got (`https.*`) for every request. */
export interface TlsMaterial {
  /** System roots + trust list; undefined when no trust list is configured (Node's default store). */
  readonly certificateAuthority: string[] | undefined;
  readonly certificate?: Buffer;
  readonly key?: Buffer;
  readonly pfx?: Buffer;
  readonly passphrase?: string;
  /** Fingerprints of the loaded client certificate (upper-case hex with colons), for `verify`. */
  readonly clientCertificate?: {
    readonly subject: string;
    readonly sha1: string;
    readonly sha256: string;
    readonly validTo: string;
  };
}

function readConfigured(config: Config, key: string, file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    throw new ConfigError(`${config.file}: "${key}" cannot be read: ${code} (${file})`, { cause: error });
  }
}

const PEM_CERT = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

function isPfx(file: string, data: Buffer): boolean {
  const ext = path.extname(file).toLowerCase();
  if (ext === '.pfx' || ext === '.p12') return true;
  if (ext === '.pem' || ext === '.crt' || ext === '.cer') return false;
  // A PKCS#12 file is DER: it starts with an ASN.1 SEQUENCE and has no PEM armour.
  return data[0] === 0x30 && !data.includes('-----BEGIN');
}

/** Loads and checks `config.tls`; throws ConfigError naming the key and the file on any problem. */
export function loadTlsMaterial(config: Config): TlsMaterial {
  const t = config.tls;
  const material: { -readonly [K in keyof TlsMaterial]: TlsMaterial[K] } = {
    certificateAuthority: undefined,
  };

  if (t.trustList !== undefined) {
    const text = readConfigured(config, 'tls.trustList', t.trustList).toString('utf8');
    const extra = text.match(PEM_CERT) ?? [];
    if (extra.length === 0) {
      throw new ConfigError(
        `${config.file}: "tls.trustList" holds no PEM certificate (-----BEGIN CERTIFICATE-----) (${t.trustList})`,
      );
    }
    for (const pem of extra) {
      try {
        new X509Certificate(pem);
      } catch (error) {
        throw new ConfigError(
          `${config.file}: "tls.trustList" holds a certificate that cannot be parsed (${t.trustList})`,
          { cause: error },
        );
      }
    }
    // Passing `ca` replaces Node's store, so the system roots and NODE_EXTRA_CA_CERTS go in too.
    material.certificateAuthority = [...tls.rootCertificates, ...extraCaFromEnvironment(), ...extra];
  }

  if (t.certFile !== undefined) {
    const data = readConfigured(config, 'tls.certFile', t.certFile);
    if (t.keyPassword !== undefined) material.passphrase = t.keyPassword;
    if (isPfx(t.certFile, data)) {
      material.pfx = data;
    } else {
      material.certificate = data;
      if (t.keyFile !== undefined) material.key = readConfigured(config, 'tls.keyFile', t.keyFile);
      else if (data.includes('PRIVATE KEY-----')) material.key = data;
      else
        throw new ConfigError(
          `${config.file}: "tls.keyFile" is needed: "tls.certFile" is a PEM certificate without its private key (${t.certFile})`,
        );
    }
    material.clientCertificate = inspectClientCertificate(config, material);
    if (t.thumbprint !== undefined) checkThumbprint(config, t.thumbprint, material.clientCertificate);
  }
  return material;
}

function extraCaFromEnvironment(): string[] {
  const file = process.env.NODE_EXTRA_CA_CERTS;
  if (file === undefined || file === '') return [];
  try {
    return readFileSync(file, 'utf8').match(PEM_CERT) ?? [];
  } catch {
    return [];
  }
}

/**
 * Builds a secure context with the client certificate (this is where a wrong password, a key that
 * does not belong to the certificate or a corrupt PFX shows), then reads the certificate back.
 */
function inspectClientCertificate(
  config: Config,
  m: TlsMaterial,
): NonNullable<TlsMaterial['clientCertificate']> {
  const which = m.pfx !== undefined ? '"tls.certFile" (PFX/P12)' : '"tls.certFile"/"tls.keyFile"';
  let context: tls.SecureContext;
  try {
    context = tls.createSecureContext({
      ...(m.pfx !== undefined ? { pfx: m.pfx } : {}),
      ...(m.certificate !== undefined ? { cert: m.certificate } : {}),
      ...(m.key !== undefined ? { key: m.key } : {}),
      ...(m.passphrase !== undefined ? { passphrase: m.passphrase } : {}),
    });
  } catch (error) {
    const text = (error as Error).message;
    const hint = /mac verify|bad decrypt|bad password|decrypt|passphrase/i.test(text)
      ? 'the password is wrong or missing: check "tls.keyPassword" (or GENESYS_TLS_KEY_PASSWORD)'
      : /key values mismatch|KEY_VALUES_MISMATCH/i.test(text)
        ? 'the private key does not belong to the certificate'
        : 'the file is not a usable certificate and key';
    // OpenSSL's text is safe (it never echoes the password) but is kept short.
    throw new ConfigError(
      `${config.file}: ${which} cannot be loaded: ${hint} (${text.split('\n')[0] ?? ''})`,
      { cause: error },
    );
  }
  // A TLS socket that never connects exposes the certificate the context would present.
  const socket = new tls.TLSSocket(null as never, { secureContext: context });
  try {
    const raw = socket.getCertificate();
    if (raw === null || !('raw' in raw) || !Buffer.isBuffer(raw.raw)) {
      throw new ConfigError(`${config.file}: ${which} holds no client certificate`);
    }
    const cert = new X509Certificate(raw.raw);
    return {
      subject: cert.subject,
      sha1: cert.fingerprint,
      sha256: cert.fingerprint256,
      validTo: cert.validTo,
    };
  } finally {
    socket.destroy();
  }
}

function checkThumbprint(
  config: Config,
  wanted: string,
  cert: NonNullable<TlsMaterial['clientCertificate']>,
): void {
  const normal = (fp: string): string => fp.replace(/[:\s]/g, '').toLowerCase();
  const expected = normal(wanted);
  if (expected === normal(cert.sha1) || expected === normal(cert.sha256)) return;
  throw new ConfigError(
    `${config.file}: "tls.thumbprint" (${expected}) does not match the client certificate loaded from "tls.certFile" ` +
      `(${config.tls.certFile ?? ''}): its SHA-1 is ${normal(cert.sha1)}, its SHA-256 is ${normal(cert.sha256)}; ` +
      'either the file or the thumbprint is wrong',
  );
}
