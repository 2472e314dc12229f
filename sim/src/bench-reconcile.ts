/**
 * The `reconcile` scenario (SPEC §8.1): 50,000 voice conversations over 40 days (the older part
 * beyond the synchronous query's 35 days, so asynchronous jobs serve it), one in ten recorded. A
 * `catchup` archives them; then `verify --reconcile` over the whole span must find nothing missing,
 * with peak RSS flat (streamed rows, not held) and requests in proportion to the listing pages.
 * Unthrottled, like the memory runs: the tool allocates fastest that way.
 */
import type { BenchOptions } from './bench-options.js';
import { childEnv, describeFailure, parseReport, runTool, type ChildRun } from './bench-child.js';
import { checked, duration, info, rssFigure, type ScenarioOutcome } from './bench-report.js';
import { makeWorkspace } from './bench-workspace.js';
import { addConversation, generateOrg, startSimulator } from './index.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const SPAN_DAYS = 40;

interface ReconcileDocument {
  ok?: boolean;
  counts?: Record<string, number>;
  apiRequests?: number;
}

export async function reconcileScenario(options: BenchOptions): Promise<ScenarioOutcome> {
  const started = performance.now();
  const now = Date.now();
  const count = options.reconcileConversations;
  const from = now - SPAN_DAYS * DAY;
  const span = SPAN_DAYS * DAY - 2 * HOUR;
  const org = generateOrg({ seed: 'bench-reconcile', conversations: 0, agents: 40 });
  for (let i = 0; i < count; i += 1)
    addConversation(org, {
      startMs: from + Math.floor((span * i) / count),
      durationMs: 30_000,
      recordings: i % 10 === 0 ? 1 : 0,
      sizeBytes: 1024,
    });
  const sim = await startSimulator({ org, rateLimitPerMinute: 0, asyncJobMs: 200 });
  const ws = await makeWorkspace(
    sim,
    {
      codec: 'WAV',
      recordingStartMs: from - HOUR,
      concurrency: options.concurrency,
      extra: { reconcileAfterHours: 0 },
    },
    options.keep,
  );
  try {
    const catchup = await runTool(['catchup', '--json', ...ws.configArgs], { env: childEnv() });
    const caught = parseReport(catchup);
    if (caught?.counts === undefined || (catchup.code !== 0 && catchup.code !== 1))
      throw new Error(`catchup failed: ${describeFailure(catchup, caught)}`);
    const before = sim.counts();
    const range = [new Date(from - HOUR).toISOString(), new Date(now).toISOString()];
    const run: ChildRun = await runTool(['verify', '--reconcile', ...range, '--json', ...ws.configArgs], {
      env: childEnv(),
    });
    const after = sim.counts();
    const served = after.api + after.auth - before.api - before.auth;
    let doc: ReconcileDocument | undefined;
    try {
      doc = JSON.parse(run.stdout) as ReconcileDocument;
    } catch {
      throw new Error(`verify --reconcile printed no document: ${describeFailure(run)}`);
    }
    const total = Object.values(doc.counts ?? {}).reduce((a, b) => a + b, 0);
    const counts = Object.entries(doc.counts ?? {})
      .filter(([, n]) => n > 0)
      .map(([status, n]) => `${status} ${n}`)
      .join(', ');
    return {
      name: 'reconcile',
      status: 'ok',
      seconds: (performance.now() - started) / 1000,
      figures: [
        info(
          'catchup first',
          caught.counts.ingested ?? 0,
          `${caught.counts.ingested ?? 0} recordings archived`,
          duration(catchup.wallMs / 1000),
        ),
        checked('conversations reconciled', total, `${total} (${counts})`, 'at least', count, `${count}`),
        checked('missing', doc.counts?.missing ?? null, String(doc.counts?.missing), 'at most', 0, 'none'),
        checked('exit code', run.code, String(run.code), 'at most', 0, '0', `${duration(run.wallMs / 1000)}`),
        info(
          'API requests',
          doc.apiRequests ?? null,
          String(doc.apiRequests),
          `${served} served by the simulator`,
        ),
        rssFigure('peak RSS (reconcile)', run.peakRssBytes),
        rssFigure('peak RSS (catchup)', catchup.peakRssBytes),
      ],
      details: {
        conversations: count,
        counts: doc.counts,
        apiRequests: doc.apiRequests,
        simulatorRequests: served,
        wallSeconds: run.wallMs / 1000,
        peakRssBytes: run.peakRssBytes,
      },
    };
  } finally {
    await sim.close();
    await ws.cleanup();
  }
}
