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
      run(cmd.optsWithGlobals(), async (ctx) => (await import('../operator/retry.js')).retryList(ctx)),
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
        (await import('../operator/retry.js')).retryAdd(ctx, files, opts.conversation, opts.recording),
      );
    });
  retry
    .command('remove')
    .description(
      'remove entries by file name, path or conversation id, or all of them; they move to removed/ and the ledger records it',
    )
    .argument('[names...]', 'entry file names, paths to entries, or conversation ids')
    .option('--all', 'remove every entry (asks first on a terminal; elsewhere needs --yes)')
    .option('-y, --yes', 'do not ask for confirmation')
    .action(async (names: string[], _opts: unknown, cmd: Command) => {
      const opts = cmd.optsWithGlobals<GlobalOptions & { all?: boolean; yes?: boolean }>();
      const interactive = process.stdin.isTTY === true && process.stderr.isTTY === true && opts.json !== true;
      await run(opts, async (ctx) =>
        (await import('../operator/retry.js')).retryRemove(ctx, names, {
          all: opts.all === true,
          yes: opts.yes === true,
          ...(interactive ? { confirm: askOnTerminal } : {}),
        }),
      );
    });
  return retry;
}

/** One question on the terminal (stderr), one line of answer from stdin: `y` or `yes` is yes. */
async function askOnTerminal(question: string): Promise<boolean> {
  const { createInterface } = await import('node:readline/promises');
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await rl.question(question)).trim());
  } finally {
    rl.close();
  }
}
