/**
 * Recordings (genesys-api.md §7, §10): metadata, the transcoding list and single reads (202 while
 * transcoding, then 200 with signed media URLs), retention updates (delete dates) and deletion
 * protection.
 */
import {
  ApiError,
  badRequest,
  notFound,
  permissionError,
  type ApiRequest,
  type ApiResponse,
  type Route,
  type SimContext,
} from './api-core.js';
import { iso, listParam, sleep } from './http-util.js';
import { TRANSCODE_FORMATS, type MediaFormat, type SimConversation, type SimRecording } from './model.js';

/** Permissions for reading recordings (any one of them). */
export const RECORDING_VIEW = {
  any: [
    'recording:recording:view',
    'recording:recordingSegment:view',
    'recording:snippetRecording:view',
    'recording:screenRecording:view',
  ],
} as const;

type FormatChoice = MediaFormat | 'NONE';

/** Needed, besides the retention permissions, to restore an archived recording (genesys-api.md §13). */
const RESTORE_PERMISSION = 'recording:recording:restore';

function selfUri(r: SimRecording): string {
  return `/api/v2/conversations/${r.conversationId}/recordings/${r.id}`;
}

function parseFormat(req: ApiRequest): FormatChoice {
  const wanted = listParam(req.query, 'mediaFormats');
  const formatId = wanted[0] ?? req.query.get('formatId') ?? 'WEBM';
  if (formatId === 'NONE' || (TRANSCODE_FORMATS as readonly string[]).includes(formatId))
    return formatId as FormatChoice;
  throw badRequest(`formatId must be one of ${TRANSCODE_FORMATS.join(', ')}, NONE; got ${formatId}`);
}

function parseDate(value: unknown, name: string): number | null | undefined {
  if (value === undefined) return undefined;
  if (value === null) return null;
  const ms = typeof value === 'string' ? Date.parse(value) : NaN;
  if (!Number.isFinite(ms)) throw badRequest(`${name} must be an ISO-8601 date-time`, 'invalid.date');
  return ms;
}

/** Recording handlers and the transcoding state of one simulator. */
export class Recordings {
  /** `${recordingId}|${format}` → when its transcode is (or was) ready. */
  private readonly transcodes = new Map<string, number>();

  constructor(private readonly ctx: SimContext) {}

  /** Whether media can be served for `r` now. */
  playable(r: SimRecording, now: number): boolean {
    const state = this.ctx.org.effectiveFileState(r, now);
    return (state === 'AVAILABLE' || state === 'RESTORED') && r.media !== 'chat';
  }

  metadataJson(r: SimRecording, now: number): Record<string, unknown> {
    return {
      id: r.id,
      conversationId: r.conversationId,
      media: r.media,
      mediaSubtype: r.mediaSubtype,
      startTime: iso(r.startMs),
      endTime: r.endMs === undefined ? undefined : iso(r.endMs),
      fileState: this.ctx.org.effectiveFileState(r, now),
      sessionId: r.sessionId,
      deleteDate: r.deleteDate === undefined ? undefined : iso(r.deleteDate),
      archiveDate: r.archiveDate === undefined ? undefined : iso(r.archiveDate),
      restoreExpirationTime:
        r.archiveDate !== undefined && (r.fileState === 'RESTORING' || r.fileState === 'RESTORED')
          ? iso(r.archiveDate)
          : undefined,
      region: 'us-east-1',
      selfUri: selfUri(r),
      ...r.jsonOverrides,
    };
  }

  recordingJson(
    r: SimRecording,
    format: FormatChoice,
    now: number,
    withMedia: boolean,
  ): Record<string, unknown> {
    const media = withMedia && format !== 'NONE' && this.playable(r, now);
    const mediaUris: Record<string, { mediaUri: string }> = {};
    if (media) {
      for (const key of r.mediaKeys) {
        const target = { conversationId: r.conversationId, recordingId: r.id, format, key };
        mediaUris[key] = {
          mediaUri: this.ctx.mediaUrls.sign(target, now, this.ctx.options.mediaUrlTtlSeconds),
        };
      }
    }
    const duration = r.endMs === undefined ? undefined : r.endMs - r.startMs;
    return {
      ...this.metadataJson(r, now),
      mediaUris: media ? mediaUris : undefined,
      estimatedTranscodeTimeMs: media ? this.ctx.options.transcodeMs : undefined,
      actualTranscodeTimeMs: media ? this.ctx.options.transcodeMs : undefined,
      outputDurationMs: media ? duration : undefined,
      outputSizeInBytes: media ? r.sizeBytes : 0,
      ...r.jsonOverrides,
    };
  }

  /** Starts transcodes of `recordings` in `format` and waits up to `maxWaitMs`; true when all are ready. */
  private async transcode(
    recordings: SimRecording[],
    format: FormatChoice,
    req: ApiRequest,
  ): Promise<boolean> {
    if (format === 'NONE') return true;
    const now = this.ctx.now();
    let readyAt = now;
    for (const r of recordings) {
      if (!this.playable(r, now)) continue;
      const key = `${r.id}|${format}`;
      let ready = this.transcodes.get(key);
      if (ready === undefined) {
        ready = now + this.ctx.options.transcodeMs;
        this.transcodes.set(key, ready);
      }
      readyAt = Math.max(readyAt, ready);
    }
    if (readyAt <= now) return true;
    const raw = req.query.get('maxWaitMs');
    const maxWait = raw !== null && /^\d+$/.test(raw) ? Number(raw) : this.ctx.options.defaultMaxWaitMs;
    if (readyAt - now > maxWait) {
      await sleep(maxWait, this.ctx.signal);
      return false;
    }
    // A couple of milliseconds more: timers may fire a hair before the clock shows the time.
    await sleep(readyAt - now + 2, this.ctx.signal);
    return this.ctx.now() >= readyAt;
  }

  private conversation(req: ApiRequest): SimConversation {
    const conversation = this.ctx.org.conversation(req.params.conversationId ?? '');
    if (!conversation) {
      throw notFound(
        'A conversation for the provided conversationId was not found.',
        'conversation.not.found',
      );
    }
    return conversation;
  }

  private recording(req: ApiRequest): SimRecording {
    const conversation = this.conversation(req);
    const recording = conversation.recordings.find((r) => r.id === req.params.recordingId);
    if (!recording) throw notFound('The requested recording was not found.', 'recording.not.found');
    return recording;
  }

  metadataList(req: ApiRequest): ApiResponse {
    const now = this.ctx.now();
    return { status: 200, body: this.conversation(req).recordings.map((r) => this.metadataJson(r, now)) };
  }

  metadataOne(req: ApiRequest): ApiResponse {
    return { status: 200, body: this.metadataJson(this.recording(req), this.ctx.now()) };
  }

  async list(req: ApiRequest): Promise<ApiResponse> {
    const conversation = this.conversation(req);
    const format = parseFormat(req);
    if (!(await this.transcode(conversation.recordings, format, req))) return { status: 202 };
    const now = this.ctx.now();
    return {
      status: 200,
      body: conversation.recordings.map((r) => this.recordingJson(r, format, now, true)),
    };
  }

  async one(req: ApiRequest): Promise<ApiResponse> {
    const recording = this.recording(req);
    const format = parseFormat(req);
    const ready = await this.transcode([recording], format, req);
    // The single read's 202 carries the recording without media (its swagger gives 202 a body).
    return { status: ready ? 200 : 202, body: this.recordingJson(recording, format, this.ctx.now(), ready) };
  }

  update(req: ApiRequest): ApiResponse {
    const recording = this.recording(req);
    const conversation = this.conversation(req);
    const body = (req.body ?? {}) as Record<string, unknown>;
    if (typeof body !== 'object' || Array.isArray(body)) throw badRequest('A JSON object body is required');
    const now = this.ctx.now();
    if (this.ctx.org.effectiveFileState(recording, now) === 'DELETED') {
      throw notFound('The recording has been deleted.', 'recording.not.found');
    }
    const deleteDate = parseDate(body.deleteDate, 'deleteDate');
    const archiveDate = parseDate(body.archiveDate, 'archiveDate');
    // "A request to change the archival date of an archived recording will result in a restoration"
    // (genesys-api.md §10.1), which also needs the restore permission (§13).
    const restore =
      archiveDate !== undefined &&
      archiveDate !== null &&
      this.ctx.org.effectiveFileState(recording, now) === 'ARCHIVED';
    if (restore && !req.token.permissions.has(RESTORE_PERMISSION))
      throw permissionError([RESTORE_PERMISSION]);
    if (deleteDate !== undefined && deleteDate !== null && conversation.protected) {
      throw new ApiError(
        400,
        'recording.deletion.protected',
        'The recording cannot be given a delete date: its conversation is protected from deletion',
      );
    }
    if (deleteDate !== undefined || archiveDate !== undefined) {
      if (deleteDate === null) delete recording.deleteDate;
      else if (deleteDate !== undefined) recording.deleteDate = deleteDate;
      if (archiveDate === null) delete recording.archiveDate;
      else if (archiveDate !== undefined) recording.archiveDate = archiveDate;
      if (restore) this.ctx.org.startRestore(recording.id, now + this.ctx.options.restoreMs, archiveDate);
      this.ctx.org.retentionLog.push({
        conversationId: conversation.id,
        recordingId: recording.id,
        ...(deleteDate !== undefined ? { deleteDate } : {}),
        ...(archiveDate !== undefined ? { archiveDate } : {}),
        at: now,
        clientId: req.token.clientId,
      });
    }
    return { status: 200, body: this.recordingJson(recording, 'NONE', now, false) };
  }

  protectionQuery(req: ApiRequest): ApiResponse {
    const ids = this.protectionIds(req);
    const body = ids
      .filter((id) => this.ctx.org.conversation(id)?.protected === true)
      .map((id) => ({ id, selfUri: `/api/v2/conversations/${id}` }));
    return { status: 200, body };
  }

  protectionSet(req: ApiRequest): ApiResponse {
    const protect = req.query.get('protect');
    if (protect !== 'true' && protect !== 'false') throw badRequest('protect must be true or false');
    for (const id of this.protectionIds(req)) {
      if (this.ctx.org.conversation(id)) this.ctx.org.protect(id, protect === 'true');
    }
    return { status: 204 };
  }

  private protectionIds(req: ApiRequest): string[] {
    const ids = (req.body as { conversationIds?: unknown } | undefined)?.conversationIds;
    if (!Array.isArray(ids) || ids.length === 0 || !ids.every((id) => typeof id === 'string')) {
      throw badRequest('conversationIds must be a non-empty list of ids');
    }
    if (ids.length > 100) throw badRequest('At most 100 conversation ids are allowed');
    return ids;
  }
}

/** The recording routes. */
export function recordingRoutes(recordings: Recordings): Route[] {
  const conv = '/api/v2/conversations/{conversationId}';
  const retention = { all: ['recording:recording:view', 'recording:recording:editRetention'] };
  return [
    {
      method: 'GET',
      pattern: `${conv}/recordingmetadata`,
      permissions: RECORDING_VIEW,
      handler: (r) => recordings.metadataList(r),
    },
    {
      method: 'GET',
      pattern: `${conv}/recordingmetadata/{recordingId}`,
      permissions: RECORDING_VIEW,
      handler: (r) => recordings.metadataOne(r),
    },
    {
      method: 'GET',
      pattern: `${conv}/recordings`,
      permissions: RECORDING_VIEW,
      handler: (r) => recordings.list(r),
    },
    {
      method: 'GET',
      pattern: `${conv}/recordings/{recordingId}`,
      permissions: RECORDING_VIEW,
      handler: (r) => recordings.one(r),
    },
    {
      method: 'PUT',
      pattern: `${conv}/recordings/{recordingId}`,
      permissions: retention,
      handler: (r) => recordings.update(r),
    },
    {
      method: 'POST',
      pattern: '/api/v2/recordings/deletionprotection',
      handler: (r) => recordings.protectionQuery(r),
    },
    {
      method: 'PUT',
      pattern: '/api/v2/recordings/deletionprotection',
      permissions: { any: ['recording:deletionProtection:apply', 'recording:deletionProtection:revoke'] },
      handler: (r) => recordings.protectionSet(r),
    },
  ];
}
