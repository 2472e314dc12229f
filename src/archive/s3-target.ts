/**
 * The S3 archive target (SPEC §7) with the official AWS SDK v3: `<prefix><key>` in one bucket, for
 * AWS and S3-compatible stores (`endpoint`, `forcePathStyle`). Credentials come only from the SDK's
 * default chain (environment, shared config / AWS_PROFILE, web identity, container and instance
 * metadata), never from the configuration file. Loaded only when configured (`open-target.ts`).
 *
 * Media is streamed as it downloads (`s3-upload.ts`: one PUT up to PART_SIZE, a multipart upload
 * beyond, aborted on failure). The `sha256` metadata is known only once the last byte is hashed:
 * the single PUT is sent then, with it; a multipart object (created before it was known) is then
 * copied onto itself with
 * the metadata and the same headers, and the superseded version removed where the bucket keeps
 * versions. `commit` resolves only when a HEAD shows the size hashed and the `sha256`.
 */
import type { Readable } from 'node:stream';
import type * as S3 from '@aws-sdk/client-s3';
import type { Config, S3ArchiveConfig } from '../config/types.js';
import { ArchiveObjectError } from '../errors.js';
import { registerSecret } from '../util/redact.js';
import { MAX_CDR_BYTES, parseCdrXml, type ParsedCdr } from './cdr.js';
import { isNotFound, isNotImplemented, s3Failure } from './s3-errors.js';
import { storeAgents, type StoreAgents } from './store-transport.js';
import { s3Checks } from './s3-verify.js';
import { S3MediaUpload } from './s3-upload.js';
import { ObjectStoreTarget } from './object-store.js';
import type { ArchiveEntry, ArchiveTarget, MediaUpload, TargetCheck } from './target.js';

export { PART_SIZE } from './s3-upload.js';

type Sdk = typeof S3;

export class S3Target extends ObjectStoreTarget implements ArchiveTarget {
  readonly type = 's3' as const;
  readonly where: string;

  private constructor(
    readonly sdk: Sdk,
    readonly client: S3.S3Client,
    readonly settings: S3ArchiveConfig,
    readonly agents: StoreAgents,
  ) {
    super();
    this.where = `s3://${settings.bucket}/${settings.prefix}`;
  }

  static async open(config: Config, settings: S3ArchiveConfig): Promise<S3Target> {
    // The SDK warns on Node 20 about its future versions: a cron job must print only the tool's own
    // lines, so exactly this warning is switched off, with the SDK's own switch.
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
    // Store credentials are secrets (SPEC §7): never shown, whatever carries them.
    for (const name of ['AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN']) {
      const value = process.env[name];
      if (value !== undefined && value !== '') registerSecret(value);
    }
    const [sdk, { NodeHttpHandler }] = await Promise.all([
      import('@aws-sdk/client-s3'),
      import('@smithy/node-http-handler'),
    ]);
    const agents = storeAgents(config, settings.useProxy);
    const client = new sdk.S3Client({
      region: settings.region,
      ...(settings.endpoint !== undefined ? { endpoint: settings.endpoint } : {}),
      forcePathStyle: settings.forcePathStyle,
      maxAttempts: 5,
      requestHandler: new NodeHttpHandler({
        httpAgent: agents.httpAgent,
        httpsAgent: agents.httpsAgent,
        connectionTimeout: 15_000,
        requestTimeout: 120_000,
      }),
    });
    return new S3Target(sdk, client, settings, agents);
  }

  objectKey(key: string): string {
    return `${this.settings.prefix}${key}`;
  }

  private at(key: string): string {
    return `s3://${this.settings.bucket}/${this.objectKey(key)}`;
  }

  /** Encryption, storage class and retention: sent with every object (SPEC §7). */
  objectHeaders(lock: boolean): Record<string, unknown> {
    const s = this.settings;
    const headers: Record<string, unknown> = {};
    if (s.serverSideEncryption !== undefined) headers.ServerSideEncryption = s.serverSideEncryption;
    if (s.kmsKeyId !== undefined) headers.SSEKMSKeyId = s.kmsKeyId;
    if (s.storageClass !== undefined) headers.StorageClass = s.storageClass;
    if (lock && s.objectLock !== undefined) {
      headers.ObjectLockMode = s.objectLock.mode;
      headers.ObjectLockRetainUntilDate = new Date(Date.now() + s.objectLock.retainDays * 86_400_000);
      // A PUT with a retention period must carry an integrity header.
      headers.ChecksumAlgorithm = 'SHA256';
    }
    return headers;
  }

  /** Sends one command; failures classified (SPEC §7 Failures), an abort rethrown as its reason. */
  async send<T>(command: unknown, what: string, key: string, signal?: AbortSignal): Promise<T> {
    try {
      return (await this.client.send(
        command as never,
        signal === undefined ? {} : { abortSignal: signal },
      )) as T;
    } catch (error) {
      if (signal?.aborted === true) throw signal.reason;
      throw s3Failure(error, what, this.at(key));
    }
  }

  async prepare(signal?: AbortSignal): Promise<void> {
    await this.send(
      new this.sdk.HeadBucketCommand({ Bucket: this.settings.bucket }),
      'a look at the bucket',
      '',
      signal,
    );
  }

  async sweepRecording(folderKey: string, recordingId: string): Promise<number> {
    const base = this.objectKey(`${folderKey}/`);
    let listed: S3.ListMultipartUploadsCommandOutput;
    try {
      listed = await this.send<S3.ListMultipartUploadsCommandOutput>(
        new this.sdk.ListMultipartUploadsCommand({
          Bucket: this.settings.bucket,
          Prefix: `${base}${recordingId}`,
        }),
        'listing unfinished uploads',
        folderKey,
      );
    } catch (error) {
      // A store without the call (some S3-compatible ones) leaves unfinished uploads to its lifecycle rules.
      if (isNotImplemented(error)) return 0;
      throw error;
    }
    let removed = 0;
    for (const upload of listed.Uploads ?? []) {
      const name = (upload.Key ?? '').slice(base.length);
      if (!name.startsWith(`${recordingId}.`) && !name.startsWith(`${recordingId}_`)) continue;
      await this.send(
        new this.sdk.AbortMultipartUploadCommand({
          Bucket: this.settings.bucket,
          Key: upload.Key,
          UploadId: upload.UploadId,
        }),
        'aborting an unfinished upload',
        `${folderKey}/${name}`,
      );
      removed += 1;
    }
    return removed;
  }

  openMedia(key: string, options: { signal?: AbortSignal }): Promise<MediaUpload> {
    return Promise.resolve(new S3MediaUpload(this, key, options.signal));
  }

  async putCdr(key: string, xml: string | Uint8Array, signal?: AbortSignal): Promise<void> {
    const body = typeof xml === 'string' ? Buffer.from(xml, 'utf8') : xml;
    await this.send(
      new this.sdk.PutObjectCommand({
        Bucket: this.settings.bucket,
        Key: this.objectKey(key),
        Body: body,
        ContentLength: body.length,
        ContentType: 'application/xml',
        ...this.objectHeaders(true),
      }),
      'writing a CDR',
      key,
      signal,
    );
  }

  async readCdrBytes(key: string, signal?: AbortSignal): Promise<Buffer | undefined> {
    let out: S3.GetObjectCommandOutput;
    try {
      out = await this.send(
        new this.sdk.GetObjectCommand({ Bucket: this.settings.bucket, Key: this.objectKey(key) }),
        'reading a CDR',
        key,
        signal,
      );
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
    if ((out.ContentLength ?? 0) > MAX_CDR_BYTES) {
      (out.Body as Readable | undefined)?.destroy?.();
      throw new ArchiveObjectError('cdr.invalid', `${this.at(key)} is larger than ${MAX_CDR_BYTES} bytes`);
    }
    return Buffer.from(await out.Body!.transformToByteArray());
  }

  async readCdr(key: string, signal?: AbortSignal): Promise<ParsedCdr | undefined> {
    const bytes = await this.readCdrBytes(key, signal);
    return bytes === undefined ? undefined : parseCdrXml(bytes);
  }

  async head(
    key: string,
    signal?: AbortSignal,
  ): Promise<{ size: number; sha256: string | undefined } | undefined> {
    try {
      const out = await this.send<S3.HeadObjectCommandOutput>(
        new this.sdk.HeadObjectCommand({ Bucket: this.settings.bucket, Key: this.objectKey(key) }),
        'a HEAD of an object',
        key,
        signal,
      );
      return { size: out.ContentLength ?? 0, sha256: out.Metadata?.sha256 };
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  async read(key: string, signal?: AbortSignal): Promise<AsyncIterable<Uint8Array>> {
    try {
      const out = await this.send<S3.GetObjectCommandOutput>(
        new this.sdk.GetObjectCommand({ Bucket: this.settings.bucket, Key: this.objectKey(key) }),
        'reading an object',
        key,
        signal,
      );
      return out.Body as unknown as AsyncIterable<Uint8Array>;
    } catch (error) {
      if (isNotFound(error))
        throw Object.assign(new Error(`${this.at(key)} does not exist`), { code: 'ENOENT' });
      throw error;
    }
  }

  /**
   * One folder's files and sub-folders from a flat listing: the first key below a sub-folder names
   * it, and the listing then jumps past that sub-folder (StartAfter). One request per sub-folder
   * and per 1,000 files — `verify --archive` reads every object anyway — and it does not depend on
   * `Delimiter`, which some S3-compatible stores (s3rver among them) only honour one level deep.
   */
  async *listFolder(folderKey: string, signal?: AbortSignal): AsyncIterable<ArchiveEntry> {
    const prefix = folderKey === '' ? this.settings.prefix : this.objectKey(`${folderKey}/`);
    let startAfter: string | undefined;
    for (;;) {
      const page: S3.ListObjectsV2CommandOutput = await this.send(
        new this.sdk.ListObjectsV2Command({
          Bucket: this.settings.bucket,
          Prefix: prefix,
          ...(startAfter === undefined ? {} : { StartAfter: startAfter }),
        }),
        'listing a folder',
        folderKey,
        signal,
      );
      let jumped = false;
      for (const object of page.Contents ?? []) {
        const key = object.Key ?? '';
        const rest = key.slice(prefix.length);
        const slash = rest.indexOf('/');
        startAfter = key;
        if (slash === -1) {
          if (rest !== '') yield { name: rest, type: 'file' };
          continue;
        }
        const sub = rest.slice(0, slash);
        if (sub !== '') yield { name: sub, type: 'folder' };
        // Past every key below `<sub>/` (keys are listed in UTF-8 byte order).
        startAfter = `${prefix}${sub}/\u{10FFFF}`;
        jumped = true;
        break;
      }
      if (!jumped && page.IsTruncated !== true) return;
    }
  }

  async removeUnfinished(key: string, signal?: AbortSignal): Promise<void> {
    // A store that refuses (object lock) keeps it: a later put replaces it, no CDR names it.
    await this.send(
      new this.sdk.DeleteObjectCommand({ Bucket: this.settings.bucket, Key: this.objectKey(key) }),
      'removing an unfinished object',
      key,
      signal,
    ).catch(() => undefined);
  }

  onlineChecks(signal?: AbortSignal): Promise<TargetCheck[]> {
    return s3Checks(this, signal);
  }

  close(): void {
    this.client.destroy();
    this.agents.destroy();
  }
}
