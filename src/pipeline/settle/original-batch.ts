/**
 * `codec: ORIGINAL` through batch download (SPEC §4.2): ready conversations are gathered into jobs
 * of up to 100, finished when their status is `Completed`, polled with the token that submitted them
 * and resubmitted on 403 `batch.download.permission.denied`, 401 or 404. A conversation with no
 * result, or any result carrying `errorMsg`, is listed with `recordingmetadata` and settled by the
 * usual rules — never taken as having no recording.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { BATCH_MAX_ITEMS } from '../../genesys/recordings.js';
import {
  GenesysApiError,
  MediaTransferError,
  type BatchDownloadItem,
  type BatchDownloadResult,
  type RecordingMetadata,
} from '../../genesys/index.js';
import type { MediaSource } from './archive-recording.js';
import type { RunContext } from '../run-context.js';
import { participantUserIds, type ConversationFacts } from '../conversation-facts.js';
import { settleRecordings, type RecordingWork } from './recordings.js';
import type { Origin } from './records.js';

/** Batches gather requests for this long after the last one before they are sent short of 100. */
const GATHER_MS = 1000;
/** A batch still in progress after this long fails its conversations (they go to the retry buffer). */
const MAX_BATCH_WAIT_MS = 15 * 60_000;

interface Waiter {
  item: BatchDownloadItem;
  userIds: string[];
  resolve(results: BatchDownloadResult[] | 'stopped'): void;
  reject(error: unknown): void;
}

/** Gathers batch-download requests and runs them as jobs of up to 100 items. */
export class BatchFetcher {
  private waiting: Waiter[] = [];
  private timer: NodeJS.Timeout | undefined;

  /** Only what a batch needs from the run: the client, the abort signal and the stop signal. */
  constructor(private readonly ctx: Pick<RunContext, 'client' | 'signal' | 'stop'>) {}

  /** The batch results of a conversation (of one recording when given), or 'stopped'. */
  fetch(
    conversationId: string,
    recordingId?: string,
    userIds: string[] = [],
  ): Promise<BatchDownloadResult[] | 'stopped'> {
    return new Promise((resolve, reject) => {
      const item: BatchDownloadItem =
        recordingId === undefined ? { conversationId } : { conversationId, recordingId };
      this.waiting.push({ item, userIds, resolve, reject });
      clearTimeout(this.timer);
      if (this.waiting.length >= BATCH_MAX_ITEMS) void this.flush();
      else this.timer = setTimeout(() => void this.flush(), GATHER_MS);
    });
  }

  private async flush(): Promise<void> {
    clearTimeout(this.timer);
    const batch = this.waiting.splice(0, BATCH_MAX_ITEMS);
    if (this.waiting.length > 0) this.timer = setTimeout(() => void this.flush(), GATHER_MS);
    if (batch.length === 0) return;
    try {
      // One bulk users call for the whole batch fills the cache the CDRs are built from.
      const userIds = [...new Set(batch.flatMap((w) => w.userIds))];
      const users =
        userIds.length === 0
          ? Promise.resolve()
          : this.ctx.client.users.getUsers(userIds, { signal: this.ctx.signal }).then(
              () => undefined,
              () => undefined,
            );
      const results = await this.run(batch.map((w) => w.item));
      await users;
      for (const w of batch) {
        if (results === 'stopped') w.resolve('stopped');
        else
          w.resolve(
            results.filter(
              (r) =>
                r.conversationId?.toLowerCase() === w.item.conversationId &&
                (w.item.recordingId === undefined || r.recordingId?.toLowerCase() === w.item.recordingId),
            ),
          );
      }
    } catch (error) {
      for (const w of batch) w.reject(error);
    }
  }

  private async run(items: BatchDownloadItem[]): Promise<BatchDownloadResult[] | 'stopped'> {
    const { client } = this.ctx;
    for (let submission = 0; submission < 4; submission += 1) {
      const job = await client.recordings.submitBatch(items, { signal: this.ctx.signal });
      const deadline = Date.now() + MAX_BATCH_WAIT_MS;
      try {
        for (let polls = 1; ; polls += 1) {
          // Every 2 s for the first half minute (most jobs finish then), then backing off to 10 s.
          const pause = polls <= 15 ? 2000 : Math.min(10_000, 2000 * 1.5 ** (polls - 15));
          // A job is never done the instant it is submitted: wait before every poll, the first too.
          await sleep(pause, undefined, { signal: this.ctx.signal });
          const status = await client.recordings.getBatch(job, { signal: this.ctx.signal });
          if (status.status === 'Completed') return status.results ?? [];
          if (this.ctx.stop.aborted) return 'stopped';
          if (Date.now() > deadline)
            throw new MediaTransferError(
              'batch.timeout',
              `batch download ${job.id} still in progress after ${MAX_BATCH_WAIT_MS / 60_000} minutes`,
            );
        }
      } catch (error) {
        // Genesys lets only the submitter read a job, and forgets jobs: submit it again.
        const resubmit =
          error instanceof GenesysApiError &&
          (error.status === 404 ||
            error.status === 401 ||
            (error.status === 403 && error.genesysCode === 'batch.download.permission.denied'));
        if (!resubmit) throw error;
      }
    }
    throw new MediaTransferError(
      'batch.failed',
      'the batch download job could not be read after 4 submissions',
    );
  }
}

/** Media sources from batch results of one recording: keyed by position when there are several. */
function sourcesFrom(results: BatchDownloadResult[]): MediaSource[] {
  const usable = results.filter((r) => r.resultUrl !== undefined);
  return usable.map((r, i) => ({
    key: usable.length > 1 ? String(i + 1) : undefined,
    url: r.resultUrl!,
    contentType: r.contentType,
  }));
}

function byRecording(results: BatchDownloadResult[]): Map<string, BatchDownloadResult[]> {
  const map = new Map<string, BatchDownloadResult[]>();
  for (const r of results) {
    if (r.recordingId === undefined || r.resultUrl === undefined) continue;
    const id = r.recordingId.toLowerCase();
    map.set(id, [...(map.get(id) ?? []), r]);
  }
  return map;
}

/** Ingests a ready conversation in the original codec; false when the run stopped before it settled. */
export async function ingestOriginal(
  ctx: RunContext,
  facts: ConversationFacts,
  origin: Origin,
): Promise<boolean> {
  const only = origin.entry?.recordingId;
  const results = await ctx.batcher.fetch(facts.conversationId, only, participantUserIds(facts.raw));
  if (results === 'stopped') return false;
  const found = byRecording(results);
  const incomplete = results.length === 0 || results.some((r) => r.errorMsg !== undefined);
  // Metadata when the batch did not account for everything, and for deletes (the current deleteDate).
  let metadata: RecordingMetadata[] | undefined;
  if (incomplete || ctx.config.deleteAfterIngest) {
    metadata = (await ctx.client.recordings.getMetadata(facts.conversationId, { signal: ctx.signal })).filter(
      (m) => only === undefined || m.id.toLowerCase() === only,
    );
  }
  const refresh = (recId: string) => async (): Promise<MediaSource[] | undefined> => {
    const fresh = await ctx.batcher.fetch(facts.conversationId, recId);
    return fresh === 'stopped' ? undefined : sourcesFrom(fresh);
  };
  const work: RecordingWork[] =
    metadata !== undefined
      ? metadata.map((rec) => ({
          rec,
          sources: sourcesFrom(found.get(rec.id.toLowerCase()) ?? []),
          refresh: refresh(rec.id.toLowerCase()),
        }))
      : [...found.entries()].map(([id, list]) => ({
          rec: {
            id,
            media: list.every((r) => (r.contentType ?? 'audio/').startsWith('audio/')) ? 'audio' : 'screen',
            fileState: 'AVAILABLE',
          },
          sources: sourcesFrom(list),
          refresh: refresh(id),
        }));
  await settleRecordings(ctx, facts, origin, work);
  return true;
}
