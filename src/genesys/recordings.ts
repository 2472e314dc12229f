/**
 * Recordings (research §7, §8, §10): metadata, the per-conversation list with a transcoding codec
 * (202 while Genesys transcodes, polled with back-off), the single recording, the retention PUT used
 * to delete, batch download for the original codec, and the deletion-protection lookup.
 */
import type { Codec } from '../config/types.js';
import { RemoteError } from '../errors.js';
import type { ApiClient, PinnedToken } from './api-client.js';
import { signalOf, type CallOptions } from './analytics.js';
import { combine, sleep } from './pacer.js';
import type {
  BatchDownloadItem,
  BatchDownloadStatus,
  Recording,
  RecordingMetadata,
  RecordingsResult,
} from './types.js';

/** Conversation ids per deletion-protection lookup, items per batch download (Genesys' limits). */
export const PROTECTION_MAX_IDS = 100;
export const BATCH_MAX_ITEMS = 100;

/** `formatId` values: a transcoding codec, or NONE for metadata only (dry runs). */
export type FormatId = Exclude<Codec, 'ORIGINAL'> | 'NONE';

export interface PollOptions extends CallOptions {
  /** Give up polling after this long and report `transcoding: true` (SPEC §4.3: two minutes). */
  readonly maxWaitMs?: number;
  /** First pause between polls; grows by half each time up to `pollMaxMs`. */
  readonly pollBaseMs?: number;
  readonly pollMaxMs?: number;
  readonly now?: () => number;
}

/** A submitted batch download, tied to the token that submitted it (only it may read the status). */
export interface BatchJob {
  readonly id: string;
  readonly token: PinnedToken;
}

const conv = (id: string): string => `/api/v2/conversations/${encodeURIComponent(id)}`;

/** Typed wrappers around the recording endpoints. */
export class RecordingsApi {
  readonly #api: ApiClient;
  /** `maxWaitMs` sent with recording GETs: Genesys holds the answer up to this long before a 202. */
  readonly #serverWaitMs: number | undefined;
  readonly #poll: PollOptions;

  constructor(api: ApiClient, options: { serverWaitMs?: number; poll?: PollOptions } = {}) {
    this.#api = api;
    this.#serverWaitMs = options.serverWaitMs;
    this.#poll = options.poll ?? {};
  }

  /** `GET …/recordingmetadata`: every recording of a conversation, without media. */
  async getMetadata(conversationId: string, options: CallOptions = {}): Promise<RecordingMetadata[]> {
    const res = await this.#api.call<RecordingMetadata[]>({
      method: 'GET',
      path: `${conv(conversationId)}/recordingmetadata`,
      ...signalOf(options),
    });
    return Array.isArray(res.body) ? res.body : [];
  }

  /**
   * `GET …/recordingmetadata/{recordingId}`: one recording without media, as Genesys has it now
   * (its current `deleteDate`, read right before a delete, SPEC §4.5). A 5xx is a GenesysApiError
   * for this recording, like the delete call it prepares.
   */
  async getRecordingMetadata(
    conversationId: string,
    recordingId: string,
    options: CallOptions = {},
  ): Promise<RecordingMetadata | undefined> {
    const res = await this.#api.call<RecordingMetadata>({
      method: 'GET',
      path: `${conv(conversationId)}/recordingmetadata/${encodeURIComponent(recordingId)}`,
      serverErrorsAreItemLevel: true,
      ...signalOf(options),
    });
    return res.body;
  }

  /** `GET …/recordings?formatId=X`: one call for all recordings; `transcoding: true` on a 202. */
  async getRecordings(
    conversationId: string,
    formatId: FormatId,
    options: CallOptions = {},
  ): Promise<RecordingsResult> {
    const res = await this.#api.call<Recording[]>({
      method: 'GET',
      path: `${conv(conversationId)}/recordings`,
      query: { formatId, maxWaitMs: this.#serverWaitMs },
      ...signalOf(options),
    });
    if (res.status === 202) return { transcoding: true };
    return { transcoding: false, recordings: Array.isArray(res.body) ? res.body : [] };
  }

  /**
   * `getRecordings` repeated while Genesys transcodes, with growing pauses, for at most
   * `maxWaitMs` (default two minutes); still 202 then → `{ transcoding: true }` (alert `overdue`).
   */
  async waitForRecordings(
    conversationId: string,
    formatId: FormatId,
    options: PollOptions = {},
  ): Promise<RecordingsResult> {
    return poll(() => this.getRecordings(conversationId, formatId, options), this.#poll, options);
  }

  /** `GET …/recordings/{recordingId}?formatId=X`; `transcoding: true` on a 202. */
  async getRecording(
    conversationId: string,
    recordingId: string,
    formatId: FormatId,
    options: CallOptions = {},
  ): Promise<{ transcoding: true } | { transcoding: false; recording: Recording }> {
    const res = await this.#api.call<Recording>({
      method: 'GET',
      path: `${conv(conversationId)}/recordings/${encodeURIComponent(recordingId)}`,
      query: { formatId, maxWaitMs: this.#serverWaitMs },
      ...signalOf(options),
    });
    if (res.status === 202 || res.body === undefined) return { transcoding: true };
    return { transcoding: false, recording: res.body };
  }

  /** `getRecording` polled like `waitForRecordings`. */
  async waitForRecording(
    conversationId: string,
    recordingId: string,
    formatId: FormatId,
    options: PollOptions = {},
  ): Promise<{ transcoding: true } | { transcoding: false; recording: Recording }> {
    return poll(() => this.getRecording(conversationId, recordingId, formatId, options), this.#poll, options);
  }

  /**
   * `PUT …/recordings/{recordingId}` with retention fields (`{deleteDate}` to delete; `{}` is what
   * `verify` sends to test the permission). Every failure, 5xx included, is a GenesysApiError for
   * this recording (SPEC §4.5), except the run-level ones (401 after re-login, missing permission,
   * network, 429 past the budget).
   */
  async updateRetention(
    conversationId: string,
    recordingId: string,
    body: { deleteDate?: string | null; archiveDate?: string | null },
    options: CallOptions = {},
  ): Promise<Recording | undefined> {
    const res = await this.#api.call<Recording>({
      method: 'PUT',
      path: `${conv(conversationId)}/recordings/${encodeURIComponent(recordingId)}`,
      json: body,
      serverErrorsAreItemLevel: true,
      ...signalOf(options),
    });
    return res.body;
  }

  /** Submits a batch download (1–100 items; original codec). Polled later with the same token. */
  async submitBatch(items: readonly BatchDownloadItem[], options: CallOptions = {}): Promise<BatchJob> {
    if (items.length === 0 || items.length > BATCH_MAX_ITEMS) {
      throw new RangeError(`a batch download takes 1 to ${BATCH_MAX_ITEMS} items, not ${items.length}`);
    }
    const token = await this.#api.pinToken();
    const res = await this.#api.call<{ id?: string }>({
      method: 'POST',
      path: '/api/v2/recording/batchrequests',
      json: { batchDownloadRequestList: items },
      retrySafe: true,
      token,
      ...signalOf(options),
    });
    const id = res.body?.id;
    if (typeof id !== 'string' || id === '') {
      throw new RemoteError(
        'api.badResponse',
        `POST /api/v2/recording/batchrequests answered ${res.status} without a job id`,
        { status: res.status },
      );
    }
    return { id, token };
  }

  /**
   * Status and results of a batch job, asked with the token that submitted it. A GenesysApiError
   * 403 `batch.download.permission.denied`, 404 or 401 (that token expired) means: resubmit.
   */
  async getBatch(job: BatchJob, options: CallOptions = {}): Promise<BatchDownloadStatus> {
    const res = await this.#api.call<BatchDownloadStatus>({
      method: 'GET',
      path: `/api/v2/recording/batchrequests/${encodeURIComponent(job.id)}`,
      token: job.token,
      ...signalOf(options),
    });
    return res.body ?? {};
  }

  /** The ids among `conversationIds` under deletion protection (legal hold), 100 per request. */
  async getProtectedConversations(
    conversationIds: readonly string[],
    options: CallOptions = {},
  ): Promise<Set<string>> {
    const protectedIds = new Set<string>();
    for (let i = 0; i < conversationIds.length; i += PROTECTION_MAX_IDS) {
      const res = await this.#api.call<Array<{ id?: string }> | { entities?: Array<{ id?: string }> }>({
        method: 'POST',
        path: '/api/v2/recordings/deletionprotection',
        json: { conversationIds: conversationIds.slice(i, i + PROTECTION_MAX_IDS) },
        retrySafe: true,
        ...signalOf(options),
      });
      const list = Array.isArray(res.body) ? res.body : (res.body?.entities ?? []);
      for (const entry of list) if (typeof entry.id === 'string') protectedIds.add(entry.id);
    }
    return protectedIds;
  }
}

async function poll<T extends { transcoding: boolean }>(
  once: () => Promise<T>,
  defaults: PollOptions,
  given: PollOptions,
): Promise<T> {
  const options = { ...defaults, ...given };
  const signal = combine(defaults.signal, given.signal);
  const now = options.now ?? Date.now;
  const start = now();
  const maxWait = options.maxWaitMs ?? 120_000;
  let pause = options.pollBaseMs ?? 2_000;
  for (;;) {
    const result = await once();
    if (!result.transcoding) return result;
    const left = start + maxWait - now();
    if (left <= 0) return result;
    await sleep(Math.min(pause, left), signal);
    pause = Math.min(Math.round(pause * 1.5), options.pollMaxMs ?? 15_000);
  }
}
