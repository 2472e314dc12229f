/**
 * The command line. `main()` is the only place that turns errors into exit codes (SPEC §1.1);
 * commands return an exit code or throw, and never call process.exit.
 */
import { Command, CommanderError, Option } from 'commander';
import { asStorageError, ExitCode, exitCodeOf, IngestError } from '../errors.js';
import { makeCompletionCommand } from './commands/completion.js';
import { makeCursorCommand } from './commands/cursor.js';
import { makeRetryCommand } from './commands/retry.js';
import { makeCatchupCommand, makeRunCommand } from './commands/run.js';
import { makeStatusCommand } from './commands/status.js';
import { makeVerifyCommand } from './commands/verify.js';
import { makeContext, type CommandContext, type GlobalOptions } from './context.js';
import { addHelpExamples } from './help-examples.js';
import { Output } from './output.js';
import { StoppedWith } from './stopped.js';
import { VERSION } from './version.js';
import { installLastResort, withEscaped } from '../util/last-resort.js';

/** Runs the command line given (without `node` and the script) and returns the exit code. */
export async function main(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const state: { output: Output; exitCode: number } = {
    output: outputFromArgv(argv, env),
    exitCode: ExitCode.ok,
  };
  // Nothing escapes as an unhandled rejection (SPEC §4.6): an error no code handled is exit 70.
  installLastResort((error) => reportInternal(error, state.output));
  const program = buildProgram(async (globals, action) => {
    state.output = outputFrom(globals, env);
    state.exitCode = await action(makeContext(state.output, globals, env));
  });
  try {
    await program.parseAsync(argv, { from: 'user' });
    return withEscaped(state.exitCode);
  } catch (error) {
    return withEscaped(reportError(error, state.output));
  }
}

export type Runner = (
  globals: GlobalOptions,
  action: (ctx: CommandContext) => Promise<number>,
) => Promise<void>;

/** Builds the commander program; `run` wraps every action so globals and errors are handled once. */
export function buildProgram(run: Runner): Command {
  const program = new Command('genesys-ingest')
    .description(
      'Copy call recordings from Genesys Cloud CX into an archive you own, with a CDR (metadata XML) per recording.',
    )
    .version(VERSION, '-V, --version', 'print the version and exit')
    .helpOption('-h, --help', 'show help and exit')
    .option(
      '--config <file>',
      'configuration file (default: env GENESYS_INGEST_CONFIG, else ./genesys-ingest.json)',
    )
    .option('--json', 'print one JSON document on stdout and nothing else there')
    .option('-q, --quiet', 'print only warnings, errors and the result: no information lines, no progress')
    .option(
      '-v, --verbose',
      'also print detail on stderr: run/catchup log each window listed (interval, conversations) and each recording settled (conversation, recording, outcome, size); errors show their cause',
    )
    .option(
      '--debug',
      'everything --verbose prints, plus one line per HTTP request to Genesys and the media host: method, host, path (never a query string), status, duration in ms, attempt',
    )
    .addOption(new Option('--no-color', 'no colours in output'))
    .showHelpAfterError('(add --help for usage)')
    .configureHelp({ showGlobalOptions: true, sortSubcommands: false })
    .addHelpText('after', EXIT_CODE_HELP)
    .addHelpText('after', OUTPUT_HELP)
    .exitOverride()
    .configureOutput({ outputError: (text, write) => write(text) });
  program.addCommand(makeRunCommand(run));
  program.addCommand(makeCatchupCommand(run));
  program.addCommand(makeCursorCommand(run));
  program.addCommand(makeRetryCommand(run));
  program.addCommand(makeStatusCommand(run));
  program.addCommand(makeVerifyCommand(run));
  program.addCommand(makeCompletionCommand(run));
  addHelpExamples(program);
  for (const command of program.commands) propagateSettings(command);
  return program;
}

function propagateSettings(command: Command): void {
  command
    .exitOverride()
    .showHelpAfterError('(add --help for usage)')
    .configureHelp({ showGlobalOptions: true });
  for (const sub of command.commands) propagateSettings(sub);
}

const EXIT_CODE_HELP = `
Exit codes:
  0    success: everything due was ingested, or there was nothing to do
  1    finished, but something failed for the first time (it is in the retry buffer), or alerts were raised
  2    usage or configuration error, unreadable cursor, refused request: nothing was changed
  3    another run holds the lock for this import source: nothing was changed
  4    Genesys or the proxy could not be reached or refused the credentials
  5    verify found a failing check
  6    the archive or state folder could not be written (disk full, read-only, permissions)
  70   internal error (a bug): state saved; please report it
  130  interrupted (SIGINT/SIGTERM); state saved`;

const OUTPUT_HELP = `
Output of run and catchup:
  on a terminal  a live progress line on stderr (recordings, rate, MB, cursor date, ETA)
  otherwise      (cron, a pipe, a log file) that line on stderr at most once a minute;
                 none with --quiet or --json (stdout then carries only the JSON document)
  --verbose      adds each window listed and each recording settled
  --debug        adds each HTTP request (method, host, path, status, duration, attempt)`;

function outputFrom(globals: GlobalOptions, env: NodeJS.ProcessEnv): Output {
  const json = globals.json === true;
  return new Output({
    json,
    quiet: globals.quiet === true,
    verbose: globals.verbose === true || globals.debug === true,
    requests: globals.debug === true,
    color:
      globals.color !== false &&
      !json &&
      (env.NO_COLOR ?? '') === '' &&
      env.FORCE_COLOR !== '0' &&
      process.stderr.isTTY === true,
  });
}

/** Before commander has parsed anything, errors still need to know whether --json was asked for. */
function outputFromArgv(argv: string[], env: NodeJS.ProcessEnv): Output {
  return outputFrom(
    {
      json: argv.includes('--json'),
      quiet: argv.includes('--quiet') || argv.includes('-q'),
      color: !argv.includes('--no-color'),
    },
    env,
  );
}

function reportError(error: unknown, output: Output): number {
  if (error instanceof CommanderError) {
    if (error.exitCode === 0) return ExitCode.ok; // --help, --version
    // commander has already printed its message on stderr.
    return errorDocument(output, ExitCode.usage, error.code, error.message.replace(/^error: /, ''));
  }
  // A run's outcome decided its exit code already (the one its report and status.json record).
  if (error instanceof StoppedWith) return tell(error.error, output, error.exitCode);
  return tell(error, output, exitCodeOf(error));
}

function tell(error: unknown, output: Output, exitCode: number): number {
  const wrapped = asStorageError(error, 'file system error');
  if (wrapped instanceof IngestError) {
    output.error(wrapped.message);
    if (wrapped.hint !== undefined) output.info(`hint: ${wrapped.hint}`);
    if (wrapped.cause !== undefined)
      output.debug(`cause: ${String((wrapped.cause as Error).message ?? wrapped.cause)}`);
    return errorDocument(output, exitCode, wrapped.code, wrapped.message);
  }
  return reportInternal(error, output, exitCode);
}

function reportInternal(error: unknown, output: Output, exitCode: number = ExitCode.internal): number {
  const err = error as Error | undefined;
  output.error(`internal error (a bug; please report it): ${err?.stack ?? String(error)}`);
  return errorDocument(output, exitCode, 'internal', err?.message ?? String(error));
}

function errorDocument(output: Output, exitCode: number, code: string, message: string): number {
  if (!output.hasDocument) output.document({ ok: false, exitCode, error: { code, message } });
  return exitCode;
}
