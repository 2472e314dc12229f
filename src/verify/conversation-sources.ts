/**
 * What the state folder holds about one conversation, for `verify --conversation` (SPEC §8.2): its
 * ledger lines, its retry entries (buffer, `dead/`, `removed/`, `rejected/`) and the report items
 * and alerts that mention it. Everything is streamed and read-only; only the matches are kept.
 */
import { createReadStream } from 'node:fs';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { isCdrInvalid, readCdrFile } from '../archive/cdr.js';
import { readLedger, type LedgerLine } from '../state/ledger-lines.js';
import type { StatePaths } from '../state/paths.js';
import { scanFolder } from '../state/retry-files.js';
import type { RetryPlace } from './reconcile-status.js';

export interface RetryEntryView {
  place: RetryPlace;
  file: string;
  recordingId?: string;
  conversationStart?: string;
  attempts?: number;
  firstFailedAt?: string;
  lastFailedAt?: string;
  lastError?: string;
  /** A file that is not a valid entry (as found in `rejected/`), and why. */
  invalid?: string;
}

export interface ReportMention {
  /** The report's file name in `reports/<p_s>/`. */
  report: string;
  kind: 'item' | 'alert' | 'reconcile';
  entry: Record<string, unknown>;
}

export async function ledgerLinesOf(paths: StatePaths, conversationId: string): Promise<LedgerLine[]> {
  const lines: LedgerLine[] = [];
  for await (const line of readLedger(paths.ledgerDir))
    if (line.conversationId.toLowerCase() === conversationId) lines.push(line);
  return lines;
}

export async function retryEntriesOf(paths: StatePaths, conversationId: string): Promise<RetryEntryView[]> {
  const out: RetryEntryView[] = [];
  const folders: [RetryPlace, string][] = [
    ['buffer', paths.retryDir],
    ['dead', paths.deadDir],
    ['removed', paths.removedDir],
    ['rejected', paths.rejectedDir],
  ];
  for (const [place, dir] of folders) {
    for await (const item of scanFolder(dir)) {
      if (!item.name.toLowerCase().startsWith(conversationId) || !item.stat.isFile()) continue;
      const view: RetryEntryView = { place, file: item.name };
      try {
        const parsed = await readCdrFile(item.path);
        const cdr = parsed.kind === 'retry' ? parsed.entry : parsed.cdr;
        if (cdr.recordingId !== undefined) view.recordingId = cdr.recordingId;
        if (cdr.conversationStart !== undefined) view.conversationStart = cdr.conversationStart;
        if (parsed.kind === 'retry' && parsed.entry.retry !== undefined) {
          const { attempts, firstFailedAt, lastFailedAt, lastError } = parsed.entry.retry;
          Object.assign(view, { attempts, firstFailedAt, lastFailedAt, lastError });
        }
      } catch (error) {
        if (!isCdrInvalid(error)) throw error;
        view.invalid = error.reason;
      }
      out.push(view);
    }
  }
  return out;
}

function mentions(value: unknown, conversationId: string): value is Record<string, unknown> {
  const id = (value as { conversationId?: unknown } | null)?.conversationId;
  return typeof id === 'string' && id.toLowerCase() === conversationId;
}

/**
 * Report items, alerts and reconcile rows that name the conversation, oldest report first. Reports
 * are written one item per line with the alerts on the closing line, so each is read line by line.
 */
export async function reportMentionsOf(paths: StatePaths, conversationId: string): Promise<ReportMention[]> {
  let names: string[];
  try {
    names = (await fs.readdir(paths.reportsDir)).filter((n) => n.endsWith('.json') && n !== 'status.json');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const out: ReportMention[] = [];
  for (const report of names.sort()) {
    const kind = report.endsWith('-reconcile.json') ? 'reconcile' : 'item';
    const lines = createInterface({ input: createReadStream(path.join(paths.reportsDir, report)) });
    for await (const line of lines) {
      if (!line.toLowerCase().includes(conversationId)) continue;
      const row = tryParse(line.replace(/,$/, ''));
      if (mentions(row, conversationId)) {
        out.push({ report, kind, entry: row });
        continue;
      }
      // The closing line of a run report: `],` then the summary fields, alerts among them.
      const tail = tryParse(`{${line.replace(/^\s*\],?/, '')}`) as { alerts?: unknown } | undefined;
      if (Array.isArray(tail?.alerts))
        for (const alert of tail.alerts as unknown[])
          if (mentions(alert, conversationId)) out.push({ report, kind: 'alert', entry: alert });
    }
  }
  return out;
}

function tryParse(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
