/**
 * OAuth client-credentials login (research §2): `POST {authUrl}/oauth/token` with HTTP Basic
 * `base64(clientId:clientSecret)` and `grant_type=client_credentials`. The token is reused, from
 * memory or the encrypted cache, until shortly before it expires; a 401 from the API triggers one
 * fresh login shared by every request that saw it (single-flight).
 */
import type { Config } from '../config/types.js';
import { ConfigError, RemoteError } from '../errors.js';
import { redact, registerSecret } from '../util/redact.js';
import type { HttpTransport } from './http.js';
import type { CachedToken, TokenCache } from './token-cache.js';

/** Reuse a token until this long before it expires (or a quarter of its lifetime, if shorter). */
export const TOKEN_MARGIN_MS = 5 * 60_000;

export interface AuthOptions {
  /** Keep tokens in memory only (`verify` creates nothing on disk). */
  readonly writeCache?: boolean;
  readonly now?: () => number;
  readonly signal?: AbortSignal;
}

interface TokenBody {
  access_token?: unknown;
  token_type?: unknown;
  expires_in?: unknown;
  error?: unknown;
  error_description?: unknown;
  description?: unknown;
}

/** Holds the current access token of one OAuth client and logs in when needed. */
export class Authenticator {
  readonly #config: Config;
  readonly #transport: HttpTransport;
  readonly #cache: TokenCache | undefined;
  readonly #options: AuthOptions;
  readonly #now: () => number;
  readonly #basic: string;
  #current: CachedToken | undefined;
  #pending: Promise<CachedToken> | undefined;
  #cacheTried = false;
  #logins = 0;

  constructor(
    config: Config,
    transport: HttpTransport,
    cache: TokenCache | undefined,
    options: AuthOptions = {},
  ) {
    if (config.clientSecret === undefined) {
      throw new ConfigError(
        `${config.file}: "clientSecret" is required to log in: set it, "clientSecretFile", or GENESYS_CLIENT_SECRET`,
      );
    }
    this.#config = config;
    this.#transport = transport;
    this.#cache = cache;
    this.#options = options;
    this.#now = options.now ?? Date.now;
    registerSecret(`${config.clientId}:${config.clientSecret}`);
    this.#basic = registerSecret(
      Buffer.from(`${config.clientId}:${config.clientSecret}`, 'utf8').toString('base64'),
    );
  }

  /** Login requests made by this instance (the cache and memory avoid most). */
  get logins(): number {
    return this.#logins;
  }

  /** True while `token` may still be used: more than the margin before its expiry. */
  usable(token: CachedToken | undefined): token is CachedToken {
    if (token === undefined) return false;
    const margin = Math.min(TOKEN_MARGIN_MS, (token.expiresAt - token.obtainedAt) / 4);
    return token.expiresAt - margin > this.#now();
  }

  /** A usable token: from memory, else the cache, else a new login. */
  async token(): Promise<CachedToken> {
    if (this.usable(this.#current)) return this.#current;
    this.#pending ??= this.#obtain(false).finally(() => {
      this.#pending = undefined;
    });
    return this.#pending;
  }

  /**
   * After the API answered 401 to `rejected`: one fresh login, shared by all concurrent callers.
   * If another caller already replaced that token, its replacement is returned without a login.
   */
  async refresh(rejected: CachedToken): Promise<CachedToken> {
    if (
      this.#current !== undefined &&
      this.#current.accessToken !== rejected.accessToken &&
      this.usable(this.#current)
    ) {
      return this.#current;
    }
    if (this.#pending !== undefined) return this.#pending;
    if (this.#current?.accessToken === rejected.accessToken) this.#current = undefined;
    this.#pending = this.#obtain(true).finally(() => {
      this.#pending = undefined;
    });
    return this.#pending;
  }

  async #obtain(skipCache: boolean): Promise<CachedToken> {
    if (!skipCache && !this.#cacheTried && this.#cache !== undefined) {
      this.#cacheTried = true;
      const cached = await this.#cache.read();
      if (this.usable(cached)) {
        this.#current = cached;
        return cached;
      }
    }
    this.#cacheTried = true;
    const token = await this.login();
    this.#current = token;
    if (this.#cache !== undefined && this.#options.writeCache !== false) await this.#cache.write(token);
    return token;
  }

  /** Performs the client-credentials grant; every failure is a RemoteError (exit 4). */
  async login(): Promise<CachedToken> {
    const url = `${this.#config.authUrl}/oauth/token`;
    const host = new URL(url).host;
    this.#logins += 1;
    const started = this.#now();
    const res = await this.#transport.send({
      method: 'POST',
      url,
      headers: { authorization: `Basic ${this.#basic}`, accept: 'application/json' },
      form: { grant_type: 'client_credentials' },
      retrySafe: true,
      ...(this.#options.signal !== undefined ? { signal: this.#options.signal } : {}),
    });
    let body: TokenBody | undefined;
    try {
      body = JSON.parse(res.text) as TokenBody;
    } catch {
      body = undefined;
    }
    if (
      res.status >= 200 &&
      res.status < 300 &&
      typeof body?.access_token === 'string' &&
      body.access_token !== ''
    ) {
      const accessToken = registerSecret(body.access_token);
      const seconds = typeof body.expires_in === 'number' && body.expires_in > 0 ? body.expires_in : 86_400;
      const tokenType = typeof body.token_type === 'string' ? body.token_type : 'bearer';
      return { accessToken, tokenType, obtainedAt: started, expiresAt: started + seconds * 1000 };
    }
    const error = typeof body?.error === 'string' ? body.error : undefined;
    const description = [body?.error_description, body?.description].find(
      (d): d is string => typeof d === 'string',
    );
    const clientId = this.#config.clientId;
    if (error === 'invalid_client' || (res.status === 401 && error === undefined)) {
      throw new RemoteError(
        'auth.invalidClient',
        redact(
          `Genesys login at ${host} refused OAuth client "${clientId}" (${res.status} ${error ?? 'unauthorized'}${description ? `: ${description}` : ''}); ` +
            `check "clientId" and the client secret in ${this.#config.file}, and that this OAuth client exists in this region and uses the Client Credentials grant`,
        ),
        { status: res.status },
      );
    }
    const what =
      res.status >= 200 && res.status < 300
        ? 'an answer without an access token'
        : `${res.status}${error ? ` ${error}` : ''}`;
    throw new RemoteError(
      'auth.loginFailed',
      redact(
        `Genesys login at ${host} for OAuth client "${clientId}" failed: ${what}${description ? ` (${description})` : ''}; ` +
          `check "authUrl" in ${this.#config.file} and that the OAuth client uses the Client Credentials grant`,
      ),
      { status: res.status },
    );
  }
}
