/**
 * Is the process a lock names on this host still a run of this tool? (SPEC §3.1: a lock that names
 * this host and a running process of this tool is never stale, whatever its heartbeat says — a
 * forward clock step makes a live holder's heartbeat look old.)
 *
 * How the process is recognised, and why:
 * - Alive: `kill(pid, 0)`; EPERM (another user's process) counts as alive.
 * - This tool: one of its command-line arguments is named `genesys-ingest` (the installed bin, or
 *   `bin/genesys-ingest.js` run by node, or a packaged binary). Read from `/proc/<pid>/cmdline`
 *   where /proc exists (Linux), else from `ps -o args= -p <pid>` (macOS, BSD). A PID reused after a
 *   reboot by an unrelated process is then recognised as not the holder, and its lock goes stale.
 * - When the command line cannot be read (Windows, /proc mounted with hidepid, no `ps`), the answer
 *   is "unknown" and the caller treats the process as this tool: two writers corrupt the ledger
 *   chain, while a lock kept too long only makes runs exit 3 until its process ends or the operator
 *   removes the lock file; the error message names the lock file for that.
 */
import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import path from 'node:path';

export type HolderState = 'notRunning' | 'otherProgram' | 'thisTool' | 'unknownProgram';

const TOOL_NAME = 'genesys-ingest';

/** True when `pid` is a running process on this host. */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** True when one of `args` is this tool's entry: `genesys-ingest`, with or without .js/.mjs/.cjs/.exe. */
export function looksLikeThisTool(args: readonly string[]): boolean {
  return args.some((arg) => {
    const base = path.basename(arg.replace(/\\/g, '/')).replace(/\.(c|m)?js$|\.exe$/i, '');
    return base.toLowerCase() === TOOL_NAME;
  });
}

/** What runs under `pid` on this host. */
export async function holderState(pid: number): Promise<HolderState> {
  if (!Number.isInteger(pid) || pid <= 0 || !processAlive(pid)) return 'notRunning';
  const args = await commandLine(pid);
  // Looked at again: the process may have ended while its command line was read.
  if (!processAlive(pid)) return 'notRunning';
  if (args === undefined) return 'unknownProgram';
  return looksLikeThisTool(args) ? 'thisTool' : 'otherProgram';
}

/** The process's arguments, or undefined when they cannot be read here. */
async function commandLine(pid: number): Promise<string[] | undefined> {
  const hasProc = await fs.stat('/proc/self/cmdline').then(
    () => true,
    () => false,
  );
  if (hasProc) {
    try {
      const raw = await fs.readFile(`/proc/${pid}/cmdline`, 'utf8');
      return raw.split('\0').filter((a) => a !== '');
    } catch {
      return undefined; // gone meanwhile, or hidden (hidepid): the caller looks at the PID again
    }
  }
  if (process.platform === 'win32') return undefined;
  return new Promise((resolve) => {
    execFile(
      'ps',
      ['-o', 'args=', '-p', String(pid)],
      { timeout: 5000, env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LC_ALL: 'C' } },
      (error, stdout) => {
        const text = String(stdout).trim();
        // No output: the process is gone (ps exits 1) or ps failed; the caller looks at the PID again.
        resolve(text !== '' && error === null ? text.split(/\s+/) : undefined);
      },
    );
  });
}
