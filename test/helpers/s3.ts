/**
 * An S3-compatible store for tests: s3rver (a dev dependency) started by the test on 127.0.0.1 with
 * its data in a temporary folder, one bucket, and a key pair of the test's own that s3rver checks
 * signatures against (so a refused key is a real refusal). The tool reaches it through the SDK's
 * default credential chain: the key pair goes into the child's environment, never into a file.
 *
 * s3rver ignores object lock, encryption and storage classes, so a test proves what the tool SENDS:
 * the endpoint given to the tool is a small recording layer on loopback in front of s3rver, which
 * keeps the method, path and headers of every request and passes it on unchanged. (The forward
 * proxy cannot see them: hpagent tunnels plain http through CONNECT as well.)
 */
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { promises as fs } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import {
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { tempDir } from './cli.js';

interface S3rverInstance {
  run(): Promise<{ port: number }>;
  close(): Promise<void>;
}
type S3rverCtor = new (options: Record<string, unknown>) => S3rverInstance;
interface Account {
  createKeyPair(id: string, secret: string): void;
  revokeAccessKey(id: string): void;
}

const require = createRequire(import.meta.url);

export const BUCKET = 'rec-archive';

export interface StoreRequest {
  method: string;
  /** Path and query, e.g. `/rec-archive/genesys/2024/…/x.wav?uploads`. */
  url: string;
  headers: http.IncomingHttpHeaders;
}

export interface TestStore {
  readonly endpoint: string;
  /** The port the tool talks to (the recording layer). */
  readonly port: number;
  /** Every request of the tool that reached the store, in order. */
  readonly requests: StoreRequest[];
  /** TCP connections the tool opened to the store. */
  readonly connections: number;
  /**
   * Answers the next `times` requests that `match` with `status` (an S3 error document) instead of
   * passing them on. Returns the fault, whose `hits` counts the requests it answered.
   */
  fault(match: (r: StoreRequest) => boolean, status: number, times: number): { hits: number; remove(): void };
  /** Resolves at the first request (from now on) that `match`es, before it is passed on. */
  waitFor(match: (r: StoreRequest) => boolean): Promise<StoreRequest>;
  readonly bucket: string;
  /** s3rver's data folder (objects and their metadata as files). */
  readonly directory: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  /** The config's `archive` block for this store under `genesys/` (path style, eu-west-1), with `extra` on top. */
  archive(extra?: Record<string, unknown>): Record<string, unknown>;
  /** The environment the CLI child needs: the key pair, and no way for the chain to reach the network. */
  env(): NodeJS.ProcessEnv;
  /** A client of the test's own (not through the proxy). */
  readonly client: S3Client;
  /** Every object key under `prefix`, sorted. */
  keys(prefix?: string): Promise<string[]>;
  get(key: string): Promise<Buffer>;
  head(
    key: string,
  ): Promise<{ size: number; metadata: Record<string, string>; contentType: string | undefined }>;
  put(key: string, body: Buffer | string, metadata?: Record<string, string>): Promise<void>;
  /** Stops the server (a store outage); `start` brings it back on the same port and data. */
  stop(): Promise<void>;
  start(): Promise<void>;
  /** The key pair no longer accepted (credentials refused). */
  revoke(): void;
  close(): Promise<void>;
}

/** `tls`: the recording layer in front of s3rver serves HTTPS with this certificate and key. */
export async function startS3(options: { tls?: { cert: string; key: string } } = {}): Promise<TestStore> {
  const S3rver = require('s3rver') as S3rverCtor;
  const account = (require('s3rver/lib/models/account.js') as { DUMMY_ACCOUNT: Account }).DUMMY_ACCOUNT;
  const directory = await tempDir('gi-s3-');
  const accessKeyId = `AKIATEST${randomBytes(6).toString('hex').toUpperCase()}`;
  const secretAccessKey = `s3-secret-${randomBytes(16).toString('hex')}`;
  account.createKeyPair(accessKeyId, secretAccessKey);
  let backPort = 0;
  let port = 0;
  let server: S3rverInstance | undefined;
  let front: http.Server | undefined;
  const requests: StoreRequest[] = [];
  let connections = 0;
  const faults: { match: (r: StoreRequest) => boolean; status: number; left: number; hits: number }[] = [];
  const waiters: { match: (r: StoreRequest) => boolean; resolve: (r: StoreRequest) => void }[] = [];
  const start = async (): Promise<void> => {
    server = new S3rver({
      port: backPort,
      address: '127.0.0.1',
      silent: true,
      directory,
      configureBuckets: [{ name: BUCKET }],
    });
    ({ port: backPort } = await server.run());
    const handler: http.RequestListener = (req, res) => {
      const seen: StoreRequest = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: { ...req.headers },
      };
      requests.push(seen);
      for (let i = waiters.length - 1; i >= 0; i -= 1)
        if (waiters[i]!.match(seen)) waiters.splice(i, 1)[0]!.resolve(seen);
      const fault = faults.find((f) => f.left > 0 && f.match(seen));
      if (fault !== undefined) {
        fault.left -= 1;
        fault.hits += 1;
        req.resume();
        res.writeHead(fault.status, { 'content-type': 'application/xml' });
        res.end(
          `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${fault.status === 503 ? 'SlowDown' : 'InternalError'}</Code><Message>injected by the test</Message></Error>`,
        );
        return;
      }
      const upstream = http.request(
        // No pooled connection: a client killed mid-request must not keep s3rver from closing.
        {
          host: '127.0.0.1',
          port: backPort,
          method: req.method,
          path: req.url,
          headers: req.headers,
          agent: false,
        },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      upstream.on('error', () => res.destroy());
      res.on('close', () => {
        if (!res.writableFinished) upstream.destroy();
      });
      req.pipe(upstream);
    };
    front = options.tls === undefined ? http.createServer(handler) : https.createServer(options.tls, handler);
    front.on('connection', () => (connections += 1));
    await new Promise<void>((resolve) => front!.listen(port, '127.0.0.1', resolve));
    port = (front.address() as AddressInfo).port;
  };
  await start();
  const endpoint = `${options.tls === undefined ? 'http' : 'https'}://127.0.0.1:${port}`;
  // The test's own client talks to s3rver directly: the recording layer sees only the tool.
  const client = new S3Client({
    region: 'eu-west-1',
    endpoint: `http://127.0.0.1:${backPort}`,
    forcePathStyle: true,
    credentials: { accessKeyId, secretAccessKey },
  });
  const store: TestStore = {
    endpoint,
    port,
    requests,
    get connections() {
      return connections;
    },
    fault(match, status, times) {
      const f = { match, status, left: times, hits: 0 };
      faults.push(f);
      return {
        get hits() {
          return f.hits;
        },
        remove: () => void (f.left = 0),
      };
    },
    waitFor: (match) => new Promise((resolve) => waiters.push({ match, resolve })),
    bucket: BUCKET,
    directory,
    accessKeyId,
    secretAccessKey,
    client,
    archive: (extra = {}) => ({
      type: 's3',
      bucket: BUCKET,
      prefix: 'genesys/',
      region: 'eu-west-1',
      endpoint,
      forcePathStyle: true,
      ...extra,
    }),
    env: () => ({
      AWS_ACCESS_KEY_ID: accessKeyId,
      AWS_SECRET_ACCESS_KEY: secretAccessKey,
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_CONFIG_FILE: path.join(directory, 'no-aws-config'),
      AWS_SHARED_CREDENTIALS_FILE: path.join(directory, 'no-aws-credentials'),
    }),
    async keys(prefix = '') {
      const out: string[] = [];
      let token: string | undefined;
      do {
        const page = await client.send(
          new ListObjectsV2Command({ Bucket: BUCKET, Prefix: prefix, ContinuationToken: token }),
        );
        for (const o of page.Contents ?? []) out.push(o.Key!);
        token = page.IsTruncated === true ? page.NextContinuationToken : undefined;
      } while (token !== undefined);
      return out.sort();
    },
    async get(key) {
      const out = await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
      return Buffer.from(await out.Body!.transformToByteArray());
    },
    async head(key) {
      const out = await client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key }));
      return { size: out.ContentLength ?? -1, metadata: out.Metadata ?? {}, contentType: out.ContentType };
    },
    async put(key, body, metadata = {}) {
      await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body, Metadata: metadata }));
    },
    async stop() {
      front?.closeAllConnections();
      await new Promise((resolve) => front?.close(resolve));
      await server?.close();
      server = undefined;
      front = undefined;
    },
    start,
    revoke: () => account.revokeAccessKey(accessKeyId),
    async close() {
      client.destroy();
      await store.stop().catch(() => undefined);
      account.revokeAccessKey(accessKeyId);
      await fs.rm(directory, { recursive: true, force: true });
    },
  };
  return store;
}
