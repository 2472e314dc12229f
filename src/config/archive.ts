/**
 * The archive target (SPEC §2, §7): `archive` as `{"type": "filesystem" | "s3" | "azure", …}`, or
 * `archiveDir` as the shorthand for the filesystem one. Giving both is an error; giving neither is
 * the folder `./archive` beside the configuration file. Store credentials are never read from the
 * file: S3 takes the SDK's default chain, Azure its environment variables (SPEC §7).
 */
import path from 'node:path';
import type { FieldReader } from './fields.js';
import type { ArchiveConfig, AzureArchiveConfig, S3ArchiveConfig } from './types.js';

const FILESYSTEM_KEYS = ['type', 'dir'] as const;
const S3_KEYS = [
  'type',
  'bucket',
  'prefix',
  'region',
  'endpoint',
  'forcePathStyle',
  'storageClass',
  'serverSideEncryption',
  'kmsKeyId',
  'objectLock',
  'useProxy',
] as const;
const AZURE_KEYS = ['type', 'url', 'container', 'prefix', 'accessTier', 'useProxy'] as const;
const OBJECT_LOCK_KEYS = ['mode', 'retainDays'] as const;

/**
 * Storage classes an object can be read back from at once: the delete gate and `verify --archive`
 * read the archive, so classes that need a restore first (GLACIER, DEEP_ARCHIVE) are refused.
 */
export const S3_STORAGE_CLASSES = [
  'STANDARD',
  'STANDARD_IA',
  'ONEZONE_IA',
  'INTELLIGENT_TIERING',
  'GLACIER_IR',
  'REDUCED_REDUNDANCY',
] as const;
export const S3_SSE = ['AES256', 'aws:kms', 'aws:kms:dsse'] as const;
export const OBJECT_LOCK_MODES = ['GOVERNANCE', 'COMPLIANCE'] as const;
/** Azure access tiers a blob is readable in at once (`Archive` needs a rehydration first). */
export const AZURE_ACCESS_TIERS = ['Hot', 'Cool', 'Cold'] as const;

/** S3 bucket names (DNS-compatible, 3 to 63 characters). */
const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
/** Hosts on this machine, where an emulator (azurite) may be reached over plain http. */
const LOOPBACK = /^(?:localhost|127(?:\.\d{1,3}){3}|\[::1\])$/i;
/** Azure container names. */
const CONTAINER_NAME = /^[a-z0-9](?:[a-z0-9]|-(?=[a-z0-9])){2,62}$/;

/** Reads `archive` / `archiveDir` from the top-level reader; `dir` is the config file's folder. */
export function readArchive(r: FieldReader, dir: string, env: NodeJS.ProcessEnv): ArchiveConfig {
  const a = r.nested('archive');
  if (a !== undefined && r.has('archiveDir'))
    r.fail(
      'archiveDir',
      'cannot be given together with "archive": "archiveDir" is the shorthand for a filesystem "archive"',
    );
  if (a === undefined)
    return { type: 'filesystem', dir: path.resolve(dir, r.string('archiveDir') ?? './archive') };
  const type = a.oneOf('type', ['filesystem', 's3', 'azure'] as const);
  switch (type) {
    case 'filesystem':
      a.rejectUnknown(FILESYSTEM_KEYS);
      return { type, dir: path.resolve(dir, a.string('dir', true)) };
    case 's3':
      a.rejectUnknown(S3_KEYS);
      return readS3(a, env);
    case 'azure':
      a.rejectUnknown(AZURE_KEYS);
      return readAzure(a);
  }
}

/** A key prefix: empty, or path segments ending in `/`, never `.`/`..` segments or a leading `/`. */
function readPrefix(a: FieldReader): string {
  const prefix = a.string('prefix') ?? '';
  if (prefix === '') return '';
  const segments = prefix.split('/');
  if (
    !prefix.endsWith('/') ||
    prefix.startsWith('/') ||
    segments.slice(0, -1).some((s) => s === '' || s === '.' || s === '..') ||
    [...prefix].some((c) => c === '\\' || c.charCodeAt(0) < 0x20)
  )
    a.fail(
      'prefix',
      `must be empty or folder names ending in "/" such as "genesys/" (no leading "/", no "." or ".." parts); got ${JSON.stringify(prefix)}`,
    );
  return prefix;
}

function readS3(a: FieldReader, env: NodeJS.ProcessEnv): S3ArchiveConfig {
  const bucket = a.pattern('bucket', BUCKET_NAME, 'an S3 bucket name (3 to 63 of a-z 0-9 . -)');
  const endpoint = a.url('endpoint', false, true);
  if (endpoint !== undefined && /[?#]/.test(endpoint))
    a.fail('endpoint', 'must not carry a query or fragment');
  const envRegion = env.AWS_REGION || env.AWS_DEFAULT_REGION || undefined;
  const region = a.string('region') ?? envRegion ?? (endpoint !== undefined ? 'us-east-1' : undefined);
  if (region === undefined) a.fail('region', 'is required for AWS S3 (or set AWS_REGION), e.g. "eu-west-1"');
  if (!/^[a-z0-9-]{2,32}$/.test(region))
    a.fail('region', `must be a region name such as eu-west-1; got ${JSON.stringify(region)}`);
  const s3: { -readonly [K in keyof S3ArchiveConfig]: S3ArchiveConfig[K] } = {
    type: 's3',
    bucket,
    prefix: readPrefix(a),
    region,
    forcePathStyle: a.boolean('forcePathStyle', false),
    useProxy: a.boolean('useProxy', true),
  };
  if (endpoint !== undefined) s3.endpoint = endpoint;
  if (a.has('storageClass')) s3.storageClass = a.oneOf('storageClass', S3_STORAGE_CLASSES);
  if (a.has('serverSideEncryption')) s3.serverSideEncryption = a.oneOf('serverSideEncryption', S3_SSE);
  const kmsKeyId = a.string('kmsKeyId');
  if (kmsKeyId !== undefined) {
    if (s3.serverSideEncryption === undefined || s3.serverSideEncryption === 'AES256')
      a.fail('kmsKeyId', 'needs "serverSideEncryption": "aws:kms" (or "aws:kms:dsse")');
    s3.kmsKeyId = kmsKeyId;
  }
  const lock = a.nested('objectLock');
  if (lock !== undefined) {
    lock.rejectUnknown(OBJECT_LOCK_KEYS);
    s3.objectLock = {
      mode: lock.oneOf('mode', OBJECT_LOCK_MODES),
      retainDays: lock.integer('retainDays', { min: 1, max: 36_500 }),
    };
  }
  return s3;
}

function readAzure(a: FieldReader): AzureArchiveConfig {
  const url = a.url('url', true, true)!;
  if (/[?#]/.test(url))
    a.fail('url', 'must not carry a query (a SAS token belongs in AZURE_STORAGE_SAS_TOKEN, not in the file)');
  // Plain http would carry the blobs and the credential's signatures in clear: only to an emulator here.
  const host = new URL(url).hostname;
  if (url.startsWith('http:') && !LOOPBACK.test(host))
    a.fail(
      'url',
      `must use https (http only for an emulator on this machine: 127.0.0.1, [::1] or localhost); got ${JSON.stringify(url)}`,
    );
  const azure: { -readonly [K in keyof AzureArchiveConfig]: AzureArchiveConfig[K] } = {
    type: 'azure',
    url,
    container: a.pattern('container', CONTAINER_NAME, 'an Azure container name (3 to 63 of a-z 0-9 -)'),
    prefix: readPrefix(a),
    useProxy: a.boolean('useProxy', true),
  };
  if (a.has('accessTier')) azure.accessTier = a.oneOf('accessTier', AZURE_ACCESS_TIERS);
  return azure;
}
