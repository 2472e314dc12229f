/**
 * What every listener does first: log the request, stamp the (possibly skewed) `Date` header, and
 * apply request-level faults (delay, hold, hang-up). Returns what is left for the listener to do.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SimContext } from './api-core.js';
import type { BodyFault, FaultAction, FaultInjector } from './faults.js';
import { isBodyFault } from './faults.js';
import { sleep, type ListenerName } from './http-util.js';
import { stripSignature, type RequestLog, type RequestLogEntry } from './request-log.js';

/** What the listeners share. */
export interface ListenerDeps {
  readonly ctx: SimContext;
  readonly faults: FaultInjector;
  readonly log: RequestLog;
}

/** A request after the common prelude. */
export interface Prelude {
  readonly entry: RequestLogEntry;
  readonly url: URL;
  /** A status or media fault the listener must answer with. */
  readonly replace:
    Exclude<FaultAction, BodyFault | { kind: 'delay' } | { kind: 'hold' } | { kind: 'hangup' }> | undefined;
  /** A body fault for the real response. */
  readonly bodyFault: BodyFault | undefined;
}

/** Runs the prelude; undefined when the request was already dealt with (hung up). */
export async function prelude(
  listener: ListenerName,
  req: IncomingMessage,
  res: ServerResponse,
  deps: ListenerDeps,
): Promise<Prelude | undefined> {
  const { ctx, faults, log } = deps;
  const url = new URL(req.url ?? '/', 'https://simulator.invalid');
  const method = req.method ?? 'GET';
  const shownPath =
    listener === 'media' ? stripSignature(url.pathname + url.search) : url.pathname + url.search;
  const entry = log.start(listener, method, shownPath, ctx.now());
  // Record the status when it is sent: a client can have the whole response before 'close' fires.
  const writeHead = res.writeHead.bind(res);
  res.writeHead = ((...args: Parameters<typeof writeHead>) => {
    entry.status = args[0];
    return writeHead(...args);
  }) as typeof res.writeHead;
  res.setHeader('Date', new Date(ctx.now() + ctx.options.clockSkewMs).toUTCString());
  let action = faults.take(listener, method, url.pathname);
  if (action) entry.fault = action.kind;
  if (action?.kind === 'delay') {
    await sleep(action.ms, ctx.signal);
    action = undefined;
  }
  if (action?.kind === 'hold') {
    await heldUntil(action.until, ctx.signal);
    action = undefined;
  }
  if (action?.kind === 'hangup') {
    req.socket.destroy();
    return undefined;
  }
  if (isBodyFault(action)) return { entry, url, replace: undefined, bodyFault: action };
  return { entry, url, replace: action, bodyFault: undefined };
}

/** Resolves when `until` settles, or at once when the simulator closes. */
function heldUntil(until: Promise<unknown>, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      signal.removeEventListener('abort', done);
      resolve();
    };
    signal.addEventListener('abort', done, { once: true });
    until.then(done, done);
  });
}

/** A short text for a status code, for injected errors. */
export function statusCode(status: number): { code: string; message: string } {
  switch (status) {
    case 429:
      return { code: 'too.many.requests.retry.after', message: '' };
    case 500:
      return {
        code: 'internal.server.error',
        message:
          'The server encountered an unexpected condition which prevented it from fulfilling the request.',
      };
    case 502:
      return { code: 'bad.gateway', message: 'Bad Gateway' };
    case 503:
      return {
        code: 'service.unavailable',
        message:
          'Service Unavailable - The server is currently unavailable (because it is overloaded or down for maintenance).',
      };
    case 504:
      return { code: 'request.timeout', message: 'The request timed out.' };
    default:
      return { code: 'simulated.error', message: `Simulated error ${status}` };
  }
}

/** The Genesys 429 message, with the seconds in brackets as Genesys writes them. */
export function rateLimitMessage(seconds: number): string {
  return `Rate limit exceeded the maximum. Retry the request in [${seconds}] seconds`;
}
