/** `status` (SPEC §1): the state at a glance, for an operator or a monitoring check. */
import { Command } from 'commander';
import type { Runner } from '../main.js';

export function makeStatusCommand(run: Runner): Command {
  return new Command('status')
    .description(
      'the state at a glance (last run, cursor and lag, pending, retry buffer, lock); exit 0 when healthy, 5 otherwise',
    )
    .action(async (_opts: unknown, cmd: Command) =>
      run(cmd.optsWithGlobals(), async (ctx) => (await import('../operator/status.js')).status(ctx)),
    );
}
