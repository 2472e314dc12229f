import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import { readArchive } from '../src/config/archive.js';
import { FieldReader } from '../src/config/fields.js';
import { loadConfig } from '../src/config/load.js';
import { ConfigError, ExitCode } from '../src/errors.js';

const FILE = '/etc/genesys/c.json';

/** Reads `archive`/`archiveDir` out of `raw` as the loader does, for a file at FILE. */
function read(raw: Record<string, unknown>, env: NodeJS.ProcessEnv = {}) {
  return readArchive(new FieldReader(FILE, raw), path.dirname(FILE), env);
}

function refuses(raw: Record<string, unknown>, pattern: RegExp, env: NodeJS.ProcessEnv = {}): void {
  assert.throws(
    () => read(raw, env),
    (error: unknown) => {
      assert.ok(error instanceof ConfigError, String(error));
      assert.equal(error.exitCode, ExitCode.usage);
      assert.match(error.message, pattern);
      assert.ok(error.message.startsWith(`${FILE}:`), 'the message names the file');
      return true;
    },
  );
}

const s3 = (extra: Record<string, unknown> = {}) => ({
  archive: { type: 's3', bucket: 'rec-archive', region: 'eu-west-1', ...extra },
});

describe('configuration: the archive target (SPEC §2, §7)', () => {
  it('defaults to the folder ./archive beside the file', () => {
    assert.deepEqual(read({}), { type: 'filesystem', dir: '/etc/genesys/archive' });
  });

  it('reads archiveDir as the filesystem shorthand, relative to the file', () => {
    assert.deepEqual(read({ archiveDir: 'rec' }), { type: 'filesystem', dir: '/etc/genesys/rec' });
    assert.deepEqual(read({ archive: { type: 'filesystem', dir: '../rec' } }), {
      type: 'filesystem',
      dir: '/etc/rec',
    });
  });

  it('refuses archive and archiveDir together', () => {
    refuses(
      { archiveDir: './a', archive: { type: 'filesystem', dir: './b' } },
      /"archiveDir" cannot be given together with "archive"/,
    );
  });

  it('reads a full S3 target as SPEC §7 shows it', () => {
    const target = read({
      archive: {
        type: 's3',
        bucket: 'rec-archive',
        prefix: 'genesys/',
        region: 'eu-west-1',
        endpoint: 'https://minio.example.internal:9000',
        forcePathStyle: true,
        storageClass: 'STANDARD_IA',
        serverSideEncryption: 'aws:kms',
        kmsKeyId: 'arn:aws:kms:eu-west-1:111122223333:key/abc',
        objectLock: { mode: 'COMPLIANCE', retainDays: 2555 },
        useProxy: false,
      },
    });
    assert.deepEqual(target, {
      type: 's3',
      bucket: 'rec-archive',
      prefix: 'genesys/',
      region: 'eu-west-1',
      endpoint: 'https://minio.example.internal:9000',
      forcePathStyle: true,
      storageClass: 'STANDARD_IA',
      serverSideEncryption: 'aws:kms',
      kmsKeyId: 'arn:aws:kms:eu-west-1:111122223333:key/abc',
      objectLock: { mode: 'COMPLIANCE', retainDays: 2555 },
      useProxy: false,
    });
  });

  it('gives S3 its defaults: no prefix, virtual-hosted style, through the proxy', () => {
    assert.deepEqual(read(s3()), {
      type: 's3',
      bucket: 'rec-archive',
      prefix: '',
      region: 'eu-west-1',
      forcePathStyle: false,
      useProxy: true,
    });
  });

  it('takes the S3 region from AWS_REGION, or us-east-1 for a custom endpoint', () => {
    const noRegion = { archive: { type: 's3', bucket: 'rec-archive' } };
    const fromEnv = read(noRegion, { AWS_REGION: 'eu-central-1' });
    assert.equal(fromEnv.type === 's3' ? fromEnv.region : '', 'eu-central-1');
    const custom = read({
      archive: { type: 's3', bucket: 'rec-archive', endpoint: 'http://127.0.0.1:9000' },
    });
    assert.equal(custom.type === 's3' ? custom.region : '', 'us-east-1');
    refuses(noRegion, /"archive\.region" is required/);
  });

  const invalid: [string, Record<string, unknown>, RegExp][] = [
    ['an unknown type', { archive: { type: 'gcs' } }, /"archive\.type" must be one of filesystem, s3, azure/],
    ['no type', { archive: { dir: './a' } }, /"archive\.type" is required/],
    ['a filesystem target without dir', { archive: { type: 'filesystem' } }, /"archive\.dir" is required/],
    [
      'an unknown filesystem key',
      { archive: { type: 'filesystem', dir: './a', bucket: 'x' } },
      /"archive\.bucket" is not a known key/,
    ],
    ['an unknown S3 key', s3({ accessKeyId: 'AKIA' }), /"archive\.accessKeyId" is not a known key/],
    [
      'a secret key in the file',
      s3({ secretAccessKey: 'x' }),
      /"archive\.secretAccessKey" is not a known key/,
    ],
    ['a misspelt S3 key', s3({ forcePathstyle: true }), /did you mean "archive\.forcePathStyle"/],
    ['no bucket', { archive: { type: 's3', region: 'eu-west-1' } }, /"archive\.bucket" is required/],
    [
      'a bucket name S3 refuses',
      s3({ bucket: 'Rec_Archive' }),
      /"archive\.bucket" must be an S3 bucket name/,
    ],
    ['a prefix without a trailing slash', s3({ prefix: 'genesys' }), /"archive\.prefix" must be empty or/],
    ['a prefix with ..', s3({ prefix: '../x/' }), /"archive\.prefix" must be empty or/],
    ['a prefix with a leading slash', s3({ prefix: '/x/' }), /"archive\.prefix" must be empty or/],
    ['a bad region', s3({ region: 'EU West' }), /"archive\.region" must be a region name/],
    [
      'an endpoint that is no URL',
      s3({ endpoint: 'minio 9000' }),
      /"archive\.endpoint" must be an absolute URL/,
    ],
    [
      'an endpoint with credentials',
      s3({ endpoint: 'https://k:s@minio' }),
      /"archive\.endpoint" must not carry a user name/,
    ],
    [
      'a storage class that needs a restore',
      s3({ storageClass: 'DEEP_ARCHIVE' }),
      /"archive\.storageClass" must be one of STANDARD/,
    ],
    [
      'an unknown encryption',
      s3({ serverSideEncryption: 'rot13' }),
      /"archive\.serverSideEncryption" must be one of AES256/,
    ],
    [
      'a KMS key without KMS',
      s3({ kmsKeyId: 'k' }),
      /"archive\.kmsKeyId" needs "serverSideEncryption": "aws:kms"/,
    ],
    [
      'a KMS key with AES256',
      s3({ kmsKeyId: 'k', serverSideEncryption: 'AES256' }),
      /"archive\.kmsKeyId" needs/,
    ],
    [
      'a lock mode S3 lacks',
      s3({ objectLock: { mode: 'LEGAL', retainDays: 1 } }),
      /"archive\.objectLock\.mode" must be one of GOVERNANCE, COMPLIANCE/,
    ],
    [
      'a lock without days',
      s3({ objectLock: { mode: 'GOVERNANCE' } }),
      /"archive\.objectLock\.retainDays" is required/,
    ],
    [
      'zero lock days',
      s3({ objectLock: { mode: 'GOVERNANCE', retainDays: 0 } }),
      /"archive\.objectLock\.retainDays" must be at least 1/,
    ],
    [
      'an unknown lock key',
      s3({ objectLock: { mode: 'GOVERNANCE', retainDays: 1, legalHold: true } }),
      /"archive\.objectLock\.legalHold" is not a known key/,
    ],
    ['a non-boolean useProxy', s3({ useProxy: 'no' }), /"archive\.useProxy" must be true or false/],
    [
      'an azure target without url',
      { archive: { type: 'azure', container: 'recordings' } },
      /"archive\.url" is required/,
    ],
    [
      'an azure url with a SAS token',
      {
        archive: {
          type: 'azure',
          url: 'https://a.blob.core.windows.net/?sv=x&sig=y',
          container: 'recordings',
        },
      },
      /"archive\.url" must not carry a query/,
    ],
    [
      'a bad container',
      { archive: { type: 'azure', url: 'https://a.blob.core.windows.net', container: 'Rec' } },
      /"archive\.container" must be an Azure container name/,
    ],
    [
      'the Archive tier',
      {
        archive: {
          type: 'azure',
          url: 'https://a.blob.core.windows.net',
          container: 'recordings',
          accessTier: 'Archive',
        },
      },
      /"archive\.accessTier" must be one of Hot, Cool, Cold/,
    ],
    [
      'an unknown azure key',
      {
        archive: {
          type: 'azure',
          url: 'https://a.blob.core.windows.net',
          container: 'recordings',
          accountKey: 'k',
        },
      },
      /"archive\.accountKey" is not a known key/,
    ],
    ['archive not an object', { archive: 's3' }, /"archive" must be an object/],
  ];
  for (const [title, raw, pattern] of invalid) {
    it(`refuses ${title}`, () => refuses(raw, pattern));
  }

  it('reads an Azure target', () => {
    assert.deepEqual(
      read({
        archive: {
          type: 'azure',
          url: 'https://account.blob.core.windows.net/',
          container: 'recordings',
          prefix: 'genesys/',
          accessTier: 'Cool',
        },
      }),
      {
        type: 'azure',
        url: 'https://account.blob.core.windows.net',
        container: 'recordings',
        prefix: 'genesys/',
        accessTier: 'Cool',
        useProxy: true,
      },
    );
  });

  it('keeps the loaded target in the frozen config', async () => {
    const { tempDir } = await import('./helpers/cli.js');
    const { baseConfig } = await import('./helpers/workspace.js');
    const { promises: fs } = await import('node:fs');
    const dir = await tempDir();
    try {
      const file = path.join(dir, 'c.json');
      await fs.writeFile(
        file,
        JSON.stringify({
          ...baseConfig(),
          archiveDir: undefined,
          archive: { type: 'filesystem', dir: 'rec' },
        }),
      );
      const config = loadConfig(file, { env: {} });
      assert.deepEqual(config.archive, { type: 'filesystem', dir: path.join(dir, 'rec') });
      assert.ok(Object.isFrozen(config.archive));
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});
