/**
 * Progress of `run` and `catchup` (SPEC §1): recordings settled, rate, bytes, the cursor's date and
 * an ETA from how fast the cursor moves toward the end of listing. On a terminal a live line
 * (ora); elsewhere (cron, a pipe, a log file) a plain line on stderr at most once per interval
 * (a minute), so a back-fill watched from a log file shows it is alive. Nothing with --json or
 * --quiet; ora is only loaded when it will be shown.
 *
 * A terminal that reports 0 (or no) columns or rows — a pseudo-terminal without a size, from
 * `script`, some CI runners, `docker run -t` before a resize — gets a plain status line instead:
 * ora divides by the column count, and with 0 it loops forever writing escape codes, deaf to signals
 * (SPEC §5). A resize to 0 while the spinner runs switches to the plain line before the next frame.
 */
import type { Ora } from 'ora';
import type { ProgressSource } from '../pipeline/events.js';
import type { ReportItem } from '../state/report.js';
import type { Output } from './output.js';

/** Off a terminal, a progress line at most this often (the face may shorten it for tests). */
export const LOG_INTERVAL_MS = 60_000;

/** What the face counts from the recordings settled (report items), for the off-terminal line. */
export class SettledTally {
  recordings = 0;
  bytesArchived = 0;

  add(item: Readonly<ReportItem>): void {
    if (item.recordingId === '') return;
    if (!['ingested', 'alreadyArchived', 'failed', 'gone'].includes(item.status)) return;
    this.recordings += 1;
    if (item.status === 'ingested') this.bytesArchived += item.sizeBytes;
  }
}

export interface ProgressOptions {
  /** How often the off-terminal line is printed. */
  readonly intervalMs: number;
  readonly tally: SettledTally;
}

function duration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '?';
  const minutes = Math.round(ms / 60_000);
  if (minutes < 1) return '<1m';
  if (minutes < 120) return `${minutes}m`;
  return `${Math.floor(minutes / 60)}h${String(minutes % 60).padStart(2, '0')}m`;
}

/** Whether the stream reports a real size; ora must not be given a terminal 0 columns wide. */
export function hasUsableSize(stream: { columns?: number; rows?: number }): boolean {
  const usable = (n: number | undefined): boolean => typeof n === 'number' && Number.isInteger(n) && n > 0;
  return usable(stream.columns) && usable(stream.rows);
}

function minuteOf(ms: number): string {
  return new Date(ms).toISOString().slice(0, 16).replace('T', ' ');
}

/** Shows the run's progress until the returned function is called. */
export async function startProgress(
  output: Output,
  source: ProgressSource,
  options: ProgressOptions,
): Promise<() => void> {
  if (output.quiet || output.json) return () => undefined;
  if (output.interactive && process.stderr.isTTY === true) return startLive(output, source);
  return startLogLines(output, source, options);
}

/**
 * Off a terminal: one plain line per interval, e.g. `2026-03-01T15:02:11.042Z catchup: 1200
 * recordings settled (40.0/min), 812.5 MB archived, cursor 2026-03-01 14:20 UTC, ETA 2h05m`. The ETA is the cursor's distance to
 * the end of listing at the speed it has moved so far; "unknown" until it has moved.
 */
function startLogLines(output: Output, source: ProgressSource, options: ProgressOptions): () => void {
  const started = Date.now();
  const from = source.cursorMs();
  const timer = setInterval(() => {
    const elapsedMs = Math.max(1, Date.now() - started);
    const position = source.cursorMs();
    if (source.dryRun) {
      const p = source.planCounts();
      output.info(
        `${new Date().toISOString()} ${source.command} --dry-run: ${source.counts().discovered} conversations listed; would ingest ${p.ingest}, retry ${p.retry}, delete ${p.delete}; cursor ${minuteOf(position)} UTC`,
      );
      return;
    }
    const { recordings, bytesArchived } = options.tally;
    const speed = (position - from) / elapsedMs;
    const eta = speed > 0 ? duration(Math.max(0, source.windowEndMs - position) / speed) : 'unknown';
    // Dated like the summary line, so a cron log reads on its own.
    output.info(
      `${new Date().toISOString()} ${source.command}: ${recordings} recordings settled (${(recordings / (elapsedMs / 60_000)).toFixed(1)}/min), ${(bytesArchived / 1048576).toFixed(1)} MB archived, cursor ${minuteOf(position)} UTC, ETA ${eta}`,
    );
  }, options.intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}

/** On a terminal: a line rewritten in place every second. */
async function startLive(output: Output, source: ProgressSource): Promise<() => void> {
  const stream = process.stderr;
  const plain = (text: string): void => output.progress(text);
  let spinner: Ora | undefined;
  const onResize = (): void => {
    if (spinner === undefined || hasUsableSize(stream)) return;
    // Synchronous with the size change: the spinner never renders a frame at 0 columns.
    spinner.stop();
    plain(spinner.text);
    spinner = undefined;
  };
  if (hasUsableSize(stream)) {
    const { default: ora } = await import('ora');
    spinner = ora({ stream, discardStdin: false, text: `${source.command}: starting` });
    stream.on('resize', onResize);
    spinner.start();
  } else {
    plain(`${source.command}: starting`);
  }
  const show = (text: string): void => {
    if (spinner === undefined) plain(text);
    else spinner.text = text;
  };
  const started = Date.now();
  const from = source.cursorMs();
  const timer = setInterval(() => {
    const elapsed = (Date.now() - started) / 1000;
    const c = source.counts();
    const done = c.ingested + c.alreadyArchived;
    const position = source.cursorMs();
    const speed = (position - from) / Math.max(1, Date.now() - started);
    const eta = speed > 0 ? (source.windowEndMs - position) / speed : Number.NaN;
    const at = minuteOf(position);
    // A dry run downloads nothing: it shows what it has found so far instead.
    if (source.dryRun) {
      const p = source.planCounts();
      show(
        `${source.command} --dry-run: ${c.discovered} conversations listed; would ingest ${p.ingest}, retry ${p.retry}, delete ${p.delete}; at ${at} UTC`,
      );
      return;
    }
    show(
      `${source.command}: ${done} recordings (${(done / Math.max(1, elapsed)).toFixed(1)}/s), ${(source.bytesDownloaded() / 1048576).toFixed(1)} MB, cursor ${at} UTC, ETA ${duration(eta)}`,
    );
  }, 1000);
  timer.unref();
  return () => {
    clearInterval(timer);
    stream.off('resize', onResize);
    if (spinner === undefined) plain('');
    else spinner.stop();
  };
}
