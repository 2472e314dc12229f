/**
 * Signed media URLs, shaped like S3 pre-signed URLs: an opaque object id in the path, and
 * `X-Amz-Date`, `X-Amz-Expires` and an HMAC `X-Amz-Signature` in the query. The media listener
 * checks them; nothing else authorises a download.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { MediaFormat } from './model.js';

/** What a media object id stands for. */
export interface MediaTarget {
  readonly conversationId: string;
  readonly recordingId: string;
  readonly format: MediaFormat;
  readonly key: string;
}

/** Result of checking a media request's URL. */
export type MediaUrlCheck =
  | { ok: true; target: MediaTarget }
  | { ok: false; reason: 'expired'; expiresAt: number }
  | { ok: false; reason: 'badSignature' | 'malformed' | 'unknown' };

function amzDate(ms: number): string {
  return new Date(ms)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
}

function parseAmzDate(text: string): number | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(text);
  if (!m) return undefined;
  return Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]));
}

const RECENT_SIGNATURES = 10_000;

/** Issues and checks signed URLs for one simulator. */
export class MediaUrlSigner {
  private readonly secret = randomBytes(32);
  private readonly objects = new Map<string, MediaTarget>();
  private readonly byTarget = new Map<string, string>();
  /** The latest signatures handed out (bounded), for tests that scan output for them. */
  private readonly recent: string[] = [];

  /** `base` is the media listener's origin, e.g. `https://localhost:4431`. */
  constructor(private readonly base: string) {}

  /**
   * A URL for `target`, valid `ttlSeconds` from `signedAt`. The object id is stable per target
   * (like an S3 key), the query changes with every signing.
   */
  sign(target: MediaTarget, signedAt: number, ttlSeconds: number): string {
    const targetKey = `${target.recordingId}|${target.format}|${target.key}`;
    let id = this.byTarget.get(targetKey);
    if (id === undefined) {
      id = randomBytes(16).toString('hex');
      this.byTarget.set(targetKey, id);
      this.objects.set(id, target);
    }
    const date = amzDate(signedAt);
    const expires = String(Math.max(1, Math.round(ttlSeconds)));
    const signature = this.signature(id, date, expires);
    this.recent.push(signature);
    if (this.recent.length > RECENT_SIGNATURES) this.recent.splice(0, this.recent.length - RECENT_SIGNATURES);
    const query = new URLSearchParams({
      'X-Amz-Algorithm': 'AWS4-HMAC-SHA256',
      'X-Amz-Date': date,
      'X-Amz-Expires': expires,
      'X-Amz-SignedHeaders': 'host',
      'X-Amz-Signature': signature,
    });
    return `${this.base}/recordings/${id}?${query.toString()}`;
  }

  /** The signatures of the latest URLs issued (at most 10,000), oldest first. */
  issuedSignatures(): readonly string[] {
    return this.recent;
  }

  /** Checks a request path and query (as received) at time `now`. */
  check(pathname: string, query: URLSearchParams, now: number): MediaUrlCheck {
    const match = /^\/recordings\/([0-9a-f]{32})$/.exec(pathname);
    const date = query.get('X-Amz-Date');
    const expires = query.get('X-Amz-Expires');
    const signature = query.get('X-Amz-Signature');
    if (!match?.[1] || date === null || expires === null || signature === null)
      return { ok: false, reason: 'malformed' };
    const id = match[1];
    const expected = Buffer.from(this.signature(id, date, expires), 'hex');
    const given = Buffer.from(signature, 'hex');
    if (given.length !== expected.length || !timingSafeEqual(given, expected))
      return { ok: false, reason: 'badSignature' };
    const signedAt = parseAmzDate(date);
    if (signedAt === undefined || !/^\d+$/.test(expires)) return { ok: false, reason: 'malformed' };
    const expiresAt = signedAt + Number(expires) * 1000;
    if (now >= expiresAt) return { ok: false, reason: 'expired', expiresAt };
    const target = this.objects.get(id);
    return target ? { ok: true, target } : { ok: false, reason: 'unknown' };
  }

  private signature(id: string, date: string, expires: string): string {
    return createHmac('sha256', this.secret).update(`${id}\n${date}\n${expires}`).digest('hex');
  }
}
