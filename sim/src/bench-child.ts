/**
 * Runs the built `genesys-ingest` as a child process, exactly as cron would, and measures it from
 * outside: wall time, and on Linux its peak RSS and CPU time, polled from `/proc/<pid>/` every
 * 100 ms (`VmHWM` is the kernel's high-water mark, so the last poll before exit misses at most the
 * growth of the final 100 ms).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The product's package root, the repository's: this file is `sim/dist/bench-child.js`. */
export const PACKAGE_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const BIN = path.join(PACKAGE_ROOT, 'bin', 'genesys-ingest.js');

/** Linux reports CPU time in clock ticks; 100 per second on every usual kernel. */
const CLOCK_TICKS = 100;
const POLL_MS = 100;

/** What one child run printed and cost. */
export interface ChildRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  wallMs: number;
  /** Peak resident set size in bytes; undefined where `/proc` is not available. */
  peakRssBytes: number | undefined;
  /** User + system CPU time in ms as of the last poll; undefined where `/proc` is not available. */
  cpuMs: number | undefined;
}

/** Throws when the command has not been built, naming what to run. */
export function checkBuilt(): void {
  for (const file of [BIN, path.join(PACKAGE_ROOT, 'dist', 'cli', 'main.js')]) {
    if (!existsSync(file))
      throw new Error(`${file} is missing: run \`npm run build\` (or \`npm run bench\`).`);
  }
}

/**
 * The child's environment: PATH and the like, never a `GENESYS_*` variable of the caller's shell
 * (those override the configuration file and would point the tool at a real Genesys).
 */
export function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const key of ['PATH', 'HOME', 'TMPDIR', 'SystemRoot', 'LANG']) {
    const value = process.env[key];
    if (value !== undefined) env[key] = value;
  }
  return { ...env, NO_COLOR: '1', ...extra };
}

async function readStatus(pid: number): Promise<{ hwm?: number; cpu?: number }> {
  const out: { hwm?: number; cpu?: number } = {};
  try {
    const status = await fs.readFile(`/proc/${pid}/status`, 'utf8');
    const kb = /^VmHWM:\s+(\d+)\s+kB/m.exec(status)?.[1];
    if (kb !== undefined) out.hwm = Number(kb) * 1024;
    const stat = await fs.readFile(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    if (Number.isFinite(ticks)) out.cpu = (ticks * 1000) / CLOCK_TICKS;
  } catch {
    // Gone already, or no /proc here.
  }
  return out;
}

/** Children still running, for `stopChildren` on an interrupt. */
const running = new Set<ChildProcess>();

/** Passes `signal` on to every running child (the tool saves its state and exits 130). */
export function stopChildren(signal: NodeJS.Signals): void {
  for (const child of running) child.kill(signal);
}

/** Runs `genesys-ingest <args>`; never rejects for a non-zero exit (the caller judges the code). */
export function runTool(
  args: readonly string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number } = {},
): Promise<ChildRun> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: options.cwd ?? PACKAGE_ROOT,
      env: options.env ?? childEnv(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    running.add(child);
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    let peak: number | undefined;
    let cpu: number | undefined;
    let polling = false;
    const pid = child.pid;
    const poll = (): void => {
      if (pid === undefined || polling || process.platform !== 'linux') return;
      polling = true;
      void readStatus(pid).then((s) => {
        polling = false;
        if (s.hwm !== undefined) peak = Math.max(peak ?? 0, s.hwm);
        if (s.cpu !== undefined) cpu = s.cpu;
      });
    };
    poll();
    const ticker = setInterval(poll, POLL_MS);
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 30 * 60_000);
    child.once('error', (error) => {
      running.delete(child);
      clearInterval(ticker);
      clearTimeout(timer);
      reject(new Error(`could not start ${BIN}: ${error.message}`));
    });
    child.once('close', (code, signal) => {
      running.delete(child);
      clearInterval(ticker);
      clearTimeout(timer);
      resolve({
        code,
        signal,
        stdout: Buffer.concat(stdout).toString('utf8'),
        stderr: Buffer.concat(stderr).toString('utf8'),
        wallMs: performance.now() - started,
        peakRssBytes: peak,
        cpuMs: cpu,
      });
    });
  });
}

/** The fields of a `run` / `catchup` report the bench reads. */
export interface ToolReport {
  exitCode?: number;
  ok?: boolean;
  error?: { code?: string; message?: string };
  counts?: Partial<Record<'discovered' | 'ingested' | 'failed' | 'pending' | 'alerts', number>> &
    Record<string, number>;
  apiRequests?: number;
  bytesDownloaded?: number;
  items?: { status?: string; reason?: string }[];
  alerts?: { type?: string; message?: string }[];
}

/** Parses the one JSON document a `--json` run prints; undefined when stdout holds none. */
export function parseReport(run: ChildRun): ToolReport | undefined {
  const text = run.stdout.trim();
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as ToolReport;
  } catch {
    return undefined;
  }
}

/** A short account of a failed child for an error message: its exit and the end of its stderr. */
export function describeFailure(run: ChildRun, report?: ToolReport): string {
  const how = run.signal === null ? `exit ${String(run.code)}` : `signal ${run.signal}`;
  const message = report?.error?.message;
  const tail = run.stderr.trim().split('\n').slice(-5).join('\n');
  return `${how}${message === undefined ? '' : `: ${message}`}${tail === '' ? '' : `\n${tail}`}`;
}
