/**
 * The media listener: serves recording media for signed URLs only, like S3 pre-signed URLs —
 * S3-style XML errors (403 `AccessDenied` "Request has expired", `SignatureDoesNotMatch`; 400 when
 * an `Authorization` header is sent as well), the codec's Content-Type, exact Content-Length, and
 * throttling to `mediaBytesPerSecond`.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { writeResponse } from './body-writer.js';
import { prelude, statusCode, type ListenerDeps } from './listener-common.js';
import { contentTypeFor, mediaChunks } from './media.js';
import type { Recordings } from './routes-recordings.js';

function xmlEscape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function s3Error(
  res: ServerResponse,
  status: number,
  code: string,
  message: string,
  extra: Record<string, string> = {},
): void {
  const fields = Object.entries(extra)
    .map(([k, v]) => `<${k}>${xmlEscape(v)}</${k}>`)
    .join('');
  const requestId = randomBytes(8).toString('hex').toUpperCase();
  const body = Buffer.from(
    `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${xmlEscape(message)}</Message>${fields}` +
      `<RequestId>${requestId}</RequestId><HostId>${randomBytes(24).toString('base64')}</HostId></Error>`,
    'utf8',
  );
  res.writeHead(status, {
    'Content-Type': 'application/xml',
    'Content-Length': body.length,
    'x-amz-request-id': requestId,
  });
  res.end(res.req.method === 'HEAD' ? undefined : body);
}

function expired(res: ServerResponse, expiresAt: number, now: number): void {
  s3Error(res, 403, 'AccessDenied', 'Request has expired', {
    Expires: new Date(expiresAt).toISOString(),
    ServerTime: new Date(now).toISOString(),
  });
}

/** Handler of the media listener. */
export function mediaHandler(
  deps: ListenerDeps,
  recordings: Recordings,
): (req: IncomingMessage, res: ServerResponse) => void {
  const { ctx } = deps;
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const pre = await prelude('media', req, res, deps);
    if (!pre) return;
    const now = ctx.now();
    if (req.headers.authorization !== undefined) {
      return s3Error(
        res,
        400,
        'InvalidArgument',
        'Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query string parameter or the Authorization header should be specified',
        { ArgumentName: 'Authorization' },
      );
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      return s3Error(
        res,
        405,
        'MethodNotAllowed',
        'The specified method is not allowed against this resource.',
      );
    }
    if (pre.replace?.kind === 'expireUrl') return expired(res, now - 1000, now);
    if (pre.replace?.kind === 'status') {
      const { status, retryAfterSeconds } = pre.replace;
      if (retryAfterSeconds !== undefined) res.setHeader('Retry-After', String(retryAfterSeconds));
      const code = status === 503 ? 'SlowDown' : status === 500 ? 'InternalError' : `Simulated${status}`;
      return s3Error(res, status, code, statusCode(status).message || `Simulated error ${status}`);
    }
    const check = ctx.mediaUrls.check(pre.url.pathname, pre.url.searchParams, now);
    if (!check.ok) {
      if (check.reason === 'expired') return expired(res, check.expiresAt, now);
      if (check.reason === 'badSignature') {
        return s3Error(
          res,
          403,
          'SignatureDoesNotMatch',
          'The request signature we calculated does not match the signature you provided.',
        );
      }
      if (check.reason === 'unknown')
        return s3Error(res, 404, 'NoSuchKey', 'The specified key does not exist.');
      return s3Error(
        res,
        403,
        'AccessDenied',
        'Query-string authentication requires the X-Amz-Signature, X-Amz-Date and X-Amz-Expires parameters',
      );
    }
    const { target } = check;
    const recording = ctx.org.recording(target.recordingId);
    if (!recording || !recordings.playable(recording, now)) {
      // The object is gone (recording deleted or archived since the URL was signed).
      return s3Error(res, 404, 'NoSuchKey', 'The specified key does not exist.');
    }
    const tag = createHash('sha256')
      .update(`${recording.id}|${target.format}|${target.key}|${recording.sizeBytes}`)
      .digest('hex');
    await writeResponse(
      res,
      {
        status: 200,
        headers: {
          'Content-Type': contentTypeFor(recording, target.format),
          // Multipart-style ETag: not an MD5 of the content, as with large S3 objects.
          ETag: `"${tag.slice(0, 32)}-1"`,
          'Last-Modified': new Date(recording.endMs ?? recording.startMs).toUTCString(),
        },
        chunks: mediaChunks(recording, target.format, target.key),
        length: recording.sizeBytes,
      },
      {
        fault: pre.bodyFault,
        bytesPerSecond: ctx.options.mediaBytesPerSecond,
        signal: ctx.signal,
        onBytes: (bytes) => deps.log.mediaBytesSent(bytes),
      },
    );
  };
  return (req, res) => {
    handle(req, res).catch((error: unknown) => {
      console.error('simulator: media request failed', error);
      if (!res.headersSent)
        s3Error(res, 500, 'InternalError', 'We encountered an internal error. Please try again.');
      else res.destroy();
    });
  };
}
