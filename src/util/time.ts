/** Time formats used across state files, CDRs and output. All arithmetic is on epoch milliseconds. */
import { DateTime } from 'luxon';

/** UTC ISO-8601 with milliseconds: `2024-05-01T10:00:00.123Z`. */
export function isoUtc(ms: number): string {
  return new Date(ms).toISOString();
}

/** ISO-8601 in `zone` with its numeric offset: `2024-05-01T11:00:00.123+01:00`. */
export function isoInZone(ms: number, zone: string): string {
  return (
    DateTime.fromMillis(ms, { zone }).toISO({ suppressMilliseconds: false, includeOffset: true }) ??
    isoUtc(ms)
  );
}

/** The calendar date of `ms` in `zone`, as archive path parts `yyyy`, `MM`, `dd`. */
export function datePartsInZone(ms: number, zone: string): [string, string, string] {
  const dt = DateTime.fromMillis(ms, { zone });
  return [dt.toFormat('yyyy'), dt.toFormat('MM'), dt.toFormat('dd')];
}

/** Parses a strict UTC ISO-8601 string as Genesys sends it; undefined when it is not one. */
export function parseUtcIso(text: unknown): number | undefined {
  if (typeof text !== 'string') return undefined;
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/.test(text))
    return undefined;
  const ms = Date.parse(text);
  return Number.isFinite(ms) ? ms : undefined;
}

/** Report file names: `yyyyMMddTHHmmssZ`. */
export function compactUtc(ms: number): string {
  return new Date(ms)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
}
