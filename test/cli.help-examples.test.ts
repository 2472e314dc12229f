/**
 * Issue 11 item 8: every command's `--help` ends with examples of the operator procedures, and every
 * example is a real invocation. Each `$ genesys-ingest …` line printed by the CLI is parsed by the
 * program's own command tree (commander, with a runner that does nothing): an unknown command or
 * option, a missing argument or a value the option refuses fails here, so a renamed flag breaks it.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CommanderError, type Command } from 'commander';
import { buildProgram } from '../src/cli/main.js';
import { runCli } from './helpers/cli.js';

/** The example lines of a help text, without the prompt and program name. */
function exampleLines(help: string): string[] {
  return [...help.matchAll(/^ {2}\$ genesys-ingest (.*)$/gm)].map((m) => m[1]!);
}

/** Splits a command line like a POSIX shell would for these examples: quotes, up to a redirection. */
function shellWords(line: string): string[] {
  const words: string[] = [];
  for (const m of line.matchAll(/'([^']*)'|"([^"]*)"|(\S+)/g)) {
    const word = m[1] ?? m[2] ?? m[3]!;
    if (m[3] !== undefined && /^(>|>>|\||&&|;|2>)/.test(word)) break;
    words.push(word);
  }
  return words;
}

/** Parses `args` with the real command tree; returns the path of the command whose action ran. */
async function parseExample(args: string[]): Promise<string> {
  const ran: string[] = [];
  const program = buildProgram((_globals, _action) => {
    ran.push('action');
    return Promise.resolve();
  });
  let leaf = '';
  program.hook('preAction', (_root, actionCommand) => {
    const names: string[] = [];
    for (let c: Command | null = actionCommand; c?.parent; c = c.parent) names.unshift(c.name());
    leaf = names.join(' ');
  });
  const silence = (c: Command): void => {
    c.configureOutput({ writeErr: () => {}, writeOut: () => {} });
    c.commands.forEach(silence);
  };
  silence(program);
  try {
    await program.parseAsync(args, { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) assert.fail(`${args.join(' ')}: ${error.message}`);
    throw error;
  }
  assert.deepEqual(ran, ['action'], `${args.join(' ')} runs exactly one command`);
  return leaf;
}

/** Procedures whose examples include a step of another command: back-fill a year rewinds first. */
const OTHER_STEPS: Record<string, string[]> = { catchup: ['cursor set'] };

function commandPaths(command: Command, path: string[] = []): string[][] {
  return [path, ...command.commands.flatMap((sub) => commandPaths(sub, [...path, sub.name()]))];
}

describe('help examples', () => {
  it("every command's --help shows examples, and each parses as a valid invocation of that tree", async () => {
    const paths = commandPaths(buildProgram(async () => {}));
    assert.ok(paths.length >= 12, 'the whole tree is visited');
    let checked = 0;
    for (const path of paths) {
      const r = await runCli([...path, '--help']);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /\nExamples:\n/, `${path.join(' ') || 'the program'} has examples`);
      const lines = exampleLines(r.stdout);
      assert.ok(lines.length > 0, `${path.join(' ')}: example lines`);
      for (const line of lines) {
        const leaf = await parseExample(shellWords(line));
        // A command's examples run that command (a group's, its children); a procedure may need a step before.
        const own = path.join(' ');
        assert.ok(
          own === '' ||
            leaf === own ||
            leaf.startsWith(`${own} `) ||
            OTHER_STEPS[own]?.includes(leaf) === true,
          `${own}: example "${line}" runs ${leaf}`,
        );
        checked++;
      }
    }
    assert.ok(checked >= 30, `${checked} examples checked`);
  });

  it('the examples show the operator procedures', async () => {
    const all = (
      await Promise.all(
        commandPaths(buildProgram(async () => {})).map(
          async (path) => (await runCli([...path, '--help'])).stdout,
        ),
      )
    ).join('\n');
    for (const procedure of [
      /\$ genesys-ingest cursor set \S+/, // rewind
      /\$ genesys-ingest retry add --conversation \S+/, // retry one conversation
      /\$ genesys-ingest catchup --until \S+ --availability-delay \d+ --max-recording-length \d+/, // back-fill
      /\$ genesys-ingest verify\n/,
      /\$ genesys-ingest verify --offline/,
      /\$ genesys-ingest verify --archive/,
      /\$ genesys-ingest status/,
      /\$ genesys-ingest run --dry-run/,
      /\$ genesys-ingest completion bash/,
      /\$ genesys-ingest completion zsh/,
      /\$ genesys-ingest completion powershell/,
    ])
      assert.match(all, procedure);
  });

  it('the parser used above refuses what commander refuses', async () => {
    await assert.rejects(parseExample(['catchup', '--availabilty-delay', '10']), /unknown option/);
    await assert.rejects(parseExample(['catchup', '--availability-delay', '1']), /at least 2/);
    await assert.rejects(parseExample(['retry', 'remov', 'x']), /unknown command/);
    await assert.rejects(parseExample(['cursor', 'set']), /missing required argument/);
    assert.equal(await parseExample(shellWords("cursor set '2024.05.01 08:00:00.000' --json")), 'cursor set');
    assert.deepEqual(shellWords('completion bash > ~/x'), ['completion', 'bash']);
  });
});
