/**
 * The Azure Blob archive target (SPEC §7) with the official SDK (`@azure/storage-blob`): block blobs
 * `<prefix><key>` in one container. Media is staged block by block as it downloads and committed
 * with its `sha256` metadata (`azure-upload.ts`); a CDR is one `Put Blob` of `application/xml`.
 * Credentials come from the environment only (`azure-client.ts`), never from the configuration
 * file. Loaded only when configured (`open-target.ts`), so no other command pays for the SDK.
 *
 * `sweepRecording` removes nothing: an interrupted upload left only uncommitted blocks, which are
 * invisible and which Azure discards by itself after seven days; a committed media blob that no CDR
 * names is a finished object, replaced by the next attempt or removed by `removeUnfinished`.
 */
import type { BlockBlobClient, ContainerClient } from '@azure/storage-blob';
import type { AzureArchiveConfig, Config } from '../config/types.js';
import { ArchiveObjectError, StorageError } from '../errors.js';
import { openAzureContainer, type AzureCredentialKind } from './azure-client.js';
import { abortable, azureFailure, isNotFound } from './azure-errors.js';
import { AzureMediaUpload } from './azure-upload.js';
import { azureChecks } from './azure-verify.js';
import { MAX_CDR_BYTES, parseCdrXml, type ParsedCdr } from './cdr.js';
import type { StoreAgents } from './store-transport.js';
import { ObjectStoreTarget } from './object-store.js';
import type { ArchiveEntry, ArchiveTarget, MediaUpload, ObjectFacts, TargetCheck } from './target.js';

/** The folder of `verify`'s write probe, below the prefix; never part of the archive's layout. */
export const VERIFY_FOLDER = '.genesys-ingest-verify';

export class AzureTarget extends ObjectStoreTarget implements ArchiveTarget {
  readonly type = 'azure' as const;
  readonly where: string;

  private constructor(
    readonly container: ContainerClient,
    readonly settings: AzureArchiveConfig,
    readonly credential: AzureCredentialKind,
    readonly agents: StoreAgents,
  ) {
    super();
    this.where = `${settings.url}/${settings.container}/${settings.prefix}`;
  }

  static async open(config: Config, settings: AzureArchiveConfig): Promise<AzureTarget> {
    const opened = await openAzureContainer(config, settings, process.env);
    return new AzureTarget(opened.container, settings, opened.credential, opened.agents);
  }

  get tier(): string | undefined {
    return this.settings.accessTier;
  }

  blobName(key: string): string {
    return `${this.settings.prefix}${key}`;
  }

  /** The blob's URL for messages: the configured account URL, never the client's (it may hold a SAS). */
  at(key: string): string {
    return `${this.settings.url}/${this.settings.container}/${this.blobName(key)}`;
  }

  blob(key: string): BlockBlobClient {
    return this.container.getBlockBlobClient(this.blobName(key));
  }

  failure(error: unknown, what: string, key: string, signal?: AbortSignal): unknown {
    return azureFailure(error, what, this.at(key), signal);
  }

  /** Runs one SDK call; its errors leave as StorageError / ArchiveObjectError (or the abort reason). */
  private async call<T>(
    what: string,
    key: string,
    signal: AbortSignal | undefined,
    run: () => Promise<T>,
  ): Promise<T> {
    try {
      return await run();
    } catch (error) {
      throw this.failure(error, what, key, signal);
    }
  }

  async prepare(signal?: AbortSignal): Promise<void> {
    // One listed name proves the container exists and we may list it (which verify --archive needs);
    // a SAS scoped to the container allows this where it may not allow reading container properties.
    // The container is never created here: that (and its immutability policy) is the owner's decision.
    try {
      await this.call('a listing of the container', '', signal, () =>
        this.container
          .listBlobsFlat({ prefix: this.settings.prefix, ...abortable(signal) })
          .byPage({ maxPageSize: 1 })
          .next(),
      );
    } catch (error) {
      // Whatever the reason, a store we cannot list cannot take a run's recordings.
      if (error instanceof ArchiveObjectError)
        throw new StorageError(
          error.code,
          error.message,
          error.hint === undefined ? {} : { hint: error.hint },
        );
      throw error;
    }
  }

  sweepRecording(): Promise<number> {
    return Promise.resolve(0);
  }

  openMedia(key: string, options: { signal?: AbortSignal }): Promise<MediaUpload> {
    return Promise.resolve(new AzureMediaUpload(this, this.blob(key), key, options.signal));
  }

  async putCdr(key: string, xml: string | Uint8Array, signal?: AbortSignal): Promise<void> {
    const body = typeof xml === 'string' ? Buffer.from(xml, 'utf8') : Buffer.from(xml);
    await this.call('writing a CDR', key, signal, () =>
      this.blob(key).upload(body, body.length, {
        blobHTTPHeaders: { blobContentType: 'application/xml' },
        ...(this.tier === undefined ? {} : { tier: this.tier }),
        ...abortable(signal),
      }),
    );
  }

  async readCdrBytes(key: string, signal?: AbortSignal): Promise<Buffer | undefined> {
    let response;
    try {
      response = await this.blob(key).download(0, undefined, abortable(signal));
    } catch (error) {
      if (signal?.aborted !== true && isNotFound(error)) return undefined;
      throw this.failure(error, 'reading a CDR', key, signal);
    }
    const body = response.readableStreamBody;
    if ((response.contentLength ?? 0) > MAX_CDR_BYTES || body === undefined) {
      (body as { destroy?: () => void } | undefined)?.destroy?.();
      throw new ArchiveObjectError(
        'cdr.invalid',
        `${this.at(key)} is not a CDR of at most ${MAX_CDR_BYTES} bytes`,
      );
    }
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of this.#guarded(body as AsyncIterable<Uint8Array>, key, signal)) {
      size += chunk.length;
      if (size > MAX_CDR_BYTES)
        throw new ArchiveObjectError('cdr.invalid', `${this.at(key)} grew past ${MAX_CDR_BYTES} bytes`);
      chunks.push(Buffer.from(chunk));
    }
    return Buffer.concat(chunks);
  }

  async readCdr(key: string, signal?: AbortSignal): Promise<ParsedCdr | undefined> {
    const bytes = await this.readCdrBytes(key, signal);
    return bytes === undefined ? undefined : parseCdrXml(bytes);
  }

  /** The store vouches: the blob's size and its `sha256` metadata (the delete gate's HEAD). */
  async head(key: string, signal?: AbortSignal): Promise<ObjectFacts | undefined> {
    try {
      const p = await this.blob(key).getProperties(abortable(signal));
      return { size: p.contentLength ?? 0, sha256: p.metadata?.sha256 };
    } catch (error) {
      if (signal?.aborted !== true && isNotFound(error)) return undefined;
      throw this.failure(error, 'reading the properties of a blob', key, signal);
    }
  }

  async read(key: string, signal?: AbortSignal): Promise<AsyncIterable<Uint8Array>> {
    try {
      const response = await this.blob(key).download(0, undefined, abortable(signal));
      const body = response.readableStreamBody;
      if (body === undefined)
        throw new ArchiveObjectError('store.object', `${this.at(key)} came without a body`);
      return this.#guarded(body as AsyncIterable<Uint8Array>, key, signal);
    } catch (error) {
      if (signal?.aborted !== true && isNotFound(error))
        throw Object.assign(new Error(`${this.at(key)} does not exist`), { code: 'ENOENT' });
      throw this.failure(error, 'reading a blob', key, signal);
    }
  }

  /** A body whose mid-stream failures are classified like any other (no raw SDK error escapes). */
  async *#guarded(
    body: AsyncIterable<Uint8Array>,
    key: string,
    signal?: AbortSignal,
  ): AsyncIterable<Uint8Array> {
    try {
      yield* body;
    } catch (error) {
      throw this.failure(error, 'reading a blob', key, signal);
    }
  }

  async *listFolder(folderKey: string, signal?: AbortSignal): AsyncIterable<ArchiveEntry> {
    const prefix = folderKey === '' ? this.settings.prefix : this.blobName(`${folderKey}/`);
    const pages = this.container.listBlobsByHierarchy('/', { prefix, ...abortable(signal) });
    try {
      for await (const item of pages) {
        const name = item.name.slice(prefix.length).replace(/\/$/, '');
        if (name === '' || (folderKey === '' && name === VERIFY_FOLDER)) continue;
        yield { name, type: item.kind === 'prefix' ? 'folder' : 'file' };
      }
    } catch (error) {
      throw this.failure(error, 'listing a folder', folderKey, signal);
    }
  }

  async removeUnfinished(key: string, signal?: AbortSignal): Promise<void> {
    // A container that refuses (an immutability policy) keeps it: a later put replaces it, no CDR names it.
    await this.blob(key)
      .deleteIfExists(abortable(signal))
      .catch(() => undefined);
  }

  onlineChecks(signal?: AbortSignal): Promise<TargetCheck[]> {
    return azureChecks(this, signal);
  }

  close(): void {
    this.agents.destroy();
  }
}
