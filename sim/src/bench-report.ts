/**
 * The bench's figures: one row per measured quantity, with its SPEC §5 target where there is one
 * and whether it was met, printed as a plain table or as one JSON document. A missed target is
 * said plainly; the bench still exits 0 (it measures, it does not test).
 */
import os from 'node:os';
import type { BenchOptions, ScenarioName } from './bench-options.js';

/** One measured quantity. */
export interface Figure {
  name: string;
  /** The number behind `display`; null when it could not be measured. */
  value: number | null;
  display: string;
  /** The target in words, e.g. `≤ 1.1`. */
  target?: string;
  /** Whether the target was met; absent without a target or a value. */
  met?: boolean;
  note?: string;
}

/** What one scenario produced. */
export interface ScenarioOutcome {
  name: ScenarioName;
  status: 'ok' | 'not available' | 'crashed';
  /** Why it is not available or what crashed. */
  message?: string;
  seconds: number;
  figures: Figure[];
  /** Raw measurements for the JSON document. */
  details: Record<string, unknown>;
}

/** A figure without a target. */
export function info(name: string, value: number | null, display: string, note?: string): Figure {
  return { name, value, display, ...(note === undefined ? {} : { note }) };
}

/** A figure checked against `limit`: `at most` (≤), `under` (<) or `at least` (≥). */
export function checked(
  name: string,
  value: number | null | undefined,
  display: string,
  rule: 'at most' | 'under' | 'at least',
  limit: number,
  target: string,
  note?: string,
): Figure {
  const base = { name, display, target, ...(note === undefined ? {} : { note }) };
  if (value === null || value === undefined || !Number.isFinite(value)) return { ...base, value: null };
  const met = rule === 'at most' ? value <= limit : rule === 'under' ? value < limit : value >= limit;
  return { ...base, value, met };
}

export const MB = 1_000_000;

/** `12.3 MB` */
export function mb(bytes: number | undefined): string {
  return bytes === undefined ? 'n/a' : `${(bytes / MB).toFixed(1)} MB`;
}

/** `2m05s`, or `4.2 s` under a minute. */
export function duration(seconds: number): string {
  if (seconds < 60) return `${seconds.toFixed(seconds < 10 ? 2 : 1)} s`;
  const m = Math.floor(seconds / 60);
  return `${m}m${String(Math.round(seconds - m * 60)).padStart(2, '0')}s`;
}

/** The peak-RSS figure every child run gets (target < 150 MB, SPEC §5). */
export function rssFigure(name: string, bytes: number | undefined, note?: string): Figure {
  return checked(
    name,
    bytes,
    bytes === undefined ? 'n/a (no /proc)' : mb(bytes),
    'under',
    150 * MB,
    '< 150 MB',
    note,
  );
}

/** The machine the figures come from. */
export function machine(): Record<string, string | number> {
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model.trim() ?? 'unknown',
    cores: cpus.length,
    memory: `${(os.totalmem() / 2 ** 30).toFixed(1)} GiB`,
    node: process.version,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    loadAverage: os
      .loadavg()
      .map((n) => n.toFixed(2))
      .join(' '),
  };
}

function verdict(f: Figure): string {
  if (f.target === undefined) return '';
  if (f.met === undefined) return 'not measured';
  return f.met ? 'met' : 'MISSED';
}

/** A table row; its note goes on a line of its own below it, indented to the figure column. */
interface Row {
  cells: string[];
  note?: string;
}

/** Pads the columns of a plain-text table; the last column is not padded. */
function columns(rows: readonly Row[]): string[] {
  const widths: number[] = [];
  for (const row of rows)
    row.cells.forEach((cell, i) => {
      if (i < row.cells.length - 1) widths[i] = Math.max(widths[i] ?? 0, cell.length);
    });
  const indent = ' '.repeat((widths[0] ?? 0) + 4);
  return rows.flatMap((row) => {
    const line = row.cells
      .map((cell, i) => (i < row.cells.length - 1 ? cell.padEnd(widths[i] ?? 0) : cell))
      .join('  ')
      .trimEnd();
    return row.note === undefined || row.note === '' ? [line] : [line, `${indent}${row.note}`];
  });
}

/** The whole result as text: machine, settings, then one block per scenario. */
export function renderText(
  outcomes: readonly ScenarioOutcome[],
  options: BenchOptions,
  meta: Record<string, string | number>,
): string {
  const lines: string[] = [];
  const m = machine();
  lines.push(
    `Machine: ${String(m.cpu)}, ${String(m.cores)} cores, ${String(m.memory)}, Node ${String(m.node)}, ${String(m.os)}`,
  );
  lines.push(`Load average at the end: ${String(m.loadAverage)}; started with ${String(meta.loadAtStart)}`);
  lines.push(
    `Simulated Genesys: ${options.rateLimit} requests/min per token, API latency ${options.latencyMs[0]}–${options.latencyMs[1]} ms, ` +
      `media ${options.mediaBytesPerSecond === 0 ? 'unlimited' : `${options.mediaBytesPerSecond / MB} MB/s per download`}, ` +
      `transcode ${options.transcodeMs} ms, batch job ${options.batchCompleteMs} ms; tool concurrency ${options.concurrency}` +
      (options.quick ? '; --quick' : ''),
  );
  lines.push(`Tool: ${String(meta.tool)}`);
  const rows: Row[] = [{ cells: ['scenario', 'figure', 'value', 'target', 'verdict'] }];
  for (const outcome of outcomes) {
    if (outcome.status !== 'ok')
      rows.push({
        cells: [outcome.name, outcome.status, '', '', outcome.status === 'crashed' ? 'CRASHED' : ''],
        ...(outcome.message === undefined ? {} : { note: outcome.message }),
      });
    outcome.figures.forEach((f, i) => {
      rows.push({
        cells: [
          i === 0 && outcome.status === 'ok' ? outcome.name : '',
          f.name,
          f.display,
          f.target ?? '',
          verdict(f),
        ],
        ...(f.note === undefined ? {} : { note: f.note }),
      });
    });
    rows.push({ cells: [] });
  }
  lines.push('', ...columns(rows));
  const missed = outcomes.flatMap((o) =>
    o.figures.filter((f) => f.met === false).map((f) => `${o.name}: ${f.name}`),
  );
  const crashed = outcomes.filter((o) => o.status === 'crashed').map((o) => o.name);
  lines.push(
    missed.length === 0
      ? 'Every measured target was met.'
      : `Targets missed (${missed.length}): ${missed.join('; ')}.`,
  );
  if (crashed.length > 0) lines.push(`Crashed: ${crashed.join(', ')}.`);
  lines.push(`Bench took ${duration(Number(meta.totalSeconds))}.`);
  return lines.join('\n');
}

/** The whole result as one JSON document. */
export function renderJson(
  outcomes: readonly ScenarioOutcome[],
  options: BenchOptions,
  meta: Record<string, string | number>,
): string {
  const missed = outcomes.reduce((n, o) => n + o.figures.filter((f) => f.met === false).length, 0);
  return JSON.stringify(
    {
      machine: machine(),
      meta,
      settings: options,
      ok: outcomes.every((o) => o.status !== 'crashed'),
      targetsMissed: missed,
      scenarios: outcomes,
    },
    null,
    2,
  );
}
