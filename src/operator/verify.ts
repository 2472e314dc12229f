/** `verify`: runs the checks and prints one line per check (SPEC §1). */
import type { CommandContext } from '../cli/context.js';
import { loadForCommand } from '../cli/context.js';
import { ExitCode, UsageError } from '../errors.js';
import type { Check } from '../verify/check.js';
import { offlineChecks } from '../verify/offline.js';

export interface VerifyOptions {
  offline: boolean;
  archive: boolean;
}

export async function verify(ctx: CommandContext, options: VerifyOptions): Promise<number> {
  if (options.archive) {
    throw new UsageError('notAvailable', "'verify --archive' is not available yet in this version");
  }
  const { config, paths } = loadForCommand(ctx, { requireSecret: !options.offline });
  const checks: Check[] = await offlineChecks(config, paths, ctx.now());
  let unreachable = false;
  if (!options.offline) {
    const { onlineChecks } = await import('../verify/online.js');
    const online = await onlineChecks(config, paths, ctx.now());
    checks.push(...online.checks);
    unreachable = online.unreachable;
  }
  const ok = report(ctx, checks);
  // Genesys or the proxy unreachable, or credentials refused: exit 4, like every command (SPEC §1.1).
  if (unreachable) return ExitCode.remote;
  return ok ? ExitCode.ok : ExitCode.verifyFailed;
}

function report(ctx: CommandContext, checks: Check[]): boolean {
  const ok = checks.every((c) => c.ok);
  ctx.output.document({ ok, checks });
  for (const check of checks) {
    const mark = check.ok
      ? check.detail.startsWith('warning:')
        ? ctx.output.paint('WARN', 33)
        : ctx.output.paint('PASS', 32)
      : ctx.output.paint('FAIL', 31);
    ctx.output.result(`${mark}  ${check.name}: ${check.detail}`);
    if (check.hint !== undefined) ctx.output.result(`      hint: ${check.hint}`);
  }
  ctx.output.result(ok ? 'all checks passed' : `${checks.filter((c) => !c.ok).length} check(s) failed`);
  return ok;
}
