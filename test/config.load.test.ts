import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { loadConfig, loadLockIdentity, redactedConfig, resolveConfigPath } from '../src/config/load.js';
import { ConfigError, ExitCode } from '../src/errors.js';
import { redact } from '../src/util/redact.js';
import { tempDir } from './helpers/cli.js';
import { baseConfig } from './helpers/workspace.js';

async function withConfig(
  patch: Record<string, unknown>,
  fn: (file: string) => void | Promise<void>,
): Promise<void> {
  const dir = await tempDir();
  try {
    const file = path.join(dir, 'c.json');
    const config: Record<string, unknown> = { ...baseConfig(), ...patch };
    for (const [k, v] of Object.entries(config)) if (v === undefined) delete config[k];
    await fs.writeFile(file, JSON.stringify(config));
    await fn(file);
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

function expectConfigError(file: string, pattern: RegExp, env: NodeJS.ProcessEnv = {}): void {
  assert.throws(
    () => loadConfig(file, { env, requireSecret: true }),
    (error: unknown) => {
      assert.ok(error instanceof ConfigError, String(error));
      assert.equal(error.exitCode, ExitCode.usage);
      assert.match(error.message, pattern);
      assert.ok(error.message.includes(file), 'the message names the file');
      return true;
    },
  );
}

describe('configuration', () => {
  it('loads a minimal file with defaults and resolves paths against the file folder', async () => {
    await withConfig({}, (file) => {
      const config = loadConfig(file, { env: {}, requireSecret: true });
      assert.equal(config.stateDir, path.join(path.dirname(file), 'state'));
      assert.equal(config.archiveDir, path.join(path.dirname(file), 'archive'));
      assert.equal(config.retryBatchSize, 25);
      assert.equal(config.retryMaxAgeDays, 30);
      assert.equal(config.maxRunMinutes, 55);
      assert.equal(config.concurrency, 4);
      assert.equal(config.minFreeDiskMb, 2048);
      assert.equal(config.maxLagMinutes, 240);
      assert.equal(config.reconcileAfterHours, 72);
      assert.equal(config.deleteAfterIngest, false);
      assert.equal(config.deleteGraceHours, 24);
      assert.equal(config.recordingStartTimestamp, Date.parse('2024-01-01T00:00:00Z'));
      assert.ok(Object.isFrozen(config) && Object.isFrozen(config.tls));
    });
  });

  it('rejects unknown keys, also nested ones, and suggests the near key', async () => {
    await withConfig({ deleteAfterIngset: true }, (file) =>
      expectConfigError(
        file,
        /"deleteAfterIngset" is not a known key \(did you mean "deleteAfterIngest"\?\)/,
      ),
    );
    await withConfig({ proxy: { host: 'p', port: 3128, pasword: 'x' } }, (file) =>
      expectConfigError(file, /"proxy\.pasword" is not a known key/),
    );
    await withConfig({ tls: { certfile: 'x' } }, (file) =>
      expectConfigError(file, /"tls\.certfile" is not a known key \(did you mean "tls\.certFile"\?\)/),
    );
  });

  const invalid: [string, Record<string, unknown>, RegExp][] = [
    ['missing name', { name: undefined }, /"name" is required/],
    ['bad policyId', { policyId: 'a/b' }, /"policyId" must be 1 to 64/],
    ['long importSourceId', { importSourceId: 'x'.repeat(65) }, /"importSourceId" must be 1 to 64/],
    ['http authUrl', { authUrl: 'http://login.example.com' }, /"authUrl" must use https/],
    ['not a URL', { apiUrl: 'api.mypurecloud.ie' }, /"apiUrl" must be an absolute URL/],
    [
      'URL with credentials',
      { apiUrl: 'https://u:p@api.example.com' },
      /"apiUrl" must not carry a user name/,
    ],
    ['bad codec', { codec: 'FLAC' }, /"codec" must be one of WAV, WEBM/],
    ['bad timezone', { timezone: 'Mars/Olympus' }, /"timezone" must be an IANA time zone/],
    [
      'bad start',
      { recordingStartTimestamp: 'yesterday' },
      /"recordingStartTimestamp" must be an ISO-8601 time/,
    ],
    ['negative delay', { availabilityDelayMinutes: -1 }, /"availabilityDelayMinutes" must be at least 2/],
    ['no delay', { availabilityDelayMinutes: 0 }, /"availabilityDelayMinutes" must be at least 2; got 0/],
    ['a one-minute delay', { availabilityDelayMinutes: 1 }, /"availabilityDelayMinutes" must be at least 2/],
    [
      'fractional length',
      { maxRecordingLengthMinutes: 1.5 },
      /"maxRecordingLengthMinutes" must be a whole number/,
    ],
    ['string number', { concurrency: '4' }, /"concurrency" must be a whole number/],
    ['too much concurrency', { concurrency: 500 }, /"concurrency" must be at most 32/],
    ['non-boolean', { deleteAfterIngest: 'yes' }, /"deleteAfterIngest" must be true or false/],
    [
      'proxy with scheme',
      { proxy: { host: 'http://proxy', port: 3128 } },
      /"proxy\.host" must be a host name/,
    ],
    ['proxy bad port', { proxy: { host: 'proxy', port: 70000 } }, /"proxy\.port" must be at most 65535/],
    [
      'proxy password without user',
      { proxy: { host: 'proxy', port: 3128, password: 'pw' } },
      /"proxy\.password" needs "proxy\.username"/,
    ],
    [
      'bad thumbprint',
      { tls: { certFile: 'c.pem', thumbprint: 'abc' } },
      /"tls\.thumbprint" must be a SHA-1/,
    ],
    ['same folders', { stateDir: './x', archiveDir: './x' }, /"archiveDir" must not be the same folder/],
    ['tls not an object', { tls: 'yes' }, /"tls" must be an object/],
  ];
  for (const [title, patch, pattern] of invalid) {
    it(`refuses ${title}`, async () => {
      await withConfig(patch, (file) => expectConfigError(file, pattern));
    });
  }

  it('reads an offset-less start time in the configured timezone', async () => {
    await withConfig(
      { recordingStartTimestamp: '2024-07-01T12:00:00', timezone: 'Europe/Dublin' },
      (file) => {
        assert.equal(
          loadConfig(file, { env: {} }).recordingStartTimestamp,
          Date.parse('2024-07-01T11:00:00Z'),
        );
      },
    );
  });

  it('takes secrets from the environment over the file, and from clientSecretFile', async () => {
    await withConfig({ clientSecret: 'from-file-1234' }, (file) => {
      const config = loadConfig(file, {
        env: { GENESYS_CLIENT_SECRET: 'from-env-5678', GENESYS_CLIENT_ID: 'env-client' },
      });
      assert.equal(config.clientSecret, 'from-env-5678');
      assert.equal(config.clientId, 'env-client');
    });
    const dir = await tempDir();
    try {
      await fs.writeFile(path.join(dir, 'secret.txt'), 'file-secret-9999\n');
      await withConfig(
        { clientSecret: undefined, clientSecretFile: path.join(dir, 'secret.txt') },
        (file) => {
          assert.equal(loadConfig(file, { env: {}, requireSecret: true }).clientSecret, 'file-secret-9999');
        },
      );
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
    await withConfig({ clientSecret: undefined }, (file) => {
      expectConfigError(file, /"clientSecret" is required/);
      assert.equal(loadConfig(file, { env: {}, requireSecret: false }).clientSecret, undefined);
    });
  });

  it('applies flag overrides over the file', async () => {
    await withConfig({}, (file) => {
      const config = loadConfig(file, {
        env: {},
        overrides: { maxRunMinutes: 7, availabilityDelayMinutes: 10, maxRecordingLengthMinutes: 999 },
      });
      assert.deepEqual(
        [config.maxRunMinutes, config.availabilityDelayMinutes, config.maxRecordingLengthMinutes],
        [7, 10, 999],
      );
    });
  });

  it('accepts an availability delay of 2 minutes and refuses a smaller one given as a flag', async () => {
    await withConfig({ availabilityDelayMinutes: 2 }, (file) => {
      assert.equal(loadConfig(file, { env: {} }).availabilityDelayMinutes, 2);
      assert.throws(
        () => loadConfig(file, { env: {}, overrides: { availabilityDelayMinutes: 1 } }),
        (e: unknown) =>
          e instanceof ConfigError &&
          e.exitCode === 2 &&
          /--availability-delay must be at least 2/.test(e.message),
      );
    });
  });

  it('redacts secrets wherever the config is shown', async () => {
    await withConfig(
      {
        proxy: { host: 'proxy', port: 3128, username: 'u', password: 'proxy-pass-4242' },
        tls: { certFile: 'c.pem', keyPassword: 'key-pass-4242' },
      },
      (file) => {
        const config = loadConfig(file, { env: {} });
        const shown = JSON.stringify(redactedConfig(config));
        for (const secret of ['proxy-pass-4242', 'key-pass-4242', String(config.clientSecret)]) {
          assert.ok(!shown.includes(secret));
          assert.ok(
            !redact(
              `oops ${secret} ${Buffer.from(secret).toString('base64')} ${encodeURIComponent(secret)}`,
            ).includes(secret),
          );
          assert.ok(
            !redact(Buffer.from(secret).toString('base64')).includes(Buffer.from(secret).toString('base64')),
          );
        }
      },
    );
  });

  it('reports a missing file, invalid JSON and a non-object clearly', async () => {
    const dir = await tempDir();
    try {
      const missing = path.join(dir, 'none.json');
      assert.throws(() => loadConfig(missing), /does not exist/);
      await fs.writeFile(path.join(dir, 'bad.json'), '{ "name": ');
      assert.throws(() => loadConfig(path.join(dir, 'bad.json')), /not valid JSON/);
      await fs.writeFile(path.join(dir, 'arr.json'), '[]');
      assert.throws(() => loadConfig(path.join(dir, 'arr.json')), /must hold one JSON object/);
      await fs.writeFile(path.join(dir, 'bom.json'), `\uFEFF${JSON.stringify(baseConfig())}`);
      assert.equal(loadConfig(path.join(dir, 'bom.json')).name, 'Test source');
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });

  it('reads only the lock identity before the lock, even when other keys are invalid', async () => {
    await withConfig({ codec: 'FLAC', stateDir: 'st' }, (file) => {
      const identity = loadLockIdentity(file);
      assert.equal(identity.stateDir, path.join(path.dirname(file), 'st'));
      assert.equal(identity.policyId, 'pol1');
    });
  });

  it('resolves the config path from flag, then environment, then the default', () => {
    assert.equal(resolveConfigPath('a.json', { GENESYS_INGEST_CONFIG: 'b.json' }), path.resolve('a.json'));
    assert.equal(resolveConfigPath(undefined, { GENESYS_INGEST_CONFIG: 'b.json' }), path.resolve('b.json'));
    assert.equal(resolveConfigPath(undefined, {}), path.resolve('genesys-ingest.json'));
  });
});
