/** `retry list | add | remove` (SPEC §1, §3.3). */
import { Command } from 'commander';
import type { GlobalOptions } from '../context.js';
import type { Runner } from '../main.js';

export function makeRetryCommand(run: Runner): Command {
  const retry = new Command('retry').description(
    'manage the retry buffer (CDR XML files of recordings whose ingest failed)',
  );
  retry
    .command('list')
    .description('list the entries, least recently attempted first')
    .action(async (_opts: unknown, cmd: Command) =>
      run(cmd.optsWithGlobals(), async (ctx) => (await import('../../operator/retry.js')).retryList(ctx)),
    );
  retry
    .command('add')
    .description('add CDR XML files, or an entry for a conversation (and recording) id')
    .argument('[files...]', 'CDR XML files to copy into the buffer (validated first)')
    .option('--conversation <id>', 'create an entry for this conversation id')
    .option('--recording <id>', 'with --conversation: only this recording')
    .action(async (files: string[], _opts: unknown, cmd: Command) => {
      const opts = cmd.optsWithGlobals<GlobalOptions & { conversation?: string; recording?: string }>();
      await run(opts, async (ctx) =>
        (await import('../../operator/retry.js')).retryAdd(ctx, files, opts.conversation, opts.recording),
      );
    });
  retry
    .command('remove')
    .description('remove entries by file name or conversation id, or all of them')
    .argument('[names...]', 'entry file names or conversation ids')
    .option('--all', 'remove every entry')
    .action(async (names: string[], _opts: unknown, cmd: Command) => {
      const opts = cmd.optsWithGlobals<GlobalOptions & { all?: boolean }>();
      await run(opts, async (ctx) =>
        (await import('../../operator/retry.js')).retryRemove(ctx, names, opts.all === true),
      );
    });
  return retry;
}
