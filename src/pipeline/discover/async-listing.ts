/**
 * Lists a window with the asynchronous analytics jobs (SPEC §4.1), for history the synchronous
 * query does not serve (older than 35 days) or a day over its 10,000-result cap. A job is only
 * submitted once Genesys' `dataAvailabilityDate` has passed the window's end. Its id is remembered
 * under `work/` so an interrupted run picks the same job up; an EXPIRED or unknown job is
 * resubmitted. Results are spooled to disk with a small in-memory index, then handed over in start
 * order, so memory stays flat however many conversations the window holds.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { GenesysApiError } from '../../genesys/index.js';
import { ensureDir, FILE_MODE, writeAll, writeFileAtomic } from '../../util/atomic.js';
import type { Position } from '../../state/position.js';
import type { RunContext } from '../run-context.js';
import { isDue, VOICE_FILTER, type ListingEvents, type ListingResult } from './sync-listing.js';
import { conversationFacts, isRefused, readConversation } from '../conversation-facts.js';
import { completeBefore } from './durable-prefix.js';
import { intervalString, type QueryWindow } from './windows.js';

const RESULTS_PAGE = 1000;
const PROGRESS_EVERY = 200;

interface JobRecord {
  jobId: string;
  interval: string;
}

interface IndexEntry {
  startMs: number;
  id: string;
  offset: number;
  length: number;
}

function jobsDir(ctx: RunContext): string {
  return path.join(ctx.paths.workDir, 'jobs');
}

async function submitOrReuse(ctx: RunContext, interval: string, fresh: boolean): Promise<string> {
  const record = path.join(jobsDir(ctx), 'current.json');
  if (!fresh) {
    try {
      const saved = JSON.parse(await fs.readFile(record, 'utf8')) as JobRecord;
      if (saved.interval === interval && typeof saved.jobId === 'string') return saved.jobId;
    } catch {
      // none saved, or unreadable: submit a new one
    }
  }
  const jobId = await ctx.client.analytics.createJob(
    { interval, order: 'asc', orderBy: 'conversationStart', segmentFilters: VOICE_FILTER },
    { signal: ctx.signal },
  );
  await writeFileAtomic(record, JSON.stringify({ jobId, interval } satisfies JobRecord));
  return jobId;
}

/** Waits for FULFILLED; resubmits on EXPIRED, FAILED or an unknown job. Undefined when the run must stop. */
async function fulfilledJob(ctx: RunContext, interval: string): Promise<string | undefined> {
  let jobId = await submitOrReuse(ctx, interval, false);
  let resubmissions = 0;
  for (let pause = 1000; ; pause = Math.min(pause * 2, 30_000)) {
    if (ctx.stop.aborted) return undefined;
    let state: string | undefined;
    try {
      state = (await ctx.client.analytics.getJobStatus(jobId, { signal: ctx.signal })).state;
    } catch (error) {
      if (!(error instanceof GenesysApiError && error.status === 404)) throw error;
      state = 'EXPIRED';
    }
    if (state === 'FULFILLED') return jobId;
    if (state === 'EXPIRED' || state === 'FAILED' || state === 'CANCELLED') {
      resubmissions += 1;
      if (resubmissions > 3)
        throw new GenesysApiError(
          500,
          {
            message: `analytics job for ${interval} ended ${state} ${resubmissions} times`,
            code: 'job.failed',
          },
          { method: 'GET', host: '', path: 'analytics job' },
        );
      jobId = await submitOrReuse(ctx, interval, true);
      pause = 500;
      continue;
    }
    await sleep(pause, undefined, { signal: ctx.signal });
  }
}

export async function listWindowAsync(
  ctx: RunContext,
  window: QueryWindow,
  after: Position,
  events: ListingEvents,
): Promise<ListingResult | 'unavailable'> {
  const available = await ctx.client.analytics.getJobsAvailability({ signal: ctx.signal });
  if (available === undefined || available < window.toMs) return 'unavailable';
  const interval = intervalString(window.fromMs, window.toMs);
  const jobId = await fulfilledJob(ctx, interval);
  if (jobId === undefined) return 'stopped';

  await ensureDir(jobsDir(ctx));
  const spool = path.join(jobsDir(ctx), `${jobId.replace(/[^A-Za-z0-9-]/g, '_')}.jsonl`);
  const handle = await fs.open(spool, 'w+', FILE_MODE);
  try {
    const index: IndexEntry[] = [];
    const seen = new Set<string>();
    let offset = 0;
    for await (const page of ctx.client.analytics.pageJobResults(jobId, {
      pageSize: RESULTS_PAGE,
      signal: ctx.signal,
    })) {
      for (const conv of page.conversations ?? []) {
        const facts = readConversation(conv);
        // Jobs match any activity in the interval: keep only conversations that started in it.
        if (!isDue(facts, window, after) || seen.has(facts.conversationId)) continue;
        seen.add(facts.conversationId);
        if (isRefused(facts)) {
          await events.onRefused(facts);
          continue;
        }
        const line = Buffer.from(`${JSON.stringify(conv)}\n`);
        await writeAll(handle, line, offset);
        index.push({ startMs: facts.startMs, id: facts.conversationId, offset, length: line.length - 1 });
        offset += line.length;
      }
    }
    await ctx.client.analytics.deleteJob(jobId, { signal: ctx.signal });
    await fs.rm(path.join(jobsDir(ctx), 'current.json'), { force: true });
    index.sort((a, b) => a.startMs - b.startMs || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    for (let i = 0; i < index.length; i += 1) {
      if (ctx.stop.aborted) return 'stopped';
      const entry = index[i]!;
      const buffer = Buffer.alloc(entry.length);
      await handle.read(buffer, 0, entry.length, entry.offset);
      const facts = conversationFacts(
        JSON.parse(buffer.toString('utf8')) as Parameters<typeof conversationFacts>[0],
      )!;
      await events.onConversation(facts);
      if (i % PROGRESS_EVERY === PROGRESS_EVERY - 1) await events.onProgress(completeBefore(entry.startMs));
    }
    await events.onProgress({ startMs: window.toMs, conversationId: '' });
    return 'complete';
  } finally {
    await handle.close();
    await fs.rm(spool, { force: true });
  }
}
