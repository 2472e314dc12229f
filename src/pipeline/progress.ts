/**
 * Progress on a terminal (SPEC §1 catchup): recordings done, rate, bytes, the cursor's date and an
 * ETA from how fast the cursor moves. Silent on a non-TTY (cron), with --json and with --quiet;
 * ora is only loaded when it will be shown.
 */
import type { Position } from '../state/position.js';
import type { RunContext } from './context.js';

export interface ProgressHandle {
  stop(): void;
}

function duration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '?';
  const minutes = Math.round(ms / 60_000);
  if (minutes < 1) return '<1m';
  if (minutes < 120) return `${minutes}m`;
  return `${Math.floor(minutes / 60)}h${String(minutes % 60).padStart(2, '0')}m`;
}

export async function startProgress(
  ctx: RunContext,
  cursor: () => Position,
  windowEnd: () => number,
): Promise<ProgressHandle> {
  if (!ctx.output.interactive || ctx.output.quiet) return { stop: () => undefined };
  const { default: ora } = await import('ora');
  const spinner = ora({ stream: process.stderr, discardStdin: false }).start(`${ctx.command}: starting`);
  const started = Date.now();
  const from = cursor().startMs;
  const timer = setInterval(() => {
    const elapsed = (Date.now() - started) / 1000;
    const c = ctx.report.counts;
    const done = c.ingested + c.alreadyArchived;
    const position = cursor().startMs;
    const speed = (position - from) / Math.max(1, Date.now() - started);
    const eta = speed > 0 ? (windowEnd() - position) / speed : Number.NaN;
    const at = new Date(position).toISOString().slice(0, 16).replace('T', ' ');
    // A dry run downloads nothing: it shows what it has found so far instead.
    if (ctx.dryRun) {
      const p = ctx.plan.counts;
      spinner.text = `${ctx.command} --dry-run: ${c.discovered} conversations listed; would ingest ${p.ingest}, retry ${p.retry}, delete ${p.delete}; at ${at} UTC`;
      return;
    }
    spinner.text = `${ctx.command}: ${done} recordings (${(done / Math.max(1, elapsed)).toFixed(1)}/s), ${(ctx.client.bytesDownloaded / 1048576).toFixed(1)} MB, cursor ${new Date(position).toISOString().slice(0, 16).replace('T', ' ')} UTC, ETA ${duration(eta)}`;
  }, 1000);
  timer.unref();
  return {
    stop() {
      clearInterval(timer);
      spinner.stop();
    },
  };
}
