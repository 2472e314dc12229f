/**
 * `verify --reconcile FROM TO` (SPEC §8.1): every voice conversation Genesys has that started in
 * [FROM, TO), listed with the pipeline's own discovery (synchronous query, split at day boundaries
 * over its cap, asynchronous jobs for history and capped days), gets one status from the tool's
 * records. Rows are written as they are decided (report file, `--csv`); only the counts and the
 * `missing` rows are held. No lock, nothing written under stateDir but the report (the jobs' spool
 * goes to a private temporary folder), so it runs beside a run that holds the lock.
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Config } from '../config/types.js';
import { createGenesysClient } from '../genesys/index.js';
import { listWindowAsync, type AsyncListingContext } from '../pipeline/discover/async-listing.js';
import { listWindowSync, type ListingEvents } from '../pipeline/discover/sync-listing.js';
import { planWindows, splitCapped } from '../pipeline/discover/windows.js';
import type { StatePaths } from '../state/paths.js';
import { compactUtc, isoInZone, isoUtc } from '../util/time.js';
import { classify, type ClassifyContext, type ListedConversation } from './reconcile-classify.js';
import { openArchiveTarget } from '../archive/open-target.js';
import type { ArchiveTarget } from '../archive/target.js';
import { ReconcileCsv, ReconcileJson, type ReconcileRow } from './reconcile-output.js';
import { ToolRecords } from './reconcile-records.js';
import { RECONCILE_STATUSES, type ReconcileStatus } from './reconcile-status.js';

export interface ReconcileRequest {
  fromMs: number;
  toMs: number;
  deep: boolean;
  csvFile?: string;
  /** Results the synchronous query serves per interval (Genesys: 10,000; smaller in tests). */
  syncResultCap: number;
  debug(text: string): void;
  /** Called after each conversation, with how many were decided so far. */
  progress?(done: number): void;
}

export interface ReconcileOutcome {
  ok: boolean;
  counts: Record<ReconcileStatus, number>;
  /** The `missing` rows (held: they are what an operator must act on). */
  missing: ReconcileRow[];
  reportFile: string;
  /** Why the listing does not cover the whole range, if it does not (then `ok` is false). */
  notes: string[];
  apiRequests: number;
}

/** Nothing before recordingStartTimestamp was ever meant to be ingested: the listing starts there. */
export function listedFrom(request: Pick<ReconcileRequest, 'fromMs'>, config: Config): number {
  return Math.max(request.fromMs, config.recordingStartTimestamp);
}

export function emptyStatusCounts(): Record<ReconcileStatus, number> {
  return Object.fromEntries(RECONCILE_STATUSES.map((s) => [s, 0])) as Record<ReconcileStatus, number>;
}

export async function reconcile(
  config: Config,
  paths: StatePaths,
  request: ReconcileRequest,
): Promise<ReconcileOutcome> {
  const startedAt = Date.now();
  // The records first: an unreadable cursor is exit 2 before any request.
  const records = await ToolRecords.open(config, paths, startedAt);
  const client = createGenesysClient(config, paths, { writeState: false });
  const spool = await fs.mkdtemp(path.join(os.tmpdir(), 'genesys-ingest-reconcile-'));
  const counts = emptyStatusCounts();
  const missing: ReconcileRow[] = [];
  const notes: string[] = [];
  let json: ReconcileJson | undefined;
  let csv: ReconcileCsv | undefined;
  let archive: ArchiveTarget | undefined;
  try {
    await client.login();
    await client.tokenInfo(); // Genesys' time decides what is still pending, as in a run.
    const skew = client.clockSkewMs ?? 0;
    const now = (): number => Date.now() + skew;
    json = await ReconcileJson.open(path.join(paths.reportsDir, `${compactUtc(startedAt)}-reconcile.json`), {
      command: 'verify --reconcile',
      importSource: { name: config.name, policyId: config.policyId, importSourceId: config.importSourceId },
      startedAt: isoUtc(startedAt),
      from: isoUtc(request.fromMs),
      to: isoUtc(request.toMs),
      timezone: config.timezone,
      fromLocal: isoInZone(request.fromMs, config.timezone),
      toLocal: isoInZone(request.toMs, config.timezone),
      ...(listedFrom(request, config) > request.fromMs
        ? { listedFrom: isoUtc(listedFrom(request, config)), listedFromReason: 'recordingStartTimestamp' }
        : {}),
      deep: request.deep,
      cursor: { conversationId: records.cursor.conversationId, timestamp: isoUtc(records.cursor.startMs) },
    });
    if (request.csvFile !== undefined) csv = await ReconcileCsv.open(request.csvFile);
    archive = await openArchiveTarget(config);
    const classifyCtx: ClassifyContext = {
      config,
      records,
      archive,
      now,
      ...(request.deep ? { deep: { client } } : {}),
    };
    let done = 0;
    const emit = async (conv: ListedConversation): Promise<void> => {
      const row = await classify(classifyCtx, conv);
      counts[row.status] += 1;
      if (row.status === 'missing') missing.push(row);
      await json!.row(row);
      await csv?.row(row);
      done += 1;
      request.progress?.(done);
    };
    await listRange(client, spool, request, config, now, emit, notes);
    const ok = counts.missing === 0 && notes.length === 0;
    await csv?.commit();
    await json.commit({
      finishedAt: isoUtc(Date.now()),
      complete: notes.length === 0,
      notes,
      apiRequests: client.apiRequests,
      counts,
      ok,
    });
    return { ok, counts, missing, reportFile: json.path, notes, apiRequests: client.apiRequests };
  } catch (error) {
    await json?.abort();
    await csv?.abort();
    throw error;
  } finally {
    client.close();
    archive?.close();
    await fs.rm(spool, { recursive: true, force: true });
  }
}

/** Lists [FROM, TO) window by window with the pipeline's listing and hands each conversation to `emit`. */
async function listRange(
  client: AsyncListingContext['client'],
  spool: string,
  request: ReconcileRequest,
  config: Config,
  now: () => number,
  emit: (conv: ListedConversation) => Promise<void>,
  notes: string[],
): Promise<void> {
  const fromMs = listedFrom(request, config);
  const toMs = Math.min(request.toMs, now()); // nothing after now exists yet
  const ctx: AsyncListingContext = {
    client,
    // Nothing stops a reconcile but the process ending: both signals stay quiet.
    signal: new AbortController().signal,
    stop: new AbortController().signal,
    syncResultCap: request.syncResultCap,
    events: { debug: (text) => request.debug(text) },
    paths: { workDir: spool },
  };
  const after = { startMs: fromMs, conversationId: '' };
  // A refused conversation without a readable start comes with every window: reported once.
  const undated = new Set<string>();
  const events: ListingEvents = {
    onConversation: (facts) =>
      emit({
        conversationId: facts.conversationId,
        startMs: facts.startMs,
        genesys: { endMs: facts.endMs, due: facts.due },
      }),
    onRefused: async (refusal) => {
      if (refusal.startMs === undefined) {
        if (undated.has(refusal.conversationId)) return;
        undated.add(refusal.conversationId);
      }
      await emit({ conversationId: refusal.conversationId, startMs: refusal.startMs, genesys: undefined });
    },
    onProgress: () => Promise.resolve(),
  };
  const queue = toMs > fromMs ? planWindows(fromMs, toMs, now()) : [];
  for (let window = queue.shift(); window !== undefined; window = queue.shift()) {
    let result = window.mode === 'sync' ? await listWindowSync(ctx, window, after, events) : 'async';
    if (result === 'capped') {
      const halves = splitCapped(window);
      if (halves !== undefined) {
        queue.unshift(...halves);
        continue;
      }
      result = 'async';
    }
    const span = `${isoUtc(window.fromMs)} to ${isoUtc(window.toMs)}`;
    if (result === 'async') {
      const outcome = await listWindowAsync(ctx, window, after, events);
      if (outcome === 'unavailable') {
        notes.push(
          `the conversations from ${span} need an asynchronous analytics job, whose data is not available yet: not listed`,
        );
        continue;
      }
      result = outcome;
    }
    if (result === 'unstable')
      notes.push(`the conversations from ${span} kept changing while listed: listing may be incomplete`);
  }
}
