/**
 * What examples/README.md tells an operator about the tool, checked against the tool itself: the
 * shipped TLS examples fail `verify --offline` until their files exist (offline verify reads them),
 * history older than 35 days is served (asynchronous jobs, no advice to stay within 35 days), and a
 * run off a terminal prints a summary line that starts with its UTC time (the cron log's timestamp).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { ROOT, baseEnv, runCli } from './helpers/cli.js';
import { QUIET_MIX, startSimWorkspace } from './helpers/sim.js';
import { TEST_ENV } from './helpers/run.js';

const EXAMPLES = path.join(ROOT, 'examples');
const README = readFileSync(path.join(EXAMPLES, 'README.md'), 'utf8');
const HOUR = 3_600_000;

describe('examples/README.md says what the tool does', () => {
  for (const name of ['with-proxy-and-tls.json', 'with-proxy-and-pfx.json', 's3-minio.json']) {
    it(`${name} as shipped fails verify --offline on its TLS files, as the README says`, async () => {
      assert.ok(README.includes(name), `the README names ${name}`);
      const config = path.join(EXAMPLES, 'configs', name);
      const r = await runCli(['verify', '--offline', '--json', '--config', config], {
        env: baseEnv({
          GENESYS_CLIENT_SECRET: 'examples-claims-secret',
          GENESYS_PROXY_PASSWORD: 'examples-claims-proxy',
          GENESYS_TLS_KEY_PASSWORD: 'examples-claims-key',
        }),
      });
      assert.equal(r.code, 5, `${r.stdout}\n${r.stderr}`);
      const doc = JSON.parse(r.stdout) as { ok: boolean; checks: { name: string; ok: boolean }[] };
      assert.equal(doc.ok, false);
      assert.deepEqual(
        doc.checks.filter((c) => !c.ok).map((c) => c.name),
        ['TLS files'],
        'only the TLS files check fails: offline verify reads them',
      );
    });
  }

  for (const name of ['s3-aws-object-lock.json', 's3-minio.json', 'azure-blob.json']) {
    it(`${name}: verify --offline does not contact the store, verify (online) checks it, as the README says`, async () => {
      assert.ok(README.includes(`configs/${name}`), `the README names ${name}`);
      assert.match(
        README,
        /`verify\s+--offline` never contacts an object store; `verify` \(online\) checks the bucket or\s+container/,
      );
      const r = await runCli(
        ['verify', '--offline', '--json', '--config', path.join(EXAMPLES, 'configs', name)],
        {
          env: baseEnv({
            GENESYS_CLIENT_SECRET: 'examples-claims-secret',
            GENESYS_PROXY_PASSWORD: 'examples-claims-proxy',
          }),
        },
      );
      const doc = JSON.parse(r.stdout) as { checks: { name: string; ok: boolean; detail: string }[] };
      const archive = doc.checks.find((c) => c.name === 'archive');
      assert.ok(archive?.ok === true, `${r.stdout}\n${r.stderr}`);
      assert.match(archive.detail, /target: the store is checked online \(verify without --offline\)$/);
      assert.equal(
        doc.checks.filter((c) => c.name.startsWith('archive store')).length,
        0,
        'no store reached',
      );
    });
  }

  it('does not tell operators to keep the start within 35 days (asynchronous jobs serve older history)', () => {
    assert.doesNotMatch(README, /within the last 35 days/);
    assert.doesNotMatch(README, /not available yet/);
    assert.match(README, /asynchronous analytics jobs/);
  });

  it('says the cron log line carries its time, and a run off a terminal prints it so', async (t) => {
    assert.match(README, /summary\s+line that starts with its UTC time/);
    assert.doesNotMatch(README, /carry no timestamp/);
    const now = Date.now();
    const setup = await startSimWorkspace({
      spec: {
        seed: 'cron-line',
        conversations: 3,
        fromMs: now - 5 * HOUR,
        toMs: now - 2 * HOUR,
        mix: QUIET_MIX,
      },
      config: { recordingStartTimestamp: new Date(now - 6 * HOUR).toISOString() },
    });
    t.after(() => setup.cleanup());
    const before = Date.now();
    // As cron runs it: no --json, output not a terminal.
    const r = await runCli(['run', '--config', setup.ws.configPath], { env: baseEnv(TEST_ENV) });
    assert.equal(r.code, 0, r.stderr);
    const lines = (r.stdout + r.stderr).split('\n').filter((l) => l.trim() !== '');
    const summary = lines.find((l) => / run: \d+ ingested/.test(l));
    assert.ok(summary !== undefined, `a summary line:\n${lines.join('\n')}`);
    const stamp = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z) run: /.exec(summary);
    assert.ok(stamp !== null, `the summary line starts with a UTC time: ${summary}`);
    const at = Date.parse(stamp[1]!);
    assert.ok(at >= before - 1000 && at <= Date.now() + 1000, `the time is the run's: ${stamp[1]}`);
  });
});
