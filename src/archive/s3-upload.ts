/**
 * One media object streamed to S3 as it downloads (SPEC §7): one PUT up to PART_SIZE, a multipart
 * upload beyond (aborted on failure). See `s3-target.ts` for how the `sha256` metadata and retention
 * reach the object, and `commit`'s confirmation.
 *
 * Memory (SPEC §7: peak RSS under 150 MB with a 1 GiB recording): the bytes are copied as they come
 * into a part buffer, and the two part buffers of an upload (one filling, one on the wire) are reused
 * for every part. lib-storage's `Upload`, used before, held each part's incoming chunks and then
 * copied them into a new buffer (`Buffer.concat`): 16 MiB of fresh memory per 8 MiB part that lived
 * as long as the part's upload, long enough to outlive V8's young collections, so it was freed only
 * by a full collection, which external memory triggers late. The bench measured 155 MB for 1 GiB
 * (`npm run bench -- --only s3`).
 */
import type * as S3 from '@aws-sdk/client-s3';
import { ArchiveObjectError } from '../errors.js';
import { s3Failure } from './s3-errors.js';
import type { S3Target } from './s3-target.js';
import type { MediaFacts, MediaStart, MediaUpload } from './target.js';

/** Parts of 8 MiB, one on the wire while the next fills: 16 MiB per upload, `concurrency` at once. */
export const PART_SIZE = 8 * 1024 * 1024;
/** The first buffer of a recording of unknown length: grown by doubling up to PART_SIZE. */
const FIRST_BUFFER = 64 * 1024;

type Part = S3.CompletedPart;

/** One media object streamed to S3 as it downloads (see the file comment). */
export class S3MediaUpload implements MediaUpload {
  readonly tempPath: string;
  #contentType: string | undefined;
  #contentLength: number | undefined;
  /** The part being filled, and how much of it is. */
  #buffer: Buffer | undefined;
  #filled = 0;
  /** A part buffer free for reuse (its upload finished). */
  #spare: Buffer | undefined;
  #uploadId: string | undefined;
  #checksum: 'CRC32' | undefined;
  readonly #parts: Part[] = [];
  /** The part on the wire: resolves to its buffer (free again), rejects with the store's error. */
  #onWire: Promise<Buffer> | undefined;

  constructor(
    private readonly target: S3Target,
    private readonly key: string,
    private readonly signal: AbortSignal | undefined,
  ) {
    this.tempPath = `s3://${target.settings.bucket}/${target.objectKey(key)} (uploading)`;
  }

  private get objectKey(): string {
    return this.target.objectKey(this.key);
  }

  start(info: MediaStart): Promise<void> {
    this.#contentType ??= info.contentType;
    this.#contentLength ??= info.contentLength;
    return Promise.resolve();
  }

  async write(chunk: Uint8Array): Promise<void> {
    let offset = 0;
    while (offset < chunk.length) {
      if (this.#buffer === undefined || this.#filled === this.#buffer.length) this.#grow();
      const buffer = this.#buffer!;
      const n = Math.min(buffer.length - this.#filled, chunk.length - offset);
      buffer.set(chunk.subarray(offset, offset + n), this.#filled);
      this.#filled += n;
      offset += n;
      if (this.#filled === PART_SIZE) await this.#sendPart();
    }
  }

  /** A buffer with room: the first sized to the announced length, grown by doubling up to PART_SIZE. */
  #grow(): void {
    const old = this.#buffer;
    if (old === undefined) {
      const known = this.#contentLength;
      const size =
        this.#parts.length > 0
          ? PART_SIZE
          : known !== undefined && known > 0
            ? Math.min(PART_SIZE, known)
            : FIRST_BUFFER;
      this.#buffer = this.#spare ?? Buffer.allocUnsafeSlow(size);
      this.#spare = undefined;
      return;
    }
    const bigger = Buffer.allocUnsafeSlow(Math.min(PART_SIZE, old.length * 2));
    old.copy(bigger, 0, 0, this.#filled);
    this.#buffer = bigger;
  }

  /** Sends the full part buffer once the previous part is done; the download fills the other meanwhile. */
  async #sendPart(): Promise<void> {
    if (this.#uploadId === undefined) await this.#createMultipart();
    if (this.#onWire !== undefined) this.#spare = await this.#settle(this.#onWire);
    const buffer = this.#buffer!;
    const filled = this.#filled;
    const partNumber = this.#parts.length + 1;
    this.#parts.push({ PartNumber: partNumber });
    this.#buffer = undefined;
    this.#filled = 0;
    const sending = this.#uploadPart(buffer, filled, partNumber);
    // Read at the next part or in commit; a failure meanwhile is not an unhandled rejection.
    sending.catch(() => undefined);
    this.#onWire = sending;
  }

  async #createMultipart(): Promise<void> {
    const { sdk, settings, client } = this.target;
    // As lib-storage does: with the SDK's default checksums every part carries a CRC32, declared here.
    const calculation = await client.config.requestChecksumCalculation();
    this.#checksum = calculation === 'WHEN_SUPPORTED' ? 'CRC32' : undefined;
    const created = await this.#send<S3.CreateMultipartUploadCommandOutput>(
      new sdk.CreateMultipartUploadCommand({
        Bucket: settings.bucket,
        Key: this.objectKey,
        ContentType: this.#contentType ?? 'application/octet-stream',
        ...this.target.objectHeaders(false),
        ...(this.#checksum === undefined ? {} : { ChecksumAlgorithm: this.#checksum }),
      }),
    );
    this.#uploadId = created.UploadId;
  }

  async #uploadPart(buffer: Buffer, length: number, partNumber: number): Promise<Buffer> {
    const { sdk, settings } = this.target;
    const body = buffer.subarray(0, length);
    const out = await this.#send<S3.UploadPartCommandOutput>(
      new sdk.UploadPartCommand({
        Bucket: settings.bucket,
        Key: this.objectKey,
        UploadId: this.#uploadId,
        PartNumber: partNumber,
        Body: body,
        ContentLength: body.length,
        ...(this.#checksum === undefined ? {} : { ChecksumAlgorithm: this.#checksum }),
      }),
    );
    if (out.ETag === undefined)
      throw new ArchiveObjectError(
        'store.unconfirmed',
        `part ${partNumber} of ${this.objectKey} has no ETag`,
      );
    this.#parts[partNumber - 1] = {
      PartNumber: partNumber,
      ETag: out.ETag,
      ...(out.ChecksumCRC32 === undefined ? {} : { ChecksumCRC32: out.ChecksumCRC32 }),
    };
    // Free for the next part: nothing reads the body once its request has been answered.
    return buffer;
  }

  /** Sends one command of this upload; a failure classified as the run understands it. */
  async #send<T>(command: unknown): Promise<T> {
    try {
      return (await this.target.client.send(
        command as never,
        this.signal === undefined ? {} : { abortSignal: this.signal },
      )) as T;
    } catch (error) {
      throw this.#failure(error);
    }
  }

  #failure(error: unknown): unknown {
    if (this.signal?.aborted === true) return this.signal.reason;
    if (error instanceof ArchiveObjectError) return error;
    return s3Failure(error, 'uploading media', `s3://${this.target.settings.bucket}/${this.objectKey}`);
  }

  /** Waits for the part on the wire; on failure the multipart upload is aborted before rethrowing. */
  async #settle(onWire: Promise<Buffer>): Promise<Buffer> {
    try {
      return await onWire;
    } catch (error) {
      this.#onWire = undefined;
      await this.abort();
      throw error;
    }
  }

  /** Ends the upload: the one PUT of a small object, or the last part and the multipart's completion. */
  async #finish(facts: MediaFacts): Promise<{ versionId: string | undefined; lockSent: boolean }> {
    const { sdk, settings } = this.target;
    if (this.#uploadId === undefined) {
      const body = (this.#buffer ?? Buffer.alloc(0)).subarray(0, this.#filled);
      // Small enough for one PUT, sent now that the sha256 is known: metadata and retention with it.
      const out = await this.#send<S3.PutObjectCommandOutput>(
        new sdk.PutObjectCommand({
          Bucket: settings.bucket,
          Key: this.objectKey,
          Body: body,
          ContentLength: body.length,
          ContentType: facts.contentType,
          Metadata: { sha256: facts.sha256 },
          ...this.target.objectHeaders(true),
        }),
      );
      this.#buffer = undefined;
      return { versionId: out.VersionId, lockSent: true };
    }
    if (this.#filled > 0) await this.#sendPart();
    if (this.#onWire !== undefined) await this.#settle(this.#onWire);
    this.#onWire = undefined;
    this.#buffer = undefined;
    this.#spare = undefined;
    let out: S3.CompleteMultipartUploadCommandOutput;
    try {
      out = await this.#send<S3.CompleteMultipartUploadCommandOutput>(
        new sdk.CompleteMultipartUploadCommand({
          Bucket: settings.bucket,
          Key: this.objectKey,
          UploadId: this.#uploadId,
          MultipartUpload: { Parts: this.#parts },
        }),
      );
    } catch (error) {
      await this.abort();
      throw error;
    }
    this.#uploadId = undefined;
    return { versionId: out.VersionId, lockSent: false };
  }

  async commit(facts: MediaFacts): Promise<void> {
    this.#contentType ??= facts.contentType;
    const uploaded = await this.#finish(facts);
    let seen = await this.target.head(this.key, this.signal);
    const lockMissing = this.target.settings.objectLock !== undefined && !uploaded.lockSent;
    if (seen !== undefined && seen.size === facts.bytes && (seen.sha256 !== facts.sha256 || lockMissing)) {
      await this.#copyWithMetadata(facts, uploaded.versionId);
      seen = await this.target.head(this.key, this.signal);
    }
    if (seen === undefined || seen.size !== facts.bytes || seen.sha256 !== facts.sha256) {
      await this.target.removeUnfinished(this.key, this.signal);
      throw new ArchiveObjectError(
        'store.unconfirmed',
        `${this.objectKey} reads back as ${seen === undefined ? 'absent' : `${seen.size} bytes, sha256 ${seen.sha256 ?? 'none'}`} where ${facts.bytes} bytes with sha256 ${facts.sha256} were uploaded`,
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
    const uploadId = this.#uploadId;
    this.#uploadId = undefined;
    this.#buffer = undefined;
    this.#spare = undefined;
    await this.#onWire?.catch(() => undefined);
    this.#onWire = undefined;
    if (uploadId === undefined) return;
    const { sdk, settings, client } = this.target;
    // Without the run's signal, which is usually why we are here: the parts must not stay billed.
    await client
      .send(
        new sdk.AbortMultipartUploadCommand({
          Bucket: settings.bucket,
          Key: this.objectKey,
          UploadId: uploadId,
        }),
      )
      .catch(() => undefined);
  }
}
