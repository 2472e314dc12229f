/** `verify`: runs the checks and prints one line per check (SPEC §1). */
import type { CommandContext } from '../context.js';
import { loadForCommand, type Loaded } from '../context.js';
import { ExitCode, UsageError } from '../../errors.js';
import type { ArchiveFinding } from '../../verify/archive.js';
import type { Check } from '../../verify/check.js';
import { offlineChecks } from '../../verify/offline.js';

export interface VerifyOptions {
  offline: boolean;
  archive: boolean;
  /** `--from`/`--to` (with `--archive`): archive days, `yyyy-MM-dd` in the configured timezone. */
  from?: string;
  to?: string;
}

/** `yyyy-MM-dd` → the archive's day key `yyyy/MM/dd`; a usage error (exit 2) for anything else. */
function dayKey(flag: string, value: string): string {
  const ok = /^\d{4}-\d{2}-\d{2}$/.test(value) && !Number.isNaN(Date.parse(`${value}T00:00:00Z`));
  if (!ok || new Date(`${value}T00:00:00Z`).toISOString().slice(0, 10) !== value)
    throw new UsageError(
      'verify.usage',
      `${flag} must be a day such as 2024-05-01; got ${JSON.stringify(value)}`,
    );
  return value.replace(/-/g, '/');
}

/** The archive days `verify --archive` covers, checked before anything is read. */
function archiveDays(options: VerifyOptions): { from?: string; to?: string } | undefined {
  if (options.from === undefined && options.to === undefined) return undefined;
  if (!options.archive) throw new UsageError('verify.usage', '--from and --to go with --archive');
  const days: { from?: string; to?: string } = {};
  if (options.from !== undefined) days.from = dayKey('--from', options.from);
  if (options.to !== undefined) days.to = dayKey('--to', options.to);
  if (days.from !== undefined && days.to !== undefined && days.from > days.to)
    throw new UsageError('verify.usage', `--from ${options.from} is after --to ${options.to}`);
  return days;
}

/** Findings listed under the checks in human output (the JSON document carries all that were kept). */
const LISTED_FINDINGS = 20;

export async function verify(ctx: CommandContext, options: VerifyOptions): Promise<number> {
  const days = archiveDays(options);
  const { config, paths } = loadForCommand(ctx, { requireSecret: !options.offline });
  const checks: Check[] = await offlineChecks(config, paths, ctx.now());
  let unreachable = false;
  if (!options.offline) {
    const { onlineChecks } = await import('../../verify/online.js');
    const online = await onlineChecks(config, paths, ctx.now());
    checks.push(...online.checks);
    unreachable = online.unreachable;
  }
  let findings: ArchiveFinding[] | undefined;
  if (options.archive) {
    const audit = await archiveAudit(ctx, config, paths, days);
    checks.push(...audit.checks);
    findings = audit.findings;
  }
  const ok = report(ctx, checks, findings);
  // Genesys or the proxy unreachable, or credentials refused: exit 4, like every command (SPEC §1.1).
  if (unreachable) return ExitCode.remote;
  return ok ? ExitCode.ok : ExitCode.verifyFailed;
}

/** `verify --archive` (SPEC §1): loaded only when asked for, with a progress line on a terminal. */
async function archiveAudit(
  ctx: CommandContext,
  config: Loaded['config'],
  paths: Loaded['paths'],
  days: { from?: string; to?: string } | undefined,
): Promise<{ checks: Check[]; findings: ArchiveFinding[] }> {
  const { auditArchive } = await import('../../verify/archive.js');
  const started = Date.now();
  let shown = 0;
  try {
    return await auditArchive(config, paths, {
      ...(days === undefined ? {} : { days }),
      onProgress: (done) => {
        const now = Date.now();
        if (now - shown < 250) return;
        shown = now;
        const rate = Math.round(done / Math.max(1, (now - started) / 1000));
        ctx.output.progress(`verify --archive: ${done} CDRs checked (${rate}/s)`);
      },
    });
  } finally {
    if (shown > 0) ctx.output.progress('');
  }
}

function report(ctx: CommandContext, checks: Check[], findings?: ArchiveFinding[]): boolean {
  const ok = checks.every((c) => c.ok);
  ctx.output.document(findings === undefined ? { ok, checks } : { ok, checks, findings });
  for (const check of checks) {
    const mark = check.ok
      ? check.detail.startsWith('warning:')
        ? ctx.output.paint('WARN', 33)
        : ctx.output.paint('PASS', 32)
      : ctx.output.paint('FAIL', 31);
    ctx.output.result(`${mark}  ${check.name}: ${check.detail}`);
    if (check.hint !== undefined) ctx.output.result(`      hint: ${check.hint}`);
  }
  if (findings !== undefined && findings.length > 0) {
    const listed = ctx.output.verbose ? findings : findings.slice(0, LISTED_FINDINGS);
    ctx.output.result('findings:');
    for (const f of listed) ctx.output.result(`  ${f.kind}  ${f.path}: ${f.detail}`);
    if (listed.length < findings.length)
      ctx.output.result(`  … ${findings.length - listed.length} more (--verbose or --json lists them)`);
  }
  ctx.output.result(ok ? 'all checks passed' : `${checks.filter((c) => !c.ok).length} check(s) failed`);
  return ok;
}
