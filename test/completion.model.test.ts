/**
 * The one model of the command tree that the bash, zsh and PowerShell scripts are rendered from:
 * read from commander (commands, subcommands, their options, the global options), never listed by hand.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Argument, Command } from 'commander';
import { buildProgram } from '../src/cli/main.js';
import { completionTree, flattenTree, type CompletionNode } from '../src/cli/completion/model.js';

function find(root: CompletionNode, path: string): CompletionNode {
  const node = flattenTree(root).find((n) => n.path.join(' ') === path);
  assert.ok(node, `no node for ${JSON.stringify(path)}`);
  return node;
}

function names(node: CompletionNode): string[] {
  return node.options.flatMap((o) => o.names);
}

describe('completion model', () => {
  it('reads commands, options, values and arguments from a commander program', () => {
    const program = new Command('tool').option('-g, --global <file>', 'a global option with a file value');
    const sub = program.command('sub').description('a   subcommand\n  on two lines');
    sub.command('leaf').option('--csv <file>', 'write a CSV').option('--when <time>', 'a time');
    program
      .command('pick')
      .addArgument(new Argument('<colour>', 'one colour').choices(['red', 'blue']))
      .option('--mode <m>', 'a mode');
    program.command('secret', { hidden: true });
    program.command('many').argument('[files...]', 'input files');

    const root = completionTree(program);
    assert.deepEqual(
      root.subcommands.map((s) => s.name),
      ['sub', 'pick', 'many'],
      'hidden commands are not offered',
    );
    assert.deepEqual(
      flattenTree(root).map((n) => n.path.join(' ')),
      ['', 'sub', 'sub leaf', 'pick', 'many'],
    );
    assert.equal(find(root, 'sub').description, 'a subcommand on two lines');

    const leaf = find(root, 'sub leaf');
    assert.deepEqual(names(leaf), ['--csv', '--when', '-h', '--help', '-g', '--global']);
    const byName = (n: string) => leaf.options.find((o) => o.names.includes(n));
    assert.deepEqual(byName('--csv')?.value, { kind: 'file' });
    assert.deepEqual(byName('--when')?.value, { kind: 'free' });
    assert.deepEqual(byName('-g')?.value, { kind: 'file' }, 'global options keep their value kind');
    assert.equal(byName('--help')?.value, undefined, 'a flag takes no value');

    assert.deepEqual(find(root, 'pick').argument, { kind: 'choice', choices: ['red', 'blue'] });
    assert.deepEqual(find(root, 'many').argument, { kind: 'file' });
    assert.deepEqual(find(root, 'sub').argument, { kind: 'free' });
  });

  it('refuses a name that could not be put into a shell script unquoted', () => {
    const program = new Command('tool');
    program.command('bad;name');
    assert.throws(() => completionTree(program), /not a plain word/);
  });

  it("models genesys-ingest's own tree: every command, and each command's options with the global ones", () => {
    const program = buildProgram(async () => {});
    const root = completionTree(program);
    assert.deepEqual(
      root.subcommands.map((s) => s.name),
      program.commands.map((c) => c.name()),
    );
    assert.ok(root.subcommands.some((s) => s.name === 'completion'));
    for (const node of flattenTree(root)) {
      let command = program;
      for (const name of node.path) command = command.commands.find((c) => c.name() === name)!;
      const help = command.createHelp();
      const expected = [...help.visibleOptions(command), ...help.visibleGlobalOptions(command)].flatMap((o) =>
        [o.short, o.long].filter((n) => n !== undefined),
      );
      assert.deepEqual(names(node).sort(), [...new Set(expected)].sort(), node.path.join(' '));
    }
    const remove = find(root, 'retry remove');
    for (const flag of ['--all', '-y', '--yes', '-q', '--quiet', '-v', '--verbose', '--config', '--json'])
      assert.ok(names(remove).includes(flag), flag);
    assert.ok(!names(remove).includes('--dry-run'));
    assert.deepEqual(find(root, 'completion').argument, {
      kind: 'choice',
      choices: ['bash', 'zsh', 'powershell'],
    });
    assert.deepEqual(find(root, 'retry add').argument, { kind: 'file' });
    assert.deepEqual(remove.options.find((o) => o.names.includes('--config'))?.value, { kind: 'file' });
  });
});
