/**
 * Conversation discovery (research §4, §5): the synchronous details query with page-number paging,
 * the multi-get by ids, and the asynchronous details jobs with cursor paging. Query POSTs only read,
 * so they are marked safe to repeat; a job submission is too (a duplicate job costs nothing but
 * its deletion).
 */
import { RemoteError } from '../errors.js';
import type { ApiClient } from './api-client.js';
import { GenesysApiError } from './errors.js';
import type {
  AnalyticsConversation,
  AsyncConversationQuery,
  AsyncQueryResults,
  AsyncQueryStatus,
  ConversationPage,
  ConversationQuery,
  ConversationQueryResponse,
} from './types.js';

const BASE = '/api/v2/analytics/conversations/details';
/** Ids per multi-get request (the real maximum is unconfirmed; 100 is what Genesys pages by). */
export const MULTI_GET_MAX_IDS = 100;

export interface CallOptions {
  readonly signal?: AbortSignal;
}

/** Just the signal of `options`, ready to spread into an ApiCall. */
export function signalOf(options: CallOptions): { signal?: AbortSignal } {
  return options.signal !== undefined ? { signal: options.signal } : {};
}

/** Typed wrappers around the analytics conversation-details endpoints. */
export class AnalyticsApi {
  readonly #api: ApiClient;

  constructor(api: ApiClient) {
    this.#api = api;
  }

  /** One page of the synchronous details query (`query.paging` as given). */
  async queryDetails(
    query: ConversationQuery,
    options: CallOptions = {},
  ): Promise<ConversationQueryResponse> {
    const res = await this.#api.call<ConversationQueryResponse>({
      method: 'POST',
      path: `${BASE}/query`,
      json: query,
      retrySafe: true,
      ...signalOf(options),
    });
    return res.body ?? {};
  }

  /**
   * Pages through the synchronous query from `startPage`, yielding each page with its `totalHits`
   * (the caller compares them: a change between pages means the window must be listed again). Stops
   * after a short page or when `pageNumber·pageSize` reaches `totalHits`.
   */
  async *pageDetails(
    query: ConversationQuery,
    options: CallOptions & { pageSize?: number; startPage?: number } = {},
  ): AsyncGenerator<ConversationPage, void, undefined> {
    const pageSize = options.pageSize ?? 100;
    for (let pageNumber = options.startPage ?? 1; ; pageNumber += 1) {
      const body = await this.queryDetails({ ...query, paging: { pageSize, pageNumber } }, options);
      const conversations = body.conversations ?? [];
      const totalHits = body.totalHits ?? conversations.length + (pageNumber - 1) * pageSize;
      yield { pageNumber, pageSize, totalHits, conversations };
      if (conversations.length < pageSize || pageNumber * pageSize >= totalHits) return;
    }
  }

  /**
   * Re-reads conversations by id (`GET …/details?id=a,b`), in requests of at most 100 ids. Ids that
   * analytics does not know are simply absent from the result.
   */
  async getDetailsByIds(ids: readonly string[], options: CallOptions = {}): Promise<AnalyticsConversation[]> {
    const out: AnalyticsConversation[] = [];
    for (let i = 0; i < ids.length; i += MULTI_GET_MAX_IDS) {
      const chunk = ids.slice(i, i + MULTI_GET_MAX_IDS);
      try {
        const res = await this.#api.call<{ conversations?: AnalyticsConversation[] }>({
          method: 'GET',
          path: BASE,
          query: { id: chunk },
          ...signalOf(options),
        });
        out.push(...(res.body?.conversations ?? []));
      } catch (error) {
        // Genesys answers 404 when none of the ids is known: that is an empty answer, not a failure.
        if (!(error instanceof GenesysApiError && error.status === 404)) throw error;
      }
    }
    return out;
  }

  /** Submits an asynchronous details job; returns its id. */
  async createJob(query: AsyncConversationQuery, options: CallOptions = {}): Promise<string> {
    const res = await this.#api.call<{ jobId?: string }>({
      method: 'POST',
      path: `${BASE}/jobs`,
      json: query,
      retrySafe: true,
      ...signalOf(options),
    });
    const jobId = res.body?.jobId;
    if (typeof jobId !== 'string' || jobId === '') {
      throw new RemoteError('api.badResponse', `POST ${BASE}/jobs answered ${res.status} without a jobId`, {
        status: res.status,
      });
    }
    return jobId;
  }

  /** A job's state; a GenesysApiError 404 means the job is unknown (expired or deleted): resubmit. */
  async getJobStatus(jobId: string, options: CallOptions = {}): Promise<AsyncQueryStatus> {
    const res = await this.#api.call<AsyncQueryStatus>({
      method: 'GET',
      path: `${BASE}/jobs/${encodeURIComponent(jobId)}`,
      ...signalOf(options),
    });
    return res.body ?? {};
  }

  /** One page of a fulfilled job's results; pass the returned `cursor` back for the next. */
  async getJobResults(
    jobId: string,
    options: CallOptions & { cursor?: string; pageSize?: number } = {},
  ): Promise<AsyncQueryResults> {
    const res = await this.#api.call<AsyncQueryResults>({
      method: 'GET',
      path: `${BASE}/jobs/${encodeURIComponent(jobId)}/results`,
      query: { cursor: options.cursor, pageSize: options.pageSize },
      ...signalOf(options),
    });
    return res.body ?? {};
  }

  /** Walks every result page of a fulfilled job. */
  async *pageJobResults(
    jobId: string,
    options: CallOptions & { pageSize?: number } = {},
  ): AsyncGenerator<AsyncQueryResults, void, undefined> {
    let cursor: string | undefined;
    do {
      const page = await this.getJobResults(jobId, {
        ...options,
        ...(cursor !== undefined ? { cursor } : {}),
      });
      yield page;
      cursor = page.cursor !== undefined && page.cursor !== '' ? page.cursor : undefined;
    } while (cursor !== undefined);
  }

  /** Deletes a job after its results were read; an unknown job counts as deleted. */
  async deleteJob(jobId: string, options: CallOptions = {}): Promise<void> {
    try {
      await this.#api.call({
        method: 'DELETE',
        path: `${BASE}/jobs/${encodeURIComponent(jobId)}`,
        ...signalOf(options),
      });
    } catch (error) {
      if (!(error instanceof GenesysApiError && error.status === 404)) throw error;
    }
  }

  /** Time before which the jobs' datalake is complete (epoch ms), or undefined if not given. */
  async getJobsAvailability(options: CallOptions = {}): Promise<number | undefined> {
    const res = await this.#api.call<{ dataAvailabilityDate?: string }>({
      method: 'GET',
      path: `${BASE}/jobs/availability`,
      ...signalOf(options),
    });
    const text = res.body?.dataAvailabilityDate;
    const ms = typeof text === 'string' ? Date.parse(text) : Number.NaN;
    return Number.isFinite(ms) ? ms : undefined;
  }
}
