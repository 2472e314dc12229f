/**
 * The lines `--verbose` and `--debug` add to `run` and `catchup` (stderr): each window listed, each
 * recording settled, and each HTTP request. One line per event, in a fixed shape an operator can grep.
 */
import type { RequestRecord } from '../genesys/index.js';
import type { ListedWindow } from '../pipeline/events.js';
import type { ReportItem } from '../state/report.js';
import { isoUtc } from '../util/time.js';

/** `window listed: 2026-03-01T00:00:00.000Z to 2026-03-02T00:00:00.000Z (sync): 42 conversations` */
export function windowLine(window: ListedWindow): string {
  const n = window.conversations;
  return `window listed: ${isoUtc(window.fromMs)} to ${isoUtc(window.toMs)} (${window.mode}): ${n} conversation${n === 1 ? '' : 's'}`;
}

/** `recording settled: conversation <id>, recording <id>: ingested, 48044 bytes` (and the reason, if any). */
export function settledLine(item: Readonly<ReportItem>): string {
  const recording = item.recordingId === '' ? '-' : item.recordingId;
  const reason = item.reason === '' ? '' : ` (${item.reason})`;
  return `recording settled: conversation ${item.conversationId}, recording ${recording}: ${item.status}, ${item.sizeBytes} bytes${reason}`;
}

/** `http GET api.example.com /api/v2/conversations/<id>/recordings: 200 in 35 ms (attempt 1)`: never a query. */
export function requestLine(record: RequestRecord): string {
  return `http ${record.method} ${record.host} ${record.path}: ${record.status} in ${record.durationMs} ms (attempt ${record.attempt})`;
}
