/**
 * The metrics file (SPEC §8.4): the Prometheus text exposition format, for a node_exporter textfile
 * collector or any scraper, rewritten atomically at the end of every `run` and `catchup` whatever its
 * exit code. Every metric carries `import_source="<p_s>"`; the counters are the totals over all runs
 * that status.json keeps. A dry run leaves it alone (SPEC §1), and so does a run that lost its lock
 * (the import source's state belongs to the run holding it).
 */
import { sourceKey, type Config } from '../config/types.js';
import type { StatePaths } from '../state/paths.js';
import type { AlertType } from '../state/report.js';
import { readStatusDocument, totalsFrom, type RunTotals } from '../state/run-totals.js';
import { writeFileAtomic } from '../util/atomic.js';
import { windowEndAt } from './settle/rules.js';

/** What one rewrite of the file says. Gauges left undefined are not written (not known). */
export interface MetricsSnapshot {
  /** `<p_s>`. */
  importSource: string;
  finishedAtMs: number;
  exitCode: number;
  durationMs: number;
  cursorLagSeconds: number | undefined;
  pending: number | undefined;
  retryBuffer: { size: number; dead: number } | undefined;
  totals: RunTotals;
}

/**
 * Every alert type (SPEC §3.7), so each `genesys_ingest_alerts_total{type}` series exists from the
 * first run on (at 0): `increase()` over a series that appears only with its first alert misses it.
 * A Record, so adding an alert type without listing it here does not compile.
 */
const ALERT_TYPES: Record<AlertType, true> = {
  overMaxLength: true,
  overdue: true,
  archivedInGenesys: true,
  deletedInGenesys: true,
  recordingError: true,
  deleteProtected: true,
  deleteFailed: true,
  rejectedRetryFile: true,
  retryExhausted: true,
  lagging: true,
  clockSkew: true,
  discoveryCapped: true,
  lateDiscovered: true,
  namesUnavailable: true,
  invalidRecord: true,
};

/** A label value as the exposition format wants it: backslash, double quote and line feed escaped. */
export function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** A number as Prometheus reads it (no exponent for the sizes we write; NaN never written). */
function num(value: number): string {
  if (!Number.isFinite(value)) return '0';
  return Number.isInteger(value) ? String(value) : value.toFixed(3);
}

/** The file's text: `# HELP`, `# TYPE` and the samples of each metric, in a fixed order. */
export function renderMetrics(s: MetricsSnapshot): string {
  const source = `import_source="${escapeLabelValue(s.importSource)}"`;
  const lines: string[] = [];
  const metric = (
    name: string,
    type: 'gauge' | 'counter',
    help: string,
    samples: Array<[extraLabels: string, value: number]>,
  ): void => {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    for (const [extra, value] of samples) lines.push(`${name}{${source}${extra}} ${num(value)}`);
  };
  const gauge = (name: string, help: string, value: number | undefined): void => {
    if (value !== undefined) metric(name, 'gauge', help, [['', value]]);
  };
  gauge(
    'genesys_ingest_last_run_timestamp_seconds',
    'When the last run or catchup of this import source finished (Unix time, seconds).',
    s.finishedAtMs / 1000,
  );
  gauge(
    'genesys_ingest_last_run_exit_code',
    'Exit code of the last run or catchup (0 ok, 1 partial, 4 Genesys unreachable, 6 disk, 70 bug, 130 interrupted).',
    s.exitCode,
  );
  gauge(
    'genesys_ingest_last_run_duration_seconds',
    'How long the last run or catchup took, in seconds.',
    s.durationMs / 1000,
  );
  gauge(
    'genesys_ingest_cursor_lag_seconds',
    'How far the cursor lags behind now minus the availability delay, in seconds.',
    s.cursorLagSeconds,
  );
  gauge(
    'genesys_ingest_pending_conversations',
    'Conversations not yet due at the last run (in progress or within the availability delay).',
    s.pending,
  );
  gauge(
    'genesys_ingest_retry_buffer_entries',
    'Entries in the retry buffer (recordings or conversations whose ingest failed and is retried).',
    s.retryBuffer?.size,
  );
  gauge(
    'genesys_ingest_retry_dead_entries',
    'Retry entries given up after retryMaxAgeDays (in dead/, waiting for an operator).',
    s.retryBuffer?.dead,
  );
  metric('genesys_ingest_recordings_ingested_total', 'counter', 'Recordings archived, over all runs.', [
    ['', s.totals.recordingsIngested],
  ]);
  metric('genesys_ingest_bytes_archived_total', 'counter', 'Bytes of media archived, over all runs.', [
    ['', s.totals.bytesArchived],
  ]);
  metric(
    'genesys_ingest_api_requests_total',
    'counter',
    'Requests to the Genesys auth and API hosts (not media), over all runs.',
    [['', s.totals.apiRequests]],
  );
  const types = new Set([...Object.keys(ALERT_TYPES), ...Object.keys(s.totals.alerts)]);
  metric(
    'genesys_ingest_alerts_total',
    'counter',
    'Alerts raised, by type, over all runs.',
    [...types].sort().map((type) => [`,type="${escapeLabelValue(type)}"`, s.totals.alerts[type] ?? 0]),
  );
  return `${lines.join('\n')}\n`;
}

/** Rewrites the file atomically (a scraper never sees half of it; the temporary name ends in `.partial`). */
export async function writeMetricsFile(file: string, snapshot: MetricsSnapshot): Promise<void> {
  await writeFileAtomic(file, renderMetrics(snapshot));
}

/** Seconds the cursor at `cursorMs` lags behind now − availability delay (never negative). */
export function cursorLagSeconds(cursorMs: number, nowMs: number, availabilityDelayMinutes: number): number {
  return Math.max(0, Math.floor((windowEndAt(nowMs, availabilityDelayMinutes) - cursorMs) / 1000));
}

/**
 * The file after a run that stopped before it could finish (the cursor or the retry buffer could
 * not be read, the report could not be opened or finished, status.json could not be written): this
 * run's exit code and time, and from the previous status.json the totals (unchanged: they are only
 * ever what status.json holds) and the last known cursor, pending and retry-buffer figures.
 */
export async function metricsAfterEarlyStop(
  config: Config,
  paths: StatePaths,
  run: { exitCode: number; startedAtMs: number; finishedAtMs: number },
): Promise<MetricsSnapshot> {
  const previous = await readStatusDocument(paths.statusFile);
  const cursorAt = Date.parse(String((previous?.cursor as { timestamp?: unknown } | undefined)?.timestamp));
  const retry = previous?.retryBuffer as { size?: unknown; dead?: unknown } | undefined;
  return {
    importSource: sourceKey(config),
    finishedAtMs: run.finishedAtMs,
    exitCode: run.exitCode,
    durationMs: run.finishedAtMs - run.startedAtMs,
    cursorLagSeconds: Number.isFinite(cursorAt)
      ? cursorLagSeconds(cursorAt, run.finishedAtMs, config.availabilityDelayMinutes)
      : undefined,
    pending: typeof previous?.pending === 'number' ? previous.pending : undefined,
    retryBuffer:
      typeof retry?.size === 'number' && typeof retry.dead === 'number'
        ? { size: retry.size, dead: retry.dead }
        : undefined,
    totals: totalsFrom(previous),
  };
}
