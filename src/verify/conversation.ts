/**
 * `verify --conversation ID` (SPEC §8.2): everything the tool knows about one conversation, for the
 * operator answering "where is this call?" — its status as in §8.1, its ledger lines, its archived
 * files re-hashed, its retry entries, the report items that mention it, whether the frontier holds
 * it pending, and (unless offline) what Genesys says now. Read-only; no lock.
 */
import type { Config } from '../config/types.js';
import { createGenesysClient, GenesysApiError, type RecordingMetadata } from '../genesys/index.js';
import { readConversation, isRefused } from '../pipeline/conversation-facts.js';
import { readCursor } from '../state/cursor-file.js';
import { loadFrontier } from '../state/frontier-file.js';
import type { LedgerLine, LedgerRecordingLine } from '../state/ledger-lines.js';
import type { StatePaths } from '../state/paths.js';
import { isGenesysId } from '../util/ids.js';
import { parseUtcIso } from '../util/time.js';
import { recordingPresence, type PresentFile } from './archive-presence.js';
import { openArchiveTarget } from '../archive/open-target.js';
import { heldByGenesys } from './reconcile-classify.js';
import {
  ledgerLinesOf,
  reportMentionsOf,
  retryEntriesOf,
  type ReportMention,
  type RetryEntryView,
} from './conversation-sources.js';
import { decideStatus, type ReconcileStatus, type RetryPlace } from './reconcile-status.js';

export interface GenesysView {
  /** False when Genesys does not know the conversation (analytics returns nothing for it). */
  known: boolean;
  conversationStart?: string;
  conversationEnd?: string;
  originatingDirection?: string;
  /** A voice session was recorded. */
  recorded?: boolean;
  recordings: Pick<RecordingMetadata, 'id' | 'media' | 'fileState' | 'archiveDate' | 'deleteDate'>[];
}

export interface ConversationStory {
  conversationId: string;
  status: ReconcileStatus | 'unknown';
  detail: string;
  ledger: LedgerLine[];
  files: (PresentFile & { recordingId: string })[];
  /** Files whose content no longer matches its CDR or the ledger (re-hashed). */
  altered: string[];
  retry: RetryEntryView[];
  reports: ReportMention[];
  frontier: { pending: boolean };
  /** Null with `--offline`. */
  genesys: GenesysView | null;
}

async function askGenesys(config: Config, paths: StatePaths, id: string): Promise<GenesysView> {
  const client = createGenesysClient(config, paths, { writeState: false });
  try {
    const [conv] = await client.analytics.getDetailsByIds([id]);
    // Genesys answers 404 for the recordings of a conversation it does not know.
    const metadata = await client.recordings.getMetadata(id).catch((error: unknown) => {
      if (error instanceof GenesysApiError && error.status === 404) return [];
      throw error;
    });
    const recordings = metadata.map((r) => {
      const view: GenesysView['recordings'][number] = { id: r.id };
      for (const key of ['media', 'fileState', 'archiveDate', 'deleteDate'] as const)
        if (r[key] !== undefined) view[key] = r[key];
      return view;
    });
    if (conv === undefined) return { known: recordings.length > 0, recordings };
    const view: GenesysView = { known: true, recordings };
    for (const key of ['conversationStart', 'conversationEnd', 'originatingDirection'] as const)
      if (typeof conv[key] === 'string') view[key] = conv[key];
    const read = readConversation(conv);
    if (!isRefused(read)) view.recorded = read.due;
    return view;
  } finally {
    client.close();
  }
}

/** The last recording line of each recording (a delete rewrites a CDR and appends a new line). */
function lastRecordingLines(ledger: readonly LedgerLine[]): Map<string, LedgerRecordingLine> {
  const out = new Map<string, LedgerRecordingLine>();
  for (const line of ledger) if (line.type === 'recording') out.set(line.recordingId.toLowerCase(), line);
  return out;
}

export async function conversationStory(
  config: Config,
  paths: StatePaths,
  conversationId: string,
  options: { offline: boolean; nowMs: number },
): Promise<ConversationStory> {
  const id = conversationId.toLowerCase();
  if (!isGenesysId(id)) throw new Error('conversationStory takes a Genesys id'); // checked by the caller
  const state = await readCursor(paths, config.recordingStartTimestamp, options.nowMs);
  const cursor = state.kind === 'file' ? state.parsed.position : state.position;
  const frontier = await loadFrontier(paths.workDir, cursor);
  const ledger = await ledgerLinesOf(paths, id);
  const retry = await retryEntriesOf(paths, id);
  const reports = await reportMentionsOf(paths, id);
  const genesys = options.offline ? null : await askGenesys(config, paths, id);

  // The ledger's last word, and every recording any of its conversation lines named.
  const conversationLines = ledger.filter((l) => l.type === 'conversation');
  const last = conversationLines.at(-1);
  const recordingIds = [...new Set(conversationLines.flatMap((l) => l.recordingIds))];
  const settled = last === undefined ? undefined : { status: last.status, recordingIds };
  const recordingLines = lastRecordingLines(ledger);

  const files: ConversationStory['files'] = [];
  const problems: string[] = [];
  const altered: string[] = [];
  const archive = await openArchiveTarget(config);
  try {
    for (const recordingId of recordingIds) {
      const line = recordingLines.get(recordingId);
      if (line === undefined) {
        problems.push(`recording ${recordingId} has no recording line in the ledger`);
        continue;
      }
      const presence = await recordingPresence(archive, { recordingId, file: line.file }, { hash: true });
      problems.push(...presence.problems);
      altered.push(...presence.altered);
      files.push(...presence.files.map((f) => ({ ...f, recordingId })));
      const media = presence.files.find((f) => f.kind === 'media' && f.file === line.file);
      if (media?.sha256 !== undefined && media.sha256 !== line.sha256)
        altered.push(`media ${line.file} does not match the SHA-256 in the ledger`);
      if (presence.cdrSha256 !== undefined && presence.cdrSha256 !== line.cdrSha256)
        altered.push(`the CDR of ${recordingId} is not the one the ledger recorded (cdrSha256)`);
    }
  } finally {
    archive.close();
  }

  const startMs =
    parseUtcIso(genesys?.conversationStart) ??
    parseUtcIso(last?.conversationStart) ??
    parseUtcIso(retry.find((r) => r.conversationStart !== undefined)?.conversationStart);
  const inFrontier = frontier?.pending.some((p) => p.conversationId === id) ?? false;
  const unledgered = (genesys?.recordings ?? [])
    .filter((r) => heldByGenesys(r) && isGenesysId(r.id))
    .map((r) => r.id.toLowerCase())
    .filter((r) => !recordingIds.includes(r) && !recordingLines.has(r));
  const story = {
    conversationId: id,
    ledger,
    files,
    altered,
    retry,
    reports,
    frontier: { pending: inFrontier },
    genesys,
  };
  const known =
    ledger.length > 0 || retry.length > 0 || reports.length > 0 || inFrontier || genesys?.known === true;
  if (!known)
    return {
      ...story,
      status: 'unknown',
      detail: options.offline
        ? "the tool's records do not know it (Genesys was not asked: --offline)"
        : "neither the tool's records nor Genesys know it",
    };
  const decision = decideStatus({
    position: { startMs, conversationId: id },
    genesys:
      genesys?.known === true && genesys.recorded !== undefined
        ? { endMs: parseUtcIso(genesys.conversationEnd), due: genesys.recorded }
        : undefined,
    settled,
    retry: new Set<RetryPlace>(retry.map((r) => r.place)),
    fileProblems: problems,
    unledgered,
    cursor,
    inFrontier,
    nowMs: options.nowMs,
    limits: config,
  });
  return { ...story, status: decision.status, detail: decision.detail };
}
