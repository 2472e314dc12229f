/**
 * The totals over all runs that `status.json` keeps under `totals` (SPEC §8.4): what the metrics
 * file's counters say. Each run reads the previous totals and adds its own, so a counter only ever
 * grows while status.json survives; a missing or unreadable one starts them from zero again (a
 * counter reset, which Prometheus' `rate()` and `increase()` handle).
 */
import { promises as fs } from 'node:fs';

export interface RunTotals {
  recordingsIngested: number;
  bytesArchived: number;
  apiRequests: number;
  /** Alerts raised, by type. */
  alerts: Record<string, number>;
}

export function emptyTotals(): RunTotals {
  return { recordingsIngested: 0, bytesArchived: 0, apiRequests: 0, alerts: {} };
}

function count(value: unknown): number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 ? value : 0;
}

/** The totals in `status.json`'s `totals`; zeros for anything missing or not a whole count. */
export function totalsFrom(doc: unknown): RunTotals {
  const raw = (doc as { totals?: unknown } | null)?.totals;
  if (raw === null || typeof raw !== 'object') return emptyTotals();
  const t = raw as Record<string, unknown>;
  const alerts: Record<string, number> = {};
  if (t.alerts !== null && typeof t.alerts === 'object' && !Array.isArray(t.alerts)) {
    for (const [type, n] of Object.entries(t.alerts as Record<string, unknown>)) {
      // Alert types are plain camelCase words; anything else in a hand-edited file is dropped.
      if (/^[A-Za-z]{1,64}$/.test(type) && count(n) > 0) alerts[type] = count(n);
    }
  }
  return {
    recordingsIngested: count(t.recordingsIngested),
    bytesArchived: count(t.bytesArchived),
    apiRequests: count(t.apiRequests),
    alerts,
  };
}

/** The previous `status.json` as far as it can be read (undefined when missing or unreadable). */
export async function readStatusDocument(file: string): Promise<Record<string, unknown> | undefined> {
  try {
    const doc = JSON.parse(await fs.readFile(file, 'utf8')) as unknown;
    return doc !== null && typeof doc === 'object' && !Array.isArray(doc)
      ? (doc as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/** `before` plus one run's figures. */
export function addTotals(before: RunTotals, run: RunTotals): RunTotals {
  const alerts = { ...before.alerts };
  for (const [type, n] of Object.entries(run.alerts)) alerts[type] = (alerts[type] ?? 0) + n;
  return {
    recordingsIngested: before.recordingsIngested + run.recordingsIngested,
    bytesArchived: before.bytesArchived + run.bytesArchived,
    apiRequests: before.apiRequests + run.apiRequests,
    alerts,
  };
}
