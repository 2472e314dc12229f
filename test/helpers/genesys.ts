/**
 * The Genesys client as the client tests (`test/genesys.*.test.ts`) build it: a simulator, a folder,
 * and clients made from configuration files written there and loaded through `loadConfig`, as the
 * CLI loads one. Also captures how failures render, for the scans that prove no secret is shown.
 */
import assert from 'node:assert/strict';
import { promises as fs, writeFileSync } from 'node:fs';
import path from 'node:path';
import { inspect } from 'node:util';
import { loadConfig } from '../../src/config/load.js';
import {
  createGenesysClient,
  type GenesysClient,
  type GenesysClientOptions,
} from '../../src/genesys/index.js';
import { statePaths } from '../../src/state/paths.js';
import { startSimulator, writePki, type Simulator, type SimulatorOptions } from '../../sim/src/index.js';
import { tempDir } from './cli.js';

export interface Endpoints {
  authUrl: string;
  apiUrl: string;
}

export interface ClientMakerOptions {
  /** `name` of every configuration. */
  name: string;
  /** Where the configuration files go; their state folder is `<dir>/state`. */
  dir: string;
  clientId: string;
  clientSecret: string;
  /** The CA file trusted through `tls.trustList` (a patch may replace `tls`). */
  trustList: string;
  /** The URLs unless a patch names others. */
  endpoints?: Endpoints;
  /**
   * Each client its own import source (`s1`, `s2`, …), so that none reuses another's cached token;
   * otherwise all share `src` (and its token cache).
   */
  importSourcePerClient?: boolean;
}

/** Makes clients, one configuration file each, and closes all of them at the end. */
export class ClientMaker {
  private made = 0;
  private readonly clients: GenesysClient[] = [];

  constructor(private readonly options: ClientMakerOptions) {}

  /** A client for the base configuration with `patch` over it; retries back off 5 ms unless `options` say otherwise. */
  make(patch: Record<string, unknown> = {}, options: GenesysClientOptions = {}): GenesysClient {
    const o = this.options;
    const n = (this.made += 1);
    const file = path.join(o.dir, `config-${n}.json`);
    writeFileSync(
      file,
      JSON.stringify({
        name: o.name,
        policyId: 'pol',
        importSourceId: o.importSourcePerClient === true ? `s${n}` : 'src',
        clientId: o.clientId,
        clientSecret: o.clientSecret,
        ...o.endpoints,
        tls: { trustList: o.trustList },
        codec: 'WAV',
        timezone: 'UTC',
        recordingStartTimestamp: '2024-01-01T00:00:00Z',
        maxRecordingLengthMinutes: 60,
        availabilityDelayMinutes: 5,
        userCacheLifetimeMinutes: 60,
        ...patch,
      }),
    );
    const config = loadConfig(file, { requireSecret: true });
    const client = createGenesysClient(
      config,
      statePaths(config.stateDir, config.policyId, config.importSourceId),
      { retryBaseMs: 5, ...options },
    );
    this.clients.push(client);
    return client;
  }

  closeAll(): void {
    for (const client of this.clients) client.close();
  }
}

export interface ClientEnv {
  sim: Simulator;
  dir: string;
  /** The simulator's CA, written to `<dir>/pki`. */
  trustList: string;
  make(patch?: Record<string, unknown>, options?: GenesysClientOptions): GenesysClient;
  /** Closes every client made and the simulator, lets `beforeRemove` read the folder, then removes it. */
  close(beforeRemove?: (dir: string) => Promise<void>): Promise<void>;
}

/** A simulator that knows the client `clientId`/`clientSecret`, a fresh folder, and a client maker for both. */
export async function openClientEnv(options: {
  name: string;
  clientId: string;
  clientSecret: string;
  dirPrefix: string;
  simulator?: SimulatorOptions;
  importSourcePerClient?: boolean;
}): Promise<ClientEnv> {
  const { clientId, clientSecret } = options;
  const sim = await startSimulator({ clients: [{ clientId, clientSecret }], ...options.simulator });
  const dir = await tempDir(options.dirPrefix);
  const trustList = (await writePki(sim.pki, path.join(dir, 'pki'))).caCert;
  const maker = new ClientMaker({
    name: options.name,
    dir,
    clientId,
    clientSecret,
    trustList,
    endpoints: { authUrl: sim.authUrl, apiUrl: sim.apiUrl },
    importSourcePerClient: options.importSourcePerClient === true,
  });
  return {
    sim,
    dir,
    trustList,
    make: (patch, clientOptions) => maker.make(patch, clientOptions),
    async close(beforeRemove) {
      maker.closeAll();
      await sim.close();
      await beforeRemove?.(dir);
      await fs.rm(dir, { recursive: true, force: true });
    },
  };
}

/** An error as the client tests inspect it. */
export type CapturedError = Error & {
  code?: string;
  status?: number;
  retryable?: boolean;
  exitCode?: number;
};

/**
 * Awaits a rejection (or a throw from `action`), pushes how the error renders (as a string, through
 * `inspect`, and with `json` also as JSON) onto `seen` for a later secret scan, and returns it.
 */
export async function captureFailure(
  seen: string[],
  action: Promise<unknown> | (() => unknown),
  options: { json?: boolean } = {},
): Promise<CapturedError> {
  try {
    await (typeof action === 'function' ? action() : action);
  } catch (error) {
    seen.push(String(error), inspect(error, { depth: 10 }));
    if (options.json === true) seen.push(JSON.stringify(error) ?? '');
    return error as CapturedError;
  }
  assert.fail('expected a rejection');
}

/** How a secret might be spelt besides as-is and URI-encoded. */
export type SecretEncoding = 'base64' | 'base64url' | 'hex';

/** Asserts that no captured text holds any of `secrets` as-is, URI-encoded, or in one of `encodings`. */
export function assertNoSecretShown(
  seen: readonly string[],
  secrets: Iterable<string>,
  encodings: readonly SecretEncoding[],
): void {
  for (const secret of secrets) {
    const forms = [
      secret,
      encodeURIComponent(secret),
      ...encodings.map((encoding) => Buffer.from(secret).toString(encoding)),
    ];
    for (const text of seen)
      for (const form of forms) assert.ok(!text.includes(form), `leaked: ${text.slice(0, 300)}`);
  }
}
