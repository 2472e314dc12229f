/**
 * Media download (SPEC §3.4, §4.2): streams a signed `https` media URL (any other is refused) into an open temporary file while
 * hashing (SHA-256) and counting, never with the Genesys Authorization header. A download has a
 * deadline of max(10 min, expected bytes ÷ 128 KiB/s) and is aborted after 60 s without a byte. The
 * byte count is checked against Content-Length and the size Genesys reported. The file is never
 * committed here: the caller does that after its own checks, or aborts it (which removes it).
 */
import { createHash } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { asStorageError, IngestError } from '../errors.js';
import { MediaRefusedError, MediaTransferError } from './errors.js';
import { safeCause } from './transport-errors.js';
import { abortReason } from './pacer.js';
import type { HttpTransport } from './http.js';

export interface MediaOptions {
  /** The shortest deadline for one download (10 minutes). */
  readonly minDeadlineMs?: number;
  /** The slowest rate a download is allowed on average (128 KiB/s) for large files. */
  readonly minBytesPerSecond?: number;
  /** No byte for this long aborts the download (60 s). */
  readonly idleTimeoutMs?: number;
}

export interface DownloadOptions {
  /** The size Genesys reported (`outputSizeInBytes`); 0 or undefined is not checked. */
  readonly expectedBytes?: number;
  readonly signal?: AbortSignal;
  /** Overrides the computed deadline (tests). */
  readonly deadlineMs?: number;
  readonly idleTimeoutMs?: number;
  /** Which try at this recording's media this is (a refused URL is fetched afresh), for `--debug`. */
  readonly attempt?: number;
}

/**
 * Where a download streams to: a temporary file (`util/atomic.ts` `AtomicFile`) or an archive
 * target's upload. `start`, when present, is told what the host sent before the first byte.
 */
export interface MediaSink {
  /** Where the bytes go while written, for messages. */
  readonly tempPath: string;
  start?(info: { contentType: string | undefined; contentLength: number | undefined }): Promise<void>;
  write(chunk: Uint8Array): Promise<void>;
}

export interface DownloadResult {
  readonly bytes: number;
  /** Lowercase hex. */
  readonly sha256: string;
  /** As served, e.g. `audio/ogg`; undefined when the host sent none. */
  readonly contentType: string | undefined;
}

/** Downloads media through the shared HTTP stack (and its proxy). */
export class MediaDownloader {
  readonly #transport: HttpTransport;
  readonly #options: MediaOptions;
  readonly #runSignal: AbortSignal | undefined;
  #bytes = 0;

  constructor(transport: HttpTransport, options: MediaOptions = {}, runSignal?: AbortSignal) {
    this.#transport = transport;
    this.#options = options;
    this.#runSignal = runSignal;
  }

  /** Bytes received by every download so far (for `bytesDownloaded`; includes failed attempts). */
  get bytesReceived(): number {
    return this.#bytes;
  }

  /**
   * Streams `url` into `target`. Throws MediaRefusedError on 403/400 (fetch a fresh URL),
   * MediaTransferError (retryable) on a broken, stalled, slow or short transfer, RemoteError when
   * the proxy fails (run-level), and the signal's reason when aborted.
   */
  async download(url: string, target: MediaSink, options: DownloadOptions = {}): Promise<DownloadResult> {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new MediaTransferError('media.badUrl', 'Genesys gave a media URL that cannot be parsed');
    }
    // Signed media URLs are credentials, and the media must come from whom it claims to: https only.
    if (parsed.protocol !== 'https:')
      throw new MediaTransferError(
        'mediaRefused',
        `Genesys gave a media URL that is not https (${parsed.protocol.replace(/:$/, '').slice(0, 20)}); it is not fetched`,
      );
    const host = parsed.host;
    const expected =
      options.expectedBytes !== undefined && options.expectedBytes > 0 ? options.expectedBytes : undefined;
    const deadlineMs =
      options.deadlineMs ??
      Math.max(
        this.#options.minDeadlineMs ?? 600_000,
        ((expected ?? 0) / (this.#options.minBytesPerSecond ?? 131_072)) * 1000,
      );
    const idleMs = options.idleTimeoutMs ?? this.#options.idleTimeoutMs ?? 60_000;
    const outer = [this.#runSignal, options.signal].filter((s): s is AbortSignal => s !== undefined);
    const controller = new AbortController();
    const onOuterAbort = (): void => controller.abort(outer.find((s) => s.aborted)?.reason);
    for (const s of outer) {
      if (s.aborted) throw abortReason(s);
      s.addEventListener('abort', onOuterAbort, { once: true });
    }
    const deadline = setTimeout(
      () =>
        controller.abort(
          new MediaTransferError(
            'media.deadline',
            `download from ${host} did not finish within ${Math.round(deadlineMs / 1000)} s`,
          ),
        ),
      deadlineMs,
    );
    let idle: NodeJS.Timeout | undefined;
    const touch = (): void => {
      clearTimeout(idle);
      idle = setTimeout(
        () =>
          controller.abort(
            new MediaTransferError(
              'media.stalled',
              `download from ${host} received no data for ${Math.round(idleMs / 1000)} s`,
            ),
          ),
        idleMs,
      );
    };

    const sentAt = Date.now();
    // The status answered, or what went wrong; logged once the download has ended, without the query.
    // Set from the 'response' callback: typed wide, or TypeScript keeps the initial literal.
    let outcome = 'unanswered' as number | string;
    const stream = this.#transport.media.stream(parsed, { signal: controller.signal });
    // Errors are read from the iterator below; this keeps one between 'response' and the loop from
    // being an uncaught 'error' event.
    stream.on('error', () => undefined);
    const hash = createHash('sha256');
    let bytes = 0;
    try {
      touch();
      const headers = await new Promise<IncomingHttpHeaders>((resolve, reject) => {
        stream.once('response', (res: { statusCode: number; headers: IncomingHttpHeaders }) => {
          outcome = res.statusCode;
          stream.off('error', reject);
          if (res.statusCode === 403 || res.statusCode === 400)
            reject(new MediaRefusedError(res.statusCode, host));
          else if (res.statusCode < 200 || res.statusCode > 299) {
            reject(new MediaTransferError('media.http', `media host ${host} answered ${res.statusCode}`));
          } else resolve(res.headers);
        });
        stream.once('error', reject);
      });
      if (target.start !== undefined) {
        const announced = Number(headers['content-length']);
        const type = headers['content-type'];
        await target.start({
          contentType: typeof type === 'string' && type !== '' ? type : undefined,
          contentLength:
            headers['content-length'] !== undefined && Number.isFinite(announced) ? announced : expected,
        });
      }
      for await (const chunk of stream as AsyncIterable<Buffer>) {
        touch();
        hash.update(chunk);
        bytes += chunk.length;
        this.#bytes += chunk.length;
        try {
          await target.write(chunk);
        } catch (error) {
          // Disk full or read-only is the archive's failure (exit 6), not the download's.
          throw asStorageError(error, `cannot write ${target.tempPath}`);
        }
      }
      const length = Number(headers['content-length']);
      if (headers['content-length'] !== undefined && Number.isFinite(length) && length !== bytes) {
        throw new MediaTransferError(
          'media.truncated',
          `download from ${host} ended after ${bytes} of ${length} bytes`,
        );
      }
      if (expected !== undefined && expected !== bytes) {
        throw new MediaTransferError(
          'media.sizeMismatch',
          `download from ${host} gave ${bytes} bytes, Genesys reported ${expected}`,
        );
      }
      const type = headers['content-type'];
      return {
        bytes,
        sha256: hash.digest('hex'),
        contentType: typeof type === 'string' && type !== '' ? type : undefined,
      };
    } catch (error) {
      const why =
        controller.signal.aborted && controller.signal.reason instanceof IngestError
          ? controller.signal.reason.code
          : error instanceof IngestError
            ? error.code
            : this.#transport.classify(error, parsed).error.code;
      // A refusal keeps its status; a transfer that broke after a 2xx says both.
      if (typeof outcome !== 'number') outcome = why;
      else if (outcome >= 200 && outcome <= 299) outcome = `${outcome} ${why}`;
      const outerAborted = outer.find((s) => s.aborted);
      if (outerAborted !== undefined) {
        outcome = 'aborted';
        throw abortReason(outerAborted);
      }
      if (controller.signal.aborted && controller.signal.reason instanceof IngestError)
        throw controller.signal.reason;
      if (error instanceof IngestError) throw error;
      const failure = this.#transport.classify(error, parsed);
      // The proxy carries all traffic: when it is down or refuses us, the run cannot go on. Anything
      // else (including the proxy failing to reach the media host) is this item's.
      if (failure.error.code === 'proxy.authRequired' || failure.error.code === 'proxy.unreachable')
        throw failure.error;
      const code = bytes > 0 ? 'media.interrupted' : `media.${failure.error.code.split('.')[1] ?? 'failed'}`;
      throw new MediaTransferError(
        code,
        bytes > 0
          ? `download from ${host} broke off after ${bytes} bytes (${failure.kind})`
          : failure.error.message,
        { cause: safeCause(error) },
      );
    } finally {
      this.#transport.logRequest({
        method: 'GET',
        host,
        path: parsed.pathname,
        status: outcome,
        durationMs: Date.now() - sentAt,
        attempt: options.attempt ?? 1,
      });
      clearTimeout(deadline);
      clearTimeout(idle);
      for (const s of outer) s.removeEventListener('abort', onOuterAbort);
      stream.destroy();
    }
  }
}
