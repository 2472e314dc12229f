/** `verify` (SPEC §1): preflight checks, one line each, exit 5 when one fails. */
import { Command } from 'commander';
import type { GlobalOptions } from '../context.js';
import type { Runner } from '../main.js';

export function makeVerifyCommand(run: Runner): Command {
  return new Command('verify')
    .description('check the setup: configuration, folders, disk, lock, proxy, TLS, login, permissions, clock')
    .option('--offline', 'skip the network checks')
    .option('--archive', 're-hash every archived recording against its CDR and the ledger')
    .option(
      '--reconcile <FROM TO...>',
      "give every conversation Genesys has in [FROM, TO) its status from the tool's records (yyyy-MM-dd in 'timezone', or ISO-8601); exit 5 when one is missing",
    )
    .option('--deep', "with --reconcile: also list each conversation's recordings in Genesys")
    .option('--csv <FILE>', 'with --reconcile: also write one CSV row per conversation to FILE')
    .option(
      '--conversation <ID>',
      'everything the tool and Genesys know about one conversation; exit 5 when it is missing',
    )
    .option('--from <date>', 'with --archive: from this archive day on (yyyy-MM-dd, in timezone)')
    .option('--to <date>', 'with --archive: up to and including this archive day (yyyy-MM-dd)')
    .action(async (_opts: unknown, cmd: Command) => {
      const opts = cmd.optsWithGlobals<
        GlobalOptions & {
          conversation?: string;
          offline?: boolean;
          archive?: boolean;
          reconcile?: string[];
          deep?: boolean;
          csv?: string;
          from?: string;
          to?: string;
        }
      >();
      if (opts.conversation !== undefined) {
        const id = opts.conversation;
        await run(opts, async (ctx) =>
          (await import('../operator/verify-conversation.js')).verifyConversation(ctx, id, {
            offline: opts.offline === true,
          }),
        );
        return;
      }
      if (opts.reconcile !== undefined) {
        const flags = { range: opts.reconcile, deep: opts.deep === true, offline: opts.offline === true };
        await run(opts, async (ctx) =>
          (await import('../operator/verify-reconcile.js')).verifyReconcile(ctx, {
            ...flags,
            ...(opts.csv === undefined ? {} : { csv: opts.csv }),
          }),
        );
        return;
      }
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
