/**
 * Batch download (genesys-api.md §8): up to 100 requests per job, `recordingId` optional (all
 * recordings of the conversation), results in the ORIGINAL codec with signed URLs, `InProgress`
 * until `batchCompleteMs` has passed (results appear one by one meanwhile), readable only by the
 * OAuth client that submitted the job.
 */
import { randomUUID } from 'node:crypto';
import {
  ApiError,
  badRequest,
  type ApiRequest,
  type ApiResponse,
  type Route,
  type SimContext,
} from './api-core.js';
import { contentTypeFor } from './media.js';
import type { SimRecording } from './model.js';
import { RECORDING_VIEW, type Recordings } from './routes-recordings.js';

interface BatchItem {
  conversationId: string;
  recording?: SimRecording;
  key?: string;
  /** Set when the request could not even be expanded (unknown conversation or recording). */
  errorMsg?: string;
  readyAt: number;
  result?: Record<string, string>;
}

interface BatchJob {
  id: string;
  clientId: string;
  items: BatchItem[];
}

/** Batch jobs of one simulator. */
export class BatchDownloads {
  private readonly jobs = new Map<string, BatchJob>();

  constructor(
    private readonly ctx: SimContext,
    private readonly recordings: Recordings,
  ) {}

  /** Number of jobs submitted. */
  get submitted(): number {
    return this.jobs.size;
  }

  submit(req: ApiRequest): ApiResponse {
    const list = (req.body as { batchDownloadRequestList?: unknown } | undefined)?.batchDownloadRequestList;
    if (!Array.isArray(list) || list.length === 0) {
      throw badRequest('Request list is required and must not be empty', 'batch.download.bad.request');
    }
    if (list.length > 100)
      throw badRequest('Too many items requested, max 100 allowed', 'batch.download.too.many.items');
    const pending: Omit<BatchItem, 'readyAt'>[] = [];
    for (const raw of list as unknown[]) {
      const request = (raw ?? {}) as { conversationId?: unknown; recordingId?: unknown };
      if (typeof request.conversationId !== 'string') {
        throw badRequest('Every request needs a conversationId', 'batch.download.bad.request');
      }
      const conversationId = request.conversationId;
      const conversation = this.ctx.org.conversation(conversationId);
      if (!conversation) {
        pending.push({ conversationId, errorMsg: 'Conversation not found' });
        continue;
      }
      let recordings = conversation.recordings;
      if (typeof request.recordingId === 'string') {
        recordings = recordings.filter((r) => r.id === request.recordingId);
        if (recordings.length === 0)
          pending.push({ conversationId, errorMsg: `Recording ${request.recordingId} not found` });
      }
      for (const recording of recordings) {
        for (const key of recording.mediaKeys) pending.push({ conversationId, recording, key });
      }
    }
    const now = this.ctx.now();
    const total = this.ctx.options.batchCompleteMs;
    const items = pending.map((item, i) => ({
      ...item,
      readyAt: now + Math.round((total * (i + 1)) / pending.length),
    }));
    const job: BatchJob = { id: randomUUID(), clientId: req.token.clientId, items };
    this.jobs.set(job.id, job);
    return { status: 200, body: { id: job.id, selfUri: `/api/v2/recording/batchrequests/${job.id}` } };
  }

  status(req: ApiRequest): ApiResponse {
    const job = this.jobs.get(req.params.jobId ?? '');
    if (!job) throw new ApiError(404, 'batch.download.job.not.found', 'The requested job is unknown');
    if (job.clientId !== req.token.clientId) {
      throw new ApiError(
        403,
        'batch.download.permission.denied',
        'Only user that initiated the job can request results',
      );
    }
    const now = this.ctx.now();
    const results: Record<string, string>[] = [];
    for (const item of job.items) {
      if (item.readyAt > now) continue;
      // A result is decided once, when the job reaches it, and stays as it was then.
      item.result ??= this.result(item);
      results.push(item.result);
    }
    return {
      status: 200,
      body: {
        id: job.id,
        jobId: job.id,
        expectedResultCount: job.items.length,
        resultCount: results.length,
        errorCount: results.filter((r) => r.errorMsg !== undefined).length,
        status: results.length === job.items.length ? 'Completed' : 'InProgress',
        results,
        selfUri: `/api/v2/recording/batchrequests/${job.id}`,
      },
    };
  }

  private result(item: BatchItem): Record<string, string> {
    const { recording } = item;
    const base = { conversationId: item.conversationId, ...(recording ? { recordingId: recording.id } : {}) };
    if (!recording) return { ...base, errorMsg: item.errorMsg ?? 'Not found' };
    if (!this.recordings.playable(recording, item.readyAt)) {
      const state = this.ctx.org.effectiveFileState(recording, item.readyAt);
      return {
        ...base,
        errorMsg: `Recording media is not available (fileState ${state}, media ${recording.media})`,
      };
    }
    const target = {
      conversationId: item.conversationId,
      recordingId: recording.id,
      format: 'ORIGINAL' as const,
      key: item.key ?? 'S',
    };
    return {
      ...base,
      resultUrl: this.ctx.mediaUrls.sign(target, item.readyAt, this.ctx.options.mediaUrlTtlSeconds),
      contentType: contentTypeFor(recording, 'ORIGINAL'),
    };
  }
}

/** The batch routes. */
export function batchRoutes(batches: BatchDownloads): Route[] {
  return [
    {
      method: 'POST',
      pattern: '/api/v2/recording/batchrequests',
      permissions: RECORDING_VIEW,
      handler: (req) => batches.submit(req),
    },
    {
      method: 'GET',
      pattern: '/api/v2/recording/batchrequests/{jobId}',
      handler: (req) => batches.status(req),
    },
  ];
}
