/**
 * The demo's side of the file system and processes: the `./demo/` folder (created fresh, and only
 * ever removed when the demo made it), the configuration written into it, and the built
 * `genesys-ingest` command run as a child process exactly as an operator or cron would run it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The product's package root, the repository's: this file is `sim/dist/demo-workspace.js`. */
export const PACKAGE_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const BIN = path.join(PACKAGE_ROOT, 'bin', 'genesys-ingest.js');

/** Written into the demo folder; its presence is what allows a later demo to remove the folder. */
const MARKER = '.genesys-ingest-demo';
const MARKER_TEXT = 'Created by `npm run demo`; the next demo run deletes and recreates this folder.\n';

/** A failure the demo explains in one message and exits on, without a stack trace. */
export class DemoError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = 'DemoError';
  }
}

/** Checks that the built command exists, so a missing build is named instead of failing oddly later. */
export function checkBuilt(): void {
  for (const file of [BIN, path.join(PACKAGE_ROOT, 'dist', 'cli', 'main.js')]) {
    if (!existsSync(file))
      throw new DemoError(`${file} is missing: run \`npm run build\` (or \`npm run demo\`).`);
  }
}

/**
 * Creates `dir` empty. An existing folder is removed only when it carries the demo's marker (or is
 * empty): the demo must never delete somebody's own `demo` folder.
 */
export async function prepareDemoDir(dir: string): Promise<'created' | 'replaced'> {
  const shown = path.resolve(dir);
  const stat = await fs.lstat(dir).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw error;
  });
  let outcome: 'created' | 'replaced' = 'created';
  if (stat !== undefined) {
    // A symbolic link could point anywhere; a file is not ours either.
    if (!stat.isDirectory())
      throw new DemoError(`${shown} exists and is not a folder; move it away and try again.`, 2);
    const entries = await fs.readdir(dir);
    if (entries.length > 0 && !entries.includes(MARKER)) {
      throw new DemoError(
        `${shown} exists and was not made by the demo (no ${MARKER} file in it); ` +
          'move it away or run the demo from another folder.',
        2,
      );
    }
    await fs.rm(dir, { recursive: true, force: true });
    outcome = 'replaced';
  }
  await fs.mkdir(dir, { mode: 0o700 });
  await fs.writeFile(path.join(dir, MARKER), MARKER_TEXT, { mode: 0o600 });
  return outcome;
}

/** What the demo's configuration needs from the running simulator. */
export interface DemoConfigInput {
  authUrl: string;
  apiUrl: string;
  clientId: string;
  clientSecret: string;
  recordingStartMs: number;
  availabilityDelayMinutes: number;
}

/**
 * A complete, valid configuration (README "Configuration"). Relative paths resolve against the
 * config file's folder, so the demo folder can be moved and still read by `cursor get`.
 */
export function demoConfig(input: DemoConfigInput): Record<string, unknown> {
  return {
    name: 'Demo (simulated Genesys Cloud)',
    policyId: 'demo',
    importSourceId: 'sim',
    clientId: input.clientId,
    // The simulator's own secret, valid only while the demo runs; a real one belongs in
    // GENESYS_CLIENT_SECRET or clientSecretFile.
    clientSecret: input.clientSecret,
    authUrl: input.authUrl,
    apiUrl: input.apiUrl,
    tls: { trustList: './ca.pem' },
    codec: 'WAV',
    timezone: 'Europe/Dublin',
    recordingStartTimestamp: new Date(input.recordingStartMs).toISOString(),
    maxRecordingLengthMinutes: 240,
    availabilityDelayMinutes: input.availabilityDelayMinutes,
    userCacheLifetimeMinutes: 60,
    stateDir: './state',
    archiveDir: './archive',
    minFreeDiskMb: 10,
    concurrency: 4,
  };
}

/** Writes the configuration and the simulator's CA certificate into the demo folder. */
export async function writeDemoFiles(
  dir: string,
  config: Record<string, unknown>,
  caPem: string,
): Promise<string> {
  const configPath = path.join(dir, 'genesys-ingest.json');
  // 0600: the file holds a client secret, as a real configuration would.
  await fs.writeFile(configPath, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
  await fs.writeFile(path.join(dir, 'ca.pem'), caPem, { mode: 0o600 });
  return configPath;
}

/**
 * The children's environment: the demo's own, minus anything that would point the tool somewhere
 * else (environment variables take precedence over the file, so a GENESYS_CLIENT_SECRET left in the
 * shell would break the login against the simulator).
 */
export function childEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.startsWith('GENESYS_')) env[key] = value;
  }
  return { ...env, ...extra };
}

let current: ChildProcess | undefined;

/**
 * Passes SIGINT/SIGTERM on to the running child (which saves its state and exits 130) instead of
 * dying under it. Returns false when no child is running, so the caller stops by itself.
 */
export function forwardSignal(signal: NodeJS.Signals): boolean {
  if (current === undefined || current.exitCode !== null) return false;
  current.kill(signal);
  return true;
}

/** Runs `genesys-ingest <args>` with its output on the demo's terminal; resolves with its exit code. */
export function runTool(args: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'inherit', 'inherit'], env });
    current = child;
    child.once('error', (error) => {
      current = undefined;
      reject(new DemoError(`could not start ${BIN}: ${error.message}`));
    });
    child.once('close', (code, signal) => {
      current = undefined;
      // Killed by a signal it did not handle: report it the way a shell would (128 + number).
      resolve(code ?? (signal === 'SIGINT' ? 130 : signal === 'SIGTERM' ? 143 : 128));
    });
  });
}
