/**
 * Cron mails whatever a job prints to stderr, so a runtime warning from Node or from a dependency
 * (a deprecation, an experimental feature) becomes a message to the operator every night. The
 * commands cron and operators run must print none on the Node running this test; CI runs this file
 * on every supported Node version (see .ci/run). With an S3 archive the AWS SDK warns on Node 20
 * that its later versions need Node 22: the tool switches exactly that warning off (issue 12), and
 * a warning of any other kind must still reach the operator.
 */
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, it } from 'node:test';
import { addConversation, generateOrg } from '../sim/src/index.js';
import { baseEnv, runCli, type CliResult } from './helpers/cli.js';
import { TEST_ENV } from './helpers/run.js';
import { startS3 } from './helpers/s3.js';
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

  it("run with an S3 archive: no NodeVersionSupportWarning from the AWS SDK, only the tool's own lines, and any other warning still shown", async (t) => {
    const now = Date.now();
    const org = generateOrg({ seed: 'warnings-s3', conversations: 0 });
    for (const at of [now - 3 * 60 * MIN, now - 2 * 60 * MIN])
      addConversation(org, { startMs: at, durationMs: MIN, sizeBytes: 2048 });
    const setup = await startSimWorkspace({
      sim: { org },
      config: { recordingStartTimestamp: new Date(now - DAY).toISOString() },
    });
    const store = await startS3();
    t.after(async () => {
      await store.close();
      await setup.cleanup();
    });
    await setup.ws.writeConfig({
      archiveDir: undefined,
      archive: store.archive(),
    });
    // A warning of another kind, raised inside the CLI once the SDK is loaded and its client built:
    // at the first request that reaches the store. Silencing warnings wholesale (a 'warning'
    // listener removed, process.emitWarning replaced, --no-warnings) would swallow it too.
    const canary = path.join(setup.ws.dir, 'canary-warning.mjs');
    await fs.writeFile(
      canary,
      [
        "import diagnostics from 'node:diagnostics_channel';",
        'let raised = false;',
        "diagnostics.subscribe('http.client.request.start', ({ request }) => {",
        `  if (raised || !request.path.startsWith('/${store.bucket}')) return;`,
        '  raised = true;',
        "  process.emitWarning('raised by the test during the first store request', 'CanaryWarning');",
        '});',
        '',
      ].join('\n'),
    );
    const env = baseEnv({
      ...TEST_ENV,
      ...store.env(),
      NODE_OPTIONS: `--import=${pathToFileURL(canary).href}`,
    });

    // As cron runs it: no --json, so stderr holds everything the run has to say.
    const run = await runCli(['run', '--config', setup.ws.configPath], { env, timeoutMs: 240_000 });
    assert.equal(run.code, 0, run.stderr);
    assert.equal((await store.keys('genesys/')).filter((k) => k.endsWith('.xml')).length, 2, 'both archived');
    assert.ok(
      !run.stderr.includes('NodeVersionSupportWarning'),
      `the SDK's Node-version warning reached stderr on Node ${process.version}:\n${run.stderr}`,
    );
    const lines = run.stderr.split('\n').filter((line) => line !== '');
    const canaryAt = lines.findIndex((line) => /^\(node:\d+\) CanaryWarning: raised by the test/.test(line));
    assert.notEqual(canaryAt, -1, `another process warning is still shown:\n${run.stderr}`);
    // Node's hint after the first warning it prints; then nothing but the tool's summary.
    const rest = lines.filter(
      (_, i) => i !== canaryAt && !(i === canaryAt + 1 && /^\(Use `node --trace-warnings/.test(lines[i]!)),
    );
    assert.equal(rest.length, 1, `only the tool's own line besides the test's warning:\n${run.stderr}`);
    assert.match(rest[0]!, /^\d{4}-\d\d-\d\dT[\d:.]+Z run: 2 ingested, .*; exit 0$/);
  });
});
