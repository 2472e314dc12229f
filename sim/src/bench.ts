#!/usr/bin/env node
/**
 * `npm run bench`: measures the SPEC §5 performance goals of the built `genesys-ingest` against the
 * project's Genesys simulator with a realistic rate limit (300 requests/minute) and latency, running
 * the tool as a child process exactly as cron would. Scenarios: `transcoded` and `original`
 * catch-ups (requests per recording, request rate, 429s, wall time against the bound), `busy-day`
 * (a cron run's cost on a busy day), `memory` (peak RSS, unthrottled: many recordings, an
 * `ORIGINAL` batch catch-up, one huge recording), `s3` (that huge recording into an S3 target on a
 * local s3rver: peak RSS, and throughput against the filesystem target), `reconcile` (`verify
 * --reconcile` over 50,000 conversations: peak RSS and requests) and `startup` (operator commands).
 * Prints a table, or one JSON document with `--json`.
 *
 * A benchmark, not a test: it exits 0 when targets are missed (and says so), 1 only when a scenario
 * crashed, 2 on a bad command line, 130 when interrupted.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { busyDayScenario } from './bench-busy.js';
import { checkBuilt, PACKAGE_ROOT, stopChildren } from './bench-child.js';
import { ingestScenario } from './bench-ingest.js';
import { memoryScenario } from './bench-memory.js';
import { reconcileScenario } from './bench-reconcile.js';
import { parseBenchArgs, USAGE, UsageError, type BenchOptions, type ScenarioName } from './bench-options.js';
import { duration, renderJson, renderText, type ScenarioOutcome } from './bench-report.js';
import { s3Scenario } from './bench-s3.js';
import { startupScenario } from './bench-startup.js';
import { removeLeftovers } from './bench-workspace.js';

const RUNNERS: Record<ScenarioName, (options: BenchOptions) => Promise<ScenarioOutcome>> = {
  transcoded: (o) => ingestScenario(o, 'WAV'),
  original: (o) => ingestScenario(o, 'ORIGINAL'),
  'busy-day': busyDayScenario,
  memory: memoryScenario,
  s3: s3Scenario,
  reconcile: reconcileScenario,
  startup: startupScenario,
};

/** Progress goes to stderr, so `--json` leaves stdout to the one document. */
const progress = (line: string): void => void process.stderr.write(`${line}\n`);

/** The tool's version and, when run from a clone, its commit (read-only git). */
function toolVersion(): string {
  let version = 'unknown';
  try {
    const pkg = JSON.parse(readFileSync(path.join(PACKAGE_ROOT, 'package.json'), 'utf8')) as {
      version?: string;
    };
    version = pkg.version ?? version;
  } catch {
    // Not fatal: the figures stand without it.
  }
  const git = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: PACKAGE_ROOT, encoding: 'utf8' });
  const commit = git.status === 0 ? git.stdout.trim() : '';
  return commit === '' ? version : `${version} (HEAD ${commit}, plus any uncommitted changes in the tree)`;
}

/** Runs one scenario; a throw becomes a `crashed` outcome, so the others still run. */
async function runScenario(name: ScenarioName, options: BenchOptions): Promise<ScenarioOutcome> {
  const started = performance.now();
  progress(`▶ ${name} …`);
  try {
    const outcome = await RUNNERS[name](options);
    const missed = outcome.figures.filter((f) => f.met === false).length;
    progress(
      `  ${name}: ${outcome.status}${outcome.message === undefined ? '' : ` (${outcome.message})`} ` +
        `in ${duration(outcome.seconds)}${missed > 0 ? `, ${missed} target(s) missed` : ''}`,
    );
    return outcome;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    progress(`  ${name}: CRASHED: ${message}`);
    return {
      name,
      status: 'crashed',
      message,
      seconds: (performance.now() - started) / 1000,
      figures: [],
      details: {},
    };
  }
}

async function main(argv: string[]): Promise<number> {
  let options: BenchOptions | undefined;
  try {
    options = parseBenchArgs(argv);
  } catch (error) {
    if (!(error instanceof UsageError) && !(error instanceof TypeError)) throw error;
    process.stderr.write(`bench: ${error.message}\n\n${USAGE}\n`);
    return 2;
  }
  if (options === undefined) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  checkBuilt();
  let interrupted = false;
  for (const signal of ['SIGINT', 'SIGTERM'] as const)
    process.once(signal, () => {
      // The running child stops too (from a terminal it got the signal already) and its scenario
      // ends, removing its folder; anything left goes below. Should the scenario not end, the
      // folders are removed anyway a few seconds later.
      interrupted = true;
      progress(`bench: ${signal}, stopping the tool and removing the temporary workspaces`);
      stopChildren(signal);
      setTimeout(() => {
        removeLeftovers();
        process.exit(130);
      }, 5000).unref();
    });
  const started = performance.now();
  const loadAtStart = os
    .loadavg()
    .map((n) => n.toFixed(2))
    .join(' ');
  progress(`genesys-ingest bench: ${options.scenarios.join(', ')}${options.quick ? ' (--quick)' : ''}`);
  const outcomes: ScenarioOutcome[] = [];
  for (const name of options.scenarios) {
    const outcome = await runScenario(name, options);
    if (interrupted) {
      removeLeftovers();
      return 130;
    }
    outcomes.push(outcome);
  }
  const meta = { tool: toolVersion(), loadAtStart, totalSeconds: (performance.now() - started) / 1000 };
  const text = options.json ? renderJson(outcomes, options, meta) : renderText(outcomes, options, meta);
  process.stdout.write(`${text}\n`);
  return outcomes.some((o) => o.status === 'crashed') ? 1 : 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(
      `bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exitCode = 1;
  },
);
