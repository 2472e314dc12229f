/**
 * The `memory` scenario (SPEC §5: peak RSS under 150 MB whatever the number of recordings or their
 * size, with any codec): (a) a catchup of many tiny recordings, (b) an `ORIGINAL` catchup (batch
 * download) of recordings of 256 KiB, (c) a catchup of one very large recording. The rate limit and
 * latency are off here: unthrottled, the tool allocates fastest, which is the worst case for memory
 * (and it keeps the runs short).
 */
import type { BenchOptions } from './bench-options.js';
import { childEnv, describeFailure, parseReport, runTool, type ChildRun } from './bench-child.js';
import { duration, info, MB, mb, rssFigure, type Figure, type ScenarioOutcome } from './bench-report.js';
import { makeWorkspace } from './bench-workspace.js';
import { addConversation, generateOrg, startSimulator, type SimOrg } from './index.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** Size of each recording of the `ORIGINAL` run. */
const ORIGINAL_RECORDING_BYTES = 256 * 1024;

/** `count` conversations of one recording each (tiny by default), over four days ending an hour ago. */
function manyOrg(count: number, nowMs: number, sizeBytes = 2048): SimOrg {
  const org = generateOrg({ seed: 'bench-many', conversations: 0, agents: 40 });
  const from = nowMs - 4 * DAY - HOUR;
  const span = 4 * DAY - 20 * 60_000;
  for (let i = 0; i < count; i += 1)
    addConversation(org, {
      startMs: from + Math.floor((span * i) / count),
      durationMs: 60_000,
      recordings: 1,
      sizeBytes,
    });
  return org;
}

/** One conversation, two hours ago, with one recording of `bytes`. */
export function bigOrg(bytes: number, nowMs: number): SimOrg {
  const org = generateOrg({ seed: 'bench-big', conversations: 0 });
  addConversation(org, {
    startMs: nowMs - 2 * HOUR,
    durationMs: 30 * 60_000,
    recordings: 1,
    sizeBytes: bytes,
  });
  return org;
}

/** Catches `org` up at full speed; returns the child run and the report's figures. */
async function catchUp(
  org: SimOrg,
  options: BenchOptions,
  env: Record<string, string> = {},
  codec: 'WAV' | 'ORIGINAL' = 'WAV',
): Promise<{ run: ChildRun; ingested: number; requests: number; bytes: number }> {
  const sim = await startSimulator({ org, rateLimitPerMinute: 0 });
  const earliest = org.conversations[0]?.startMs ?? Date.now() - DAY;
  const ws = await makeWorkspace(
    sim,
    { codec, recordingStartMs: earliest - 60_000, concurrency: options.concurrency },
    options.keep,
  );
  try {
    const run = await runTool(['catchup', '--json', ...ws.configArgs], { env: childEnv(env) });
    const report = parseReport(run);
    if (
      report?.counts === undefined ||
      report.apiRequests === undefined ||
      (run.code !== 0 && run.code !== 1)
    )
      throw new Error(`catchup failed: ${describeFailure(run, report)}`);
    return {
      run,
      ingested: report.counts.ingested ?? 0,
      requests: report.apiRequests,
      bytes: report.bytesDownloaded ?? 0,
    };
  } finally {
    await sim.close();
    await ws.cleanup();
  }
}

/** V8's old space capped this low shows how much of the peak is collectable garbage, not data held. */
const CAPPED_HEAP = '--max-old-space-size=64';

/** CPU time of a child, and per recording when `recordings` is given. */
function cpu(run: ChildRun, recordings?: number): string {
  if (run.cpuMs === undefined) return 'CPU n/a';
  const each =
    recordings === undefined ? '' : `, ${(run.cpuMs / Math.max(1, recordings)).toFixed(1)} ms/recording`;
  return `CPU ${(run.cpuMs / 1000).toFixed(1)} s${each}`;
}

export async function memoryScenario(options: BenchOptions): Promise<ScenarioOutcome> {
  const started = performance.now();
  const count = options.memoryRecordings;
  const many = await catchUp(manyOrg(count, Date.now()), options);
  const manyWall = many.run.wallMs / 1000;
  const capped = await catchUp(manyOrg(count, Date.now()), options, { NODE_OPTIONS: CAPPED_HEAP });
  const originalCount = options.originalRecordings;
  const original = await catchUp(
    manyOrg(originalCount, Date.now(), ORIGINAL_RECORDING_BYTES),
    options,
    {},
    'ORIGINAL',
  );
  const originalWall = original.run.wallMs / 1000;
  const bigBytes = options.bigRecordingMiB * 1024 * 1024;
  const big = await catchUp(bigOrg(bigBytes, Date.now()), options);
  const bigWall = big.run.wallMs / 1000;
  const bigLabel = `${options.bigRecordingMiB} MiB`;
  const incomplete = (n: number, of = count): string | undefined =>
    n === of ? undefined : `only ${n} of ${of} archived`;
  const figures: Figure[] = [
    rssFigure(
      `peak RSS, ${count} recordings, no rate limit`,
      many.run.peakRssBytes,
      incomplete(many.ingested),
    ),
    info(
      `${count} recordings: throughput`,
      many.ingested / manyWall,
      `${many.ingested} in ${duration(manyWall)} (${(many.ingested / manyWall).toFixed(0)}/s)`,
      `${cpu(many.run, many.ingested)}; ${many.requests} API requests; no rate limit or latency`,
    ),
    info(
      `peak RSS, ${count} recordings, heap capped`,
      capped.run.peakRssBytes ?? null,
      mb(capped.run.peakRssBytes),
      `NODE_OPTIONS=${CAPPED_HEAP}: ${capped.ingested === count ? 'still completes' : `only ${capped.ingested} archived`} ` +
        `in ${duration(capped.run.wallMs / 1000)}; the gap to the figure above is garbage V8 had not collected`,
    ),
    rssFigure(
      `peak RSS, ORIGINAL, ${originalCount} × 256 KiB`,
      original.run.peakRssBytes,
      incomplete(original.ingested, originalCount),
    ),
    info(
      `ORIGINAL ${originalCount} × 256 KiB: throughput`,
      original.ingested / originalWall,
      `${original.ingested} in ${duration(originalWall)} (${mb(original.bytes)})`,
      `${cpu(original.run, original.ingested)}; ${original.requests} API requests; no rate limit or latency`,
    ),
    rssFigure(
      `peak RSS, one ${bigLabel} recording`,
      big.run.peakRssBytes,
      big.ingested === 1 ? undefined : 'NOT archived',
    ),
    info(
      `${bigLabel} recording: throughput`,
      big.bytes / bigWall / MB,
      `${mb(big.bytes)} in ${duration(bigWall)} (${(big.bytes / bigWall / MB).toFixed(0)} MB/s)`,
      `simulator media speed unlimited; ${cpu(big.run)}`,
    ),
  ];
  const summary = (r: Awaited<ReturnType<typeof catchUp>>): Record<string, unknown> => ({
    ingested: r.ingested,
    apiRequests: r.requests,
    bytesDownloaded: r.bytes,
    wallSeconds: r.run.wallMs / 1000,
    peakRssBytes: r.run.peakRssBytes,
    cpuMs: r.run.cpuMs,
  });
  return {
    name: 'memory',
    status: 'ok',
    seconds: (performance.now() - started) / 1000,
    figures,
    details: {
      many: { recordings: count, ...summary(many) },
      manyHeapCapped: { recordings: count, nodeOptions: CAPPED_HEAP, ...summary(capped) },
      original: { recordings: originalCount, bytesEach: ORIGINAL_RECORDING_BYTES, ...summary(original) },
      big: { bytes: bigBytes, ...summary(big) },
    },
  };
}
