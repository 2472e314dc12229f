/**
 * Asynchronous analytics detail jobs (genesys-api.md §5): submit, poll (QUEUED → PENDING →
 * FULFILLED after `asyncJobMs`, EXPIRED after `asyncJobTtlMs`), read results with a cursor, delete.
 * Jobs match every conversation with activity during the interval, see only data before the
 * `dataAvailabilityDate`, and have neither the 35-day nor the 10,000-result limit.
 */
import { randomUUID } from 'node:crypto';
import {
  badRequest,
  notFound,
  type ApiRequest,
  type ApiResponse,
  type Route,
  type SimContext,
} from './api-core.js';
import { compileFilters, conversationJson, orderConversations, startOfUtcDay } from './analytics-view.js';
import { intParam, iso, parseInterval } from './http-util.js';
import type { SimConversation } from './model.js';
import { ANALYTICS_VIEW } from './routes-analytics.js';

/** Job states as Genesys names them. */
export type AsyncJobState = 'QUEUED' | 'PENDING' | 'FULFILLED' | 'FAILED' | 'EXPIRED';

interface AsyncJob {
  id: string;
  clientId: string;
  submittedAt: number;
  body: Record<string, unknown>;
  from: number;
  to: number;
  failed: boolean;
  expired: boolean;
  results?: SimConversation[];
  dataAvailabilityDate?: number;
}

const DEFAULT_PAGE = 100;
const MAX_PAGE = 1000;

/** The jobs of one simulator, with controls for tests (`sim.jobs`). */
export class AsyncJobs {
  private readonly jobs = new Map<string, AsyncJob>();
  private failures = 0;

  constructor(private readonly ctx: SimContext) {}

  /** The next `n` jobs submitted end FAILED. */
  failNext(n = 1): void {
    this.failures += n;
  }

  /** Every existing job becomes EXPIRED (its results gone), as after the retention time. */
  expireAll(): void {
    for (const job of this.jobs.values()) job.expired = true;
  }

  /** Ids of the jobs not deleted. */
  ids(): string[] {
    return [...this.jobs.keys()];
  }

  /** `dataAvailabilityDate` at `now`. */
  availability(now: number): number {
    return now - this.ctx.options.dataAvailabilityLagMs;
  }

  submit(req: ApiRequest): ApiResponse {
    const body = req.body;
    if (body === null || typeof body !== 'object' || Array.isArray(body))
      throw badRequest('A JSON object body is required');
    const query = body as Record<string, unknown>;
    const interval = parseInterval(query.interval);
    if (!interval) throw badRequest('interval must be an ISO-8601 interval start/end', 'invalid.date');
    compileFilters(query);
    orderConversations([], query);
    const job: AsyncJob = {
      id: randomUUID(),
      clientId: req.token.clientId,
      submittedAt: this.ctx.now(),
      body: query,
      from: interval.from,
      to: interval.to,
      failed: this.failures > 0,
      expired: false,
    };
    if (this.failures > 0) this.failures--;
    this.jobs.set(job.id, job);
    return { status: 202, body: { jobId: job.id } };
  }

  status(req: ApiRequest): ApiResponse {
    const job = this.mustJob(req);
    const state = this.state(job);
    const { asyncJobMs, asyncJobTtlMs } = this.ctx.options;
    const completedAt = job.submittedAt + asyncJobMs;
    const done = state !== 'QUEUED' && state !== 'PENDING';
    return {
      status: 200,
      body: {
        state,
        errorMessage: state === 'FAILED' ? 'The query failed (simulated failure)' : undefined,
        submissionDate: iso(job.submittedAt),
        completionDate: done ? iso(completedAt) : undefined,
        expirationDate: done ? iso(completedAt + asyncJobTtlMs) : undefined,
      },
    };
  }

  results(req: ApiRequest): ApiResponse {
    const job = this.mustJob(req);
    const state = this.state(job);
    if (state === 'EXPIRED') throw notFound('The results of this job have expired.');
    if (state !== 'FULFILLED')
      throw badRequest(`The job is ${state}; results are only available once it is FULFILLED`);
    const pageSize = intParam(req.query, 'pageSize', DEFAULT_PAGE);
    if (pageSize === undefined || pageSize < 1 || pageSize > MAX_PAGE)
      throw badRequest(`pageSize must be 1..${MAX_PAGE}`);
    const cursor = req.query.get('cursor');
    let offset = 0;
    if (cursor !== null && cursor !== '') {
      const m = /^(.+):(\d+)$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
      if (!m || m[1] !== job.id) throw badRequest('invalid cursor');
      offset = Number(m[2]);
    }
    const results = job.results ?? [];
    const page = results.slice(offset, offset + pageSize);
    const next = offset + page.length;
    return {
      status: 200,
      body: {
        conversations: page.map((c) => conversationJson(c, true)),
        cursor: next < results.length ? Buffer.from(`${job.id}:${next}`).toString('base64url') : undefined,
        dataAvailabilityDate: iso(job.dataAvailabilityDate ?? this.availability(this.ctx.now())),
      },
    };
  }

  remove(req: ApiRequest): ApiResponse {
    const job = this.mustJob(req);
    this.jobs.delete(job.id);
    return { status: 204 };
  }

  private mustJob(req: ApiRequest): AsyncJob {
    const job = this.jobs.get(req.params.jobId ?? '');
    if (!job) throw notFound('The requested job was not found.');
    return job;
  }

  private state(job: AsyncJob): AsyncJobState {
    const now = this.ctx.now();
    const { asyncJobMs, asyncJobTtlMs } = this.ctx.options;
    if (now < job.submittedAt + asyncJobMs / 2) return 'QUEUED';
    if (now < job.submittedAt + asyncJobMs) return 'PENDING';
    if (job.failed) return 'FAILED';
    if (job.expired || now >= job.submittedAt + asyncJobMs + asyncJobTtlMs) return 'EXPIRED';
    job.results ??= this.run(job);
    return 'FULFILLED';
  }

  /** Runs the query over the "datalake": what was available when the job completed. */
  private run(job: AsyncJob): SimConversation[] {
    const completedAt = job.submittedAt + this.ctx.options.asyncJobMs;
    const available = this.availability(completedAt);
    job.dataAvailabilityDate = available;
    const matches = compileFilters(job.body);
    const from = job.body.startOfDayIntervalMatching === true ? startOfUtcDay(job.from) : -Infinity;
    const { org } = this.ctx;
    const found = org.conversations.filter(
      (c) =>
        c.startMs < job.to &&
        (c.endMs ?? Infinity) >= job.from &&
        c.startMs >= from &&
        c.startMs < available &&
        org.isVisible(c, completedAt) &&
        matches(c),
    );
    const ordered = orderConversations(found, job.body);
    const limit = job.body.limit;
    return typeof limit === 'number' && limit > 0 ? ordered.slice(0, limit) : ordered;
  }
}

/** The job routes; `availability` comes before `{jobId}` so it is not taken for a job id. */
export function jobRoutes(jobs: AsyncJobs): Route[] {
  const base = '/api/v2/analytics/conversations/details/jobs';
  return [
    {
      method: 'GET',
      pattern: `${base}/availability`,
      permissions: { all: ['analytics:conversationDetail:view'] },
      handler: (_req, ctx) => ({
        status: 200,
        body: { dataAvailabilityDate: iso(jobs.availability(ctx.now())) },
      }),
    },
    { method: 'POST', pattern: base, permissions: ANALYTICS_VIEW, handler: (req) => jobs.submit(req) },
    {
      method: 'GET',
      pattern: `${base}/{jobId}`,
      permissions: ANALYTICS_VIEW,
      handler: (req) => jobs.status(req),
    },
    {
      method: 'GET',
      pattern: `${base}/{jobId}/results`,
      permissions: ANALYTICS_VIEW,
      handler: (req) => jobs.results(req),
    },
    {
      method: 'DELETE',
      pattern: `${base}/{jobId}`,
      permissions: ANALYTICS_VIEW,
      handler: (req) => jobs.remove(req),
    },
  ];
}
