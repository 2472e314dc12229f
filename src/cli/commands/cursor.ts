/** `cursor get` and `cursor set` (SPEC §1). */
import { Command } from 'commander';
import type { GlobalOptions } from '../context.js';
import type { Runner } from '../main.js';

export function makeCursorCommand(run: Runner): Command {
  const cursor = new Command('cursor').description(
    'show or rewind the cursor (the position up to which everything is settled)',
  );
  cursor
    .command('get')
    .description('show the cursor: conversation id, time in UTC and in the configured timezone, and its lag')
    .action(async (_opts: unknown, cmd: Command) =>
      run(cmd.optsWithGlobals(), async (ctx) => (await import('../operator/cursor.js')).cursorGet(ctx)),
    );
  cursor
    .command('set')
    .description('rewind (or move) the cursor; keeps a copy of the previous file as <p_s>.cursor.bak')
    .argument(
      '<time>',
      "ISO-8601 (an offset or Z is honoured; without one it is read in 'timezone') or yyyy.MM.dd HH:mm:ss.SSS (UTC)",
    )
    .option('--conversation-id <id>', 'conversation id to store with the time (a Genesys conversation id)')
    .action(async (time: string, _opts: unknown, cmd: Command) => {
      const opts = cmd.optsWithGlobals<GlobalOptions & { conversationId?: string }>();
      await run(opts, async (ctx) =>
        (await import('../operator/cursor.js')).cursorSet(ctx, time, opts.conversationId),
      );
    });
  return cursor;
}
