/** `verify --reconcile FROM TO` (SPEC §8.1): runs the reconcile and shows its outcome. */
import { createReadStream } from 'node:fs';
import { ExitCode, UsageError } from '../../errors.js';
import { isoInZone } from '../../util/time.js';
import { loadForCommand, type CommandContext } from '../context.js';
import { renderTable } from '../output.js';

export interface ReconcileFlags {
  range: string[];
  deep: boolean;
  csv?: string;
  offline: boolean;
}

/** Missing rows listed in human output without --verbose (the report and --csv hold them all). */
const LISTED_MISSING = 50;

/** 10,000 (SPEC §4.1); `GENESYS_INGEST_SYNC_RESULT_CAP` scales it down for the test suite only, as for a run. */
function syncResultCap(env: NodeJS.ProcessEnv): number {
  const value = Number(env.GENESYS_INGEST_SYNC_RESULT_CAP);
  return Number.isInteger(value) && value >= 1 ? value : 10_000;
}

export async function verifyReconcile(ctx: CommandContext, flags: ReconcileFlags): Promise<number> {
  if (flags.range.length !== 2)
    throw new UsageError(
      'verify.badRange',
      '--reconcile takes two dates: FROM TO (e.g. 2026-03-01 2026-04-01)',
    );
  if (flags.offline)
    throw new UsageError('verify.offline', '--reconcile asks Genesys: it cannot be --offline');
  const { config, paths } = loadForCommand(ctx, { requireSecret: true });
  const { parseReconcileRange } = await import('../../verify/reconcile-status.js');
  const { fromMs, toMs } = parseReconcileRange(flags.range[0]!, flags.range[1]!, config.timezone);
  const { reconcile, listedFrom } = await import('../../verify/reconcile.js');
  const starts = listedFrom({ fromMs }, config);
  if (starts > fromMs)
    ctx.output.info(
      `the import starts at recordingStartTimestamp (${isoInZone(starts, config.timezone)}): conversations before it are not listed`,
    );
  let shown = 0;
  const outcome = await reconcile(config, paths, {
    fromMs,
    toMs,
    deep: flags.deep,
    ...(flags.csv === undefined ? {} : { csvFile: flags.csv }),
    syncResultCap: syncResultCap(ctx.env),
    debug: (text) => ctx.output.debug(text),
    progress: (done) => {
      const now = Date.now();
      if (now - shown < 250) return;
      shown = now;
      ctx.output.progress(`verify --reconcile: ${done} conversations checked`);
    },
  });
  if (shown > 0) ctx.output.progress('');
  if (ctx.output.json) {
    // The document is the report file, streamed: the same bytes, never held whole in memory.
    await new Promise<void>((resolve, reject) => {
      const stream = createReadStream(outcome.reportFile);
      stream.on('error', reject);
      stream.on('end', resolve);
      stream.pipe(process.stdout, { end: false });
    });
    ctx.output.markDocumentWritten();
  }
  const range = `${isoInZone(fromMs, config.timezone)} to ${isoInZone(toMs, config.timezone)} (${config.timezone})`;
  const total = Object.values(outcome.counts).reduce((a, b) => a + b, 0);
  ctx.output.result(`reconcile ${range}: ${total} conversations`);
  ctx.output.result(
    await renderTable(
      ctx.output,
      ['status', 'conversations'],
      Object.entries(outcome.counts).map(([status, n]) => [status, String(n)]),
    ),
  );
  if (outcome.missing.length > 0) {
    const listed = ctx.output.verbose ? outcome.missing : outcome.missing.slice(0, LISTED_MISSING);
    ctx.output.result(ctx.output.paint(`missing: ${outcome.missing.length}`, 31));
    ctx.output.result(
      await renderTable(
        ctx.output,
        ['conversation', 'start', 'detail'],
        listed.map((r) => [r.conversationId, r.conversationStart, r.detail]),
      ),
    );
    if (listed.length < outcome.missing.length)
      ctx.output.result(
        `… ${outcome.missing.length - listed.length} more (--verbose, the report or --csv list them)`,
      );
  }
  for (const note of outcome.notes) ctx.output.warn(note);
  ctx.output.info(`report: ${outcome.reportFile}${flags.csv === undefined ? '' : `; CSV: ${flags.csv}`}`);
  ctx.output.result(outcome.ok ? 'nothing is missing' : 'reconcile failed: see missing and notes above');
  return outcome.ok ? ExitCode.ok : ExitCode.verifyFailed;
}
