/**
 * One conversation of a reconcile: gathers what the tool's records say of it (and, with `--deep`,
 * which recordings Genesys holds) and decides its one status (SPEC §8.1).
 */
import type { Config } from '../config/types.js';
import { GenesysApiError, type GenesysClient, type RecordingMetadata } from '../genesys/index.js';
import { isGenesysId } from '../util/ids.js';
import { isoUtc } from '../util/time.js';
import { recordingPresence } from './archive-presence.js';
import type { ArchiveTarget } from '../archive/target.js';
import type { ReconcileRow } from './reconcile-output.js';
import type { SettledHistory, ToolRecords } from './reconcile-records.js';
import { decideStatus } from './reconcile-status.js';

export interface ClassifyContext {
  config: Config;
  records: ToolRecords;
  /** The archive target (SPEC §7) the recordings are looked up in. */
  archive: ArchiveTarget;
  /** Genesys' time, for the availability decisions. */
  now(): number;
  /** With `--deep`: the client that lists each conversation's recordings. */
  deep?: { client: GenesysClient; signal?: AbortSignal };
}

export interface ListedConversation {
  conversationId: string;
  startMs: number | undefined;
  /** Undefined when it was refused as invalid data while listed. */
  genesys: { endMs: number | undefined; due: boolean } | undefined;
}

/** Settled statuses under which every recording Genesys holds must be in the ledger. */
const DEEP_STATUSES = new Set(['archived', 'notRecorded', 'gone']);

/** A recording Genesys holds: audio (or unlabelled), neither deleted nor broken there. */
export function heldByGenesys(rec: RecordingMetadata): boolean {
  return (
    (rec.media === undefined || rec.media === 'audio') &&
    rec.fileState !== 'DELETED' &&
    rec.fileState !== 'ERROR'
  );
}

/** The recordings the ledger names for it whose media or CDR the archive does not hold as recorded. */
export async function fileProblemsOf(
  ctx: Pick<ClassifyContext, 'config' | 'records' | 'archive'>,
  settled: SettledHistory | undefined,
  startMs: number | undefined,
): Promise<string[]> {
  if (settled === undefined || startMs === undefined) return [];
  const problems: string[] = [];
  for (const recordingId of settled.recordingIds) {
    const file = await ctx.records.recordingFile(recordingId, startMs);
    if (file === undefined) {
      problems.push(`recording ${recordingId} has no recording line in the ledger`);
      continue;
    }
    problems.push(...(await recordingPresence(ctx.archive, { recordingId, file })).problems);
  }
  return problems;
}

async function unledgeredOf(
  ctx: ClassifyContext,
  conv: ListedConversation,
  settled: SettledHistory | undefined,
): Promise<string[]> {
  const { deep } = ctx;
  if (deep === undefined || settled === undefined || conv.startMs === undefined) return [];
  if (!DEEP_STATUSES.has(settled.status) || !isGenesysId(conv.conversationId)) return [];
  // Genesys answers 404 for the recordings of a conversation it no longer knows: none held.
  const recordings = await deep.client.recordings
    .getMetadata(conv.conversationId, deep.signal === undefined ? {} : { signal: deep.signal })
    .catch((error: unknown) => {
      if (error instanceof GenesysApiError && error.status === 404) return [];
      throw error;
    });
  const out: string[] = [];
  for (const rec of recordings) {
    if (!heldByGenesys(rec) || !isGenesysId(rec.id)) continue;
    const id = rec.id.toLowerCase();
    if (settled.recordingIds.includes(id)) continue;
    if ((await ctx.records.recordingFile(id, conv.startMs)) !== undefined) continue;
    out.push(id);
  }
  return out;
}

export async function classify(ctx: ClassifyContext, conv: ListedConversation): Promise<ReconcileRow> {
  const settled = await ctx.records.settled(conv.conversationId, conv.startMs);
  const decision = decideStatus({
    position: { startMs: conv.startMs, conversationId: conv.conversationId },
    genesys: conv.genesys,
    settled,
    retry: ctx.records.retry(conv.conversationId),
    fileProblems: await fileProblemsOf(ctx, settled, conv.startMs),
    unledgered: await unledgeredOf(ctx, conv, settled),
    cursor: ctx.records.cursor,
    inFrontier: ctx.records.inFrontier(conv.conversationId),
    nowMs: ctx.now(),
    limits: ctx.config,
  });
  return {
    conversationId: conv.conversationId,
    conversationStart: conv.startMs === undefined ? '' : isoUtc(conv.startMs),
    status: decision.status,
    recordingIds: settled?.recordingIds ?? [],
    detail: decision.detail,
  };
}
