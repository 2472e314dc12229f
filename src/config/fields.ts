/**
 * Field readers for the configuration file. Each takes the raw value and returns the typed value or
 * throws a ConfigError that names the key as written in the file, the file, and what is allowed.
 */
import { DateTime, IANAZone } from 'luxon';
import { ConfigError } from '../errors.js';

export class FieldReader {
  constructor(
    readonly file: string,
    private readonly raw: Record<string, unknown>,
    private readonly prefix = '',
  ) {}

  fail(key: string, problem: string): never {
    throw new ConfigError(`${this.file}: "${this.prefix}${key}" ${problem}`);
  }

  has(key: string): boolean {
    return this.raw[key] !== undefined && this.raw[key] !== null;
  }

  value(key: string): unknown {
    return this.raw[key];
  }

  string(key: string, required: true): string;
  string(key: string, required?: false): string | undefined;
  string(key: string, required = false): string | undefined {
    const v = this.raw[key];
    if (v === undefined || v === null) {
      if (required) this.fail(key, 'is required');
      return undefined;
    }
    if (typeof v !== 'string') this.fail(key, `must be a string, not ${typeName(v)}`);
    if (v.trim() === '') {
      if (required) this.fail(key, 'must not be empty');
      return undefined;
    }
    return v;
  }

  pattern(key: string, re: RegExp, allowed: string): string {
    const v = this.string(key, true);
    if (!re.test(v)) this.fail(key, `must be ${allowed}; got ${JSON.stringify(v)}`);
    return v;
  }

  integer(key: string, options: { min: number; max?: number; fallback?: number }): number {
    const v = this.raw[key];
    if (v === undefined || v === null) {
      if (options.fallback === undefined) this.fail(key, 'is required');
      return options.fallback;
    }
    if (typeof v !== 'number' || !Number.isInteger(v))
      this.fail(key, `must be a whole number, not ${JSON.stringify(v)}`);
    if (v < options.min) this.fail(key, `must be at least ${options.min}; got ${v}`);
    if (options.max !== undefined && v > options.max)
      this.fail(key, `must be at most ${options.max}; got ${v}`);
    return v;
  }

  boolean(key: string, fallback: boolean): boolean {
    const v = this.raw[key];
    if (v === undefined || v === null) return fallback;
    if (typeof v !== 'boolean') this.fail(key, `must be true or false, not ${JSON.stringify(v)}`);
    return v;
  }

  oneOf<T extends string>(key: string, choices: readonly T[]): T {
    const v = this.string(key, true);
    if (!(choices as readonly string[]).includes(v)) {
      this.fail(key, `must be one of ${choices.join(', ')}; got ${JSON.stringify(v)}`);
    }
    return v as T;
  }

  /** An absolute URL; `https` only unless `allowHttp`. Returned without a trailing slash. */
  url(key: string, required: boolean, allowHttp = false): string | undefined {
    const v = required ? this.string(key, true) : this.string(key);
    if (v === undefined) return undefined;
    let parsed: URL;
    try {
      parsed = new URL(v);
    } catch {
      this.fail(key, `must be an absolute URL such as https://api.mypurecloud.ie; got ${JSON.stringify(v)}`);
    }
    const schemes = allowHttp ? ['https:', 'http:'] : ['https:'];
    if (!schemes.includes(parsed.protocol))
      this.fail(
        key,
        `must use ${allowHttp ? 'http or https' : 'https'}; got ${parsed.protocol.replace(':', '')}`,
      );
    if (parsed.username !== '' || parsed.password !== '')
      this.fail(key, 'must not carry a user name or password');
    if (!allowHttp && (parsed.search !== '' || parsed.hash !== ''))
      this.fail(key, 'must not carry a query or fragment');
    return v.replace(/\/+$/, '');
  }

  timezone(key: string): string {
    const v = this.string(key, true);
    if (!IANAZone.isValidZone(v))
      this.fail(key, `must be an IANA time zone such as Europe/Dublin; got ${JSON.stringify(v)}`);
    return v;
  }

  /** ISO-8601; without an offset the time is read in `zone`. Returns epoch milliseconds. */
  instant(key: string, zone: string): number {
    const v = this.string(key, true);
    const parsed = parseIsoInZone(v, zone);
    if (parsed === undefined)
      this.fail(key, `must be an ISO-8601 time such as 2024-05-01T00:00:00Z; got ${JSON.stringify(v)}`);
    return parsed;
  }

  nested(key: string): FieldReader | undefined {
    const v = this.raw[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'object' || Array.isArray(v)) this.fail(key, `must be an object, not ${typeName(v)}`);
    return new FieldReader(this.file, v as Record<string, unknown>, `${this.prefix}${key}.`);
  }

  rejectUnknown(known: readonly string[]): void {
    for (const key of Object.keys(this.raw)) {
      if (!known.includes(key)) {
        const close = known.find((k) => k.toLowerCase() === key.toLowerCase() || editDistance(k, key) <= 2);
        this.fail(
          key,
          `is not a known key${close === undefined ? '' : ` (did you mean "${this.prefix}${close}"?)`}`,
        );
      }
    }
  }
}

/** Parses ISO-8601; an offset or Z is honoured, without one the time is read in `zone`. */
export function parseIsoInZone(text: string, zone: string): number | undefined {
  const dt = DateTime.fromISO(text.trim(), { zone, setZone: true });
  return dt.isValid ? dt.toMillis() : undefined;
}

function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  return typeof v === 'object' ? 'an object' : `a ${typeof v}`;
}

function editDistance(a: string, b: string): number {
  const dp = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i += 1) {
    let prev = dp[0]!;
    dp[0] = i;
    for (let j = 1; j <= b.length; j += 1) {
      const next = dp[j]!;
      dp[j] = Math.min(dp[j]! + 1, dp[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = next;
    }
  }
  return dp[b.length]!;
}
