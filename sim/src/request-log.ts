/** The simulator's request log and counters (`sim.log`, `sim.counts()`). */
import type { ListenerName } from './http-util.js';

/** One request as the simulator saw it. */
export interface RequestLogEntry {
  /** 1-based arrival order across all listeners. */
  readonly seq: number;
  /** Simulator time (epoch ms) when the request arrived. */
  readonly time: number;
  readonly listener: ListenerName;
  readonly method: string;
  /** Path and query; media URLs without their signature. */
  readonly path: string;
  /** Route pattern matched on the API listener, e.g. `GET /api/v2/users/{id}`. */
  route?: string;
  /** OAuth client of the bearer token, when there was a valid one. */
  clientId?: string;
  /** Status sent; 0 when the connection was closed before a status line. */
  status: number;
  /** Kind of fault injected into this request, if any. */
  fault?: string;
}

/** Request counts per listener, 429s from the rate limiter, and requests per API route. */
export interface SimCounts {
  auth: number;
  api: number;
  media: number;
  rateLimited: number;
  byRoute: Record<string, number>;
  /** Media body bytes handed to the sockets (what the media host served, aborted downloads included). */
  mediaBytes: number;
}

/** Keeps the log (bounded) and the counters (never reset by the bound). */
export class RequestLog {
  readonly entries: RequestLogEntry[] = [];
  private seq = 0;
  private readonly totals: SimCounts = {
    auth: 0,
    api: 0,
    media: 0,
    rateLimited: 0,
    byRoute: {},
    mediaBytes: 0,
  };

  constructor(private readonly limit: number) {}

  /** Records an arriving request; the caller fills in status, route and the rest later. */
  start(listener: ListenerName, method: string, path: string, time: number): RequestLogEntry {
    const entry: RequestLogEntry = { seq: ++this.seq, time, listener, method, path, status: 0 };
    this.totals[listener]++;
    this.entries.push(entry);
    if (this.entries.length > this.limit) this.entries.splice(0, this.entries.length - this.limit);
    return entry;
  }

  /** Counts a request against its route. */
  route(entry: RequestLogEntry, route: string): void {
    entry.route = route;
    this.totals.byRoute[route] = (this.totals.byRoute[route] ?? 0) + 1;
  }

  rateLimited(): void {
    this.totals.rateLimited++;
  }

  /** Counts media body bytes as they are written. */
  mediaBytesSent(bytes: number): void {
    this.totals.mediaBytes += bytes;
  }

  /** A copy of the counters. */
  counts(): SimCounts {
    return { ...this.totals, byRoute: { ...this.totals.byRoute } };
  }
}

/** Removes the signature from a media URL path for the log (it is a credential). */
export function stripSignature(pathAndQuery: string): string {
  const q = pathAndQuery.indexOf('?');
  if (q < 0) return pathAndQuery;
  const params = new URLSearchParams(pathAndQuery.slice(q + 1));
  params.delete('X-Amz-Signature');
  const rest = params.toString();
  return rest.length > 0 ? `${pathAndQuery.slice(0, q)}?${rest}` : pathAndQuery.slice(0, q);
}
