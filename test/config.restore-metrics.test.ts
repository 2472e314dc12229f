/** The keys of SPEC §8.3 and §8.4: `restoreArchived`, `restoreDays`, `metricsFile` (SPEC §2). */
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { loadConfig } from '../src/config/load.js';
import { ConfigError, ExitCode } from '../src/errors.js';
import { tempDir } from './helpers/cli.js';
import { baseConfig } from './helpers/workspace.js';

async function load(patch: Record<string, unknown>): Promise<{ file: string; load: () => unknown }> {
  const dir = await tempDir();
  const file = path.join(dir, 'sub', 'c.json');
  await fs.mkdir(path.dirname(file), { recursive: true });
  await fs.writeFile(file, JSON.stringify({ ...baseConfig(), ...patch }));
  return { file, load: () => loadConfig(file, { env: {} }) };
}

function refused(run: () => unknown, key: string, pattern: RegExp, file: string): void {
  assert.throws(run, (error: unknown) => {
    assert.ok(error instanceof ConfigError, String(error));
    assert.equal(error.exitCode, ExitCode.usage);
    assert.ok(error.message.includes(`"${key}"`), `names the key: ${error.message}`);
    assert.ok(error.message.includes(file), 'names the file');
    assert.match(error.message, pattern);
    return true;
  });
}

describe('configuration: restore and metrics keys', () => {
  it('defaults: no restore, 7 days, no metrics file', async () => {
    const { file } = await load({});
    const config = loadConfig(file, { env: {} });
    assert.equal(config.restoreArchived, false);
    assert.equal(config.restoreDays, 7);
    assert.equal(config.metricsFile, undefined);
  });

  it('reads the values; metricsFile is resolved against the config file folder', async () => {
    const { file } = await load({
      restoreArchived: true,
      restoreDays: 3,
      metricsFile: '../textfile/genesys.prom',
    });
    const config = loadConfig(file, { env: {} });
    assert.equal(config.restoreArchived, true);
    assert.equal(config.restoreDays, 3);
    assert.equal(config.metricsFile, path.resolve(path.dirname(file), '..', 'textfile', 'genesys.prom'));
    const absolute = '/var/lib/node_exporter/textfile/genesys.prom';
    const again = await load({ metricsFile: absolute });
    assert.equal(loadConfig(again.file, { env: {} }).metricsFile, absolute);
  });

  it('refuses wrong values, naming the key and the file', async () => {
    for (const [patch, key, pattern] of [
      [{ restoreArchived: 'yes' }, 'restoreArchived', /true or false/],
      [{ restoreDays: 0 }, 'restoreDays', /at least 1/],
      [{ restoreDays: 2.5 }, 'restoreDays', /whole number/],
      [{ restoreDays: '7' }, 'restoreDays', /whole number/],
      [{ metricsFile: 42 }, 'metricsFile', /must be a string/],
      [{ metricsFil: 'x.prom' }, 'metricsFil', /did you mean "metricsFile"/],
    ] as const) {
      const { file, load: run } = await load(patch);
      refused(run, key, pattern, file);
    }
  });
});
