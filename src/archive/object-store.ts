/**
 * What the object-store targets (S3, Azure Blob) share: the methods of `ArchiveTarget` that follow
 * from `read`, `head` and `prepare` alone, and the socket errors that mean "the store cannot be
 * reached" (each store adds its own error names to them).
 */
import { createHash } from 'node:crypto';
import type { ArchiveTarget } from './target.js';

/** Socket, DNS and TLS error codes: the store is unreachable, not this one object at fault. */
export const SOCKET_ERROR_CODES: readonly string[] = [
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ECONNABORTED',
  // A store whose certificate is not trusted (a missing tls.trustList, a wrong host name) is as
  // unreachable for every object: the run stops (exit 6) rather than fill the retry buffer.
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'ERR_TLS_CERT_ALTNAME_INVALID',
];

type Derived = 'hash' | 'size' | 'exists';

/** Base of a store target: `hash` re-reads the object, `size` and `exists` ask `head`. */
export abstract class ObjectStoreTarget implements Pick<ArchiveTarget, Derived> {
  abstract read(key: string, signal?: AbortSignal): Promise<AsyncIterable<Uint8Array>>;
  abstract head(key: string, signal?: AbortSignal): Promise<{ size: number } | undefined>;
  abstract prepare(signal?: AbortSignal): Promise<void>;

  async hash(key: string, signal?: AbortSignal): Promise<{ sha256: string; size: number }> {
    const hash = createHash('sha256');
    let size = 0;
    for await (const chunk of await this.read(key, signal)) {
      hash.update(chunk);
      size += chunk.length;
    }
    return { sha256: hash.digest('hex'), size };
  }

  async size(key: string, signal?: AbortSignal): Promise<number | undefined> {
    return (await this.head(key, signal))?.size;
  }

  /** The root (`''`) exists when the bucket or container can be reached. */
  async exists(key: string, signal?: AbortSignal): Promise<boolean> {
    if (key === '') {
      await this.prepare(signal);
      return true;
    }
    return (await this.head(key, signal)) !== undefined;
  }
}
