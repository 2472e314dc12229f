/** `run` and `catchup` (SPEC §1). The ingest pipeline arrives with issue #4; until then they refuse honestly. */
import { Command, InvalidArgumentError } from 'commander';
import { UsageError } from '../../errors.js';
import type { Runner } from '../main.js';

export function positiveInt(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1)
    throw new InvalidArgumentError('must be a whole number of at least 1');
  return Number(value);
}

export function nonNegativeInt(value: string): number {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError('must be a whole number');
  return Number(value);
}

function notYet(command: string): never {
  throw new UsageError(
    'notAvailable',
    `'${command}' is not available yet in this version: the ingest pipeline is still being built; nothing was changed`,
  );
}

export function makeRunCommand(run: Runner): Command {
  return new Command('run')
    .description(
      'one scheduled pass: pending deletes, a retry batch, then every conversation from the cursor to now − availability delay',
    )
    .option('--dry-run', 'discover and report what would be ingested; change nothing')
    .option(
      '--max-minutes <n>',
      'stop starting new work after this many minutes (config maxRunMinutes)',
      positiveInt,
    )
    .action(async (_opts: unknown, cmd: Command) => run(cmd.optsWithGlobals(), () => notYet('run')));
}

export function makeCatchupCommand(run: Runner): Command {
  return new Command('catchup')
    .description('one-off historical back-fill with the same pipeline, up to --until')
    .option('--dry-run', 'discover and report what would be ingested; change nothing')
    .option('--until <time>', 'back-fill up to this time (default: now − availability delay)')
    .option('--availability-delay <min>', 'availability delay for this invocation only', nonNegativeInt)
    .option('--max-recording-length <min>', 'maximum recording length for this invocation only', positiveInt)
    .action(async (_opts: unknown, cmd: Command) => run(cmd.optsWithGlobals(), () => notYet('catchup')));
}
