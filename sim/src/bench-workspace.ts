/**
 * A throw-away import source for one bench scenario: a temporary folder holding a real
 * configuration file, the simulator's CA certificate (trusted through `tls.trustList`), and the
 * state and archive folders the tool creates beside them.
 */
import { promises as fs, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Simulator } from './index.js';

/** Folders created and not removed yet, for `removeLeftovers` on an interrupt. */
const live = new Set<string>();

/** Removes every workspace still present (on SIGINT/SIGTERM, so /tmp is not left holding archives). */
export function removeLeftovers(): void {
  for (const dir of live) rmSync(dir, { recursive: true, force: true });
  live.clear();
}

/** One scenario's folder and configuration. */
export interface BenchWorkspace {
  dir: string;
  configPath: string;
  archiveDir: string;
  /** `--config <path>` for the tool's command line. */
  configArgs: string[];
  /** Removes the folder, unless the bench was asked to keep it. */
  cleanup(): Promise<void>;
}

/** What differs between scenarios' configurations. */
export interface WorkspaceInput {
  codec: string;
  recordingStartMs: number;
  availabilityDelayMinutes?: number;
  concurrency?: number;
  /** Any other configuration keys. */
  extra?: Record<string, unknown>;
}

/** The simulator's URLs and its OAuth client, or placeholders for commands that never log in. */
function connection(sim: Simulator | undefined): Record<string, unknown> {
  if (sim === undefined)
    return {
      clientId: 'bench-client',
      clientSecret: 'bench-secret',
      authUrl: 'https://login.example.invalid',
      apiUrl: 'https://api.example.invalid',
    };
  const client = sim.clients[0];
  if (client === undefined) throw new Error('the simulator has no OAuth client');
  return {
    clientId: client.clientId,
    clientSecret: client.clientSecret,
    authUrl: sim.authUrl,
    apiUrl: sim.apiUrl,
    tls: { trustList: './ca.pem' },
  };
}

/** Creates a workspace configured for `sim` (or for offline commands when `sim` is undefined). */
export async function makeWorkspace(
  sim: Simulator | undefined,
  input: WorkspaceInput,
  keep: boolean,
): Promise<BenchWorkspace> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'gi-bench-'));
  if (!keep) live.add(dir);
  const configPath = path.join(dir, 'genesys-ingest.json');
  const config = {
    name: 'Bench (simulated Genesys Cloud)',
    policyId: 'bench',
    importSourceId: 'sim',
    ...connection(sim),
    codec: input.codec,
    timezone: 'Europe/Dublin',
    recordingStartTimestamp: new Date(input.recordingStartMs).toISOString(),
    maxRecordingLengthMinutes: 240,
    availabilityDelayMinutes: input.availabilityDelayMinutes ?? 2,
    userCacheLifetimeMinutes: 60,
    stateDir: './state',
    archiveDir: './archive',
    minFreeDiskMb: 1,
    concurrency: input.concurrency ?? 4,
    ...input.extra,
  };
  await fs.writeFile(configPath, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
  if (sim !== undefined) await fs.writeFile(path.join(dir, 'ca.pem'), sim.pki.caCert, { mode: 0o600 });
  return {
    dir,
    configPath,
    archiveDir: path.join(dir, 'archive'),
    configArgs: ['--config', configPath],
    async cleanup() {
      if (keep) return;
      await fs.rm(dir, { recursive: true, force: true });
      live.delete(dir);
    },
  };
}
