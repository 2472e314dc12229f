/**
 * Users (genesys-api.md §11): single and bulk reads, with `state` deciding whether deleted users
 * are found; and the token-info calls (`/api/v2/tokens/me`).
 */
import {
  badRequest,
  notFound,
  type ApiRequest,
  type ApiResponse,
  type Route,
  type SimContext,
} from './api-core.js';
import { intParam, listParam } from './http-util.js';
import type { SimUser } from './model.js';

const MAX_PAGE_SIZE = 500;

function userJson(user: SimUser, ctx: SimContext): Record<string, unknown> {
  const division = ctx.org.divisions.find((d) => d.id === user.divisionId);
  return {
    id: user.id,
    name: user.name,
    division: division
      ? { id: division.id, name: division.name, selfUri: `/api/v2/authorization/divisions/${division.id}` }
      : undefined,
    email: user.email,
    username: user.username,
    department: user.department,
    title: user.title,
    state: user.state,
    version: 1,
    selfUri: `/api/v2/users/${user.id}`,
  };
}

function stateMatches(user: SimUser, state: string): boolean {
  return state === 'any' || user.state === state;
}

function one(req: ApiRequest, ctx: SimContext): ApiResponse {
  const state = req.query.get('state') ?? 'active';
  if (state !== 'active' && state !== 'deleted') throw badRequest('state must be active or deleted');
  const user = ctx.org.user(req.params.userId ?? '');
  // An inactive user is still found by the default call; only deleted ones need state=deleted.
  const found = user && (state === 'deleted' ? user.state === 'deleted' : user.state !== 'deleted');
  if (!user || !found) throw notFound('The requested user was not found.');
  return { status: 200, body: userJson(user, ctx) };
}

function bulk(req: ApiRequest, ctx: SimContext): ApiResponse {
  const state = req.query.get('state') ?? 'active';
  if (!['active', 'inactive', 'deleted', 'any'].includes(state))
    throw badRequest('state must be active, inactive, deleted or any');
  const pageSize = intParam(req.query, 'pageSize', 25);
  const pageNumber = intParam(req.query, 'pageNumber', 1);
  if (pageSize === undefined || pageSize < 1 || pageSize > MAX_PAGE_SIZE)
    throw badRequest(`pageSize must be 1..${MAX_PAGE_SIZE}`);
  if (pageNumber === undefined || pageNumber < 1) throw badRequest('pageNumber must be 1 or more');
  const ids = listParam(req.query, 'id');
  const candidates = ids.length > 0 ? ids.map((id) => ctx.org.user(id)) : [...ctx.org.users.values()];
  const seen = new Set<string>();
  const matching = candidates.filter((u): u is SimUser => {
    if (!u || seen.has(u.id) || !stateMatches(u, state)) return false;
    seen.add(u.id);
    return true;
  });
  const descending = req.query.get('sortOrder')?.toLowerCase().startsWith('desc') === true;
  matching.sort((a, b) => a.name.localeCompare(b.name) * (descending ? -1 : 1) || (a.id < b.id ? -1 : 1));
  const page = matching.slice((pageNumber - 1) * pageSize, pageNumber * pageSize);
  return {
    status: 200,
    body: {
      entities: page.map((u) => userJson(u, ctx)),
      pageSize,
      pageNumber,
      total: matching.length,
      pageCount: Math.ceil(matching.length / pageSize),
      selfUri: `/api/v2/users?pageSize=${pageSize}&pageNumber=${pageNumber}`,
    },
  };
}

function tokenInfo(req: ApiRequest, ctx: SimContext): ApiResponse {
  return {
    status: 200,
    body: {
      organization: { id: ctx.org.id, name: ctx.org.name },
      homeOrganization: { id: ctx.org.id, name: ctx.org.name },
      OAuthClient: { id: req.token.clientId, name: req.token.clientId },
      dateTokenIdles: new Date(req.token.expiresAt).toISOString(),
    },
  };
}

/** The user and token routes (no permissions needed, as in Genesys). */
export function userRoutes(): Route[] {
  return [
    { method: 'GET', pattern: '/api/v2/users', handler: bulk },
    { method: 'GET', pattern: '/api/v2/users/{userId}', handler: one },
    { method: 'GET', pattern: '/api/v2/tokens/me', handler: tokenInfo },
    {
      method: 'DELETE',
      pattern: '/api/v2/tokens/me',
      handler: (req, ctx) => {
        ctx.tokens.revoke(req.token.token);
        return { status: 204 };
      },
    },
  ];
}
