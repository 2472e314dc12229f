/** Options of `startSimulator`, their defaults, and the permission names the simulator knows. */
import type { TestPki } from './certs.js';
import type { SimOrg } from './org-store.js';

/** Permissions (genesys-api.md §13) the simulator checks; the default client holds all of them. */
export const ALL_PERMISSIONS: readonly string[] = [
  'analytics:conversationDetail:view',
  'analytics:agentConversationDetail:view',
  'recording:recording:view',
  'recording:recordingSegment:view',
  'recording:snippetRecording:view',
  'recording:screenRecording:view',
  'recording:recording:viewSensitiveData',
  'recording:recording:editRetention',
  'recording:recording:restore',
  'recording:deletionProtection:apply',
  'recording:deletionProtection:revoke',
  'directory:user:view',
  'routing:queue:view',
  'routing:wrapupCode:view',
];

/** An OAuth client the simulator accepts. */
export interface SimClient {
  clientId: string;
  clientSecret: string;
  /** Default: every permission in `ALL_PERMISSIONS`. */
  permissions?: string[];
}

/** Options of `startSimulator`; all optional. Durations in ms unless the name says otherwise. */
export interface SimulatorOptions {
  /** Certificates to serve with; default a fresh `generatePki({ hosts: serverHosts })`. */
  pki?: TestPki;
  /** Host names for a generated server certificate; default `['localhost', '127.0.0.1']`. */
  serverHosts?: string[];
  /** Host name in `authUrl`, `apiUrl`, `mediaUrl` and media URLs; default `localhost` when the certificate covers it, else its first host. */
  publicHost?: string;
  /** Default: one client `sim-client` / `sim-secret` with every permission. */
  clients?: SimClient[];
  tokenLifetimeSeconds?: number;
  /** Requests per token per 60-second window; 0 turns limiting off. Default 300. */
  rateLimitPerMinute?: number;
  /** Lifetime of signed media URLs (recordings and batch results); default 3600. */
  mediaUrlTtlSeconds?: number;
  /** Extra latency of every API response, uniformly in [min, max]; default [0, 0]. */
  apiLatencyMs?: [number, number];
  /** Media download speed per response; default unlimited. */
  mediaBytesPerSecond?: number;
  /** How long a transcode takes after the first request for a recording in a format; default 0. */
  transcodeMs?: number;
  /**
   * How long a recording stays `RESTORING` after a restore request (a PUT with `archiveDate` on an
   * `ARCHIVED` recording) before it is `RESTORED`; default 0 (Genesys: hours).
   */
  restoreMs?: number;
  /** `maxWaitMs` assumed when a recordings request gives none (Genesys: 5000); default 0. */
  defaultMaxWaitMs?: number;
  /** How long a batch download job takes to complete; default 0. */
  batchCompleteMs?: number;
  /** How long an analytics job takes to be FULFILLED; default 0. */
  asyncJobMs?: number;
  /** How long a fulfilled analytics job lives before it is EXPIRED; default 24 h. */
  asyncJobTtlMs?: number;
  /** Largest `paging.pageSize` of the detail query; default 100. */
  maxPageSize?: number;
  /** Results one detail query can page through; default 10000. */
  syncMaxResults?: number;
  /** How far back (in UTC days, today included) a detail query interval may start; default 35. */
  syncMaxAgeDays?: number;
  /** `dataAvailabilityDate` of analytics jobs lags now by this much; default 0. */
  dataAvailabilityLagMs?: number;
  /** Mutual TLS on the auth and API listeners (the media listener never asks). Default false. */
  requireClientCert?: boolean;
  /** Added to the `Date` header of every response; default 0. */
  clockSkewMs?: number;
  /** The simulator's clock; default `Date.now`. */
  now?: () => number;
  /** Default: `generateOrg({ conversations: 50 })` over the last 3 days. */
  org?: SimOrg;
  /** Request log entries kept (oldest dropped first); default 200000. */
  logLimit?: number;
}

/** Options with every default filled in (org and PKI are resolved separately). */
export interface ResolvedOptions {
  publicHost: string;
  clients: Required<SimClient>[];
  tokenLifetimeSeconds: number;
  rateLimitPerMinute: number;
  mediaUrlTtlSeconds: number;
  apiLatencyMs: [number, number];
  mediaBytesPerSecond: number;
  transcodeMs: number;
  restoreMs: number;
  defaultMaxWaitMs: number;
  batchCompleteMs: number;
  asyncJobMs: number;
  asyncJobTtlMs: number;
  maxPageSize: number;
  syncMaxResults: number;
  syncMaxAgeDays: number;
  dataAvailabilityLagMs: number;
  requireClientCert: boolean;
  clockSkewMs: number;
  now: () => number;
  logLimit: number;
}

/** Fills in defaults. */
export function resolveOptions(options: SimulatorOptions): ResolvedOptions {
  const clients = (options.clients ?? [{ clientId: 'sim-client', clientSecret: 'sim-secret' }]).map((c) => ({
    clientId: c.clientId,
    clientSecret: c.clientSecret,
    permissions: c.permissions ?? [...ALL_PERMISSIONS],
  }));
  return {
    publicHost: options.publicHost ?? 'localhost',
    clients,
    tokenLifetimeSeconds: options.tokenLifetimeSeconds ?? 86_400,
    rateLimitPerMinute: options.rateLimitPerMinute ?? 300,
    mediaUrlTtlSeconds: options.mediaUrlTtlSeconds ?? 3600,
    apiLatencyMs: options.apiLatencyMs ?? [0, 0],
    mediaBytesPerSecond: options.mediaBytesPerSecond ?? 0,
    transcodeMs: options.transcodeMs ?? 0,
    restoreMs: options.restoreMs ?? 0,
    defaultMaxWaitMs: options.defaultMaxWaitMs ?? 0,
    batchCompleteMs: options.batchCompleteMs ?? 0,
    asyncJobMs: options.asyncJobMs ?? 0,
    asyncJobTtlMs: options.asyncJobTtlMs ?? 86_400_000,
    maxPageSize: options.maxPageSize ?? 100,
    syncMaxResults: options.syncMaxResults ?? 10_000,
    syncMaxAgeDays: options.syncMaxAgeDays ?? 35,
    dataAvailabilityLagMs: options.dataAvailabilityLagMs ?? 0,
    requireClientCert: options.requireClientCert ?? false,
    clockSkewMs: options.clockSkewMs ?? 0,
    now: options.now ?? Date.now,
    logLimit: options.logLimit ?? 200_000,
  };
}
