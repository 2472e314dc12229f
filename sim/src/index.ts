/**
 * A local Genesys Cloud simulator for tests, the demo and the benchmark: three HTTPS listeners on
 * 127.0.0.1 — auth (`/oauth/token`), API (`/api/v2/...`) and media (signed URLs) — over a
 * generated or hand-built organisation, with rate limiting, transcoding delays, analytics jobs,
 * batch downloads and fault injection. See genesys-api.md §16 for what it reproduces.
 */
import type { Server } from 'node:https';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { Router, type SimContext } from './api-core.js';
import { apiHandler, authHandler } from './api-listener.js';
import { TokenStore } from './auth.js';
import { generatePki, type TestPki } from './certs.js';
import { FaultInjector } from './faults.js';
import { mediaHandler } from './media-listener.js';
import { MediaUrlSigner } from './media-urls.js';
import { resolveOptions, type SimClient, type SimulatorOptions } from './options.js';
import { generateOrg } from './org.js';
import type { SimOrg } from './org-store.js';
import { RateLimiter } from './rate-limit.js';
import { RequestLog, type RequestLogEntry, type SimCounts } from './request-log.js';
import { analyticsRoutes } from './routes-analytics.js';
import { BatchDownloads, batchRoutes } from './routes-batch.js';
import { AsyncJobs, jobRoutes } from './routes-jobs.js';
import { Recordings, recordingRoutes } from './routes-recordings.js';
import { userRoutes } from './routes-users.js';
import { routingRoutes } from './routes-routing.js';

export { ALL_PERMISSIONS } from './options.js';
export type { SimClient, SimulatorOptions } from './options.js';
export { generatePki, writePki } from './certs.js';
export type { PkiFiles, PkiOptions, TestPki } from './certs.js';
export { DEFAULT_MIX, SimOrg, addConversation, buildConversation, generateOrg } from './org.js';
export type { ConversationOptions, OrgMix, OrgSpec } from './org.js';
export { contentTypeFor, expectedMedia, expectedMediaAsync, mediaChunks } from './media.js';
export type { ExpectedMedia } from './media.js';
export type * from './model.js';
export { TRANSCODE_FORMATS } from './model.js';
export { FaultInjector } from './faults.js';
export type { FaultAction, FaultHandle, FaultRule } from './faults.js';
export type { RequestLogEntry, SimCounts } from './request-log.js';
export type { AsyncJobs } from './routes-jobs.js';

/** A running simulator. */
export interface Simulator {
  /** `https://<publicHost>:<port>` of each listener. */
  readonly authUrl: string;
  readonly apiUrl: string;
  readonly mediaUrl: string;
  readonly pki: TestPki;
  readonly org: SimOrg;
  readonly clients: readonly Required<SimClient>[];
  /** Fault rules; see `FaultInjector`. */
  readonly faults: FaultInjector;
  /** Every request so far (bounded by `logLimit`), in arrival order. */
  readonly log: readonly RequestLogEntry[];
  /** Analytics jobs, with `failNext(n)` and `expireAll()` for tests. */
  readonly jobs: AsyncJobs;
  counts(): SimCounts;
  /** Every token issued so far stops working (401 `bad.credentials`). */
  revokeAllTokens(): void;
  /** Number of tokens issued so far. */
  tokensIssued(): number;
  /** Every access token and the latest media URL signatures issued: what no client output may show. */
  issuedSecrets(): string[];
  close(): Promise<void>;
}

function listen(server: Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

/** Starts the simulator; resolves once all three listeners accept connections. */
export async function startSimulator(options: SimulatorOptions = {}): Promise<Simulator> {
  const pki = options.pki ?? generatePki(options.serverHosts ? { hosts: options.serverHosts } : {});
  // URLs must name a host the certificate covers.
  const publicHost =
    options.publicHost ?? (pki.hosts.includes('localhost') ? 'localhost' : (pki.hosts[0] ?? 'localhost'));
  const resolved = resolveOptions({ ...options, publicHost });
  const org = options.org ?? generateOrg({ conversations: 50, toMs: resolved.now() });
  const tls = { key: pki.serverKey, cert: pki.serverCert };
  // The client certificate is checked on the Genesys hosts only; the media store never asks for one.
  const mutual = resolved.requireClientCert
    ? { ca: pki.caCert, requestCert: true, rejectUnauthorized: true }
    : {};
  const servers = {
    auth: https.createServer({ ...tls, ...mutual }),
    api: https.createServer({ ...tls, ...mutual }),
    media: https.createServer(tls),
  };
  for (const server of Object.values(servers)) {
    // Idle keep-alive connections live about as long as behind Genesys' load balancers (60 s), so
    // a client reusing a pooled socket does not race the server closing it.
    server.keepAliveTimeout = 65_000;
    server.headersTimeout = 66_000;
  }
  const ports = {
    auth: await listen(servers.auth),
    api: await listen(servers.api),
    media: await listen(servers.media),
  };
  const origin = (port: number): string => `https://${resolved.publicHost}:${port}`;
  const abort = new AbortController();
  const ctx: SimContext = {
    options: resolved,
    org,
    tokens: new TokenStore(resolved),
    mediaUrls: new MediaUrlSigner(origin(ports.media)),
    signal: abort.signal,
    now: resolved.now,
  };
  const faults = new FaultInjector();
  const log = new RequestLog(resolved.logLimit);
  const recordings = new Recordings(ctx);
  const jobs = new AsyncJobs(ctx);
  const batches = new BatchDownloads(ctx, recordings);
  const router = new Router([
    ...analyticsRoutes(),
    ...jobRoutes(jobs),
    ...recordingRoutes(recordings),
    ...batchRoutes(batches),
    ...userRoutes(),
    ...routingRoutes(),
  ]);
  const deps = { ctx, faults, log };
  const limiter = new RateLimiter(resolved.rateLimitPerMinute, resolved.now);
  servers.auth.on('request', authHandler(deps));
  servers.api.on('request', apiHandler({ ...deps, router, limiter }));
  servers.media.on('request', mediaHandler(deps, recordings));
  let closing: Promise<void> | undefined;
  return {
    authUrl: origin(ports.auth),
    apiUrl: origin(ports.api),
    mediaUrl: origin(ports.media),
    pki,
    org,
    clients: resolved.clients,
    faults,
    log: log.entries,
    jobs,
    counts: () => log.counts(),
    revokeAllTokens: () => ctx.tokens.revokeAll(),
    tokensIssued: () => ctx.tokens.issued,
    issuedSecrets: () => [...ctx.tokens.issuedTokens(), ...ctx.mediaUrls.issuedSignatures()],
    close: () => {
      closing ??= (async () => {
        abort.abort();
        await Promise.all(Object.values(servers).map(closeServer));
      })();
      return closing;
    },
  };
}
