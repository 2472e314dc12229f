/**
 * What the CDR looks up in Genesys by id — user details (SPEC §4.4), queue and wrap-up code names —
 * kept in memory and, given a file, on disk under `work/` across runs for `lifetimeMinutes`
 * (`userCacheLifetimeMinutes`). An id Genesys does not know is cached as unknown too, so it costs one
 * lookup per lifetime, not one per recording. Concurrent lookups of one id share one request.
 */
import { readIfExists, writeFileAtomic } from '../util/atomic.js';

export interface LookupCacheOptions {
  /** Cache file; undefined keeps the cache in memory only (`verify` writes nothing). */
  readonly file: string | undefined;
  readonly lifetimeMinutes: number;
  readonly now?: () => number;
}

interface Entry<T> {
  /** When it was fetched (epoch ms). */
  at: number;
  /** Null: Genesys does not know this id. */
  value: T | null;
}

/**
 * Fetches some of `ids` from Genesys: a value for each it found, null for each Genesys says it does
 * not know; ids left out stay uncached (asked again next time). A thrown error reaches the caller.
 */
export type LookupFetch<T> = (ids: string[]) => Promise<ReadonlyMap<string, T | null>>;

/** Cache file format version; a file of another version is ignored (it only costs lookups). */
const FORMAT = 2;

export class LookupCache<T> {
  readonly #options: LookupCacheOptions;
  readonly #section: string;
  readonly #isValue: (value: unknown) => value is T;
  readonly #now: () => number;
  #entries: Map<string, Entry<T>> | undefined;
  readonly #inflight = new Map<string, Promise<void>>();
  #saving: Promise<void> = Promise.resolve();

  /** `section` names what the file holds (`{"v": 2, "<section>": {id: {at, value}}}`). */
  constructor(options: LookupCacheOptions, section: string, isValue: (value: unknown) => value is T) {
    this.#options = options;
    this.#section = section;
    this.#isValue = isValue;
    this.#now = options.now ?? Date.now;
  }

  /**
   * The values of the ids that are known: fresh ones from the cache, the others through `fetch`,
   * at most `chunk` ids a call. Unknown ids are absent from the map.
   */
  async get(ids: readonly string[], chunk: number, fetch: LookupFetch<T>): Promise<Map<string, T>> {
    const entries = await this.#load();
    const unique = [...new Set(ids)];
    const missing = unique.filter((id) => !this.#fresh(entries.get(id)) && !this.#inflight.has(id));
    for (let i = 0; i < missing.length; i += chunk) {
      const part = missing.slice(i, i + chunk);
      const job = this.#fetch(part, fetch).finally(() => {
        for (const id of part) this.#inflight.delete(id);
      });
      for (const id of part) this.#inflight.set(id, job);
    }
    await Promise.all(unique.map((id) => this.#inflight.get(id)).filter((p) => p !== undefined));
    return this.#known(entries, unique);
  }

  /** The fresh cached values of `ids`, without asking Genesys. */
  async cached(ids: readonly string[]): Promise<Map<string, T>> {
    const entries = await this.#load();
    return this.#known(
      entries,
      ids.filter((id) => this.#fresh(entries.get(id))),
    );
  }

  #known(entries: Map<string, Entry<T>>, ids: readonly string[]): Map<string, T> {
    const out = new Map<string, T>();
    for (const id of ids) {
      const value = entries.get(id)?.value;
      if (value !== undefined && value !== null) out.set(id, value);
    }
    return out;
  }

  #fresh(entry: Entry<T> | undefined): boolean {
    if (entry === undefined) return false;
    const age = this.#now() - entry.at;
    return age >= 0 && age < this.#options.lifetimeMinutes * 60_000;
  }

  async #fetch(ids: string[], fetch: LookupFetch<T>): Promise<void> {
    const entries = await this.#load();
    const learned = await fetch(ids);
    if (learned.size === 0) return;
    const at = this.#now();
    for (const [id, value] of learned) entries.set(id, { at, value });
    await this.#save();
  }

  async #load(): Promise<Map<string, Entry<T>>> {
    if (this.#entries !== undefined) return this.#entries;
    const entries = new Map<string, Entry<T>>();
    if (this.#options.file !== undefined) {
      try {
        const raw = await readIfExists(this.#options.file);
        const parsed =
          raw === undefined ? undefined : (JSON.parse(raw.toString('utf8')) as Record<string, unknown>);
        const stored = parsed?.[this.#section] as Record<string, Entry<T>> | undefined;
        if (parsed?.v === FORMAT && typeof stored === 'object' && stored !== null) {
          for (const [id, entry] of Object.entries(stored)) {
            if (typeof entry?.at === 'number' && (entry.value === null || this.#isValue(entry.value)))
              entries.set(id, { at: entry.at, value: entry.value });
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
      const out: Record<string, Entry<T>> = {};
      for (const [id, entry] of this.#entries ?? []) if (this.#fresh(entry)) out[id] = entry;
      await writeFileAtomic(file, `${JSON.stringify({ v: FORMAT, [this.#section]: out })}\n`);
    });
    this.#saving = next.catch(() => undefined);
    await next;
  }
}
