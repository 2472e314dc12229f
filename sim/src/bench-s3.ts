/**
 * The `s3` scenario (SPEC §7 "Memory and disk", issue 12): one large recording (`--big-mib`, 1 GiB
 * by default) caught up twice from the same simulated organisation, once into the filesystem target
 * and once into an S3 target, s3rver (a dev dependency of the repository, resolved from its root)
 * started here on 127.0.0.1. Figures: the child's peak RSS with S3 (target < 150 MB), the
 * throughput of each run, and their ratio S3 ÷ filesystem: the store should not be the bottleneck.
 *
 * Both runs are unthrottled (no rate limit, latency or media speed), so the archive is the only
 * difference between them. The S3 run's wall time includes what the target does after the last byte
 * (completing the multipart upload, the copy that sets the `sha256` metadata, the HEAD confirming it).
 * s3rver writes to the local disk like the filesystem target does, so the ratio shows the cost of the
 * SDK, the HTTP transfer and the multipart upload, not of a network.
 */
import { promises as fs } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { BenchOptions } from './bench-options.js';
import { childEnv, describeFailure, parseReport, runTool, type ChildRun } from './bench-child.js';
import { bigOrg } from './bench-memory.js';
import { duration, info, MB, mb, rssFigure, type ScenarioOutcome } from './bench-report.js';
import { makeWorkspace, type BenchWorkspace } from './bench-workspace.js';
import { startSimulator, type Simulator } from './index.js';

/** s3rver's API, as far as the bench uses it (the package ships no types). */
interface S3rverInstance {
  run(): Promise<{ port: number }>;
  close(): Promise<void>;
}
type S3rverCtor = new (options: Record<string, unknown>) => S3rverInstance;

const BUCKET = 'bench-archive';
/** s3rver's built-in key pair: it checks signatures against it. Not a secret of anyone's. */
const S3RVER_KEY = 'S3RVER';

interface Measured {
  run: ChildRun;
  ingested: number;
  bytes: number;
  /** MB/s over the child's whole wall time (start-up, listing and confirmation included). */
  mbPerSecond: number;
}

/** Catches up the one recording of `sim` into the archive `ws` is configured for. */
async function catchUp(ws: BenchWorkspace, env: Record<string, string> = {}): Promise<Measured> {
  const run = await runTool(['catchup', '--json', ...ws.configArgs], { env: childEnv(env) });
  const report = parseReport(run);
  if (report?.counts === undefined || run.code !== 0)
    throw new Error(`catchup failed: ${describeFailure(run, report)}`);
  const bytes = report.bytesDownloaded ?? 0;
  return {
    run,
    ingested: report.counts.ingested ?? 0,
    bytes,
    mbPerSecond: bytes / (run.wallMs / 1000) / MB,
  };
}

/** The filesystem run: the default target, as every other scenario uses it. */
async function filesystemRun(sim: Simulator, startMs: number, options: BenchOptions): Promise<Measured> {
  const ws = await makeWorkspace(
    sim,
    { codec: 'WAV', recordingStartMs: startMs, concurrency: options.concurrency },
    options.keep,
  );
  try {
    return await catchUp(ws);
  } finally {
    await ws.cleanup();
  }
}

/** The S3 run: s3rver on loopback with its data inside the workspace, reached without a proxy. */
async function s3Run(sim: Simulator, startMs: number, options: BenchOptions): Promise<Measured> {
  const require = createRequire(import.meta.url);
  const S3rver = require('s3rver') as S3rverCtor;
  const archive = {
    type: 's3',
    bucket: BUCKET,
    prefix: 'genesys/',
    region: 'eu-west-1',
    forcePathStyle: true,
  };
  const ws = await makeWorkspace(
    sim,
    {
      codec: 'WAV',
      recordingStartMs: startMs,
      concurrency: options.concurrency,
      extra: { archiveDir: undefined, archive },
    },
    options.keep,
  );
  // Its data inside the workspace, so the workspace's cleanup (or an interrupt's) removes it too.
  const server = new S3rver({
    port: 0,
    address: '127.0.0.1',
    silent: true,
    directory: path.join(ws.dir, 's3rver'),
    configureBuckets: [{ name: BUCKET }],
  });
  try {
    const { port } = await server.run();
    // The port is known only now: the endpoint goes into the configuration written above.
    const config = JSON.parse(await fs.readFile(ws.configPath, 'utf8')) as Record<string, unknown>;
    config.archive = { ...archive, endpoint: `http://127.0.0.1:${port}` };
    await fs.writeFile(ws.configPath, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
    return await catchUp(ws, {
      AWS_ACCESS_KEY_ID: S3RVER_KEY,
      AWS_SECRET_ACCESS_KEY: S3RVER_KEY,
      // Only the key pair above: no instance metadata, no shared files of the machine's user.
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_CONFIG_FILE: path.join(ws.dir, 'no-aws-config'),
      AWS_SHARED_CREDENTIALS_FILE: path.join(ws.dir, 'no-aws-credentials'),
    });
  } finally {
    await server.close().catch(() => undefined);
    await ws.cleanup();
  }
}

export async function s3Scenario(options: BenchOptions): Promise<ScenarioOutcome> {
  const started = performance.now();
  const bigBytes = options.bigRecordingMiB * 1024 * 1024;
  const org = bigOrg(bigBytes, Date.now());
  const startMs = (org.conversations[0]?.startMs ?? Date.now()) - 60_000;
  const sim = await startSimulator({ org, rateLimitPerMinute: 0 });
  let fsRun: Measured;
  let s3: Measured;
  try {
    fsRun = await filesystemRun(sim, startMs, options);
    s3 = await s3Run(sim, startMs, options);
  } finally {
    await sim.close();
  }
  const label = `${options.bigRecordingMiB} MiB`;
  const ratio = s3.mbPerSecond / fsRun.mbPerSecond;
  const archived = (m: Measured): string | undefined => (m.ingested === 1 ? undefined : 'NOT archived');
  const speed = (m: Measured): string =>
    `${mb(m.bytes)} in ${duration(m.run.wallMs / 1000)} (${m.mbPerSecond.toFixed(0)} MB/s)`;
  const cpu = (m: Measured): string =>
    m.run.cpuMs === undefined ? 'CPU n/a' : `CPU ${(m.run.cpuMs / 1000).toFixed(1)} s`;
  const figures = [
    rssFigure(`peak RSS, one ${label} recording to S3`, s3.run.peakRssBytes, archived(s3)),
    info(
      `${label} to S3: throughput`,
      s3.mbPerSecond,
      speed(s3),
      `s3rver on 127.0.0.1, multipart; ${cpu(s3)}`,
    ),
    info(
      `${label} to the filesystem: throughput`,
      fsRun.mbPerSecond,
      speed(fsRun),
      `same recording, same bench run; peak RSS ${mb(fsRun.run.peakRssBytes)}; ${cpu(fsRun)}${fsRun.ingested === 1 ? '' : '; NOT archived'}`,
    ),
    info(
      'throughput ratio, S3 ÷ filesystem',
      ratio,
      ratio.toFixed(2),
      's3rver shares the bench process (and its one thread) with the simulator',
    ),
  ];
  const summary = (m: Measured): Record<string, unknown> => ({
    ingested: m.ingested,
    bytesDownloaded: m.bytes,
    wallSeconds: m.run.wallMs / 1000,
    mbPerSecond: m.mbPerSecond,
    peakRssBytes: m.run.peakRssBytes,
    cpuMs: m.run.cpuMs,
  });
  return {
    name: 's3',
    status: 'ok',
    seconds: (performance.now() - started) / 1000,
    figures,
    details: { bytes: bigBytes, s3: summary(s3), filesystem: summary(fsRun), ratio },
  };
}
