/**
 * Azure's own storage emulator (azurite, a dev dependency) for tests: the Blob service as a child
 * process on 127.0.0.1, on a port the OS picks (`--blobPort 0`; azurite prints the one it got),
 * in-memory only. The emulator's well-known account `devstoreaccount1` and its documented key are
 * public test values, used here as a canary that must never show in the tool's output.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { after } from 'node:test';
import type { ContainerClient, StoragePipelineOptions } from '@azure/storage-blob';
import { ROOT, tempDir } from './cli.js';

export const AZURITE_ACCOUNT = 'devstoreaccount1';
/** The emulator's documented account key (the same in every azurite install). */
export const AZURITE_KEY =
  'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

const MAIN = path.join(ROOT, 'node_modules', 'azurite', 'dist', 'src', 'blob', 'main.js');
const LISTENING = /successfully listens on (https?):\/\/127\.0\.0\.1:(\d+)/;

export interface Azurite {
  readonly host: string;
  readonly port: number;
  /** `http(s)://127.0.0.1:<port>/devstoreaccount1`: the blob endpoint a config's `url` names. */
  readonly url: string;
  /** For env `AZURE_STORAGE_CONNECTION_STRING` (holds the account key). */
  readonly connectionString: string;
  readonly process: ChildProcess;
  /** Everything azurite printed, for a failing test's message. */
  output(): string;
  /** Ends azurite (SIGKILL: an outage, nothing flushed) and waits for it to exit. */
  stop(): Promise<void>;
}

export interface AzuriteOptions {
  /** PEM certificate and key: azurite serves HTTPS (the certificate must name 127.0.0.1). */
  cert?: string;
  key?: string;
}

/** Starts azurite; it is stopped when the test file ends, whatever happens. */
export async function startAzurite(options: AzuriteOptions = {}): Promise<Azurite> {
  const dir = await tempDir('gi-azurite-');
  const args = [
    MAIN,
    '--inMemoryPersistence',
    '--extentMemoryLimit',
    '512',
    '--blobHost',
    '127.0.0.1',
    '--blobPort',
    '0',
    '--silent',
    '--loose',
    '--skipApiVersionCheck',
    '--disableTelemetry',
  ];
  if (options.cert !== undefined && options.key !== undefined)
    args.push('--cert', options.cert, '--key', options.key);
  // The working folder (not --location, which azurite refuses with in-memory persistence).
  const child = spawn(process.execPath, args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
    await fs.rm(dir, { recursive: true, force: true });
  };
  after(stop);
  const { scheme, port } = await new Promise<{ scheme: string; port: number }>((resolve, reject) => {
    const onData = (chunk: Buffer): void => {
      text += chunk.toString('utf8');
      const m = LISTENING.exec(text);
      if (m !== null) resolve({ scheme: m[1]!, port: Number(m[2]) });
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('error', reject);
    child.once('exit', (code, signal) =>
      reject(new Error(`azurite exited before listening (${code ?? signal}): ${text}`)),
    );
  });
  const url = `${scheme}://127.0.0.1:${port}/${AZURITE_ACCOUNT}`;
  return {
    host: '127.0.0.1',
    port,
    url,
    connectionString:
      `DefaultEndpointsProtocol=${scheme};AccountName=${AZURITE_ACCOUNT};` +
      `AccountKey=${AZURITE_KEY};BlobEndpoint=${url};`,
    process: child,
    output: () => text,
    stop,
  };
}

/** What a test sees of one blob. */
export interface BlobSeen {
  readonly name: string;
  readonly size: number;
  readonly contentType: string | undefined;
  readonly sha256Metadata: string | undefined;
  readonly accessTier: string | undefined;
  readonly etag: string | undefined;
}

/** A container in the emulator (created), read with the account key: the test's own view. */
export async function emulatorContainer(
  az: Azurite,
  name = 'recordings',
  ca?: string,
): Promise<ContainerClient> {
  const { BlobServiceClient } = await import('@azure/storage-blob');
  const { Agent } = await import('node:https');
  // Over HTTPS the test's own client trusts the test CA (the SDK passes `agent` to its pipeline).
  const options = (ca === undefined ? {} : { agent: new Agent({ ca }) }) as StoragePipelineOptions;
  const container = BlobServiceClient.fromConnectionString(az.connectionString, options).getContainerClient(
    name,
  );
  await container.createIfNotExists();
  return container;
}

/** Every committed blob of the container, by name. */
export async function listBlobs(container: ContainerClient): Promise<Map<string, BlobSeen>> {
  const out = new Map<string, BlobSeen>();
  for await (const b of container.listBlobsFlat({ includeMetadata: true }))
    out.set(b.name, {
      name: b.name,
      size: b.properties.contentLength ?? -1,
      contentType: b.properties.contentType,
      sha256Metadata: b.metadata?.sha256,
      accessTier: b.properties.accessTier,
      etag: b.properties.etag,
    });
  return out;
}

/** A blob's bytes. */
export async function blobBytes(container: ContainerClient, name: string): Promise<Buffer> {
  return container.getBlockBlobClient(name).downloadToBuffer();
}

/**
 * A SAS scoped to one container (read, add, create, write, delete, list): the least an operator
 * would hand the tool.
 */
export async function emulatorSas(
  containerName = 'recordings',
): Promise<{ token: string; signature: string }> {
  const sdk = await import('@azure/storage-blob');
  const token = sdk
    .generateBlobSASQueryParameters(
      {
        containerName,
        permissions: sdk.ContainerSASPermissions.parse('racwdl'),
        expiresOn: new Date(Date.now() + 3_600_000),
      },
      new sdk.StorageSharedKeyCredential(AZURITE_ACCOUNT, AZURITE_KEY),
    )
    .toString();
  return { token, signature: new URLSearchParams(token).get('sig')! };
}

/**
 * A TCP relay on loopback in front of azurite: the tool is given its port, so the test counts every
 * connection the tool opened to the store (HTTP or HTTPS alike, nothing decrypted) and can break
 * connections mid-transfer (a reset after some bytes), as a flaky network does.
 */
export interface StoreRelay {
  readonly port: number;
  /** `http(s)://127.0.0.1:<relay port>/devstoreaccount1` */
  readonly url: string;
  /** Connections the tool opened through the relay. */
  readonly connections: number;
  /** The next `times` connections to carry `afterBytes` towards the store are reset there. */
  breakNext(times: number, afterBytes: number): void;
  /** Connections reset so far. */
  readonly resets: number;
  close(): Promise<void>;
}

export async function startRelay(az: Azurite): Promise<StoreRelay> {
  const net = await import('node:net');
  let connections = 0;
  let resets = 0;
  let pendingBreaks = 0;
  let breakAfter = Infinity;
  const sockets = new Set<import('node:net').Socket>();
  const server = net.createServer((client) => {
    connections += 1;
    const upstream = net.connect(az.port, '127.0.0.1');
    sockets.add(client).add(upstream);
    let carried = 0;
    client.on('data', (chunk: Buffer) => {
      carried += chunk.length;
      if (pendingBreaks > 0 && carried >= breakAfter) {
        pendingBreaks -= 1;
        resets += 1;
        client.resetAndDestroy();
        upstream.destroy();
        return;
      }
      upstream.write(chunk);
    });
    upstream.pipe(client);
    const end = (): void => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as import('node:net').AddressInfo).port;
  const relay: StoreRelay = {
    port,
    url: az.url.replace(`:${az.port}/`, `:${port}/`),
    get connections() {
      return connections;
    },
    get resets() {
      return resets;
    },
    breakNext(times, afterBytes) {
      pendingBreaks = times;
      breakAfter = afterBytes;
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  after(() => relay.close());
  return relay;
}
