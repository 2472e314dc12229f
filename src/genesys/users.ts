/**
 * User details for CDR participants (SPEC §4.4): the bulk users call (`GET /api/v2/users?id=a,b&
 * state=any`, at most 100 ids, page size at least the number of ids) behind the lookup cache
 * (`lookup-cache.ts`) under `work/` that lives `userCacheLifetimeMinutes` across runs. Users Genesys
 * does not return are cached as unknown too, so a deleted agent costs one lookup per lifetime.
 */
import type { ApiClient } from './api-client.js';
import { signalOf, type CallOptions } from './analytics.js';
import { GenesysApiError } from './errors.js';
import { LookupCache, type LookupCacheOptions } from './lookup-cache.js';
import type { UserInfo } from './types.js';

export const USERS_MAX_IDS = 100;

export type UsersOptions = LookupCacheOptions;

function pick(raw: Record<string, unknown>): UserInfo | undefined {
  if (typeof raw.id !== 'string') return undefined;
  const user: UserInfo = { id: raw.id };
  for (const key of ['name', 'email', 'department', 'title', 'state'] as const) {
    const v = raw[key];
    if (typeof v === 'string' && v !== '') user[key] = v;
  }
  return user;
}

function isUser(value: unknown): value is UserInfo {
  return typeof value === 'object' && value !== null && typeof (value as UserInfo).id === 'string';
}

/** Resolves user ids to details, from the cache where fresh, else from Genesys. */
export class UsersApi {
  readonly #api: ApiClient;
  readonly #cache: LookupCache<UserInfo>;

  constructor(api: ApiClient, options: UsersOptions) {
    this.#api = api;
    this.#cache = new LookupCache(options, 'users', isUser);
  }

  /**
   * Details of every id Genesys knows. Ids it cannot resolve are absent from the map. An item-level
   * failure (GenesysApiError) leaves the affected ids out rather than failing: media is never held
   * back for user details (SPEC §3.5). Run-level failures (RemoteError) are thrown.
   */
  getUsers(ids: readonly string[], options: CallOptions = {}): Promise<Map<string, UserInfo>> {
    return this.#cache.get(ids, USERS_MAX_IDS, (chunk) => this.#fetch(chunk, options));
  }

  async #fetch(ids: string[], options: CallOptions): Promise<Map<string, UserInfo | null>> {
    let raw: unknown[];
    try {
      const res = await this.#api.call<{ entities?: unknown[] }>({
        method: 'GET',
        path: '/api/v2/users',
        query: { id: ids, state: 'any', pageSize: Math.max(ids.length, 25) },
        ...signalOf(options),
      });
      raw = Array.isArray(res.body?.entities) ? res.body.entities : [];
    } catch (error) {
      if (error instanceof GenesysApiError) return new Map();
      throw error;
    }
    const learned = new Map<string, UserInfo | null>();
    for (const item of raw) {
      if (item === null || typeof item !== 'object') continue;
      const user = pick(item as Record<string, unknown>);
      if (user !== undefined) learned.set(user.id, user);
    }
    for (const id of ids) if (!learned.has(id)) learned.set(id, null);
    return learned;
  }
}
