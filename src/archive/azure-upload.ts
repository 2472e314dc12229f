/**
 * One media blob streamed to Azure as it downloads (SPEC §7): the bytes are cut into blocks of
 * BLOCK_SIZE, each staged (`Put Block`) as soon as it is full — one block in flight, so `write`'s
 * promise is the back-pressure — and `commit` makes the blob with one `Put Block List` carrying the
 * `sha256` metadata, the content type as served and the access tier. Staged blocks are invisible
 * until that commit (nothing half-written ever shows under the key), and blocks never committed are
 * discarded by Azure itself after a week, so `abort` has nothing to remove. Block ids carry a
 * random per-attempt tag: a later attempt never commits an earlier attempt's blocks.
 */
import { randomBytes } from 'node:crypto';
import type { BlockBlobClient } from '@azure/storage-blob';
import { ArchiveObjectError } from '../errors.js';
import type { MediaFacts, MediaStart, MediaUpload } from './target.js';

/** 8 MiB blocks: at most 50,000 blocks make a blob of 390 GiB; one buffered per upload. */
export const BLOCK_SIZE = 8 * 1024 * 1024;

export interface AzureUploadHost {
  /** `accessTier` as configured. */
  readonly tier: string | undefined;
  /** Classifies an SDK error (StorageError or ArchiveObjectError), or the signal's reason. */
  failure(error: unknown, what: string, key: string, signal?: AbortSignal): unknown;
  head(key: string, signal?: AbortSignal): Promise<{ size: number; sha256: string | undefined } | undefined>;
  removeUnfinished(key: string, signal?: AbortSignal): Promise<void>;
  /** The blob's URL without any query, for messages. */
  at(key: string): string;
}

export class AzureMediaUpload implements MediaUpload {
  readonly tempPath: string;
  readonly #tag = randomBytes(6).toString('hex');
  readonly #ids: string[] = [];
  readonly #stop = new AbortController();
  readonly #signal: AbortSignal;
  #pending: Buffer[] = [];
  #pendingBytes = 0;
  #staged = 0;
  #done = false;

  constructor(
    private readonly host: AzureUploadHost,
    private readonly blob: BlockBlobClient,
    private readonly key: string,
    signal: AbortSignal | undefined,
  ) {
    this.tempPath = `${host.at(key)} (uncommitted blocks)`;
    this.#signal = signal === undefined ? this.#stop.signal : AbortSignal.any([signal, this.#stop.signal]);
  }

  start(_info: MediaStart): Promise<void> {
    // The content type is set with the block list, where the whole blob is made.
    return Promise.resolve();
  }

  async write(chunk: Uint8Array): Promise<void> {
    if (this.#done) throw new Error(`${this.tempPath}: write after commit or abort`);
    this.#pending.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    this.#pendingBytes += chunk.byteLength;
    while (this.#pendingBytes >= BLOCK_SIZE) await this.#stageBlock(BLOCK_SIZE);
  }

  /** Stages the first `size` buffered bytes (all of them when fewer) as the next block. */
  async #stageBlock(size: number): Promise<void> {
    const all = this.#pending.length === 1 ? this.#pending[0]! : Buffer.concat(this.#pending);
    const block = all.subarray(0, Math.min(size, all.length));
    const rest = all.subarray(block.length);
    this.#pending = rest.length > 0 ? [rest] : [];
    this.#pendingBytes = rest.length;
    // Every id of one blob has the same length: a tag and a 6-digit index, base64.
    const id = Buffer.from(`${this.#tag}-${String(this.#ids.length).padStart(6, '0')}`).toString('base64');
    try {
      await this.blob.stageBlock(id, block, block.length, { abortSignal: this.#signal });
    } catch (error) {
      throw this.host.failure(error, 'staging a block of media', this.key, this.#signal);
    }
    this.#ids.push(id);
    this.#staged += block.length;
  }

  async commit(facts: MediaFacts): Promise<void> {
    if (this.#pendingBytes > 0) await this.#stageBlock(this.#pendingBytes);
    this.#done = true;
    if (this.#staged !== facts.bytes)
      throw new ArchiveObjectError(
        'store.sizeMismatch',
        `${this.tempPath} got ${this.#staged} bytes where ${facts.bytes} were hashed; nothing was committed`,
      );
    try {
      await this.blob.commitBlockList(this.#ids, {
        metadata: { sha256: facts.sha256 },
        blobHTTPHeaders: { blobContentType: facts.contentType },
        ...(this.host.tier === undefined ? {} : { tier: this.host.tier }),
        abortSignal: this.#signal,
      });
    } catch (error) {
      throw this.host.failure(error, 'committing media', this.key, this.#signal);
    }
    // Confirmed only when read back: the size hashed and the sha256 recorded (SPEC §7 Keys).
    const seen = await this.host.head(this.key, this.#signal);
    if (seen === undefined || seen.size !== facts.bytes || seen.sha256 !== facts.sha256) {
      await this.host.removeUnfinished(this.key, this.#signal);
      throw new ArchiveObjectError(
        'store.unconfirmed',
        `${this.host.at(this.key)} reads back as ${seen === undefined ? 'absent' : `${seen.size} bytes, sha256 ${seen.sha256 ?? 'none'}`} where ${facts.bytes} bytes with sha256 ${facts.sha256} were uploaded`,
      );
    }
  }

  abort(): Promise<void> {
    // Uncommitted blocks are invisible and expire by themselves: there is nothing to delete.
    this.#done = true;
    this.#pending = [];
    this.#pendingBytes = 0;
    this.#stop.abort(new Error('upload aborted'));
    return Promise.resolve();
  }
}
