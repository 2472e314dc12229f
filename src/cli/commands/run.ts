/** `run` and `catchup` (SPEC §1): thin wiring over the shared pipeline. */
import { Command, InvalidArgumentError } from 'commander';
import { MIN_AVAILABILITY_DELAY_MINUTES, type ConfigOverrides } from '../../config/types.js';
import type { GlobalOptions } from '../context.js';
import type { Runner } from '../main.js';

export function positiveInt(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1)
    throw new InvalidArgumentError('must be a whole number of at least 1');
  return Number(value);
}

/** `--availability-delay`: whole minutes, at least 2 like `availabilityDelayMinutes` (SPEC §2). */
export function availabilityDelay(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) < MIN_AVAILABILITY_DELAY_MINUTES)
    throw new InvalidArgumentError(
      `must be a whole number of at least ${MIN_AVAILABILITY_DELAY_MINUTES} (analytics is not instant)`,
    );
  return Number(value);
}

interface RunFlags extends GlobalOptions {
  dryRun?: boolean;
  maxMinutes?: number;
}

interface CatchupFlags extends GlobalOptions {
  dryRun?: boolean;
  until?: string;
  availabilityDelay?: number;
  maxRecordingLength?: number;
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
    .action(async (_opts: unknown, cmd: Command) => {
      const flags = cmd.optsWithGlobals<RunFlags>();
      const overrides: ConfigOverrides =
        flags.maxMinutes === undefined ? {} : { maxRunMinutes: flags.maxMinutes };
      await run(flags, async (ctx) =>
        (await import('../run-command.js')).runCommand(ctx, {
          command: 'run',
          dryRun: flags.dryRun === true,
          overrides,
        }),
      );
    });
}

export function makeCatchupCommand(run: Runner): Command {
  return new Command('catchup')
    .description('one-off historical back-fill with the same pipeline, up to --until')
    .option('--dry-run', 'discover and report what would be ingested; change nothing')
    .option(
      '--until <time>',
      'back-fill up to this time: ISO-8601 (without an offset, in the configured timezone) or yyyy.MM.dd HH:mm:ss.SSS (UTC); default now − availability delay',
    )
    .option('--availability-delay <min>', 'availability delay for this invocation only', availabilityDelay)
    .option('--max-recording-length <min>', 'maximum recording length for this invocation only', positiveInt)
    .action(async (_opts: unknown, cmd: Command) => {
      const flags = cmd.optsWithGlobals<CatchupFlags>();
      const overrides: ConfigOverrides = {};
      if (flags.availabilityDelay !== undefined) overrides.availabilityDelayMinutes = flags.availabilityDelay;
      if (flags.maxRecordingLength !== undefined)
        overrides.maxRecordingLengthMinutes = flags.maxRecordingLength;
      await run(flags, async (ctx) => {
        const { runCommand } = await import('../run-command.js');
        return runCommand(ctx, {
          command: 'catchup',
          dryRun: flags.dryRun === true,
          overrides,
          ...(flags.until === undefined ? {} : { until: flags.until }),
        });
      });
    });
}
