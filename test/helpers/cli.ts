/**
 * Runs the built CLI as a child process, the way cron or an operator runs it, and captures what it
 * printed. Tests import nothing from src/ through here: the process boundary is the contract.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const BIN = path.join(ROOT, 'bin', 'genesys-ingest.js');

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  timeoutMs?: number;
}

/** The environment a test child gets: no inherited Genesys variables, no colour, not a CI runner's TTY. */
export function baseEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const key of ['PATH', 'HOME', 'TMPDIR', 'SystemRoot', 'LANG']) {
    if (process.env[key] !== undefined) env[key] = process.env[key];
  }
  return { ...env, NO_COLOR: '1', ...extra };
}

export function runCli(args: string[], options: RunOptions = {}): Promise<CliResult> {
  return spawnCli(args, options).done;
}

/** Starts the CLI and hands back the child (to signal or kill it) with a promise of its result. */
export function spawnCli(
  args: string[],
  options: RunOptions = {},
): { child: import('node:child_process').ChildProcess; done: Promise<CliResult> } {
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: options.cwd ?? ROOT,
    env: options.env ?? baseEnv(),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const done = new Promise<CliResult>((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
  return { child, done };
}

/** A fresh folder for one test, removed by the caller (t.after). */
export async function tempDir(prefix = 'gi-test-'): Promise<string> {
  return fs.mkdtemp(path.join(os.tmpdir(), prefix));
}

export interface FileSnapshot {
  mode: number;
  size: number;
  sha256: string;
}

/** Every file and folder under `root` with its mode and content hash: compare two to prove nothing changed. */
export async function snapshotTree(root: string): Promise<Map<string, FileSnapshot | 'dir'>> {
  const out = new Map<string, FileSnapshot | 'dir'>();
  async function walk(dir: string): Promise<void> {
    let entries: import('node:fs').Dirent[];
    try {
      entries = await fs.readdir(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      const full = path.join(dir, entry.name);
      const rel = path.relative(root, full);
      if (entry.isDirectory()) {
        out.set(rel, 'dir');
        await walk(full);
      } else {
        const data = await fs.readFile(full);
        const stat = await fs.stat(full);
        out.set(rel, {
          mode: stat.mode & 0o777,
          size: data.length,
          sha256: createHash('sha256').update(data).digest('hex'),
        });
      }
    }
  }
  await walk(root);
  return out;
}
