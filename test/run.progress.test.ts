/**
 * Issue 11 item 7: progress where there is no terminal. With its output redirected (cron, a pipe, a
 * log file), `run` and `catchup` print a plain progress line on stderr at most once a minute:
 * recordings settled, rate, bytes archived, the cursor's date and an ETA. Never with --quiet or
 * --json. The interval is shortened here through the face's test knob
 * `GENESYS_INGEST_PROGRESS_INTERVAL_MS`, so several lines appear without waiting minutes.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { addConversation, generateOrg } from '../sim/src/index.js';
import { baseEnv, runCli, type CliResult } from './helpers/cli.js';
import { archiveFiles, startSimWorkspace, type SimSetup } from './helpers/sim.js';
import { TEST_ENV } from './helpers/run.js';

const MIN = 60_000;
const HOUR = 60 * MIN;

/** One progress line as the operator reads it in a log file. */
const LINE =
  /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (run|catchup): (\d+) recordings settled \((\d+(?:\.\d)?)\/min\), (\d+\.\d) MB archived, cursor (\d{4}-\d\d-\d\d \d\d:\d\d) UTC, ETA (\d+h\d\dm|\d+m|<1m|unknown)$/;

function progressLines(stderr: string): RegExpExecArray[] {
  return stderr
    .split('\n')
    .map((l) => LINE.exec(l))
    .filter((m): m is RegExpExecArray => m !== null);
}

/** Six recordings behind throttled media: a run of a few seconds. */
async function slowSetup(seed: string, count = 6): Promise<SimSetup> {
  const now = Date.now();
  const org = generateOrg({ seed, conversations: 0 });
  for (let i = 0; i < count; i += 1)
    addConversation(org, { startMs: now - 3 * HOUR + i * 10 * MIN, durationMs: MIN, sizeBytes: 150_000 });
  return startSimWorkspace({
    sim: { org, mediaBytesPerSecond: 150_000 },
    config: { recordingStartTimestamp: new Date(now - 4 * HOUR).toISOString() },
  });
}

function cli(setup: SimSetup, args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  return runCli([...args, '--config', setup.ws.configPath], {
    env: baseEnv({ ...TEST_ENV, ...env }),
    timeoutMs: 120_000,
  });
}

const FAST = { GENESYS_INGEST_PROGRESS_INTERVAL_MS: '300' };

describe('progress off a terminal', () => {
  it('catchup prints a progress line each interval: recordings, rate, MB, cursor date, ETA', async (t) => {
    const setup = await slowSetup('progress-catchup');
    t.after(() => setup.cleanup());
    const r = await cli(setup, ['catchup'], FAST);
    assert.equal(r.code, 0, r.stderr);
    const lines = progressLines(r.stderr);
    assert.ok(lines.length >= 2, `several progress lines:\n${r.stderr}`);
    for (const m of lines) assert.equal(m[1], 'catchup');
    // Counts and bytes only grow; the cursor never goes back.
    const settled = lines.map((m) => Number(m[2]));
    const mb = lines.map((m) => Number(m[4]));
    const cursor = lines.map((m) => m[5]!);
    for (let i = 1; i < lines.length; i += 1) {
      assert.ok(settled[i]! >= settled[i - 1]!, 'recordings settled never go down');
      assert.ok(mb[i]! >= mb[i - 1]!, 'bytes archived never go down');
      assert.ok(cursor[i]! >= cursor[i - 1]!, 'the cursor never goes back');
    }
    assert.ok(settled.at(-1)! > 0, `some recordings settled while the lines were printed:\n${r.stderr}`);
    assert.ok(mb.at(-1)! > 0, 'some bytes were archived');
    // A plain log line: no carriage return or escape sequence for a terminal.
    assert.ok(!r.stderr.includes('\r') && !r.stderr.includes('\u001b['), 'no terminal control codes');
    const wavs = (await archiveFiles(setup.ws.archiveDir)).filter((f) => f.endsWith('.wav'));
    assert.equal(wavs.length, 6);
  });

  it('run prints them too', async (t) => {
    const setup = await slowSetup('progress-run');
    t.after(() => setup.cleanup());
    const r = await cli(setup, ['run'], FAST);
    assert.equal(r.code, 0, r.stderr);
    const lines = progressLines(r.stderr);
    assert.ok(lines.length >= 2, `several progress lines:\n${r.stderr}`);
    for (const m of lines) assert.equal(m[1], 'run');
  });

  it('prints none with --quiet or -q, and none with --json (stdout stays one JSON document)', async (t) => {
    // Each on a fresh setup, so each has work lasting several intervals.
    for (const flag of ['--quiet', '-q']) {
      const setup = await slowSetup(`progress-quiet${flag}`, 3);
      t.after(() => setup.cleanup());
      const r = await cli(setup, ['catchup', flag], FAST);
      assert.equal(r.code, 0, r.stderr);
      assert.doesNotMatch(r.stderr, /recordings settled/, `${flag}:\n${r.stderr}`);
      assert.equal((await archiveFiles(setup.ws.archiveDir)).filter((f) => f.endsWith('.wav')).length, 3);
    }
    const setup = await slowSetup('progress-json', 3);
    t.after(() => setup.cleanup());
    const json = await cli(setup, ['run', '--json'], FAST);
    assert.equal(json.code, 0, json.stderr);
    assert.doesNotMatch(json.stderr + json.stdout, /recordings settled/);
    const doc = JSON.parse(json.stdout) as { command: string; counts: { ingested: number } };
    assert.equal(doc.command, 'run');
    assert.equal(doc.counts.ingested, 3, 'the run had work lasting several intervals');
  });

  it('with the default interval (a minute), a short run prints none', async (t) => {
    const setup = await slowSetup('progress-default', 2);
    t.after(() => setup.cleanup());
    const r = await cli(setup, ['catchup']);
    assert.equal(r.code, 0, r.stderr);
    assert.doesNotMatch(r.stderr, /recordings settled/);
    // The run did work worth reporting: only the interval kept the line back.
    const wavs = (await archiveFiles(setup.ws.archiveDir)).filter((f) => f.endsWith('.wav'));
    assert.equal(wavs.length, 2);
  });

  it('says "ETA unknown" while the cursor has not moved', async (t) => {
    const setup = await slowSetup('progress-eta', 2);
    t.after(() => setup.cleanup());
    // Listing answers late: the first lines come before the cursor can move at all.
    setup.sim.faults.add({
      listener: 'api',
      path: /analytics\/conversations\/details\/query/,
      action: { kind: 'delay', ms: 1500 },
    });
    const r = await cli(setup, ['catchup'], FAST);
    assert.equal(r.code, 0, r.stderr);
    const lines = progressLines(r.stderr);
    assert.ok(lines.length >= 1, r.stderr);
    assert.equal(lines[0]![6], 'unknown', r.stderr);
    assert.equal(lines[0]![2], '0', r.stderr);
  });
});
