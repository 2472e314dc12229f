/**
 * The `transcoded` and `original` scenarios: a `catchup` of three days of generated history at the
 * realistic rate limit, with a transcoding codec (WAV) or with `ORIGINAL` (batch download). Measures
 * API requests per recording (SPEC §5: ≤ 1.1 and ≤ 0.05), the request rate against the limit, 429s,
 * peak RSS, and the wall time against the bound the rate limit and the bandwidth set.
 */
import type { BenchOptions } from './bench-options.js';
import { childEnv, describeFailure, parseReport, runTool, type ToolReport } from './bench-child.js';
import {
  checked,
  duration,
  info,
  MB,
  mb,
  rssFigure,
  type Figure,
  type ScenarioOutcome,
} from './bench-report.js';
import { describeRoutes, markTraffic, trafficSince, type Traffic } from './bench-traffic.js';
import { makeWorkspace } from './bench-workspace.js';
import { generateOrg, startSimulator, type SimOrg, type SimulatorOptions } from './index.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** No special cases: every conversation is a finished, recorded voice call with available media. */
export const QUIET_MIX = {
  nonVoice: 0,
  inProgress: 0,
  notRecorded: 0,
  screen: 0,
  external: 0,
  protected: 0,
  late: 0,
  sameStart: 0,
  uploading: 0,
  archived: 0,
  deleted: 0,
  error: 0,
};

/** The generator gives 1, 2 or 3 recordings a conversation (60/30/10 %): 1.5 on average. */
const RECORDINGS_PER_CONVERSATION = 1.5;

/** Three days of history ending an hour ago, with about `recordings` small recordings. */
export function historyOrg(recordings: number, nowMs: number, seed = 'bench'): SimOrg {
  return generateOrg({
    seed,
    fromMs: nowMs - 3 * DAY - HOUR,
    toMs: nowMs - HOUR,
    conversations: Math.max(1, Math.round(recordings / RECORDINGS_PER_CONVERSATION)),
    agents: 40,
    deletedAgents: 5,
    recordingBytes: [16_384, 131_072],
    mix: QUIET_MIX,
  });
}

/** The simulator settings of a realistic Genesys (the bench's options). */
export function realisticSim(options: BenchOptions): SimulatorOptions {
  return {
    rateLimitPerMinute: options.rateLimit,
    apiLatencyMs: options.latencyMs,
    mediaBytesPerSecond: options.mediaBytesPerSecond,
    transcodeMs: options.transcodeMs,
    batchCompleteMs: options.batchCompleteMs,
  };
}

/** What the organisation holds: conversations, audio recordings, their bytes, distinct users. */
function census(org: SimOrg): { conversations: number; recordings: number; bytes: number; users: number } {
  let recordings = 0;
  let bytes = 0;
  for (const conv of org.conversations)
    for (const rec of conv.recordings) {
      if (rec.media !== 'audio') continue;
      recordings += 1;
      bytes += rec.sizeBytes;
    }
  return { conversations: org.conversations.length, recordings, bytes, users: org.users.size };
}

/** An ORIGINAL run that could not archive anything because the codec is not implemented yet. */
function unavailable(report: ToolReport | undefined): string | undefined {
  if (report === undefined) return undefined;
  const message = report.error?.message ?? '';
  if (report.ok === false)
    return /ORIGINAL|batch|not (yet )?(available|supported|implemented)/i.test(message) ? message : undefined;
  if ((report.counts?.ingested ?? 0) > 0) return undefined;
  const reason = report.items?.find((i) => i.status === 'failed')?.reason ?? 'no reason given';
  return `a probe catchup archived nothing (first failure: ${reason})`;
}

/** A tiny ORIGINAL catchup at full speed: says why ORIGINAL is not available, or undefined if it is. */
async function probeOriginal(options: BenchOptions): Promise<string | undefined> {
  const now = Date.now();
  const org = historyOrg(6, now, 'bench-probe');
  const sim = await startSimulator({ org, rateLimitPerMinute: 0 });
  const ws = await makeWorkspace(sim, { codec: 'ORIGINAL', recordingStartMs: now - 4 * DAY }, options.keep);
  try {
    const run = await runTool(['catchup', '--json', ...ws.configArgs], {
      env: childEnv(),
      timeoutMs: 120_000,
    });
    const report = parseReport(run);
    const why = unavailable(report);
    if (why === undefined && report?.ok === false)
      throw new Error(`ORIGINAL probe failed: ${describeFailure(run, report)}`);
    return why;
  } finally {
    await sim.close();
    await ws.cleanup();
  }
}

/** The minimum API requests a catchup of `c` needs: the listing, the recordings, the users. */
function minimalRequests(codec: 'WAV' | 'ORIGINAL', c: ReturnType<typeof census>): number {
  const pages = Math.ceil(c.conversations / 100);
  const users = Math.ceil(c.users / 100);
  // WAV: one recordings list per conversation. ORIGINAL: one batch job (submit + one poll) per 100.
  return pages + users + (codec === 'WAV' ? c.conversations : 2 * pages);
}

/**
 * The request rate against the limit. The "within 10% of the allowed rate" target applies only to a
 * run the limit bounds (requests are the backlog); a run bound by batch jobs or bandwidth is shown
 * without it.
 */
function rateFigures(
  traffic: Traffic,
  requests: number,
  wallSeconds: number,
  limit: number,
  requestBound: boolean,
): Figure[] {
  const whole = requests / ((wallSeconds / 60) * limit);
  const perMinute = traffic.perMinute.map((n) => n / limit);
  const low = perMinute.length === 0 ? null : Math.min(...perMinute);
  const shown =
    perMinute.length === 0
      ? 'n/a (under a minute)'
      : perMinute.map((f) => `${(f * 100).toFixed(0)}%`).join(' ');
  const note = 'API requests the limiter counted per 60 s window';
  return [
    info(
      'request rate, whole run',
      whole,
      `${(whole * 100).toFixed(0)}% of limit`,
      wallSeconds < 60
        ? 'requests ÷ (wall minutes × limit); under a minute, the first window alone allows the whole limit'
        : 'requests ÷ (wall minutes × limit)',
    ),
    requestBound
      ? checked('request rate, each full minute', low, shown, 'at least', 0.9, '≥ 90% while backlog', note)
      : info('request rate, each full minute', low, shown, `${note}; not request-bound, so no rate target`),
    checked('429 responses', traffic.rateLimited, String(traffic.rateLimited), 'at most', 0, 'none'),
  ];
}

/** Runs one catch-up scenario with `codec`. */
export async function ingestScenario(
  options: BenchOptions,
  codec: 'WAV' | 'ORIGINAL',
): Promise<ScenarioOutcome> {
  const name = codec === 'WAV' ? 'transcoded' : 'original';
  const started = performance.now();
  const seconds = (): number => (performance.now() - started) / 1000;
  if (codec === 'ORIGINAL') {
    const why = await probeOriginal(options);
    if (why !== undefined)
      return { name, status: 'not available', message: why, seconds: seconds(), figures: [], details: {} };
  }
  const now = Date.now();
  const org = historyOrg(options.recordings, now);
  const c = census(org);
  const sim = await startSimulator({ org, ...realisticSim(options) });
  const ws = await makeWorkspace(
    sim,
    { codec, recordingStartMs: now - 3 * DAY - 2 * HOUR, concurrency: options.concurrency },
    options.keep,
  );
  try {
    const mark = markTraffic(sim);
    const run = await runTool(['catchup', '--json', ...ws.configArgs], { env: childEnv() });
    const traffic = trafficSince(sim, mark);
    const report = parseReport(run);
    if (codec === 'ORIGINAL') {
      const why = unavailable(report);
      if (why !== undefined)
        return { name, status: 'not available', message: why, seconds: seconds(), figures: [], details: {} };
    }
    if (
      report?.counts === undefined ||
      report.apiRequests === undefined ||
      (run.code !== 0 && run.code !== 1)
    )
      throw new Error(`catchup failed: ${describeFailure(run, report)}`);
    const ingested = report.counts.ingested ?? 0;
    const requests = report.apiRequests;
    const wall = run.wallMs / 1000;
    const minimal = minimalRequests(codec, c);
    const rateBound = (minimal / options.rateLimit) * 60;
    const perDownload = options.mediaBytesPerSecond === 0 ? Infinity : options.mediaBytesPerSecond;
    const mediaBound = c.bytes / (perDownload * options.concurrency);
    // Downloads wait for at least one batch job with ORIGINAL; requests are paced either way.
    const batchSeconds = codec === 'ORIGINAL' ? options.batchCompleteMs / 1000 : 0;
    const bound = Math.max(rateBound, batchSeconds + mediaBound);
    // The limit only binds a run that needs more than one window's worth of requests.
    const requestBound = minimal > options.rateLimit && rateBound >= batchSeconds + mediaBound;
    const perRecording = requests / Math.max(1, ingested);
    const limit = codec === 'WAV' ? 1.1 : 0.05;
    const figures: Figure[] = [
      info(
        'recordings archived',
        ingested,
        `${ingested} of ${c.recordings} (${c.conversations} conversations)`,
        run.code === 1
          ? `exit 1: ${report.counts.alerts ?? 0} alerts, ${report.counts.failed ?? 0} failed`
          : undefined,
      ),
      checked(
        'API requests / recording',
        perRecording,
        `${perRecording.toFixed(3)} (${requests} requests)`,
        'at most',
        limit,
        `≤ ${limit}`,
        `${(c.recordings / c.conversations).toFixed(2)} recordings per conversation in this organisation`,
      ),
      info(
        'API requests / conversation',
        requests / c.conversations,
        (requests / c.conversations).toFixed(3),
        'what requests / recording would be with one recording per conversation',
      ),
      info(
        'requests the simulator saw',
        traffic.api + traffic.auth,
        `${traffic.api} API + ${traffic.auth} login`,
        `${describeRoutes(traffic.byRoute)}; ${traffic.accepted202} answered 202`,
      ),
      ...rateFigures(traffic, requests, wall, options.rateLimit, requestBound),
      checked(
        'wall time vs bound',
        wall / bound,
        `${duration(wall)} vs ${duration(bound)} (${(wall / bound).toFixed(2)}×)`,
        'at most',
        1.1,
        '≤ 1.1× bound',
        `bound${requestBound ? ' (the rate limit binds)' : ''}: the larger of ` +
          `${minimal} requests at ${options.rateLimit}/min = ${duration(rateBound)} and ` +
          (codec === 'ORIGINAL' ? `one batch job (${duration(batchSeconds)}) + ` : '') +
          `media ${mb(c.bytes)} at ${options.mediaBytesPerSecond === 0 ? 'unlimited speed' : `${options.concurrency} × ${options.mediaBytesPerSecond / MB} MB/s`} = ` +
          `${duration(mediaBound)}`,
      ),
      rssFigure('peak RSS', run.peakRssBytes),
      info(
        'CPU time',
        run.cpuMs ?? null,
        run.cpuMs === undefined ? 'n/a' : `${(run.cpuMs / 1000).toFixed(1)} s`,
        `${mb(report.bytesDownloaded)} downloaded`,
      ),
    ];
    return {
      name,
      status: 'ok',
      seconds: seconds(),
      figures,
      details: {
        census: c,
        counts: report.counts,
        apiRequests: requests,
        bytesDownloaded: report.bytesDownloaded,
        exitCode: run.code,
        wallSeconds: wall,
        boundSeconds: bound,
        minimalRequests: minimal,
        peakRssBytes: run.peakRssBytes,
        cpuMs: run.cpuMs,
        traffic,
      },
    };
  } finally {
    await sim.close();
    await ws.cleanup();
  }
}
