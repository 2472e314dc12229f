/**
 * The Azure Blob target's pure parts: the `archive` block for azure (https, except to an emulator on
 * this machine) and what an SDK failure means for the run, with no credential in its message.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import { RestError } from '@azure/storage-blob';
import { openAzureContainer } from '../src/archive/azure-client.js';
import { azureFailure, describeAzureError } from '../src/archive/azure-errors.js';
import { readArchive } from '../src/config/archive.js';
import { FieldReader } from '../src/config/fields.js';
import type { AzureArchiveConfig, Config } from '../src/config/types.js';
import { ArchiveObjectError, ConfigError, StorageError } from '../src/errors.js';
import { redact, registerSecret } from '../src/util/redact.js';
import { assertNoSecretShown } from './helpers/genesys.js';

const FILE = '/etc/genesys/c.json';
const read = (archive: Record<string, unknown>) =>
  readArchive(new FieldReader(FILE, { archive }), path.dirname(FILE), {});
const azure = (url: string) => ({ type: 'azure', url, container: 'recordings' });

describe('configuration: an azure archive (SPEC §7)', () => {
  for (const url of [
    'http://127.0.0.1:10000/devstoreaccount1',
    'http://localhost:10000/devstoreaccount1',
    'http://[::1]:10000/devstoreaccount1',
    'https://account.blob.core.windows.net',
    'https://account.privatelink.blob.core.windows.net',
  ])
    it(`accepts ${url}`, () => {
      assert.equal((read(azure(url)) as { url: string }).url, url);
    });

  for (const url of ['http://account.blob.core.windows.net', 'http://10.0.0.5:10000/devstoreaccount1'])
    it(`refuses plain http to ${url}: only an emulator on this machine is reached without TLS`, () => {
      assert.throws(
        () => read(azure(url)),
        (error: unknown) =>
          error instanceof ConfigError && /"archive\.url" must use https/.test(error.message),
      );
    });

  it('defaults: no prefix, no tier, through the proxy', () => {
    assert.deepEqual(read(azure('https://a.blob.core.windows.net')), {
      type: 'azure',
      url: 'https://a.blob.core.windows.net',
      container: 'recordings',
      prefix: '',
      useProxy: true,
    });
  });
});

const WHERE = 'https://acct.blob.core.windows.net/recordings/genesys/2024/05/01/c/r.wav';

function restError(status: number | undefined, code: string, message = code): RestError {
  return new RestError(message, { ...(status === undefined ? {} : { statusCode: status }), code });
}

describe('azure failures: the run or the recording (SPEC §7 Failures)', () => {
  const cases: [string, unknown, typeof StorageError | typeof ArchiveObjectError, string][] = [
    ['403 AuthenticationFailed', restError(403, 'AuthenticationFailed'), StorageError, 'store.refused'],
    [
      '403 AuthorizationPermissionMismatch',
      restError(403, 'AuthorizationPermissionMismatch'),
      StorageError,
      'store.refused',
    ],
    ['404 ContainerNotFound', restError(404, 'ContainerNotFound'), StorageError, 'store.refused'],
    ['a refused connection', restError(undefined, 'ECONNREFUSED'), StorageError, 'store.unreachable'],
    [
      'a request that could not be sent',
      restError(undefined, 'REQUEST_SEND_ERROR'),
      StorageError,
      'store.unreachable',
    ],
    ['503 ServerBusy past the retries', restError(503, 'ServerBusy'), StorageError, 'store.unreachable'],
    [
      '500 InternalError past the retries',
      restError(500, 'InternalError'),
      StorageError,
      'store.unreachable',
    ],
    ['429', restError(429, 'TooManyRequests'), StorageError, 'store.unreachable'],
    [
      '409 on an immutable blob',
      restError(409, 'BlobImmutableDueToPolicy'),
      ArchiveObjectError,
      'store.object',
    ],
    ['400 InvalidBlockList', restError(400, 'InvalidBlockList'), ArchiveObjectError, 'store.object'],
    ['412 ConditionNotMet', restError(412, 'ConditionNotMet'), ArchiveObjectError, 'store.object'],
  ];
  for (const [title, error, type, code] of cases)
    it(`${title} → ${type.name} ${code}`, () => {
      const out = azureFailure(error, 'writing', WHERE);
      assert.ok(out instanceof type, String(out));
      assert.equal(out.code, code);
      assert.equal((out as Error).cause, undefined, 'the SDK error (its request URL) is never kept');
      assert.ok((out as Error).message.includes(WHERE));
    });

  it('an untrusted store certificate stops the run (S3 and Azure alike), never one object at a time', async () => {
    const { s3Failure } = await import('../src/archive/s3-errors.js');
    for (const code of ['UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'ERR_TLS_CERT_ALTNAME_INVALID']) {
      const tlsError = Object.assign(new Error('unable to verify the first certificate'), { code });
      for (const out of [azureFailure(tlsError, 'writing', WHERE), s3Failure(tlsError, 'writing', WHERE)]) {
        assert.ok(out instanceof StorageError, `${code}: ${String(out)}`);
        assert.equal(out.code, 'store.unreachable');
      }
    }
  });

  it('the credential chain finding nothing is a refusal with a hint naming the three ways', () => {
    const error = Object.assign(new Error('DefaultAzureCredential failed'), {
      name: 'CredentialUnavailableError',
    });
    const out = azureFailure(error, 'writing', WHERE);
    assert.ok(out instanceof StorageError);
    assert.match(out.hint ?? '', /AZURE_STORAGE_CONNECTION_STRING.*AZURE_STORAGE_SAS_TOKEN/);
  });

  it('an aborted run gets its own reason back, not a store failure', () => {
    const controller = new AbortController();
    const reason = new Error('interrupted');
    controller.abort(reason);
    assert.equal(
      azureFailure(restError(undefined, 'ECONNRESET'), 'writing', WHERE, controller.signal),
      reason,
    );
  });

  it('no SAS signature, account key or token survives in a message, in any encoding', () => {
    const sig = 'sV9kZyBzaWduYXR1cmUgdGhhdCBpcyBzZWNyZXQ=';
    const key = 'QWNjb3VudEtleVRoYXRJc1NlY3JldDEyMzQ1Njc4OTA=';
    const token = 'eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.secret-token-part';
    const message =
      `Server failed to authenticate the request. url=https://acct.blob.core.windows.net/recordings/x?sv=2024-05-04&se=2030-01-01&sp=rcw&sig=${encodeURIComponent(sig)} ` +
      `AccountKey=${key}; Authorization: Bearer ${token}\nRequestId:1`;
    const seen = [
      describeAzureError(restError(403, 'AuthenticationFailed', message)),
      String(azureFailure(restError(403, 'AuthenticationFailed', message), 'writing', WHERE)),
      String(azureFailure(restError(400, 'InvalidHeaderValue', message), 'writing', WHERE)),
    ];
    assertNoSecretShown(seen, [sig, key, token], ['base64', 'base64url', 'hex']);
    assert.match(seen[0]!, /^AuthenticationFailed \(HTTP 403\): Server failed to authenticate/);
  });

  it('a registered secret is removed even where the SDK spells it in hex', () => {
    const secret = registerSecret('azure-sas-secret-0123456789');
    const text = describeAzureError(
      restError(400, 'Odd', `saw ${Buffer.from(secret).toString('hex')} in a header`),
    );
    assert.equal(text, redact(text));
    assertNoSecretShown([text], [secret], ['hex', 'base64']);
  });
});

describe('azure credentials come from the environment (SPEC §7)', () => {
  const config = { file: FILE, tls: {}, proxy: undefined } as unknown as Config;
  const settings = (url: string): AzureArchiveConfig => ({
    type: 'azure',
    url,
    container: 'recordings',
    prefix: '',
    useProxy: true,
  });
  const key = Buffer.from('an-account-key-that-must-never-be-shown-0123456789').toString('base64');

  async function refused(url: string, env: NodeJS.ProcessEnv, pattern: RegExp): Promise<string> {
    const error = await openAzureContainer(config, settings(url), env).then(
      () => assert.fail('expected a refusal'),
      (e: unknown) => e,
    );
    assert.ok(error instanceof ConfigError, String(error));
    assert.match(error.message, pattern);
    return error.message;
  }

  it('the credential chain only over https: its bearer tokens are never sent in clear', async () => {
    await refused(
      'http://127.0.0.1:10000/devstoreaccount1',
      {},
      /must use https for the Azure credential chain/,
    );
  });

  it('a connection string for another account than archive.url is refused, without showing it', async () => {
    const message = await refused(
      'https://acct.blob.core.windows.net',
      {
        AZURE_STORAGE_CONNECTION_STRING: `DefaultEndpointsProtocol=https;AccountName=other;AccountKey=${key};EndpointSuffix=core.windows.net`,
      },
      /is not the blob endpoint AZURE_STORAGE_CONNECTION_STRING names \(https:\/\/other\.blob\.core\.windows\.net\)/,
    );
    assertNoSecretShown([message], [key], ['base64', 'hex']);
  });

  it('a value that is no connection string is refused without echoing it', async () => {
    const message = await refused(
      'https://acct.blob.core.windows.net',
      { AZURE_STORAGE_CONNECTION_STRING: `garbage-${key}` },
      /AZURE_STORAGE_CONNECTION_STRING cannot be used/,
    );
    assertNoSecretShown([message], [key], ['base64', 'hex']);
  });

  it('a SAS token is registered as a secret: redact() removes it and its signature', async () => {
    const sig = 'c2lnbmF0dXJlLXRoYXQtaXMtc2VjcmV0LTAxMjM0NTY3ODk=';
    const sas = `sv=2024-05-04&sr=c&sp=racwdl&se=2030-01-01T00%3A00%3A00Z&sig=${encodeURIComponent(sig)}`;
    const opened = await openAzureContainer(config, settings('https://acct.blob.core.windows.net'), {
      AZURE_STORAGE_SAS_TOKEN: `?${sas}`,
    });
    opened.agents.destroy();
    assert.equal(opened.credential, 'sasToken');
    assertNoSecretShown(
      [redact(`token ${sas} sig ${sig} hex ${Buffer.from(sig).toString('hex')}`)],
      [sas, sig],
      ['hex'],
    );
  });
});
