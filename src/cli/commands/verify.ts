/** `verify` (SPEC §1): preflight checks, one line each, exit 5 when one fails. */
import { Command } from 'commander';
import type { GlobalOptions } from '../context.js';
import type { Runner } from '../main.js';

export function makeVerifyCommand(run: Runner): Command {
  return new Command('verify')
    .description('check the setup: configuration, folders, disk, lock, proxy, TLS, login, permissions, clock')
    .option('--offline', 'skip the network checks')
    .option('--archive', 're-hash every archived recording against its CDR and the ledger')
    .option('--from <date>', 'with --archive: from this archive day on (yyyy-MM-dd, in timezone)')
    .option('--to <date>', 'with --archive: up to and including this archive day (yyyy-MM-dd)')
    .action(async (_opts: unknown, cmd: Command) => {
      const opts = cmd.optsWithGlobals<
        GlobalOptions & { offline?: boolean; archive?: boolean; from?: string; to?: string }
      >();
      await run(opts, async (ctx) =>
        (await import('../operator/verify.js')).verify(ctx, {
          offline: opts.offline === true,
          archive: opts.archive === true,
          ...(opts.from === undefined ? {} : { from: opts.from }),
          ...(opts.to === undefined ? {} : { to: opts.to }),
        }),
      );
    });
}
