/** A temporary import source: a config file with its state and archive folders beside it. */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { tempDir } from './cli.js';

export const CLIENT_SECRET = 'sEcReT-canary-7f3a91b2c4';

export interface Workspace {
  dir: string;
  configPath: string;
  stateDir: string;
  archiveDir: string;
  /** `<stateDir>/laststate/<p_s>/<p_s>.cursor` */
  cursorFile: string;
  retryDir: string;
  config: Record<string, unknown>;
  writeConfig(patch?: Record<string, unknown>): Promise<void>;
  cleanup(): Promise<void>;
}

export function baseConfig(): Record<string, unknown> {
  return {
    name: 'Test source',
    policyId: 'pol1',
    importSourceId: 'src1',
    clientId: 'sim-client',
    clientSecret: CLIENT_SECRET,
    authUrl: 'https://login.example.invalid',
    apiUrl: 'https://api.example.invalid',
    codec: 'WAV',
    timezone: 'Europe/Dublin',
    recordingStartTimestamp: '2024-01-01T00:00:00Z',
    maxRecordingLengthMinutes: 240,
    availabilityDelayMinutes: 30,
    userCacheLifetimeMinutes: 60,
    stateDir: './state',
    archiveDir: './archive',
  };
}

export async function makeWorkspace(patch: Record<string, unknown> = {}): Promise<Workspace> {
  const dir = await tempDir();
  const ws: Workspace = {
    dir,
    configPath: path.join(dir, 'genesys-ingest.json'),
    stateDir: path.join(dir, 'state'),
    archiveDir: path.join(dir, 'archive'),
    cursorFile: path.join(dir, 'state', 'laststate', 'pol1_src1', 'pol1_src1.cursor'),
    retryDir: path.join(dir, 'state', 'retryBuffer', 'pol1_src1'),
    config: { ...baseConfig(), ...patch },
    async writeConfig(more = {}) {
      ws.config = { ...ws.config, ...more };
      for (const [k, v] of Object.entries(ws.config)) if (v === undefined) delete ws.config[k];
      await fs.writeFile(ws.configPath, JSON.stringify(ws.config, null, 2));
    },
    async cleanup() {
      await fs.rm(dir, { recursive: true, force: true });
    },
  };
  await ws.writeConfig();
  return ws;
}

/** Writes a live lock held by "another run" (this process's pid, so it is not stale). */
export async function holdLock(ws: Workspace, command = 'run'): Promise<string> {
  const { hostname } = await import('node:os');
  const file = path.join(path.dirname(ws.cursorFile), 'pol1_src1.lock');
  await fs.mkdir(path.dirname(file), { recursive: true });
  const now = new Date().toISOString();
  await fs.writeFile(
    file,
    JSON.stringify({
      pid: process.pid,
      host: hostname(),
      runId: 'another-run',
      command,
      startedAt: now,
      heartbeatAt: now,
    }),
  );
  return file;
}
