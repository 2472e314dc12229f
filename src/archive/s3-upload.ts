/**
 * One media object streamed to S3 as it downloads (SPEC §7), through lib-storage's `Upload`: one
 * PUT up to PART_SIZE, a multipart upload beyond (aborted on failure). See `s3-target.ts` for how
 * the `sha256` metadata and retention reach the object, and `commit`'s confirmation.
 */
import { once } from 'node:events';
import { PassThrough } from 'node:stream';
import type * as S3 from '@aws-sdk/client-s3';
import type { Upload as UploadT } from '@aws-sdk/lib-storage';
import { ArchiveObjectError } from '../errors.js';
import { s3Failure } from './s3-errors.js';
import type { S3Target } from './s3-target.js';
import type { MediaFacts, MediaStart, MediaUpload } from './target.js';

/** One media object streamed to S3 as it downloads (see the file comment). */
/** Parts of 8 MiB, one in flight: about 16 MiB per upload, `concurrency` uploads at once. */
export const PART_SIZE = 8 * 1024 * 1024;

export class S3MediaUpload implements MediaUpload {
  readonly tempPath: string;
  readonly #metadata: Record<string, string> = {};
  #body: PassThrough | undefined;
  #upload: UploadT | undefined;
  #done: Promise<S3.CompleteMultipartUploadCommandOutput> | undefined;
  #lockSent = false;

  constructor(
    private readonly target: S3Target,
    private readonly Upload: typeof UploadT,
    private readonly key: string,
    private readonly signal: AbortSignal | undefined,
  ) {
    this.tempPath = `s3://${target.settings.bucket}/${target.objectKey(key)} (uploading)`;
  }

  start(info: MediaStart): Promise<void> {
    if (this.#upload !== undefined) return Promise.resolve();
    const body = new PassThrough({ highWaterMark: 1024 * 1024 });
    // Retention is sent with the upload when it will be one PUT; a multipart object gets it on its copy.
    this.#lockSent = info.contentLength !== undefined && info.contentLength < PART_SIZE;
    this.#upload = new this.Upload({
      client: this.target.client,
      partSize: PART_SIZE,
      queueSize: 1,
      leavePartsOnError: false,
      params: {
        Bucket: this.target.settings.bucket,
        Key: this.target.objectKey(this.key),
        Body: body,
        ContentType: info.contentType ?? 'application/octet-stream',
        Metadata: this.#metadata,
        ...this.target.objectHeaders(this.#lockSent),
      },
    });
    this.#body = body;
    this.#done = this.#upload.done();
    // A failed upload stops the writer waiting for 'drain'; the error is read in commit().
    this.#done.catch((error: unknown) =>
      body.destroy(error instanceof Error ? error : new Error(String(error))),
    );
    return Promise.resolve();
  }

  async write(chunk: Uint8Array): Promise<void> {
    if (this.#body === undefined) await this.start({ contentType: undefined, contentLength: undefined });
    const body = this.#body!;
    if (!body.write(chunk)) await this.#settleOr(once(body, 'drain'));
  }

  /** Waits for `step`, or the upload's failure, whichever comes first. */
  async #settleOr(step: Promise<unknown>): Promise<void> {
    try {
      await Promise.race([step, this.#done!.then(() => undefined)]);
    } catch {
      await this.#finish();
    }
  }

  /** The upload's outcome, as the run understands it. */
  async #finish(): Promise<S3.CompleteMultipartUploadCommandOutput> {
    try {
      return await this.#done!;
    } catch (error) {
      if (this.signal?.aborted === true) throw this.signal.reason;
      throw s3Failure(
        error,
        'uploading media',
        `s3://${this.target.settings.bucket}/${this.target.objectKey(this.key)}`,
      );
    }
  }

  async commit(facts: MediaFacts): Promise<void> {
    if (this.#body === undefined)
      await this.start({ contentType: facts.contentType, contentLength: facts.bytes });
    // In time for a single PUT, which is sent once the stream ends (see the file comment).
    this.#metadata.sha256 = facts.sha256;
    this.#body!.end();
    const uploaded = await this.#finish();
    let seen = await this.target.head(this.key, this.signal);
    const lockMissing = this.target.settings.objectLock !== undefined && !this.#lockSent;
    if (seen !== undefined && seen.size === facts.bytes && (seen.sha256 !== facts.sha256 || lockMissing)) {
      await this.#copyWithMetadata(facts, uploaded.VersionId);
      seen = await this.target.head(this.key, this.signal);
    }
    if (seen === undefined || seen.size !== facts.bytes || seen.sha256 !== facts.sha256) {
      await this.target.removeUnfinished(this.key, this.signal);
      throw new ArchiveObjectError(
        'store.unconfirmed',
        `${this.target.objectKey(this.key)} reads back as ${seen === undefined ? 'absent' : `${seen.size} bytes, sha256 ${seen.sha256 ?? 'none'}`} where ${facts.bytes} bytes with sha256 ${facts.sha256} were uploaded`,
      );
    }
  }

  /** Sets the `sha256` metadata (and retention) on an object whose first part was sent without it. */
  async #copyWithMetadata(facts: MediaFacts, supersededVersion: string | undefined): Promise<void> {
    const { sdk, settings } = this.target;
    const objectKey = this.target.objectKey(this.key);
    const copied = await this.target.send<S3.CopyObjectCommandOutput>(
      new sdk.CopyObjectCommand({
        Bucket: settings.bucket,
        Key: objectKey,
        CopySource: `${settings.bucket}/${objectKey.split('/').map(encodeURIComponent).join('/')}`,
        MetadataDirective: 'REPLACE',
        Metadata: { sha256: facts.sha256 },
        ContentType: facts.contentType,
        ...this.target.objectHeaders(true),
      }),
      'recording the sha256 of an object',
      this.key,
      this.signal,
    );
    if (
      supersededVersion !== undefined &&
      copied.VersionId !== undefined &&
      copied.VersionId !== supersededVersion
    ) {
      // The version without the metadata is not the archive's: removed where the store allows.
      await this.target.client
        .send(
          new sdk.DeleteObjectCommand({
            Bucket: settings.bucket,
            Key: objectKey,
            VersionId: supersededVersion,
          }),
        )
        .catch(() => undefined);
    }
  }

  async abort(): Promise<void> {
    if (this.#upload === undefined) return;
    await this.#upload.abort().catch(() => undefined);
    this.#body?.destroy();
    await this.#done?.catch(() => undefined);
  }
}
