/**
 * The API listener's building blocks: the shared simulator context, Genesys `ErrorBody` errors,
 * and a small route table with per-route permissions.
 */
import { randomUUID } from 'node:crypto';
import type { TokenInfo, TokenStore } from './auth.js';
import type { MediaUrlSigner } from './media-urls.js';
import type { ResolvedOptions } from './options.js';
import type { SimOrg } from './org-store.js';

/** State shared by every route handler of one simulator. */
export interface SimContext {
  readonly options: ResolvedOptions;
  readonly org: SimOrg;
  readonly tokens: TokenStore;
  readonly mediaUrls: MediaUrlSigner;
  /** Aborted when the simulator closes (ends waits). */
  readonly signal: AbortSignal;
  now(): number;
}

/** A parsed API request. */
export interface ApiRequest {
  readonly method: string;
  readonly path: string;
  readonly query: URLSearchParams;
  readonly params: Readonly<Record<string, string>>;
  /** Parsed JSON body; undefined when there was none. */
  readonly body: unknown;
  readonly token: TokenInfo;
}

/** What a handler answers; `body` is serialised as JSON (empty when undefined). */
export interface ApiResponse {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

/** A route handler. Throw `ApiError` for error responses. */
export type ApiHandler = (req: ApiRequest, ctx: SimContext) => ApiResponse | Promise<ApiResponse>;

/** Permissions a route needs: all of `all`, and at least one of `any` when given. */
export interface RoutePermissions {
  all?: readonly string[];
  any?: readonly string[];
}

/** One API route. `pattern` uses `{name}` for a path parameter, e.g. `/api/v2/users/{id}`. */
export interface Route {
  method: string;
  pattern: string;
  permissions?: RoutePermissions;
  handler: ApiHandler;
}

/** An error answered as Genesys' `ErrorBody`. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/** Genesys `ErrorBody` (genesys-api.md §12); `details` and `errors` are always present, empty. */
export function errorBody(status: number, code: string, message: string): Record<string, unknown> {
  return { message, code, status, contextId: randomUUID(), details: [], errors: [] };
}

/** 400 `bad.request`. */
export function badRequest(message: string, code = 'bad.request'): ApiError {
  return new ApiError(400, code, message);
}

/** 404 `not.found` (or a more specific code). */
export function notFound(message = 'The requested resource was not found.', code = 'not.found'): ApiError {
  return new ApiError(404, code, message);
}

/** The permissions `token` lacks for `permissions`; empty when it may go on. */
export function missingPermissions(token: TokenInfo, permissions: RoutePermissions | undefined): string[] {
  if (!permissions) return [];
  const missing = (permissions.all ?? []).filter((p) => !token.permissions.has(p));
  const any = permissions.any ?? [];
  if (any.length > 0 && !any.some((p) => token.permissions.has(p))) missing.push(...any);
  return missing;
}

/** 403 `missing.permissions` naming what is missing. */
export function permissionError(missing: string[]): ApiError {
  return new ApiError(
    403,
    'missing.permissions',
    `Unable to perform the requested action. You are missing the following permission(s): ${missing.join(', ')}`,
  );
}

interface CompiledRoute {
  route: Route;
  regex: RegExp;
  names: string[];
}

/** Finds the route for a method and path. */
export class Router {
  private readonly compiled: CompiledRoute[];

  constructor(routes: Route[]) {
    this.compiled = routes.map((route) => {
      const names: string[] = [];
      const source = route.pattern
        .split('/')
        .map((part) => {
          const m = /^\{(\w+)\}$/.exec(part);
          if (!m?.[1]) return part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
          names.push(m[1]);
          return '([^/]+)';
        })
        .join('/');
      return { route, regex: new RegExp(`^${source}/?$`), names };
    });
  }

  /** The first route matching `method` and `path`, with its decoded parameters. */
  match(method: string, path: string): { route: Route; params: Record<string, string> } | undefined {
    for (const { route, regex, names } of this.compiled) {
      if (route.method !== method) continue;
      const m = regex.exec(path);
      if (!m) continue;
      const params: Record<string, string> = {};
      names.forEach((name, i) => {
        params[name] = decodeURIComponent(m[i + 1] ?? '');
      });
      return { route, params };
    }
    return undefined;
  }
}
