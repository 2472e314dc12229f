/**
 * Command-line options of `npm run bench` (SPEC §5): which scenarios run, how big they are, and how
 * the simulated Genesys behaves. `--quick` shrinks every scenario so the whole bench takes a few
 * minutes; explicit sizes still win over it.
 */
import { parseArgs } from 'node:util';

/** The scenarios, in the order they run. */
export const SCENARIOS = [
  'transcoded',
  'original',
  'busy-day',
  'memory',
  's3',
  'reconcile',
  'startup',
] as const;
export type ScenarioName = (typeof SCENARIOS)[number];

/** Everything the scenarios need to know. */
export interface BenchOptions {
  quick: boolean;
  json: boolean;
  /** Scenarios to run, in `SCENARIOS` order. */
  scenarios: ScenarioName[];
  /** About how many recordings the `transcoded` and `original` catch-ups archive. */
  recordings: number;
  /** Genesys' per-token limit, requests per minute. */
  rateLimit: number;
  /** Extra latency of every API response, uniformly in [min, max] ms. */
  latencyMs: [number, number];
  /** Media speed of each download (0: unlimited). */
  mediaBytesPerSecond: number;
  /** How long Genesys takes to transcode a conversation's recordings. */
  transcodeMs: number;
  /** How long a batch download job takes to complete. */
  batchCompleteMs: number;
  /** The tool's `concurrency` setting. */
  concurrency: number;
  /** Recordings in the many-recordings memory run. */
  memoryRecordings: number;
  /** Recordings of 256 KiB in the memory run's `ORIGINAL` catchup. */
  originalRecordings: number;
  /** Size of the one big recording of the memory run and of the s3 scenario, in MiB. */
  bigRecordingMiB: number;
  /** Conversations in the simulator for the `reconcile` scenario (one in ten recorded). */
  reconcileConversations: number;
  /** Runs per command of the startup scenario. */
  startupRuns: number;
  /** Keep the temporary workspaces (their paths are printed). */
  keep: boolean;
}

export const USAGE = `Usage: npm run bench -- [options]

Runs the built genesys-ingest against the project's Genesys simulator and prints the SPEC §5 figures.

  --quick                  smaller scenarios (about 3 minutes in all)
  --only NAME[,NAME]       run only these: ${SCENARIOS.join(', ')}
  --skip NAME[,NAME]       run all but these
  --recordings N           recordings of the transcoded / original catch-ups (default 2000, quick 300)
  --memory-recordings N    recordings of the memory run (default 10000, quick 2000)
  --original-recordings N  256 KiB recordings of the memory run's ORIGINAL catchup (default 1000, quick 300)
  --big-mib N              size of the single recording of the memory and s3 runs (default 1024, quick 256)
  --reconcile-conversations N  conversations of the reconcile scenario (default 50000, quick 5000)
  --startup-runs N         runs per command of the startup scenario (default 10)
  --rate-limit N           requests per minute per token (default 300)
  --latency-ms MIN-MAX     API latency (default 50-150)
  --media-mbps N           media MB/s per download, 0 = unlimited (default 20)
  --transcode-ms N         Genesys transcode time per conversation (default 1000)
  --batch-ms N             batch download job time (default 5000)
  --concurrency N          the tool's concurrency setting (default 4)
  --keep                   keep the temporary workspaces
  --json                   print all figures as one JSON document on stdout
  --help                   this text

Exit 0 when every scenario ran (targets missed or not); 1 when a scenario crashed; 2 on bad options.`;

/** A bad command line: printed with the usage, exit 2. */
export class UsageError extends Error {}

function count(raw: string | undefined, name: string, fallback: number, min = 1): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min) throw new UsageError(`--${name} needs a whole number ≥ ${min}`);
  return n;
}

function names(raw: string | undefined, flag: string): ScenarioName[] {
  if (raw === undefined) return [];
  return raw
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map((s) => {
      const found = SCENARIOS.find((name) => name === s);
      if (found === undefined)
        throw new UsageError(`--${flag}: unknown scenario "${s}" (one of ${SCENARIOS.join(', ')})`);
      return found;
    });
}

function range(raw: string | undefined): [number, number] {
  if (raw === undefined) return [50, 150];
  const match = /^(\d+)(?:-(\d+))?$/.exec(raw.trim());
  if (match === null) throw new UsageError('--latency-ms needs MIN-MAX in ms, e.g. 50-150');
  const min = Number(match[1]);
  const max = match[2] === undefined ? min : Number(match[2]);
  if (max < min) throw new UsageError('--latency-ms: MIN must not exceed MAX');
  return [min, max];
}

/** Parses the command line; `undefined` when `--help` was asked for. */
export function parseBenchArgs(argv: string[]): BenchOptions | undefined {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      quick: { type: 'boolean' },
      json: { type: 'boolean' },
      only: { type: 'string' },
      skip: { type: 'string' },
      recordings: { type: 'string' },
      'memory-recordings': { type: 'string' },
      'original-recordings': { type: 'string' },
      'big-mib': { type: 'string' },
      'startup-runs': { type: 'string' },
      'reconcile-conversations': { type: 'string' },
      'rate-limit': { type: 'string' },
      'latency-ms': { type: 'string' },
      'media-mbps': { type: 'string' },
      'transcode-ms': { type: 'string' },
      'batch-ms': { type: 'string' },
      concurrency: { type: 'string' },
      keep: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help === true) return undefined;
  const quick = values.quick === true;
  const only = names(values.only, 'only');
  const skip = new Set(names(values.skip, 'skip'));
  const wanted = only.length > 0 ? new Set(only) : new Set(SCENARIOS);
  const mbps = values['media-mbps'] === undefined ? 20 : Number(values['media-mbps']);
  if (!Number.isFinite(mbps) || mbps < 0) throw new UsageError('--media-mbps needs a number ≥ 0');
  return {
    quick,
    json: values.json === true,
    scenarios: SCENARIOS.filter((name) => wanted.has(name) && !skip.has(name)),
    recordings: count(values.recordings, 'recordings', quick ? 300 : 2000),
    rateLimit: count(values['rate-limit'], 'rate-limit', 300),
    latencyMs: range(values['latency-ms']),
    mediaBytesPerSecond: Math.round(mbps * 1_000_000),
    transcodeMs: count(values['transcode-ms'], 'transcode-ms', 1000, 0),
    batchCompleteMs: count(values['batch-ms'], 'batch-ms', 5000, 0),
    concurrency: count(values.concurrency, 'concurrency', 4),
    memoryRecordings: count(values['memory-recordings'], 'memory-recordings', quick ? 2000 : 10_000),
    originalRecordings: count(values['original-recordings'], 'original-recordings', quick ? 300 : 1000),
    bigRecordingMiB: count(values['big-mib'], 'big-mib', quick ? 256 : 1024),
    reconcileConversations: count(
      values['reconcile-conversations'],
      'reconcile-conversations',
      quick ? 5000 : 50_000,
    ),
    startupRuns: count(values['startup-runs'], 'startup-runs', 10),
    keep: values.keep === true,
  };
}
