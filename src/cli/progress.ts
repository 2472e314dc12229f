/**
 * Progress on a terminal (SPEC §1 catchup): recordings done, rate, bytes, the cursor's date and an
 * ETA from how fast the cursor moves. Silent on a non-TTY (cron), with --json and with --quiet;
 * ora is only loaded when it will be shown.
 *
 * A terminal that reports 0 (or no) columns or rows — a pseudo-terminal without a size, from
 * `script`, some CI runners, `docker run -t` before a resize — gets a plain status line instead:
 * ora divides by the column count, and with 0 it loops forever writing escape codes, deaf to signals
 * (SPEC §5). A resize to 0 while the spinner runs switches to the plain line before the next frame.
 */
import type { Ora } from 'ora';
import type { ProgressSource } from '../pipeline/events.js';
import type { Output } from './output.js';

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

/** Shows the run's progress until the returned function is called. */
export async function startProgress(output: Output, source: ProgressSource): Promise<() => void> {
  if (!output.interactive || output.quiet) return () => undefined;
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
    const at = new Date(position).toISOString().slice(0, 16).replace('T', ' ');
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
