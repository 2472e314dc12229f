/** Small HTTP helpers shared by the simulator's listeners. */
import type { IncomingMessage } from 'node:http';

/** The three listeners, like Genesys' three hosts: login, API and the media store. */
export type ListenerName = 'auth' | 'api' | 'media';

/** Genesys' `request.bytes.max` (genesys-api.md §12). */
export const MAX_REQUEST_BYTES = 512_000;

/** Thrown by `readBody` when the request is larger than the limit. */
export class BodyTooLargeError extends Error {}

/** Reads a request body (up to `limit` bytes). */
export async function readBody(req: IncomingMessage, limit = MAX_REQUEST_BYTES): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw new BodyTooLargeError(`request body over ${limit} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/**
 * Drops null, undefined, empty arrays and empty objects, recursively: Genesys omits empty fields,
 * and clients must cope with that (genesys-api.md §15.11).
 */
export function compact(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(compact);
  if (value !== null && typeof value === 'object' && !(value instanceof Date)) {
    const out: Record<string, unknown> = {};
    for (const [key, field] of Object.entries(value)) {
      if (field === null || field === undefined) continue;
      const inner = compact(field);
      if (Array.isArray(inner) && inner.length === 0) continue;
      if (
        inner !== null &&
        typeof inner === 'object' &&
        !Array.isArray(inner) &&
        Object.keys(inner).length === 0
      )
        continue;
      out[key] = inner;
    }
    return out;
  }
  return value;
}

/** ISO-8601 UTC with milliseconds, as Genesys writes times. */
export function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/** Parses an ISO-8601 interval `start/end` (both full date-times). */
export function parseInterval(text: unknown): { from: number; to: number } | undefined {
  if (typeof text !== 'string') return undefined;
  const parts = text.split('/');
  if (parts.length !== 2) return undefined;
  const [a, b] = parts as [string, string];
  const dateTime = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/;
  if (!dateTime.test(a) || !dateTime.test(b)) return undefined;
  const from = Date.parse(a);
  const to = Date.parse(b);
  if (!Number.isFinite(from) || !Number.isFinite(to) || to <= from) return undefined;
  return { from, to };
}

/** Sleeps `ms`, or less when `signal` aborts (the simulator is closing). */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (ms <= 0 || signal?.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** Values of a query parameter, accepting both `id=a,b` and repeated `id=a&id=b`. */
export function listParam(params: URLSearchParams, name: string): string[] {
  return params
    .getAll(name)
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter((v) => v.length > 0);
}

/** An integer query parameter; `fallback` when absent; undefined when present but not an integer. */
export function intParam(params: URLSearchParams, name: string, fallback: number): number | undefined {
  const raw = params.get(name);
  if (raw === null || raw === '') return fallback;
  return /^-?\d+$/.test(raw) ? Number(raw) : undefined;
}
