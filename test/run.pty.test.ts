/**
 * Issue 11 item 7: `run` shows its progress on a terminal too, like `catchup`. The CLI runs inside a
 * real pseudo-terminal (util-linux `script`) given a usable size, so the live display is the
 * spinner's; media is throttled so the run lasts long enough for the display to tick.
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
/** Safety net only: a hang ends here and fails the assertions; it is not a performance bound. */
const SAFETY_KILL_MS = 120_000;

const hasScript = spawnSync('script', ['--version'], { encoding: 'utf8' }).status === 0;

/** Runs `genesys-ingest <args>` in a pty of 24 rows and 100 columns; resolves with all it printed. */
function inPty(args: string[]): Promise<{ code: number | null; text: string }> {
  const quoted = args.map((a) => `'${a}'`).join(' ');
  const cmd = `stty rows 24 cols 100; stty size; exec '${process.execPath}' '${BIN}' ${quoted}`;
  const child = spawn('script', ['-qfec', cmd, '/dev/null'], {
    env: baseEnv({ ...TEST_ENV, TERM: 'xterm-256color' }),
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let text = '';
  const onData = (chunk: Buffer): void => {
    if (text.length < 1024 * 1024) text += chunk.toString('utf8');
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  const timer = setTimeout(() => child.kill('SIGKILL'), SAFETY_KILL_MS);
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, text });
    });
  });
}

describe(
  'run in a pseudo-terminal',
  { skip: hasScript ? false : 'util-linux `script` is not installed' },
  () => {
    it('shows the live progress line (recordings, rate, bytes, cursor) while it works', async (t) => {
      const now = Date.now();
      const org = generateOrg({ seed: 'run-pty', conversations: 0 });
      // A few seconds of throttled media: the display ticks (once a second) several times.
      for (let i = 0; i < 6; i += 1)
        addConversation(org, { startMs: now - 3 * HOUR + i * 10 * MIN, durationMs: MIN, sizeBytes: 150_000 });
      const setup = await startSimWorkspace({
        sim: { org, mediaBytesPerSecond: 150_000 },
        config: { recordingStartTimestamp: new Date(now - 4 * HOUR).toISOString() },
      });
      t.after(() => setup.cleanup());
      const result = await inPty(['run', '--config', setup.ws.configPath]);
      assert.match(result.text, /^24 100\r?\n/, `the pty has a size: ${result.text.slice(0, 100)}`);
      assert.equal(result.code, 0, result.text.slice(-2000));
      assert.match(
        result.text,
        /run: \d+ recordings \([\d.]+\/s\), [\d.]+ MB, cursor \d{4}-\d\d-\d\d \d\d:\d\d UTC, ETA /,
        result.text.slice(0, 3000),
      );
      const wavs = (await archiveFiles(setup.ws.archiveDir)).filter((f) => f.endsWith('.wav'));
      assert.equal(wavs.length, 6);
    });
  },
);
