/**
 * SPEC §5: progress on a terminal never costs the run. A pseudo-terminal that reports 0 columns and
 * 0 rows (started through `script`, some CI runners, `docker run -t` before a resize) once made the
 * spinner loop forever, writing gigabytes and deaf to SIGINT. The CLI runs here inside such a pty
 * (util-linux `script`), and the test first checks that the pty really reports `0 0`.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { addConversation, generateOrg } from '../sim/src/index.js';
import { BIN, baseEnv } from './helpers/cli.js';
import { archiveFiles, startSimWorkspace } from './helpers/sim.js';
import { TEST_ENV } from './helpers/run.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
/** More than any honest progress display writes for a small run; the old spinner passed it in a second. */
const OUTPUT_LIMIT = 1024 * 1024;
/** Safety net only: a hang ends here and fails the assertions; it is not a performance bound. */
const SAFETY_KILL_MS = 120_000;

const hasScript = spawnSync('script', ['--version'], { encoding: 'utf8' }).status === 0;

interface PtyResult {
  code: number | null;
  bytes: number;
  text: string;
  killedBy: string | undefined;
}

/**
 * Runs the CLI inside `script` with no size given to the pty (its stdin is not a terminal, so the
 * pty keeps 0×0). The shell prints `stty size` and its pid, then execs the CLI in its place.
 */
function catchupInPty(configPath: string): {
  done: Promise<PtyResult>;
  waitFor(pattern: RegExp): Promise<void>;
  cliPid(): number;
} {
  const cmd = `stty size; echo "cli-pid $$"; exec '${process.execPath}' '${BIN}' catchup --config '${configPath}'`;
  const child = spawn('script', ['-qfec', cmd, '/dev/null'], {
    env: baseEnv({ ...TEST_ENV, TERM: 'xterm-256color' }),
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let bytes = 0;
  let text = '';
  let killedBy: string | undefined;
  let pid = 0;
  const waiters: { pattern: RegExp; resolve(): void }[] = [];
  const killAll = (why: string): void => {
    if (killedBy !== undefined) return;
    killedBy = why;
    if (pid > 0) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    child.kill('SIGKILL');
  };
  const onData = (chunk: Buffer): void => {
    bytes += chunk.length;
    // Keep only the beginning: enough to read the size, the pid and the first progress lines.
    if (text.length < 64 * 1024) text += chunk.toString('utf8');
    const found = /cli-pid (\d+)/.exec(text);
    if (found !== null) pid = Number(found[1]);
    for (const w of waiters.splice(0)) {
      if (w.pattern.test(text)) w.resolve();
      else waiters.push(w);
    }
    if (bytes > OUTPUT_LIMIT) killAll(`output passed ${OUTPUT_LIMIT} bytes`);
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  const timer = setTimeout(() => killAll(`still running after ${SAFETY_KILL_MS} ms`), SAFETY_KILL_MS);
  const done = new Promise<PtyResult>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, bytes, text, killedBy });
    });
  });
  return {
    done,
    waitFor: (pattern) =>
      new Promise<void>((resolve, reject) => {
        if (pattern.test(text)) return resolve();
        waiters.push({ pattern, resolve });
        void done.then((r) =>
          reject(
            new Error(
              `ended (exit ${r.code}, ${r.killedBy ?? 'not killed'}) before ${pattern}: ${r.text.slice(0, 500)}`,
            ),
          ),
        );
      }),
    cliPid: () => pid,
  };
}

function assertZeroSizedPty(result: PtyResult): void {
  assert.match(
    result.text,
    /^0 0\r?\n/,
    `the pty reports 0 rows and 0 columns: ${result.text.slice(0, 200)}`,
  );
}

describe(
  'catchup in a pseudo-terminal without a size',
  { skip: hasScript ? false : 'util-linux `script` is not installed' },
  () => {
    it('finishes with exit 0, a bounded amount of output and every recording archived', async (t) => {
      const now = Date.now();
      const org = generateOrg({ seed: 'pty-small', conversations: 0 });
      for (let i = 0; i < 4; i += 1)
        addConversation(org, { startMs: now - 3 * HOUR + i * 10 * MIN, durationMs: MIN, sizeBytes: 2048 });
      const setup = await startSimWorkspace({
        sim: { org },
        config: { recordingStartTimestamp: new Date(now - 4 * HOUR).toISOString() },
      });
      t.after(() => setup.cleanup());
      const run = catchupInPty(setup.ws.configPath);
      const result = await run.done;
      assertZeroSizedPty(result);
      assert.equal(result.killedBy, undefined, `the run had to be killed: ${result.killedBy}`);
      assert.equal(result.code, 0, result.text.slice(0, 2000));
      assert.ok(result.bytes < OUTPUT_LIMIT, `output stays small (${result.bytes} bytes)`);
      const wavs = (await archiveFiles(setup.ws.archiveDir)).filter((f) => f.endsWith('.wav'));
      assert.equal(wavs.length, 4);
    });

    it('stops with exit 130 on SIGINT sent once progress is on the screen', async (t) => {
      const now = Date.now();
      const org = generateOrg({ seed: 'pty-interrupt', conversations: 0 });
      // About a minute of throttled media: the run is surely still busy when the signal comes.
      for (let i = 0; i < 30; i += 1)
        addConversation(org, { startMs: now - 5 * HOUR + i * 5 * MIN, durationMs: MIN, sizeBytes: 200_000 });
      const setup = await startSimWorkspace({
        sim: { org, mediaBytesPerSecond: 100_000 },
        config: { recordingStartTimestamp: new Date(now - 6 * HOUR).toISOString() },
      });
      t.after(() => setup.cleanup());
      const run = catchupInPty(setup.ws.configPath);
      // The ticking progress line (recordings, rate, bytes) shows the display is live.
      await run.waitFor(/catchup: \d+ recordings \(/);
      assert.ok(run.cliPid() > 0, 'the CLI pid was printed');
      process.kill(run.cliPid(), 'SIGINT');
      const result = await run.done;
      assertZeroSizedPty(result);
      assert.equal(result.killedBy, undefined, `the run had to be killed: ${result.killedBy}`);
      assert.equal(result.code, 130, result.text.slice(0, 2000));
      assert.ok(result.bytes < OUTPUT_LIMIT, `output stays small (${result.bytes} bytes)`);
      const wavs = (await archiveFiles(setup.ws.archiveDir)).filter((f) => f.endsWith('.wav'));
      assert.ok(wavs.length < 30, `interrupted part-way (${wavs.length} archived)`);
    });
  },
);
