/**
 * Cron mails whatever a job prints to stderr, so a runtime warning from Node or from a dependency
 * (a deprecation, an experimental feature) becomes a message to the operator every night. The
 * commands cron and operators run must print none on the Node running this test; CI runs this file
 * on every supported Node version (see .ci/run).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { addConversation, generateOrg } from '../sim/src/index.js';
import { baseEnv, runCli, type CliResult } from './helpers/cli.js';
import { TEST_ENV } from './helpers/run.js';
import { startSimWorkspace } from './helpers/sim.js';

const MIN = 60_000;
const DAY = 24 * 60 * MIN;

/** Node prints process warnings as "(node:PID) [DEP0040] DeprecationWarning: …" or "(node:PID) Warning: …". */
function assertNoRuntimeWarning(label: string, r: CliResult): void {
  const lines = r.stderr.split('\n').filter((line) => /^\(node:\d+\)|\b[A-Za-z]*Warning: /.test(line));
  assert.deepEqual(lines, [], `${label} printed a runtime warning on Node ${process.version}:\n${r.stderr}`);
}

describe(`no runtime warning on stderr (Node ${process.version})`, () => {
  it('--help and --version', async () => {
    for (const args of [['--help'], ['--version'], ['run', '--help']]) {
      const r = await runCli(args);
      assert.equal(r.code, 0, r.stderr);
      assertNoRuntimeWarning(args.join(' '), r);
    }
  });

  it('run, catchup over the async-job horizon, status, verify and verify --offline against the simulator', async (t) => {
    const now = Date.now();
    const org = generateOrg({ seed: 'warnings', conversations: 0 });
    // Older than 35 days (an async analytics job) and recent (the synchronous query).
    for (const at of [now - 40 * DAY, now - 3 * DAY, now - 2 * DAY])
      addConversation(org, { startMs: at, durationMs: MIN, sizeBytes: 2048 });
    const setup = await startSimWorkspace({
      sim: { org, asyncJobMs: 100 },
      config: { recordingStartTimestamp: new Date(now - 41 * DAY).toISOString() },
    });
    t.after(() => setup.cleanup());
    const config = ['--config', setup.ws.configPath];
    const env = baseEnv(TEST_ENV);

    const catchup = await runCli(['catchup', ...config], { env, timeoutMs: 240_000 });
    assert.equal(catchup.code, 0, catchup.stderr);
    assertNoRuntimeWarning('catchup', catchup);
    assert.match(catchup.stderr, /catchup: 3 ingested/, 'catchup archived the three recordings');
    const jobs = setup.sim.log.filter((e) => e.method === 'POST' && e.path.endsWith('/details/jobs'));
    assert.ok(jobs.length >= 1, 'the oldest conversation was listed through an async job');

    // The next cron run: the steady state, a short window after the back-fill.
    const run = await runCli(['run', ...config], { env, timeoutMs: 240_000 });
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stderr, /run: 0 ingested, .*; exit 0$/m, 'run listed its window');
    assertNoRuntimeWarning('run', run);

    for (const args of [['status'], ['verify'], ['verify', '--offline', '--archive']]) {
      const r = await runCli([...args, ...config], { env });
      assert.equal(r.code, 0, `${args.join(' ')}\n${r.stdout}\n${r.stderr}`);
      assertNoRuntimeWarning(args.join(' '), r);
    }
  });
});
