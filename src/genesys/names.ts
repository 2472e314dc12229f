/**
 * Queue and wrap-up code names for the CDR (SPEC §3.5), looked up one id at a time and kept in the
 * lookup cache (`lookup-cache.ts`) for `userCacheLifetimeMinutes`, like user details:
 *  - `GET /api/v2/routing/queues/{queueId}` → `Queue` (`id`, `name`), permission `routing:queue:view`;
 *  - `GET /api/v2/routing/wrapupcodes/{codeId}` → `WrapupCode` (`id`, `name`), permission
 *    `routing:wrapupCode:view`.
 * Paths, permissions and the `name` field are as the Platform API client SDKs document them
 * (RoutingApi `getRoutingQueue`, `getRoutingWrapupcode`). UNCONFIRMED: the status for an id
 * Genesys does not know (404 `not.found` is assumed; a 400 for a malformed id is treated alike), and
 * whether system wrap-up codes such as `ININ-WRAP-UP-TIMEOUT` can be read this way (if not, they stay
 * ids only). The bulk forms (`GET /api/v2/routing/queues?id=…`) are not used: the cache keeps the
 * request count to one per queue or code per lifetime, which is a handful per organisation.
 */
import type { ApiClient } from './api-client.js';
import { signalOf, type CallOptions } from './analytics.js';
import { GenesysApiError } from './errors.js';
import { LookupCache, type LookupCacheOptions } from './lookup-cache.js';

export type NameKind = 'queue' | 'wrapUpCode';

/** Where each kind is looked up, and the permission the OAuth client's role needs for it. */
export const NAME_LOOKUPS: Readonly<Record<NameKind, { path: string; permission: string; label: string }>> = {
  queue: { path: '/api/v2/routing/queues/', permission: 'routing:queue:view', label: 'queue' },
  wrapUpCode: {
    path: '/api/v2/routing/wrapupcodes/',
    permission: 'routing:wrapupCode:view',
    label: 'wrap-up code',
  },
};

/** Longest id sent to Genesys; a longer one is not a Genesys id and stays an id only. */
const MAX_ID_LENGTH = 128;

const isName = (value: unknown): value is string => typeof value === 'string' && value !== '';

/** Names of one kind (queues or wrap-up codes) by id. */
export class NamesApi {
  readonly kind: NameKind;
  readonly #api: ApiClient;
  readonly #cache: LookupCache<string>;

  constructor(api: ApiClient, kind: NameKind, options: LookupCacheOptions) {
    this.kind = kind;
    this.#api = api;
    this.#cache = new LookupCache(options, kind === 'queue' ? 'queues' : 'wrapUpCodes', isName);
  }

  /** The permission its lookups need. */
  get permission(): string {
    return NAME_LOOKUPS[this.kind].permission;
  }

  /**
   * The names of the ids Genesys knows, from the cache where fresh. An id Genesys does not know
   * (404, or 400 for a malformed id) is cached as unknown and left out. Any other failure — 403
   * `missing.permissions` (a RemoteError), other 4xx, 5xx or the network — is thrown: the caller
   * decides to go on with ids only.
   */
  getNames(ids: readonly string[], options: CallOptions = {}): Promise<Map<string, string>> {
    const asked = ids.filter((id) => id !== '' && id.length <= MAX_ID_LENGTH);
    return this.#cache.get(asked, 1, (one) => this.#fetch(one[0]!, options));
  }

  /** The fresh cached names of `ids`, without asking Genesys. */
  cachedNames(ids: readonly string[]): Promise<Map<string, string>> {
    return this.#cache.cached(ids);
  }

  async #fetch(id: string, options: CallOptions): Promise<Map<string, string | null>> {
    try {
      const res = await this.#api.call<{ id?: unknown; name?: unknown }>({
        method: 'GET',
        path: `${NAME_LOOKUPS[this.kind].path}${encodeURIComponent(id)}`,
        ...signalOf(options),
      });
      const name = res.body?.name;
      return new Map([[id, isName(name) ? name : null]]);
    } catch (error) {
      if (error instanceof GenesysApiError && (error.status === 404 || error.status === 400))
        return new Map([[id, null]]);
      throw error;
    }
  }
}
