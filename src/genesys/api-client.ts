/**
 * Authenticated calls to the Genesys API: adds the bearer token, repeats a call once after a 401
 * with a fresh login, and sorts every non-2xx answer into run-level (`RemoteError`) or item-level
 * (`GenesysApiError`) failures (SPEC §4.6).
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { Config } from '../config/types.js';
import { RemoteError } from '../errors.js';
import { redact } from '../util/redact.js';
import type { Authenticator } from './auth.js';
import {
  GenesysApiError,
  isMissingPermissions,
  missingPermissionsError,
  type GenesysErrorBody,
} from './errors.js';
import type { HttpMethod, HttpTransport } from './http.js';
import type { CachedToken } from './token-cache.js';

/** Query values; arrays are comma-joined, as the Genesys SDKs send them. */
export type QueryValue = string | number | boolean | undefined | readonly string[];

export interface ApiCall {
  readonly method: HttpMethod;
  /** Path under `apiUrl`, starting with `/api/v2/`. */
  readonly path: string;
  readonly query?: Readonly<Record<string, QueryValue>>;
  readonly json?: unknown;
  /** POSTs that only read (queries, lookups) or that may be submitted twice. */
  readonly retrySafe?: boolean;
  readonly serverErrorsAreItemLevel?: boolean;
  readonly signal?: AbortSignal;
  /** Use this token and no other (batch jobs are tied to the token that submitted them). */
  readonly token?: PinnedToken;
}

export interface ApiResult<T> {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  /** The parsed JSON body; undefined for an empty body (204, some 202s). */
  readonly body: T | undefined;
}

/** An access token held for later calls, opaque to callers so it is never printed by accident. */
export class PinnedToken {
  readonly #token: CachedToken;
  constructor(token: CachedToken) {
    this.#token = token;
  }
  /** @internal */
  get value(): CachedToken {
    return this.#token;
  }
  toJSON(): string {
    return '[token]';
  }
  toString(): string {
    return '[token]';
  }
}

function parseJson(text: string): unknown {
  if (text.trim() === '') return undefined;
  return JSON.parse(text) as unknown;
}

/** Builds the URL of `path` with `query` under the configured API base. */
export function apiUrl(base: string, path: string, query?: Readonly<Record<string, QueryValue>>): string {
  const url = new URL(`${base}${path}`);
  for (const [key, value] of Object.entries(query ?? {})) {
    if (value === undefined) continue;
    url.searchParams.set(key, Array.isArray(value) ? value.join(',') : String(value));
  }
  return url.toString();
}

/** Authenticated API calls with 401 handling and error classification. */
export class ApiClient {
  readonly #config: Config;
  readonly #transport: HttpTransport;
  readonly #auth: Authenticator;

  constructor(config: Config, transport: HttpTransport, auth: Authenticator) {
    this.#config = config;
    this.#transport = transport;
    this.#auth = auth;
  }

  /** Holds the current token for calls that must reuse it (batch download status). */
  async pinToken(): Promise<PinnedToken> {
    return new PinnedToken(await this.#auth.token());
  }

  /** Sends `call`; resolves with any 2xx, throws RemoteError or GenesysApiError for the rest. */
  async call<T>(call: ApiCall): Promise<ApiResult<T>> {
    const url = apiUrl(this.#config.apiUrl, call.path, call.query);
    let token = call.token?.value ?? (await this.#auth.token());
    for (let attempt = 1; ; attempt += 1) {
      const res = await this.#transport.send({
        method: call.method,
        url,
        headers: { authorization: `Bearer ${token.accessToken}`, accept: 'application/json' },
        ...(call.json !== undefined ? { json: call.json } : {}),
        ...(call.retrySafe !== undefined ? { retrySafe: call.retrySafe } : {}),
        ...(call.serverErrorsAreItemLevel !== undefined
          ? { serverErrorsAreItemLevel: call.serverErrorsAreItemLevel }
          : {}),
        ...(call.signal !== undefined ? { signal: call.signal } : {}),
      });
      let body: unknown;
      try {
        body = parseJson(res.text);
      } catch {
        if (res.status >= 200 && res.status < 300) {
          throw new RemoteError(
            'api.badResponse',
            redact(
              `${call.method} ${res.target.host}${res.target.path} answered ${res.status} with a body that is not JSON; is a proxy rewriting responses?`,
            ),
            { status: res.status, retryable: true },
          );
        }
        body = undefined;
      }
      if (res.status >= 200 && res.status < 300)
        return { status: res.status, headers: res.headers, body: body as T };

      const error = (body !== null && typeof body === 'object' ? body : undefined) as
        GenesysErrorBody | undefined;
      if (res.status === 401) {
        // A pinned token cannot be replaced: the caller resubmits whatever it was tied to.
        if (call.token !== undefined) throw new GenesysApiError(401, error, res.target);
        if (attempt === 1) {
          token = await this.#auth.refresh(token);
          continue;
        }
        const code = error?.code;
        throw new RemoteError(
          'auth.rejected',
          redact(
            `${res.target.host} rejected a freshly issued access token (401${code ? ` ${code}` : ''}) for OAuth client "${this.#config.clientId}"; ` +
              (code === 'ip.not.authorized'
                ? "this machine's IP address is not in the OAuth client's allow list"
                : 'check that the OAuth client is active and has roles, and that "authUrl" and "apiUrl" are the same region'),
          ),
          { status: 401 },
        );
      }
      if (isMissingPermissions(res.status, error)) throw missingPermissionsError(error, res.target);
      throw new GenesysApiError(res.status, error, res.target);
    }
  }
}
