/**
 * The Genesys client layer in one object: `createGenesysClient(config, paths, options)` wires the
 * HTTP stack (TLS, proxy, retries, pacing, counting), the OAuth login with its encrypted token
 * cache, and the typed API wrappers. The pipeline and `verify` use only this.
 */
import type { Config } from '../config/types.js';
import { AnalyticsApi } from './analytics.js';
import { ApiClient } from './api-client.js';
import { Authenticator } from './auth.js';
import { HttpTransport, type HttpOptions } from './http.js';
import {
  MediaDownloader,
  type DownloadOptions,
  type DownloadResult,
  type MediaOptions,
  type MediaSink,
} from './media.js';
import { RecordingsApi, type PollOptions } from './recordings.js';
import { TokenCache } from './token-cache.js';
import type { TokenInfo } from './types.js';
import { UsersApi } from './users.js';
import { NamesApi } from './names.js';

export { GenesysApiError, MediaRefusedError, MediaTransferError } from './errors.js';
export type { ApiCall, ApiResult, PinnedToken } from './api-client.js';
export type { BatchJob, FormatId, PollOptions } from './recordings.js';
export { BATCH_MAX_ITEMS, PROTECTION_MAX_IDS } from './recordings.js';
export { MULTI_GET_MAX_IDS } from './analytics.js';
export { USERS_MAX_IDS } from './users.js';
export { NAME_LOOKUPS, type NameKind, type NamesApi } from './names.js';
export type { DownloadOptions, DownloadResult, MediaOptions, MediaSink } from './media.js';
export type { HttpOptions, RequestLogger, RequestRecord } from './http.js';
export type * from './types.js';

/** The state files the client keeps: the OAuth token cache and the lookup caches. */
export interface ClientStateFiles {
  readonly tokenFile: string;
  readonly userCacheFile: string;
  readonly queueCacheFile: string;
  readonly wrapUpCodeCacheFile: string;
}

export interface GenesysClientOptions extends HttpOptions {
  /** Media deadlines (defaults: 10 min minimum, 128 KiB/s, 60 s idle). */
  readonly media?: MediaOptions;
  /** Defaults for `recordings.waitForRecordings` (two minutes, pauses from 2 s up to 15 s). */
  readonly poll?: Omit<PollOptions, 'signal'>;
  /** `maxWaitMs` sent with recording GETs (default 5000, Genesys' own): Genesys holds its answer that long before a 202, which saves polls. */
  readonly recordingServerWaitMs?: number;
  /** Write the token and lookup caches under `work/` (default true; `verify` creates nothing). */
  readonly writeState?: boolean;
}

/** Everything that talks to Genesys. Create one per run; `close()` it at the end. */
export class GenesysClient {
  readonly config: Config;
  readonly transport: HttpTransport;
  readonly auth: Authenticator;
  /** Raw authenticated calls, for anything the wrappers do not cover. */
  readonly api: ApiClient;
  readonly analytics: AnalyticsApi;
  readonly recordings: RecordingsApi;
  readonly users: UsersApi;
  /** Queue and wrap-up code names for the CDR, cached like users. */
  readonly queues: NamesApi;
  readonly wrapUpCodes: NamesApi;
  readonly media: MediaDownloader;

  constructor(config: Config, paths: ClientStateFiles, options: GenesysClientOptions = {}) {
    this.config = config;
    const writeState = options.writeState !== false;
    this.transport = new HttpTransport(config, options);
    const cache =
      config.clientSecret === undefined
        ? undefined
        : new TokenCache(paths.tokenFile, config.clientId, config.clientSecret, config.authUrl);
    this.auth = new Authenticator(config, this.transport, cache, {
      writeCache: writeState,
      ...(options.now !== undefined ? { now: options.now } : {}),
      ...(options.signal !== undefined ? { signal: options.signal } : {}),
    });
    this.api = new ApiClient(config, this.transport, this.auth);
    this.analytics = new AnalyticsApi(this.api);
    this.recordings = new RecordingsApi(this.api, {
      serverWaitMs: options.recordingServerWaitMs ?? 5_000,
      poll: { ...options.poll, ...(options.signal !== undefined ? { signal: options.signal } : {}) },
    });
    const cached = (file: string) => ({
      file: writeState ? file : undefined,
      lifetimeMinutes: config.userCacheLifetimeMinutes,
      ...(options.now !== undefined ? { now: options.now } : {}),
    });
    this.users = new UsersApi(this.api, cached(paths.userCacheFile));
    this.queues = new NamesApi(this.api, 'queue', cached(paths.queueCacheFile));
    this.wrapUpCodes = new NamesApi(this.api, 'wrapUpCode', cached(paths.wrapUpCodeCacheFile));
    this.media = new MediaDownloader(this.transport, options.media, options.signal);
  }

  /** Requests sent to the auth and API hosts (SPEC §3.7 `apiRequests`). */
  get apiRequests(): number {
    return this.transport.apiRequests;
  }

  /** API server time minus local time, from the first API response's `Date`; undefined before. */
  get clockSkewMs(): number | undefined {
    return this.transport.clockSkewMs;
  }

  /** Media bytes received so far. */
  get bytesDownloaded(): number {
    return this.media.bytesReceived;
  }

  /** Makes sure a usable token is at hand (cache or login); throws RemoteError when refused. */
  async login(): Promise<void> {
    await this.auth.token();
  }

  /**
   * A plain GET to the auth or API host without credentials: proves DNS, proxy and TLS (client
   * certificate included). Any HTTP status passes; a RemoteError says what failed (for `verify`).
   */
  async probe(which: 'auth' | 'api', signal?: AbortSignal): Promise<number> {
    const base = which === 'auth' ? this.config.authUrl : this.config.apiUrl;
    const res = await this.transport.send({ method: 'GET', url: `${base}/`, ...(signal ? { signal } : {}) });
    return res.status;
  }

  /** `GET /api/v2/tokens/me`: the organisation and OAuth client behind the token (for `verify`). */
  async tokenInfo(signal?: AbortSignal): Promise<TokenInfo> {
    const res = await this.api.call<TokenInfo>({
      method: 'GET',
      path: '/api/v2/tokens/me',
      ...(signal ? { signal } : {}),
    });
    return res.body ?? {};
  }

  /** Streams a media URL into `target` (see MediaDownloader.download). */
  downloadMedia(url: string, target: MediaSink, options?: DownloadOptions): Promise<DownloadResult> {
    return this.media.download(url, target, options);
  }

  /** Closes pooled connections. */
  close(): void {
    this.transport.close();
  }
}

/** Builds the client; throws ConfigError when the TLS files or thumbprint are wrong. */
export function createGenesysClient(
  config: Config,
  paths: ClientStateFiles,
  options: GenesysClientOptions = {},
): GenesysClient {
  return new GenesysClient(config, paths, options);
}
