/**
 * Request handlers of the auth listener (`POST /oauth/token`) and the API listener (`/api/v2/...`):
 * bearer check, per-token rate limit with `inin-ratelimit-*` headers, permissions, JSON in and out,
 * Genesys `ErrorBody` errors, latency and injected faults.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  ApiError,
  errorBody,
  missingPermissions,
  permissionError,
  type ApiResponse,
  type Router,
} from './api-core.js';
import { bearerToken, handleTokenRequest, type TokenInfo } from './auth.js';
import { writeResponse } from './body-writer.js';
import type { BodyFault } from './faults.js';
import { BodyTooLargeError, compact, readBody, sleep } from './http-util.js';
import { prelude, rateLimitMessage, statusCode, type ListenerDeps } from './listener-common.js';
import type { RateLimiter } from './rate-limit.js';

/** What the API listener needs besides the common parts. */
export interface ApiListenerDeps extends ListenerDeps {
  readonly router: Router;
  readonly limiter: RateLimiter;
}

async function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string | number>,
  deps: ListenerDeps,
  fault: BodyFault | undefined,
): Promise<void> {
  const bytes =
    body === undefined || status === 204 ? Buffer.alloc(0) : Buffer.from(JSON.stringify(body), 'utf8');
  await writeResponse(
    res,
    {
      status,
      headers: { 'Content-Type': 'application/json', ...headers },
      chunks: [bytes],
      length: bytes.length,
    },
    { fault, signal: deps.ctx.signal },
  );
}

function errorResponse(error: ApiError): { status: number; body: unknown; headers: Record<string, string> } {
  return {
    status: error.status,
    body: errorBody(error.status, error.code, error.message),
    headers: error.headers,
  };
}

function injectedStatus(
  status: number,
  retryAfterSeconds: number | undefined,
  code: string | undefined,
): ApiError {
  const known = statusCode(status);
  const seconds = retryAfterSeconds ?? 1;
  const message = status === 429 ? rateLimitMessage(seconds) : known.message;
  const headers: Record<string, string> =
    status === 429 || retryAfterSeconds !== undefined ? { 'Retry-After': String(seconds) } : {};
  return new ApiError(status, code ?? known.code, message, headers);
}

/** Handler of the auth listener. */
export function authHandler(deps: ListenerDeps): (req: IncomingMessage, res: ServerResponse) => void {
  const { ctx } = deps;
  return (req, res) => {
    void (async () => {
      const pre = await prelude('auth', req, res, deps);
      if (!pre) return;
      if (pre.replace?.kind === 'status') {
        const err = errorResponse(
          injectedStatus(pre.replace.status, pre.replace.retryAfterSeconds, pre.replace.code),
        );
        return sendJson(res, err.status, err.body, err.headers, deps, undefined);
      }
      if (req.method !== 'POST' || pre.url.pathname !== '/oauth/token') {
        const err = errorResponse(new ApiError(404, 'not.found', 'The requested resource was not found.'));
        return sendJson(res, err.status, err.body, err.headers, deps, pre.bodyFault);
      }
      const body = await readBody(req);
      const result = handleTokenRequest(req, body, ctx.tokens, ctx.options);
      await sendJson(res, result.status, result.body, { 'Cache-Control': 'no-store' }, deps, pre.bodyFault);
    })().catch((error: unknown) => failed(res, error));
  };
}

function failed(res: ServerResponse, error: unknown): void {
  if (error instanceof BodyTooLargeError && !res.headersSent) {
    res.writeHead(413, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify(errorBody(413, 'request.entity.too.large', error.message)));
    return;
  }
  console.error('simulator: request failed', error);
  if (!res.headersSent) {
    res.writeHead(500, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify(errorBody(500, 'internal.server.error', 'simulator error')));
  } else {
    res.destroy();
  }
}

/** Handler of the API listener. */
export function apiHandler(deps: ApiListenerDeps): (req: IncomingMessage, res: ServerResponse) => void {
  const { ctx, router, limiter, log, faults } = deps;
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const pre = await prelude('api', req, res, deps);
    if (!pre) return;
    const method = req.method ?? 'GET';
    const tokenText = bearerToken(req.headers.authorization);
    // Every response carries the rate-limit headers; refused requests show the window uncounted.
    const peek = limiter.peek(tokenText);
    const headers: Record<string, string | number> = {
      'ININ-Correlation-Id': randomUUID(),
      'inin-ratelimit-allowed': peek.limit,
      'inin-ratelimit-count': peek.count,
      'inin-ratelimit-reset': peek.resetSeconds,
    };
    const reply = (r: ApiResponse, fault = pre.bodyFault): Promise<void> =>
      sendJson(res, r.status, r.body, { ...headers, ...r.headers }, deps, fault);
    const fail = (error: ApiError): Promise<void> => reply(errorResponse(error));
    const rawBody = await readBody(req);
    const [min, max] = ctx.options.apiLatencyMs;
    if (max > 0) await sleep(min + Math.random() * (max - min), ctx.signal);
    if (pre.replace?.kind === 'status') {
      return fail(injectedStatus(pre.replace.status, pre.replace.retryAfterSeconds, pre.replace.code));
    }
    const matched = router.match(method, pre.url.pathname);
    if (matched) log.route(pre.entry, `${method} ${matched.route.pattern}`);
    if (faults.shouldRevokeNow()) ctx.tokens.revokeAll();
    if (tokenText === undefined) {
      return fail(
        new ApiError(
          401,
          'authentication.required',
          'No authentication bearer token specified in authorization header.',
        ),
      );
    }
    const token: TokenInfo | undefined = ctx.tokens.lookup(tokenText);
    if (!token || !ctx.tokens.isValid(token)) {
      return fail(new ApiError(401, 'bad.credentials', 'Invalid login credentials.'));
    }
    pre.entry.clientId = token.clientId;
    const rate = limiter.take(token.token);
    headers['inin-ratelimit-allowed'] = rate.limit;
    headers['inin-ratelimit-count'] = rate.count;
    headers['inin-ratelimit-reset'] = rate.resetSeconds;
    if (!rate.allowed) {
      log.rateLimited();
      headers['Retry-After'] = rate.resetSeconds;
      return fail(new ApiError(429, 'too.many.requests.retry.after', rateLimitMessage(rate.resetSeconds)));
    }
    if (!matched) return fail(new ApiError(404, 'not.found', 'The requested resource was not found.'));
    const missing = missingPermissions(token, matched.route.permissions);
    if (missing.length > 0) return fail(permissionError(missing));
    let body: unknown;
    if (rawBody.length > 0) {
      try {
        body = JSON.parse(rawBody.toString('utf8'));
      } catch {
        return fail(
          new ApiError(
            400,
            'bad.request',
            'The request could not be understood by the server due to malformed syntax.',
          ),
        );
      }
    }
    let response: ApiResponse;
    try {
      response = await matched.route.handler(
        { method, path: pre.url.pathname, query: pre.url.searchParams, params: matched.params, body, token },
        ctx,
      );
    } catch (error) {
      if (error instanceof ApiError) return fail(error);
      throw error;
    }
    return reply({ ...response, body: response.body === undefined ? undefined : compact(response.body) });
  };
  return (req, res) => {
    handle(req, res).catch((error: unknown) => failed(res, error));
  };
}
