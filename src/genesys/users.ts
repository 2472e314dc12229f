/**
 * User details for CDR participants (SPEC §4.4): the bulk users call (`GET /api/v2/users?id=a,b&
 * state=any`, at most 100 ids, page size at least the number of ids) behind an on-disk cache under
 * `work/` that lives `userCacheLifetimeMinutes` across runs. Users Genesys does not return are
 * cached as unknown too, so a deleted agent costs one lookup per lifetime, not one per recording.
 */
import { readIfExists, writeFileAtomic } from '../util/atomic.js';
import type { ApiClient } from './api-client.js';
import { signalOf, type CallOptions } from './analytics.js';
import { GenesysApiError } from './errors.js';
import type { UserInfo } from './types.js';

export const USERS_MAX_IDS = 100;

interface Entry {
  /** When it was fetched (epoch ms). */
  at: number;
  /** Null: Genesys does not know this id. */
  user: UserInfo | null;
}

export interface UsersOptions {
  /** Cache file; undefined keeps the cache in memory only. */
  readonly file: string | undefined;
  readonly lifetimeMinutes: number;
  readonly now?: () => number;
}

function pick(raw: Record<string, unknown>): UserInfo | undefined {
  if (typeof raw.id !== 'string') return undefined;
  const user: UserInfo = { id: raw.id };
  for (const key of ['name', 'email', 'department', 'title', 'state'] as const) {
    const v = raw[key];
    if (typeof v === 'string' && v !== '') user[key] = v;
  }
  return user;
}

/** Resolves user ids to details, from the cache where fresh, else from Genesys. */
export class UsersApi {
  readonly #api: ApiClient;
  readonly #options: UsersOptions;
  readonly #now: () => number;
  #entries: Map<string, Entry> | undefined;
  readonly #inflight = new Map<string, Promise<void>>();
  #saving: Promise<void> = Promise.resolve();

  constructor(api: ApiClient, options: UsersOptions) {
    this.#api = api;
    this.#options = options;
    this.#now = options.now ?? Date.now;
  }

  /**
   * Details of every id Genesys knows. Ids it cannot resolve are absent from the map. An item-level
   * failure (GenesysApiError) leaves the affected ids out rather than failing: media is never held
   * back for user details (SPEC §3.5). Run-level failures (RemoteError) are thrown.
   */
  async getUsers(ids: readonly string[], options: CallOptions = {}): Promise<Map<string, UserInfo>> {
    const entries = await this.#load();
    const unique = [...new Set(ids)];
    const missing = unique.filter((id) => !this.#fresh(entries.get(id)) && !this.#inflight.has(id));
    for (let i = 0; i < missing.length; i += USERS_MAX_IDS) {
      const chunk = missing.slice(i, i + USERS_MAX_IDS);
      const job = this.#fetch(chunk, options).finally(() => {
        for (const id of chunk) this.#inflight.delete(id);
      });
      for (const id of chunk) this.#inflight.set(id, job);
    }
    await Promise.all(unique.map((id) => this.#inflight.get(id)).filter((p) => p !== undefined));
    const out = new Map<string, UserInfo>();
    for (const id of unique) {
      const user = entries.get(id)?.user;
      if (user) out.set(id, user);
    }
    return out;
  }

  #fresh(entry: Entry | undefined): boolean {
    if (entry === undefined) return false;
    const age = this.#now() - entry.at;
    return age >= 0 && age < this.#options.lifetimeMinutes * 60_000;
  }

  async #fetch(ids: string[], options: CallOptions): Promise<void> {
    const entries = await this.#load();
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
      if (error instanceof GenesysApiError) return;
      throw error;
    }
    const at = this.#now();
    const found = new Set<string>();
    for (const item of raw) {
      if (item === null || typeof item !== 'object') continue;
      const user = pick(item as Record<string, unknown>);
      if (user === undefined) continue;
      entries.set(user.id, { at, user });
      found.add(user.id);
    }
    for (const id of ids) if (!found.has(id)) entries.set(id, { at, user: null });
    await this.#save();
  }

  async #load(): Promise<Map<string, Entry>> {
    if (this.#entries !== undefined) return this.#entries;
    const entries = new Map<string, Entry>();
    if (this.#options.file !== undefined) {
      try {
        const raw = await readIfExists(this.#options.file);
        const parsed =
          raw === undefined
            ? undefined
            : (JSON.parse(raw.toString('utf8')) as { v?: unknown; users?: Record<string, Entry> });
        if (parsed?.v === 1 && parsed.users !== undefined && typeof parsed.users === 'object') {
          for (const [id, entry] of Object.entries(parsed.users)) {
            if (typeof entry?.at === 'number' && (entry.user === null || typeof entry.user?.id === 'string'))
              entries.set(id, entry);
          }
        }
      } catch {
        // An unreadable cache only costs a few lookups.
      }
    }
    this.#entries ??= entries;
    return this.#entries;
  }

  /** Writes the fresh entries (expired ones are dropped), one write at a time. */
  async #save(): Promise<void> {
    const file = this.#options.file;
    if (file === undefined) return;
    const next = this.#saving.then(async () => {
      const users: Record<string, Entry> = {};
      for (const [id, entry] of this.#entries ?? []) if (this.#fresh(entry)) users[id] = entry;
      await writeFileAtomic(file, `${JSON.stringify({ v: 1, users })}\n`);
    });
    this.#saving = next.catch(() => undefined);
    await next;
  }
}
