/** Runs `genesys-ingest run|catchup --json` and returns the parsed report with the raw result. */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { baseEnv, runCli, type CliResult } from './cli.js';
import type { Counts } from '../../src/state/report.js';
import type { Workspace } from './workspace.js';

export interface RunReport {
  command: string;
  exitCode: number;
  dryRun: boolean;
  startedAt: string;
  finishedAt: string;
  counts: Counts;
  items: {
    conversationId: string;
    recordingId: string;
    status: string;
    reason: string;
    sha256: string;
    fromRetryBuffer: boolean;
  }[];
  alerts: { type: string; conversationId: string; recordingId: string; message: string }[];
  apiRequests: number;
  bytesDownloaded: number;
  cursor: { before: string; after: string };
  retryBuffer: { size: number; dead: number };
}

export const TEST_ENV = { GENESYS_INGEST_NOT_READY_POLL_MS: '1500' };

export async function ingest(
  ws: Workspace,
  args: string[] = [],
  env: NodeJS.ProcessEnv = {},
): Promise<{ result: CliResult; report: RunReport }> {
  const command = args[0] === 'catchup' ? [] : ['run'];
  const result = await runCli([...command, ...args, '--json', '--config', ws.configPath], {
    env: baseEnv({ ...TEST_ENV, ...env }),
    timeoutMs: 240_000,
  });
  let report: RunReport;
  try {
    report = JSON.parse(result.stdout) as RunReport;
  } catch {
    throw new Error(
      `no JSON report (exit ${result.code}):\n${result.stderr}\n${result.stdout.slice(0, 2000)}`,
    );
  }
  return { result, report };
}

export async function readCursorLine(ws: Workspace): Promise<string> {
  return (await fs.readFile(ws.cursorFile, 'utf8')).trim();
}

export async function retryEntries(ws: Workspace): Promise<string[]> {
  try {
    return (await fs.readdir(ws.retryDir)).filter((n) => n.endsWith('.xml')).sort();
  } catch {
    return [];
  }
}

/** The ledger files' text, oldest month first (what is stored, unparsed). */
export async function ledgerText(stateDir: string, key = 'pol1_src1'): Promise<string> {
  const dir = path.join(stateDir, 'ledger', key);
  const names = (await fs.readdir(dir).catch(() => [] as string[]))
    .filter((n) => n.endsWith('.jsonl'))
    .sort();
  const texts = await Promise.all(names.map((n) => fs.readFile(path.join(dir, n), 'utf8')));
  return texts.join('');
}

/** Every ledger line as stored, parsed, oldest first. */
export async function ledgerLines(stateDir: string, key = 'pol1_src1'): Promise<Record<string, unknown>[]> {
  return (await ledgerText(stateDir, key))
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

export function cursorTime(line: string): number {
  const stamp = line.slice(line.lastIndexOf(';') + 1);
  const [d, t] = stamp.split(' ');
  return Date.parse(`${d!.replace(/\./g, '-')}T${t}Z`);
}

export async function partialFiles(root: string): Promise<string[]> {
  const out: string[] = [];
  async function walk(dir: string): Promise<void> {
    for (const e of await fs.readdir(dir, { withFileTypes: true }).catch(() => [])) {
      const full = path.join(dir, e.name);
      if (e.isDirectory()) await walk(full);
      else if (e.name.endsWith('.partial')) out.push(full);
    }
  }
  await walk(root);
  return out;
}
