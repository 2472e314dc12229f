/**
 * The `busy-day` scenario (SPEC §4.1, §5): a day already holding 1,500 conversations, ingested by a
 * first cron `run`; then 20 new recorded conversations arrive and the next `run` must cost requests
 * in proportion to those 20 (O(N/100) listing requests), not to the day's 1,500.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { BenchOptions } from './bench-options.js';
import { childEnv, describeFailure, parseReport, runTool, type ChildRun } from './bench-child.js';
import { checked, duration, info, rssFigure, type ScenarioOutcome } from './bench-report.js';
import { describeRoutes, markTraffic, trafficSince, type Traffic } from './bench-traffic.js';
import { makeWorkspace } from './bench-workspace.js';
import { realisticSim } from './bench-ingest.js';
import { addConversation, generateOrg, startSimulator } from './index.js';

const MIN = 60_000;
const DAY = 86_400_000;
const EXISTING = 1500;
const NEW = 20;

function queries(traffic: Traffic): number {
  return Object.entries(traffic.byRoute)
    .filter(([route]) => route.endsWith('/details/query'))
    .reduce((n, [, count]) => n + count, 0);
}

async function cronRun(
  args: string[],
): Promise<{ run: ChildRun; requests: number; ingested: number; discovered: number }> {
  const run = await runTool(['run', '--json', ...args], { env: childEnv() });
  const report = parseReport(run);
  if (report?.counts === undefined || report.apiRequests === undefined || (run.code !== 0 && run.code !== 1))
    throw new Error(`run failed: ${describeFailure(run, report)}`);
  return {
    run,
    requests: report.apiRequests,
    ingested: report.counts.ingested ?? 0,
    discovered: report.counts.discovered ?? 0,
  };
}

export async function busyDayScenario(options: BenchOptions): Promise<ScenarioOutcome> {
  const started = performance.now();
  const now = Date.now();
  // All on one UTC day, so Genesys' whole-day rule returns all of them for any interval that day.
  const dayStart = Math.floor((now - 30 * MIN) / DAY) * DAY;
  const from = Math.max(dayStart, now - 20 * 60 * MIN);
  const span = now - 10 * MIN - from;
  const org = generateOrg({ seed: 'bench-busy', conversations: 0 });
  for (let i = 0; i < EXISTING; i += 1) {
    // Mostly not recorded: the day is about listing, not downloading.
    addConversation(org, {
      startMs: from + Math.floor((span * i) / EXISTING),
      durationMs: 1000,
      recordings: i % 75 === 0 ? 1 : 0,
      sizeBytes: 2048,
    });
  }
  const sim = await startSimulator({ org, ...realisticSim(options) });
  const ws = await makeWorkspace(
    sim,
    { codec: 'WAV', recordingStartMs: from - MIN, concurrency: options.concurrency },
    options.keep,
  );
  try {
    const firstMark = markTraffic(sim);
    const first = await cronRun(ws.configArgs);
    const firstTraffic = trafficSince(sim, firstMark);
    // New since the first run's window end (now − the 2-minute availability delay), and ended before the second's.
    const t1 = Date.now() - 2 * MIN;
    for (let i = 0; i < NEW; i += 1)
      addConversation(sim.org, { startMs: t1 + i * 20, durationMs: 100, recordings: 1, sizeBytes: 2048 });
    await sleep(1000);
    const mark = markTraffic(sim);
    const second = await cronRun(ws.configArgs);
    const traffic = trafficSince(sim, mark);
    const perNew = second.requests / Math.max(1, second.ingested);
    return {
      name: 'busy-day',
      status: 'ok',
      seconds: (performance.now() - started) / 1000,
      figures: [
        info(
          'first run: the whole day',
          first.requests,
          `${first.requests} requests, ${queries(firstTraffic)} queries for ${first.discovered} conversations`,
          `${duration(first.run.wallMs / 1000)}; ${first.ingested} recordings`,
        ),
        checked(
          'next run: 20 new',
          second.ingested,
          `${second.ingested} of ${NEW} archived`,
          'at least',
          NEW,
          `${NEW}`,
        ),
        checked(
          'next run: query requests',
          queries(traffic),
          String(queries(traffic)),
          'at most',
          Math.ceil(NEW / 100) + 1,
          `≤ ${Math.ceil(NEW / 100) + 1} (O(N/100))`,
          `whole day would take ${Math.ceil(EXISTING / 100)}+`,
        ),
        checked(
          'next run: API requests',
          second.requests,
          `${second.requests} (${perNew.toFixed(2)} / new recording)`,
          'at most',
          NEW + 6,
          `≤ ${NEW + 6}`,
          `${describeRoutes(traffic.byRoute)}; ${traffic.auth} logins; ${duration(second.run.wallMs / 1000)}`,
        ),
        checked(
          '429 responses',
          firstTraffic.rateLimited + traffic.rateLimited,
          String(firstTraffic.rateLimited + traffic.rateLimited),
          'at most',
          0,
          'none',
        ),
        rssFigure('peak RSS (first run)', first.run.peakRssBytes),
      ],
      details: {
        first: {
          requests: first.requests,
          discovered: first.discovered,
          ingested: first.ingested,
          wallSeconds: first.run.wallMs / 1000,
          traffic: firstTraffic,
        },
        second: {
          requests: second.requests,
          ingested: second.ingested,
          queries: queries(traffic),
          wallSeconds: second.run.wallMs / 1000,
          traffic,
        },
      },
    };
  } finally {
    await sim.close();
    await ws.cleanup();
  }
}
