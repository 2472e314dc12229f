/**
 * The face of `run` and `catchup`: takes the lock, turns SIGINT/SIGTERM and escaped errors into an
 * abort, shows progress, runs the pipeline and prints its outcome. The exit code is the outcome's.
 */
import type { ConfigOverrides } from '../config/types.js';
import { ExitCode, InterruptedError } from '../errors.js';
import type { RunEvents } from '../pipeline/events.js';
import { runPipeline } from '../pipeline/run.js';
import { onEscapedError } from '../util/last-resort.js';
import { withLock, type CommandContext } from './context.js';
import { crashAt } from './crash-point.js';
import { parseCursorTime } from './operator/cursor.js';
import { LOG_INTERVAL_MS, SettledTally, startProgress } from './progress.js';
import { requestLine, settledLine, windowLine } from './run-log.js';
import { printOutcome } from './run-outcome.js';
import { StoppedWith } from './stopped.js';

export interface RunCommandOptions {
  command: 'run' | 'catchup';
  dryRun: boolean;
  overrides: ConfigOverrides;
  /** catchup: list windows up to this time (default now − availability delay). */
  /** catchup `--until TIME`, read once the configuration (its `timezone`) is loaded. */
  until?: string;
}

export async function runCommand(cmd: CommandContext, options: RunCommandOptions): Promise<number> {
  return withLock(
    cmd,
    options.command,
    async ({ config, paths }, lock) => {
      // Read in the configured timezone, so only now; a bad value changes nothing (exit 2).
      const untilMs = options.until === undefined ? undefined : parseUntil(options.until, config.timezone);
      const stop = new AbortController();
      const abort = (reason: unknown): void => {
        if (!stop.signal.aborted) stop.abort(reason);
      };
      const onSignal = (signal: NodeJS.Signals): void => abort(new InterruptedError(signal));
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
      // An error that escaped every handler (a bug) stops the run like a run-level failure, then exit 70.
      const stopOnEscaped = onEscapedError(abort);
      const tally = new SettledTally();
      const events: RunEvents = {
        info: (text) => cmd.output.info(text),
        warn: (text) => cmd.output.warn(text),
        debug: (text) => cmd.output.debug(text),
        windowListed: (window) => cmd.output.debug(windowLine(window)),
        settled: (item) => {
          tally.add(item);
          cmd.output.debug(settledLine(item));
        },
        ...(cmd.output.requests ? { request: (record) => cmd.output.request(requestLine(record)) } : {}),
        progress: (source) =>
          startProgress(cmd.output, source, { intervalMs: progressIntervalMs(cmd.env), tally }),
        reached: crashAt(cmd.env),
      };
      let outcome;
      try {
        outcome = await runPipeline({
          command: options.command,
          dryRun: options.dryRun,
          config,
          paths,
          lock,
          signal: stop.signal,
          events,
          ...(untilMs === undefined ? {} : { untilMs }),
          notReadyPollMs: notReadyPollMs(cmd.env),
          syncResultCap: syncResultCap(cmd.env),
        });
      } finally {
        stopOnEscaped();
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }
      if (outcome.reportFile === undefined) throw new StoppedWith(outcome.exitCode, outcome.error);
      await printOutcome(cmd.output, outcome, outcome.reportFile);
      if (outcome.failure !== undefined && outcome.exitCode !== ExitCode.interrupted)
        throw new StoppedWith(outcome.exitCode, outcome.error);
      return outcome.exitCode;
    },
    { requireSecret: true, overrides: options.overrides },
  );
}

/** `catchup --until TIME`: read like `cursor set TIME` (without an offset, in `timezone`); exit 2 otherwise. */
export function parseUntil(text: string, timezone: string): number {
  return parseCursorTime(text, timezone, { code: 'catchup.badUntil', label: '--until' });
}

/** A whole number from the environment, at least `min`; otherwise the specification's value. */
function testKnob(env: NodeJS.ProcessEnv, name: string, min: number, fallback: number): number {
  const value = Number(env[name]);
  return env[name] !== undefined && env[name] !== '' && Number.isInteger(value) && value >= min
    ? value
    : fallback;
}

/** Two minutes (SPEC §4.3); `GENESYS_INGEST_NOT_READY_POLL_MS` shortens it for the test suite only. */
function notReadyPollMs(env: NodeJS.ProcessEnv): number {
  return testKnob(env, 'GENESYS_INGEST_NOT_READY_POLL_MS', 0, 120_000);
}

/** 10,000 (SPEC §4.1); `GENESYS_INGEST_SYNC_RESULT_CAP` scales it down for the test suite only. */
function syncResultCap(env: NodeJS.ProcessEnv): number {
  return testKnob(env, 'GENESYS_INGEST_SYNC_RESULT_CAP', 1, 10_000);
}

/** A minute off a terminal; `GENESYS_INGEST_PROGRESS_INTERVAL_MS` shortens it for the test suite only. */
function progressIntervalMs(env: NodeJS.ProcessEnv): number {
  return testKnob(env, 'GENESYS_INGEST_PROGRESS_INTERVAL_MS', 1, LOG_INTERVAL_MS);
}
