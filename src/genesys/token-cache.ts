/**
 * The access-token cache (SPEC §4 step 2, §3): one file under `work/`, mode 0600, written atomically,
 * encrypted with AES-256-GCM under a key derived (scrypt) from the client secret, salted with the
 * client id and auth URL, and a fresh 12-byte IV per write. The GCM tag authenticates it, so a file
 * that was altered, or belongs to another client or region, simply fails to open and is ignored:
 * the cache can only ever save a login, never break one.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes, scrypt } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { readIfExists, writeFileAtomic } from '../util/atomic.js';
import { registerSecret } from '../util/redact.js';

/** A token as the cache holds it; times are epoch ms on the local clock. */
export interface CachedToken {
  readonly accessToken: string;
  readonly tokenType: string;
  readonly obtainedAt: number;
  readonly expiresAt: number;
}

const VERSION = 1;
const AAD = Buffer.from('genesys-ingest token cache v1');

function deriveKey(clientId: string, clientSecret: string, authUrl: string): Promise<Buffer> {
  const salt = createHash('sha256').update(`genesys-ingest\0${clientId}\0${authUrl}`).digest();
  return new Promise((resolve, reject) => {
    // N=2^14, r=8: about 16 MiB and a few tens of ms, once per process.
    scrypt(clientSecret, salt, 32, { N: 16_384, r: 8, p: 1, maxmem: 64 * 1024 * 1024 }, (error, key) =>
      error ? reject(error) : resolve(key),
    );
  });
}

/** Reads and writes the encrypted token file of one OAuth client. */
export class TokenCache {
  readonly file: string;
  readonly #clientId: string;
  readonly #authUrl: string;
  readonly #key: Promise<Buffer>;

  constructor(file: string, clientId: string, clientSecret: string, authUrl: string) {
    this.file = file;
    this.#clientId = clientId;
    this.#authUrl = authUrl;
    this.#key = deriveKey(clientId, clientSecret, authUrl);
  }

  /** The cached token, or undefined when there is none or it cannot be opened (tampered, foreign). */
  async read(): Promise<CachedToken | undefined> {
    let raw: Buffer | undefined;
    try {
      raw = await readIfExists(this.file);
    } catch {
      return undefined;
    }
    if (raw === undefined) return undefined;
    try {
      const envelope = JSON.parse(raw.toString('utf8')) as {
        v?: unknown;
        iv?: unknown;
        tag?: unknown;
        data?: unknown;
      };
      if (
        envelope.v !== VERSION ||
        typeof envelope.iv !== 'string' ||
        typeof envelope.tag !== 'string' ||
        typeof envelope.data !== 'string'
      ) {
        return undefined;
      }
      const iv = Buffer.from(envelope.iv, 'base64');
      const tag = Buffer.from(envelope.tag, 'base64');
      if (iv.length !== 12 || tag.length !== 16) return undefined;
      const decipher = createDecipheriv('aes-256-gcm', await this.#key, iv);
      decipher.setAAD(AAD);
      decipher.setAuthTag(tag);
      const plain = Buffer.concat([decipher.update(Buffer.from(envelope.data, 'base64')), decipher.final()]);
      const token = JSON.parse(plain.toString('utf8')) as Partial<CachedToken> & {
        clientId?: unknown;
        authUrl?: unknown;
      };
      if (
        token.clientId !== this.#clientId ||
        token.authUrl !== this.#authUrl ||
        typeof token.accessToken !== 'string' ||
        token.accessToken === '' ||
        typeof token.tokenType !== 'string' ||
        typeof token.expiresAt !== 'number' ||
        typeof token.obtainedAt !== 'number'
      ) {
        return undefined;
      }
      registerSecret(token.accessToken);
      return {
        accessToken: token.accessToken,
        tokenType: token.tokenType,
        obtainedAt: token.obtainedAt,
        expiresAt: token.expiresAt,
      };
    } catch {
      // Wrong key, altered bytes, truncated file: all the same, log in afresh.
      return undefined;
    }
  }

  /** Encrypts and writes `token` (0600, atomic). */
  async write(token: CachedToken): Promise<void> {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', await this.#key, iv);
    cipher.setAAD(AAD);
    const plain = Buffer.from(
      JSON.stringify({ ...token, clientId: this.#clientId, authUrl: this.#authUrl }),
      'utf8',
    );
    const data = Buffer.concat([cipher.update(plain), cipher.final()]);
    const envelope = {
      v: VERSION,
      iv: iv.toString('base64'),
      tag: cipher.getAuthTag().toString('base64'),
      data: data.toString('base64'),
    };
    await writeFileAtomic(this.file, `${JSON.stringify(envelope)}\n`);
  }

  /** Removes the file (after Genesys rejected the cached token). */
  async clear(): Promise<void> {
    await fs.rm(this.file, { force: true }).catch(() => undefined);
  }
}
