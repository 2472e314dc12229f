/**
 * How a failure talking to Genesys is classified (SPEC §4.6):
 *  - run-level: `RemoteError` (exit 4). DNS, connect, TLS, proxy, a 401 after a fresh login, 403
 *    `missing.permissions`, 429/5xx lasting past the retry budget. The run stops.
 *  - item-level: `GenesysApiError` (one conversation or recording, e.g. 404), `MediaRefusedError` (the
 *    media host refused a signed URL: fetch a fresh one), `MediaTransferError` (a download broke off:
 *    retryable). The pipeline handles these per item and goes on.
 * Every message names the host and what to check; none carries a token, secret, password or the
 * query of a media URL (they all pass through `redact()`). Network and TLS failures are classified
 * in `transport-errors.ts`.
 */
import { ExitCode, IngestError, RemoteError } from '../errors.js';
import { redact } from '../util/redact.js';

/** The `ErrorBody` Genesys returns with a non-2xx status (fields we read; all may be absent). */
export interface GenesysErrorBody {
  message?: string;
  code?: string;
  status?: number;
  messageParams?: Record<string, string>;
  contextId?: string;
  /** OAuth-style bodies from the token endpoint. */
  error?: string;
  error_description?: string;
  description?: string;
}

/** Where a request went, for messages: host and path, never the query. */
export interface RequestTarget {
  readonly method: string;
  readonly host: string;
  readonly path: string;
}

/** A Genesys API answer that concerns one item (conversation, recording, job): the pipeline handles it. */
export class GenesysApiError extends IngestError {
  readonly status: number;
  /** The `code` from Genesys' error body, e.g. `not.found`; undefined when the body had none. */
  readonly genesysCode: string | undefined;
  readonly target: RequestTarget;

  constructor(status: number, body: GenesysErrorBody | undefined, target: RequestTarget) {
    const genesysCode = typeof body?.code === 'string' ? body.code : undefined;
    const detail = typeof body?.message === 'string' ? `: ${body.message}` : '';
    super(
      `api.${genesysCode ?? `http${status}`}`,
      redact(
        `${target.method} ${target.host}${target.path} answered ${status}${genesysCode ? ` ${genesysCode}` : ''}${detail}`,
      ),
      ExitCode.remote,
      { retryable: status === 409 || status === 408 },
    );
    this.status = status;
    this.genesysCode = genesysCode;
    this.target = target;
  }
}

/** The media host answered 403 or 400: the signed URL expired or was refused. Fetch a fresh URL. */
export class MediaRefusedError extends IngestError {
  readonly status: number;
  constructor(status: number, host: string) {
    super(
      'media.refused',
      `media host ${host} refused the download URL (${status}); the signed URL has probably expired, request a fresh one`,
      ExitCode.remote,
      { retryable: true },
    );
    this.status = status;
  }
}

/** A download that broke off, timed out, came out short or failed at the media host: try again. */
export class MediaTransferError extends IngestError {
  constructor(code: string, message: string, options: { cause?: unknown } = {}) {
    super(code, redact(message), ExitCode.remote, { retryable: true, cause: options.cause });
  }
}

/** A 2xx/non-2xx response that carries a permission failure: the OAuth client's role lacks something. */
export function isMissingPermissions(status: number, body: GenesysErrorBody | undefined): boolean {
  return status === 403 && (body?.code === 'missing.permissions' || body?.code === 'missing.any.permissions');
}

/** Builds the run-level error for a 403 `missing.permissions`, naming the permission Genesys named. */
export function missingPermissionsError(
  body: GenesysErrorBody | undefined,
  target: RequestTarget,
): RemoteError {
  const text = typeof body?.message === 'string' ? body.message : '';
  const named =
    /permissions?(?:\(s\))?[^:]*:\s*(.+)$/i.exec(text)?.[1] ??
    Object.values(body?.messageParams ?? {}).join(', ');
  const anyOf = body?.code === 'missing.any.permissions' ? 'one of ' : '';
  const which =
    named.trim() !== ''
      ? anyOf + named.trim().replace(/\.$/, '')
      : 'a permission (Genesys did not say which)';
  return new RemoteError(
    'api.missingPermissions',
    redact(
      `${target.method} ${target.host}${target.path} was refused (403 ${body?.code ?? 'missing.permissions'}): the OAuth client's role lacks ${which}; grant it to the role of the OAuth client (and its divisions) in Genesys Cloud Admin`,
    ),
    { status: 403 },
  );
}

/** 429 or 5xx that outlasted the retry budget (or would have waited past the run's deadline). */
export function exhaustedError(
  status: number,
  target: RequestTarget,
  attempts: number,
  why?: string,
): RemoteError {
  const rateLimited = status === 429;
  const tail = why ?? `after ${attempts} attempts`;
  return new RemoteError(
    rateLimited ? 'api.rateLimited' : 'api.unavailable',
    redact(
      rateLimited
        ? `${target.host} kept answering 429 (rate limit exceeded) ${tail}; another process may be using the same OAuth client, or its limit is lower than expected`
        : `${target.host} kept failing with ${status} ${tail} (${target.method} ${target.path}); Genesys may be degraded, try again later`,
    ),
    { status, retryable: true },
  );
}
