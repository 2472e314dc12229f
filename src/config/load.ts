/**
 * Reads the configuration file once and normalises it into a frozen, typed `Config` (SPEC §2).
 * Precedence: flag > environment > file > default. Unknown keys are an error. Relative paths are
 * resolved against the config file's folder.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ConfigError } from '../errors.js';
import { sourceIdPattern } from '../util/ids.js';
import { registerSecret } from '../util/redact.js';
import { readArchive } from './archive.js';
import { FieldReader } from './fields.js';
import {
  CODECS,
  MIN_AVAILABILITY_DELAY_MINUTES,
  type Config,
  type ConfigOverrides,
  type ProxyConfig,
  type TlsConfig,
} from './types.js';

const TOP_KEYS = [
  'name',
  'policyId',
  'importSourceId',
  'clientId',
  'clientSecret',
  'clientSecretFile',
  'authUrl',
  'apiUrl',
  'tls',
  'proxy',
  'codec',
  'timezone',
  'recordingStartTimestamp',
  'maxRecordingLengthMinutes',
  'availabilityDelayMinutes',
  'userCacheLifetimeMinutes',
  'deleteAfterIngest',
  'deleteGraceHours',
  'stateDir',
  'archiveDir',
  'archive',
  'retryBatchSize',
  'retryMaxAgeDays',
  'maxRunMinutes',
  'concurrency',
  'minFreeDiskMb',
  'maxLagMinutes',
  'reconcileAfterHours',
  'healthcheckUrl',
  'restoreArchived',
  'restoreDays',
  'metricsFile',
] as const;
const TLS_KEYS = ['certFile', 'keyFile', 'keyPassword', 'thumbprint', 'trustList'] as const;
const PROXY_KEYS = ['host', 'port', 'username', 'password'] as const;

export const DEFAULT_CONFIG_FILE = 'genesys-ingest.json';

/** Which file to read: `--config`, else env `GENESYS_INGEST_CONFIG`, else `./genesys-ingest.json`. */
export function resolveConfigPath(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  const chosen =
    flag ??
    (env.GENESYS_INGEST_CONFIG !== undefined && env.GENESYS_INGEST_CONFIG !== ''
      ? env.GENESYS_INGEST_CONFIG
      : DEFAULT_CONFIG_FILE);
  return path.resolve(chosen);
}

/** Reads and parses the JSON object in `file`; every failure is a ConfigError naming the file. */
export function readConfigObject(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'does not exist' : `cannot be read (${code ?? 'error'})`;
    throw new ConfigError(
      `${file}: the configuration file ${why}; give one with --config or GENESYS_INGEST_CONFIG`,
      { cause: error },
    );
  }
  let value: unknown;
  try {
    value = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (error) {
    throw new ConfigError(`${file}: not valid JSON: ${(error as Error).message}`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new ConfigError(`${file}: must hold one JSON object of settings`);
  }
  return value as Record<string, unknown>;
}

/** What the lock needs before the rest of the configuration is validated (SPEC §3.1). */
export interface LockIdentity {
  readonly file: string;
  readonly stateDir: string;
  readonly policyId: string;
  readonly importSourceId: string;
}

/** Reads only `stateDir`, `policyId` and `importSourceId` (exit 2 if that fails). */
export function loadLockIdentity(file: string, raw = readConfigObject(file)): LockIdentity {
  const r = new FieldReader(file, raw);
  const dir = path.dirname(file);
  return {
    file,
    policyId: r.pattern('policyId', sourceIdPattern, '1 to 64 of A-Z a-z 0-9 _ -'),
    importSourceId: r.pattern('importSourceId', sourceIdPattern, '1 to 64 of A-Z a-z 0-9 _ -'),
    stateDir: path.resolve(dir, r.string('stateDir') ?? './state'),
  };
}

export interface LoadOptions {
  env?: NodeJS.ProcessEnv;
  overrides?: ConfigOverrides;
  /** Commands that log in need the client secret; operator commands do not. */
  requireSecret?: boolean;
  /** The file's object, when the caller has read it already (the file is then not read again). */
  raw?: Record<string, unknown>;
}

/** Loads, validates and freezes the whole configuration. */
export function loadConfig(file: string, options: LoadOptions = {}): Config {
  const env = options.env ?? process.env;
  const raw = options.raw ?? readConfigObject(file);
  const r = new FieldReader(file, raw);
  r.rejectUnknown(TOP_KEYS);
  const dir = path.dirname(file);
  const resolvePath = (p: string | undefined): string | undefined =>
    p === undefined ? undefined : path.resolve(dir, p);
  const envValue = (name: string): string | undefined => {
    const v = env[name];
    return v === undefined || v === '' ? undefined : v;
  };

  const timezone = r.timezone('timezone');
  const idRule = '1 to 64 of A-Z a-z 0-9 _ -';
  const clientId = envValue('GENESYS_CLIENT_ID') ?? r.string('clientId', true);
  const clientSecret = readClientSecret(
    r,
    envValue('GENESYS_CLIENT_SECRET'),
    resolvePath(r.string('clientSecretFile')),
    options.requireSecret ?? false,
  );

  const overrides = options.overrides ?? {};
  const archive = readArchive(r, dir, env);
  const config: Config = {
    file,
    name: r.string('name', true),
    policyId: r.pattern('policyId', sourceIdPattern, idRule),
    importSourceId: r.pattern('importSourceId', sourceIdPattern, idRule),
    clientId,
    clientSecret,
    authUrl: r.url('authUrl', true)!,
    apiUrl: r.url('apiUrl', true)!,
    tls: readTls(r, envValue('GENESYS_TLS_KEY_PASSWORD'), resolvePath),
    proxy: readProxy(r, envValue('GENESYS_PROXY_PASSWORD')),
    codec: r.oneOf('codec', CODECS),
    timezone,
    recordingStartTimestamp: r.instant('recordingStartTimestamp', timezone),
    maxRecordingLengthMinutes:
      overrides.maxRecordingLengthMinutes ?? r.integer('maxRecordingLengthMinutes', { min: 1 }),
    availabilityDelayMinutes:
      availabilityDelayOverride(overrides) ??
      r.integer('availabilityDelayMinutes', { min: MIN_AVAILABILITY_DELAY_MINUTES }),
    userCacheLifetimeMinutes: r.integer('userCacheLifetimeMinutes', { min: 0 }),
    deleteAfterIngest: r.boolean('deleteAfterIngest', false),
    deleteGraceHours: r.integer('deleteGraceHours', { min: 0, fallback: 24 }),
    stateDir: resolvePath(r.string('stateDir') ?? './state')!,
    archive,
    archiveDir: archive.type === 'filesystem' ? archive.dir : undefined,
    retryBatchSize: r.integer('retryBatchSize', { min: 0, max: 10_000, fallback: 25 }),
    retryMaxAgeDays: r.integer('retryMaxAgeDays', { min: 1, fallback: 30 }),
    maxRunMinutes: overrides.maxRunMinutes ?? r.integer('maxRunMinutes', { min: 1, fallback: 55 }),
    concurrency: r.integer('concurrency', { min: 1, max: 32, fallback: 4 }),
    minFreeDiskMb: r.integer('minFreeDiskMb', { min: 0, fallback: 2048 }),
    maxLagMinutes: r.integer('maxLagMinutes', { min: 1, fallback: 240 }),
    reconcileAfterHours: r.integer('reconcileAfterHours', { min: 0, fallback: 72 }),
    healthcheckUrl: r.url('healthcheckUrl', false, true),
    restoreArchived: r.boolean('restoreArchived', false),
    restoreDays: r.integer('restoreDays', { min: 1, fallback: 7 }),
    metricsFile: resolvePath(r.string('metricsFile')),
  };
  if (config.stateDir === config.archiveDir)
    r.fail(r.has('archive') ? 'archive' : 'archiveDir', 'must not be the same folder as "stateDir"');
  return deepFreeze(config);
}

/** `catchup --availability-delay`: the same floor as the file's key (the CLI parser refuses it first). */
function availabilityDelayOverride(overrides: ConfigOverrides): number | undefined {
  const minutes = overrides.availabilityDelayMinutes;
  if (minutes !== undefined && !(minutes >= MIN_AVAILABILITY_DELAY_MINUTES))
    throw new ConfigError(
      `--availability-delay must be at least ${MIN_AVAILABILITY_DELAY_MINUTES} (analytics is not instant); got ${minutes}`,
    );
  return minutes;
}

function readClientSecret(
  r: FieldReader,
  fromEnv: string | undefined,
  secretFile: string | undefined,
  required: boolean,
): string | undefined {
  let secret = fromEnv ?? r.string('clientSecret');
  if (secret === undefined && secretFile !== undefined) {
    try {
      secret = readFileSync(secretFile, 'utf8')
        .replace(/^\uFEFF/, '')
        .trim();
    } catch (error) {
      if (required)
        r.fail(
          'clientSecretFile',
          `cannot be read: ${(error as NodeJS.ErrnoException).code ?? 'error'} (${secretFile})`,
        );
    }
    if (secret === '') secret = undefined;
  }
  if (secret === undefined && required) {
    r.fail(
      'clientSecret',
      'is required: set it, "clientSecretFile", or the environment variable GENESYS_CLIENT_SECRET',
    );
  }
  if (secret !== undefined) registerSecret(secret);
  return secret;
}

function readTls(
  r: FieldReader,
  envPassword: string | undefined,
  resolvePath: (p: string | undefined) => string | undefined,
): TlsConfig {
  const t = r.nested('tls');
  if (t === undefined) return envPassword === undefined ? {} : { keyPassword: registerSecret(envPassword) };
  t.rejectUnknown(TLS_KEYS);
  const tls: { -readonly [K in keyof TlsConfig]: TlsConfig[K] } = {};
  const certFile = resolvePath(t.string('certFile'));
  const keyFile = resolvePath(t.string('keyFile'));
  const trustList = resolvePath(t.string('trustList'));
  const keyPassword = envPassword ?? t.string('keyPassword');
  const thumbprint = t.string('thumbprint');
  if (certFile !== undefined) tls.certFile = certFile;
  if (keyFile !== undefined) {
    if (certFile === undefined) t.fail('keyFile', 'needs "tls.certFile" as well');
    tls.keyFile = keyFile;
  }
  if (trustList !== undefined) tls.trustList = trustList;
  if (keyPassword !== undefined) tls.keyPassword = registerSecret(keyPassword);
  if (thumbprint !== undefined) {
    const hex = thumbprint.replace(/[:\s]/g, '').toLowerCase();
    if (!/^[0-9a-f]+$/.test(hex) || (hex.length !== 40 && hex.length !== 64)) {
      t.fail('thumbprint', 'must be a SHA-1 (40 hex digits) or SHA-256 (64 hex digits) fingerprint');
    }
    if (certFile === undefined)
      t.fail('thumbprint', 'needs "tls.certFile": it is checked against the loaded client certificate');
    tls.thumbprint = hex;
  }
  return tls;
}

function readProxy(r: FieldReader, envPassword: string | undefined): ProxyConfig | undefined {
  const p = r.nested('proxy');
  if (p === undefined) return undefined;
  p.rejectUnknown(PROXY_KEYS);
  const host = p.string('host', true);
  if (/[/@\s]/.test(host) || host.includes('://'))
    p.fail(
      'host',
      `must be a host name or IP address only (no scheme, path or credentials); got ${JSON.stringify(host)}`,
    );
  const port = p.integer('port', { min: 1, max: 65_535 });
  const username = p.string('username');
  const password = envPassword ?? p.string('password');
  if (password !== undefined && username === undefined) {
    p.fail(
      envPassword !== undefined ? 'username' : 'password',
      envPassword !== undefined
        ? 'is required when GENESYS_PROXY_PASSWORD is set'
        : 'needs "proxy.username" as well',
    );
  }
  const proxy: { -readonly [K in keyof ProxyConfig]: ProxyConfig[K] } = { host, port };
  if (username !== undefined) proxy.username = username;
  if (password !== undefined) proxy.password = registerSecret(password);
  return proxy;
}

/** The configuration as it may be shown: every secret replaced by a marker. */
export function redactedConfig(config: Config): Record<string, unknown> {
  const shown = JSON.parse(JSON.stringify(config)) as Record<string, unknown> & {
    tls: Record<string, unknown>;
    proxy?: Record<string, unknown>;
  };
  if (shown.clientSecret !== undefined) shown.clientSecret = '[redacted]';
  if (shown.tls.keyPassword !== undefined) shown.tls.keyPassword = '[redacted]';
  if (shown.proxy?.password !== undefined) shown.proxy.password = '[redacted]';
  return shown;
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object') {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}
