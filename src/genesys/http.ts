/**
 * The one HTTP stack (SPEC §4.7): got over one keep-alive agent (hpagent's CONNECT tunnel when a
 * proxy is configured, so auth, API and media all go through it), with the TLS material from
 * `tls.ts`, time-outs on every request, and our own retry loop. got's retry is off because it
 * never repeats POSTs and silently gives up when Retry-After exceeds its cap; here every attempt
 * is paced, counted and classified. The `Authorization` header only ever reaches the auth and API
 * hosts: it is dropped before any request (or redirect hop) to another host.
 */
import https from 'node:https';
import tls from 'node:tls';
import type { IncomingHttpHeaders } from 'node:http';
import got, { type Got, type OptionsInit } from 'got';
import { HttpsProxyAgent } from 'hpagent';
import type { Config, ProxyConfig } from '../config/types.js';
import { ConfigError } from '../errors.js';
import { exhaustedError, type RequestTarget } from './errors.js';
import { classifyTransportError, type TransportFailure } from './transport-errors.js';
import { abortReason, combine, Pacer, retryAfterMs, sleep } from './pacer.js';

import { loadTlsMaterial, type TlsMaterial } from './tls.js';

/** Tuning knobs; the defaults follow SPEC §4.7. Tests inject small delays here. */
export interface HttpOptions {
  /** First back-off delay; doubles per attempt (0.5, 1, 2, 4 s). */
  readonly retryBaseMs?: number;
  /** Attempts per request, the first included (429s are not counted here). */
  readonly maxAttempts?: number;
  /** 429 answers (each waited out as Retry-After asks) before a request gives up (default 10). */
  readonly maxRateLimitWaits?: number;
  /** Epoch ms after which no retry wait may end (the run's time budget). */
  readonly deadline?: number;
  /** Aborts every request and wait (SIGINT/SIGTERM); requests reject with its reason. */
  readonly signal?: AbortSignal;
  readonly connectTimeoutMs?: number;
  readonly responseTimeoutMs?: number;
  /** No byte on an open socket for this long aborts the request. */
  readonly idleTimeoutMs?: number;
  /** Whole-request limit for auth and API calls (media has its own deadline). */
  readonly requestTimeoutMs?: number;
  /** Pace API requests from the `inin-ratelimit-*` headers (default true). */
  readonly pacing?: boolean;
  readonly now?: () => number;
  /** Told of every request sent, API and media alike (`--debug`); never given a query string or header. */
  readonly onRequest?: RequestLogger;
}

/**
 * One request as `--debug` shows it. Only the path: a query string is never included, since a
 * signed media URL's query is a credential.
 */
export interface RequestRecord {
  readonly method: string;
  /** host:port as in the URL. */
  readonly host: string;
  readonly path: string;
  /** The status answered, or the failure's code when no answer came (`network.reset`, …). */
  readonly status: number | string;
  readonly durationMs: number;
  /** 1 for the first try, 2 for the first retry, and so on (429 waits included). */
  readonly attempt: number;
}

export type RequestLogger = (record: RequestRecord) => void;

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE';

/** One auth or API request. */
export interface SendRequest {
  readonly method: HttpMethod;
  readonly url: string;
  readonly headers?: Record<string, string>;
  readonly json?: unknown;
  readonly form?: Record<string, string>;
  /** A POST is repeated after a 5xx or a broken connection only when this says it is safe. */
  readonly retrySafe?: boolean;
  /** Return a 5xx that outlasted the retries instead of throwing the run-level error. */
  readonly serverErrorsAreItemLevel?: boolean;
  readonly signal?: AbortSignal;
}

/** A response as the retry loop leaves it: any status the caller has to interpret. */
export interface RawResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly text: string;
  readonly target: RequestTarget;
}

const RETRY_STATUS = new Set([429, 500, 502, 503, 504]);

/** Builds the got instances and runs every auth/API request through retries, pacing and counting. */
export class HttpTransport {
  /** For auth and API calls: text responses, never throws on status. */
  readonly api: Got;
  /** For media: raw bytes (no decompression), no Authorization ever. */
  readonly media: Got;
  readonly tls: TlsMaterial;
  readonly pacer: Pacer;
  readonly options: HttpOptions;
  readonly #config: Config;
  readonly #agent: https.Agent;
  readonly #genesysHosts: Set<string>;
  readonly #proxy: string | undefined;
  readonly #now: () => number;
  #apiRequests = 0;
  #inFlight = 0;
  #clockSkewMs: number | undefined;

  constructor(config: Config, options: HttpOptions = {}) {
    this.#config = config;
    this.options = options;
    this.#now = options.now ?? Date.now;
    this.tls = loadTlsMaterial(config);
    this.pacer = new Pacer({ now: this.#now });
    this.#genesysHosts = new Set([new URL(config.authUrl).host, new URL(config.apiUrl).host]);
    this.#proxy = config.proxy === undefined ? undefined : `${config.proxy.host}:${config.proxy.port}`;
    // One TLS context for the whole run: passing `ca` (every system root plus the trust list) with each
    // request made Node build a new context and a very long pool key per connection — CPU and memory.
    const secureContext = createContext(config, this.tls);
    const agentOptions = {
      keepAlive: true,
      maxSockets: 32,
      maxFreeSockets: 8,
      scheduling: 'lifo' as const,
      secureContext,
    };
    if (config.proxy === undefined) {
      this.#agent = new https.Agent(agentOptions);
    } else {
      this.#agent = new HttpsProxyAgent({ ...agentOptions, proxy: proxyUrlOf(config.proxy) });
    }

    const idle = options.idleTimeoutMs ?? 60_000;
    const connect = options.connectTimeoutMs ?? 15_000;
    const common: OptionsInit = {
      agent: { https: this.#agent },
      retry: { limit: 0 },
      throwHttpErrors: false,
      followRedirect: true,
      maxRedirects: 5,
      http2: false,
      headers: { 'user-agent': 'genesys-ingest' },
      hooks: {
        beforeRequest: [
          (o) => {
            const url = o.url instanceof URL ? o.url : new URL(String(o.url));
            if (this.#genesysHosts.has(url.host)) this.#apiRequests += 1;
            else delete o.headers.authorization;
          },
        ],
        beforeRedirect: [
          (o) => {
            const url = o.url instanceof URL ? o.url : new URL(String(o.url));
            if (!this.#genesysHosts.has(url.host)) delete o.headers.authorization;
          },
        ],
      },
    };
    this.api = got.extend(common, {
      responseType: 'text',
      timeout: {
        lookup: connect,
        connect,
        secureConnect: connect,
        send: options.responseTimeoutMs ?? 60_000,
        response: options.responseTimeoutMs ?? 60_000,
        socket: idle,
        request: options.requestTimeoutMs ?? 180_000,
      },
    });
    this.media = got.extend(common, {
      decompress: false,
      headers: { accept: '*/*' },
      timeout: {
        lookup: connect,
        connect,
        secureConnect: connect,
        response: options.responseTimeoutMs ?? 60_000,
        socket: idle,
      },
    });
  }

  /** Requests sent to the auth and API hosts so far, every attempt and redirect hop counted. */
  get apiRequests(): number {
    return this.#apiRequests;
  }

  /** API server time minus local time, learned from the first API response's `Date` header. */
  get clockSkewMs(): number | undefined {
    return this.#clockSkewMs;
  }

  /** host:port of the configured proxy, if any. */
  get proxy(): string | undefined {
    return this.#proxy;
  }

  /** True for the auth and API hosts: the only ones that may see the Authorization header. */
  isGenesysHost(url: string | URL): boolean {
    return this.#genesysHosts.has((url instanceof URL ? url : new URL(url)).host);
  }

  /** Classifies a network/TLS/proxy failure for `url` (exposed for media and tests). */
  classify(error: unknown, url: URL): TransportFailure {
    const isAuth = url.host === new URL(this.#config.authUrl).host;
    const isApi = url.host === new URL(this.#config.apiUrl).host;
    // The token endpoint belongs to authUrl even when both keys name the same host.
    const hostKey =
      isAuth && (!isApi || url.pathname.startsWith('/oauth/')) ? 'authUrl' : isApi ? 'apiUrl' : undefined;
    return classifyTransportError(error, {
      host: url.port === '' ? `${url.hostname}:443` : url.host,
      proxy: this.#proxy,
      configFile: this.#config.file,
      hostKey,
      clientCert: this.tls.clientCertificate !== undefined,
    });
  }

  /** Back-off before attempt `attempt + 1`: base·2^(attempt−1) with ±20% jitter. */
  backoffMs(attempt: number): number {
    const base = this.options.retryBaseMs ?? 500;
    return Math.round(base * 2 ** (attempt - 1) * (0.8 + Math.random() * 0.4));
  }

  /**
   * Sends one auth/API request with retries (network errors, 429 honouring Retry-After, 500/502/
   * 503/504), pacing and counting. Returns every other response, whatever its status; throws a
   * RemoteError when the failure is run-level or the retry budget is spent.
   */
  async send(req: SendRequest): Promise<RawResponse> {
    const url = new URL(req.url);
    const target: RequestTarget = { method: req.method, host: url.host, path: url.pathname };
    const isApi = url.host === new URL(this.#config.apiUrl).host;
    const signal = combine(this.options.signal, req.signal);
    const maxAttempts = this.options.maxAttempts ?? 5;
    const repeatable = req.method !== 'POST' || req.retrySafe === true;
    const deadline = this.options.deadline ?? Number.POSITIVE_INFINITY;

    // 429s are counted apart: each names its own wait, and the deadline bounds them.
    let rateLimited = 0;
    let tries = 0;
    for (let attempt = 1; ; attempt += 1) {
      if (isApi && this.options.pacing !== false) await this.pacer.acquire(signal);
      if (signal?.aborted) throw abortReason(signal);
      this.#inFlight += 1;
      tries += 1;
      const sentAt = Date.now();
      const logged = (status: number | string): void =>
        this.logRequest({ ...target, status, durationMs: Date.now() - sentAt, attempt: tries });
      let response: { statusCode: number; headers: IncomingHttpHeaders; body: string };
      try {
        response = await this.api(url, {
          method: req.method,
          ...(req.headers !== undefined ? { headers: req.headers } : {}),
          ...(req.json !== undefined ? { json: req.json } : {}),
          ...(req.form !== undefined ? { form: req.form } : {}),
          ...(signal !== undefined ? { signal } : {}),
        });
      } catch (error) {
        if (signal?.aborted) {
          logged('aborted');
          throw abortReason(signal);
        }
        const failure = this.classify(error, url);
        logged(failure.error.code);
        // A connection that was never made can always be tried again; one that broke off only when safe.
        const notSent = ['network.dns', 'network.refused', 'proxy.unreachable', 'proxy.refused'].includes(
          failure.error.code,
        );
        if (!failure.retryable || (!repeatable && !notSent) || attempt >= maxAttempts) throw failure.error;
        const wait = this.backoffMs(attempt);
        if (this.#now() + wait > deadline) throw failure.error;
        await sleep(wait, signal);
        continue;
      } finally {
        this.#inFlight -= 1;
      }

      const { statusCode: status, headers, body: text } = response;
      logged(status);
      if (isApi) {
        if (this.options.pacing !== false) this.pacer.observe(headers, this.#inFlight);
        this.#learnClock(headers);
      }
      if (!RETRY_STATUS.has(status)) return { status, headers, text, target };
      // A 429 was not processed, so even an unsafe POST may be repeated.
      if (status !== 429 && !repeatable) {
        if (req.serverErrorsAreItemLevel) return { status, headers, text, target };
        throw exhaustedError(
          status,
          target,
          attempt,
          '(not repeated: the request is not safe to send twice)',
        );
      }
      const asked = retryAfterMs(headers, text, this.#now());
      const wait = status === 429 ? (asked ?? 3_000) : Math.max(asked ?? 0, this.backoffMs(attempt));
      if (status === 429) {
        rateLimited += 1;
        attempt -= 1;
        if (rateLimited >= (this.options.maxRateLimitWaits ?? 10))
          throw exhaustedError(status, target, rateLimited);
      } else if (attempt >= maxAttempts) {
        if (req.serverErrorsAreItemLevel) return { status, headers, text, target };
        throw exhaustedError(status, target, attempt);
      }
      if (this.#now() + wait > deadline) {
        if (status !== 429 && req.serverErrorsAreItemLevel) return { status, headers, text, target };
        throw exhaustedError(
          status,
          target,
          attempt,
          `(Retry-After asked for ${Math.ceil(wait / 1000)} s, beyond the run's time budget)`,
        );
      }
      if (status === 429) this.pacer.blockUntil(this.#now() + wait);
      await sleep(wait, signal);
    }
  }

  /** Tells the request logger, if any; a logger that throws never breaks a request. */
  logRequest(record: RequestRecord): void {
    try {
      this.options.onRequest?.(record);
    } catch {
      // Logging is best effort.
    }
  }

  #learnClock(headers: IncomingHttpHeaders): void {
    if (this.#clockSkewMs !== undefined || typeof headers.date !== 'string') return;
    const server = Date.parse(headers.date);
    if (!Number.isFinite(server)) return;
    // A lower bound, on purpose: `Date` is truncated to whole seconds and was stamped before the answer
    // arrived, so Genesys' time at arrival is at least `server`. A window end built from it never lies
    // in Genesys' future (SPEC §4 step 2); being up to a second or so early costs nothing.
    this.#clockSkewMs = server - this.#now();
  }

  /** Closes pooled connections (a finished run should not keep sockets open). */
  close(): void {
    this.#agent.destroy();
  }
}

/** The proxy as hpagent takes it, Basic credentials included (also for the archive store). */
export function proxyUrlOf(p: ProxyConfig): URL {
  const proxyUrl = new URL(`http://${p.host.includes(':') ? `[${p.host}]` : p.host}:${p.port}`);
  // hpagent percent-decodes these before building the Basic header.
  if (p.username !== undefined) proxyUrl.username = encodeURIComponent(p.username);
  if (p.password !== undefined) proxyUrl.password = encodeURIComponent(p.password);
  return proxyUrl;
}

/** The run's one TLS context: trust list added to the system roots, client certificate if any. */
function createContext(config: Config, material: TlsMaterial): tls.SecureContext {
  try {
    return tls.createSecureContext({
      ...(material.certificateAuthority !== undefined ? { ca: material.certificateAuthority } : {}),
      ...(material.certificate !== undefined ? { cert: material.certificate } : {}),
      ...(material.key !== undefined ? { key: material.key } : {}),
      ...(material.pfx !== undefined ? { pfx: material.pfx } : {}),
      ...(material.passphrase !== undefined ? { passphrase: material.passphrase } : {}),
    });
  } catch (error) {
    throw new ConfigError(
      `${config.file}: the client certificate in "tls" cannot be used: ${(error as Error).message.replace(/\s+/g, ' ')}`,
      { cause: error },
    );
  }
}
