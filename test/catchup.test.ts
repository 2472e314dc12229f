import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { addConversation, generateOrg } from '../sim/src/index.js';
import { baseEnv, spawnCli } from './helpers/cli.js';
import { archiveFiles, expectedArchive, startSimWorkspace } from './helpers/sim.js';
import { cursorTime, ingest, readCursorLine, TEST_ENV } from './helpers/run.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

async function wavCount(archiveDir: string): Promise<number> {
  return (await archiveFiles(archiveDir)).filter((f) => f.endsWith('.wav')).length;
}

describe('catchup', () => {
  it('back-fills 50 days: async jobs beyond 35 days, nothing missed at window edges or job page boundaries', async (t) => {
    const now = Date.now();
    const org = generateOrg({ seed: 'history', conversations: 0 });
    // Spread over 50 days, one every ~8 hours, recorded.
    for (let at = now - 50 * DAY; at < now - HOUR; at += 8 * HOUR)
      addConversation(org, { startMs: at, durationMs: MIN, sizeBytes: 1024 });
    // A crowded old week: 1,100 conversations cross the job results page boundary (1,000).
    for (let i = 0; i < 1100; i += 1)
      addConversation(org, {
        startMs: now - 45 * DAY + i * 5 * MIN,
        durationMs: 1000,
        recordings: i % 50 === 0 ? 1 : 0,
        sizeBytes: 1024,
      });
    // On the synchronous horizon and next to it, and on a 7-day window edge from the start.
    const horizon = Math.floor(now / DAY) * DAY - 34 * DAY;
    const start = now - 50 * DAY - MIN;
    for (const at of [horizon - 1, horizon, horizon + 1, start + 7 * DAY - 1, start + 7 * DAY])
      addConversation(org, { startMs: at, durationMs: 1000, sizeBytes: 1024 });
    const setup = await startSimWorkspace({
      sim: { org, asyncJobMs: 200 },
      config: { recordingStartTimestamp: new Date(start).toISOString() },
    });
    t.after(() => setup.cleanup());
    const { result, report } = await ingest(setup.ws, ['catchup']);
    assert.equal(result.code, 0, result.stderr);
    const expected = expectedArchive(setup.sim.org, 'WAV', 'wav', 'Europe/Dublin', Date.now(), 2);
    assert.deepEqual(
      (await archiveFiles(setup.ws.archiveDir)).filter((f) => f.endsWith('.wav')),
      [...expected.values()].map((e) => e.file).sort(),
    );
    assert.equal(report.counts.discovered, setup.sim.org.conversations.length);
    const jobs = setup.sim.log.filter((e) => e.method === 'POST' && e.path.endsWith('/details/jobs')).length;
    assert.ok(jobs >= 2, `asynchronous jobs served the old windows (${jobs})`);
    assert.ok(
      setup.sim.log.some((e) => e.method === 'DELETE' && e.path.includes('/details/jobs/')),
      'jobs are deleted after reading',
    );
    assert.ok(cursorTime(await readCursorLine(setup.ws)) > now - 2 * HOUR);
  });

  it('a day over the synchronous cap is split, then listed by an asynchronous job', async (t) => {
    const now = Date.now();
    const org = generateOrg({ seed: 'cap', conversations: 0 });
    const day = Math.floor((now - 2 * DAY) / DAY) * DAY;
    for (let i = 0; i < 400; i += 1)
      addConversation(org, {
        startMs: day + i * 3 * MIN,
        durationMs: 1000,
        recordings: i % 40 === 0 ? 1 : 0,
        sizeBytes: 1024,
      });
    addConversation(org, { startMs: now - 3 * HOUR, durationMs: MIN, sizeBytes: 1024 });
    const setup = await startSimWorkspace({
      sim: { org, syncMaxResults: 300, asyncJobMs: 100 },
      config: { recordingStartTimestamp: new Date(day - DAY).toISOString() },
    });
    t.after(() => setup.cleanup());
    const { result, report } = await ingest(setup.ws, ['catchup'], { GENESYS_INGEST_SYNC_RESULT_CAP: '300' });
    assert.equal(result.code, 0, result.stderr);
    assert.equal(report.counts.discovered, 401);
    assert.equal(await wavCount(setup.ws.archiveDir), 11);
    assert.ok(setup.sim.log.some((e) => e.path.endsWith('/details/jobs')));
  });

  it('waits with discoveryCapped while the data lake is behind; the cursor does not pass unlisted history', async (t) => {
    const now = Date.now();
    const org = generateOrg({ seed: 'lake', conversations: 0 });
    const old = addConversation(org, { startMs: now - 40 * DAY, durationMs: MIN, sizeBytes: 1024 });
    const setup = await startSimWorkspace({
      sim: { org, dataAvailabilityLagMs: 45 * DAY },
      config: { recordingStartTimestamp: new Date(now - 41 * DAY).toISOString() },
    });
    t.after(() => setup.cleanup());
    const { result, report } = await ingest(setup.ws, ['catchup']);
    assert.equal(result.code, 1);
    assert.deepEqual(report.alerts.map((a) => a.type).sort(), ['discoveryCapped', 'lagging']);
    assert.ok(cursorTime(await readCursorLine(setup.ws)) <= old.startMs);
    assert.equal(await wavCount(setup.ws.archiveDir), 0);
  });

  it('interrupted with SIGINT (exit 130) and resumed: everything archived exactly once', async (t) => {
    const now = Date.now();
    const org = generateOrg({ seed: 'resume', conversations: 0 });
    for (let at = now - 40 * DAY; at < now - HOUR; at += 12 * HOUR)
      addConversation(org, { startMs: at, durationMs: MIN, sizeBytes: 200_000 });
    const setup = await startSimWorkspace({
      sim: { org, asyncJobMs: 100, mediaBytesPerSecond: 2_000_000 },
      config: { recordingStartTimestamp: new Date(now - 41 * DAY).toISOString() },
    });
    t.after(() => setup.cleanup());
    const first = spawnCli(['catchup', '--json', '--config', setup.ws.configPath], {
      env: baseEnv(TEST_ENV),
    });
    // Interrupt once the back-fill is under way: its first recording is in the archive.
    while ((await wavCount(setup.ws.archiveDir)) === 0) {
      assert.equal(first.child.exitCode, null, 'catchup still running when its first recording lands');
      await sleep(20);
    }
    first.child.kill('SIGINT');
    const stopped = await first.done;
    assert.equal(stopped.code, 130, stopped.stderr);
    const partial = await wavCount(setup.ws.archiveDir);
    assert.ok(partial < 80, `interrupted part-way (${partial} archived)`);
    const resumed = await ingest(setup.ws, ['catchup']);
    assert.equal(resumed.result.code, 0, resumed.result.stderr);
    const expected = expectedArchive(setup.sim.org, 'WAV', 'wav', 'Europe/Dublin', Date.now(), 2);
    assert.deepEqual(
      (await archiveFiles(setup.ws.archiveDir)).filter((f) => f.endsWith('.wav')),
      [...expected.values()].map((e) => e.file).sort(),
    );
    assert.equal(resumed.report.counts.ingested + partial, expected.size, 'nothing archived twice');
  });

  it('--availability-delay and --max-recording-length apply to this invocation only', async (t) => {
    const now = Date.now();
    const org = generateOrg({ seed: 'overrides', conversations: 0 });
    // Ended 20 minutes ago: pending under the configured 60-minute delay, ready under 10.
    const recent = addConversation(org, { startMs: now - 90 * MIN, durationMs: 70 * MIN, sizeBytes: 1024 });
    const setup = await startSimWorkspace({
      sim: { org },
      config: {
        availabilityDelayMinutes: 60,
        recordingStartTimestamp: new Date(now - 3 * HOUR).toISOString(),
      },
    });
    t.after(() => setup.cleanup());
    const { result, report } = await ingest(setup.ws, [
      'catchup',
      '--availability-delay',
      '10',
      '--max-recording-length',
      '999',
    ]);
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(
      report.items.filter((i) => i.status === 'ingested').map((i) => i.conversationId),
      [recent.id],
    );
    const config = JSON.parse(
      await import('node:fs/promises').then((f) => f.readFile(setup.ws.configPath, 'utf8')),
    ) as { availabilityDelayMinutes: number };
    assert.equal(config.availabilityDelayMinutes, 60, 'the configuration file is unchanged');
  });
});
