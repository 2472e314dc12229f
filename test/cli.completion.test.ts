/**
 * `genesys-ingest completion bash|zsh|powershell` (issue 11 item 8): the printed script is loaded by
 * the real shell and asked to complete, the way a Tab press does. bash through COMP_WORDS and
 * COMP_CWORD; zsh through its completion system in a zpty, when zsh is installed; PowerShell
 * through TabExpansion2, when pwsh is installed.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { buildProgram } from '../src/cli/main.js';
import { runCli, tempDir } from './helpers/cli.js';

const has = (command: string, args: string[]): boolean => spawnSync(command, args).status === 0;
const hasZsh = has('zsh', ['--version']);
const hasPwsh = has('pwsh', ['-NoProfile', '-Command', 'exit 0']);
/** Safety net only: a hung shell ends here and fails; it is not a performance bound. */
const SHELL_KILL_MS = 60_000;

async function scriptFile(shell: string, name: string): Promise<{ dir: string; file: string }> {
  const r = await runCli(['completion', shell]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stderr, '');
  const dir = await tempDir('gi-completion-');
  const file = path.join(dir, name);
  await fs.writeFile(file, r.stdout);
  return { dir, file };
}

/** Completes the last of `words` in bash, as a Tab press after them would; returns COMPREPLY. */
function bashComplete(script: string, words: string[]): string[] {
  const driver = `source "$1"; shift
    COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMPREPLY=()
    _genesys_ingest
    printf '%s\\n' "\${COMPREPLY[@]}"`;
  const r = spawnSync('bash', ['--norc', '--noprofile', '-c', driver, 'bash', script, ...words], {
    encoding: 'utf8',
    timeout: SHELL_KILL_MS,
  });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stderr, '', 'the script runs without a bash error');
  return r.stdout.split('\n').filter((l) => l !== '');
}

describe('shell completion', () => {
  it('bash: the script registers itself and completes commands, subcommands, options and values', async (t) => {
    const { dir, file } = await scriptFile('bash', 'genesys-ingest.bash');
    t.after(() => fs.rm(dir, { recursive: true, force: true }));
    const registered = spawnSync(
      'bash',
      ['--norc', '-c', `source "$1"; complete -p genesys-ingest`, 'bash', file],
      {
        encoding: 'utf8',
      },
    );
    assert.equal(registered.stdout.trim(), 'complete -F _genesys_ingest genesys-ingest');

    const gi = 'genesys-ingest';
    assert.deepEqual(bashComplete(file, [gi, 'ret']), ['retry']);
    assert.deepEqual(bashComplete(file, [gi, 'retry', 're']), ['remove']);
    assert.deepEqual(bashComplete(file, [gi, 'catchup', '--av']), ['--availability-delay']);
    assert.deepEqual(bashComplete(file, [gi, 'completion', '']), ['bash', 'zsh', 'powershell']);
    assert.deepEqual(bashComplete(file, [gi, 'cursor', 's']), ['set']);
    // Global options and their values anywhere before the subcommand are skipped over.
    assert.deepEqual(bashComplete(file, [gi, '-q', '--config', 'x.json', 'retry', '']), [
      'list',
      'add',
      'remove',
    ]);
    // An option's value is never taken for a command, even a configuration file named 'run'.
    assert.deepEqual(bashComplete(file, [gi, '--config', 'run', 'cursor', '']), ['get', 'set']);
    assert.deepEqual(bashComplete(file, [gi, 'cursor', 'set', '--con']), ['--conversation-id', '--config']);
    assert.deepEqual(bashComplete(file, [gi, 'verify', '--off']), ['--offline']);
    assert.deepEqual(bashComplete(file, [gi, 'retry', 'remove', '--y']), ['--yes']);
    assert.deepEqual(bashComplete(file, [gi, '-']).slice(0, 2), ['-V', '--version']);
    // A free value (a time) completes to nothing rather than to commands or files.
    assert.deepEqual(bashComplete(file, [gi, 'catchup', '--until', '']), []);

    // Values that are files complete to files: --config anywhere, and retry add's CDR files.
    await fs.writeFile(path.join(dir, 'prod.json'), '{}');
    await fs.writeFile(path.join(dir, 'entry.xml'), '<x/>');
    assert.deepEqual(bashComplete(file, [gi, 'run', '--config', path.join(dir, 'pr')]), [
      path.join(dir, 'prod.json'),
    ]);
    assert.deepEqual(bashComplete(file, [gi, 'run', '--config', '=', path.join(dir, 'pr')]), [
      path.join(dir, 'prod.json'),
    ]);
    assert.deepEqual(bashComplete(file, [gi, 'retry', 'add', path.join(dir, 'en')]), [
      path.join(dir, 'entry.xml'),
    ]);
  });

  it('bash: every command of the tree completes, with exactly its own and the global options', async (t) => {
    const { dir, file } = await scriptFile('bash', 'genesys-ingest.bash');
    t.after(() => fs.rm(dir, { recursive: true, force: true }));
    const program = buildProgram(async () => {});
    const visit = (command: typeof program, words: string[]): void => {
      const subs = command.commands.map((c) => c.name());
      if (subs.length > 0) assert.deepEqual(bashComplete(file, [...words, '']), subs, words.join(' '));
      const help = command.createHelp();
      const flags = [...help.visibleOptions(command), ...help.visibleGlobalOptions(command)].flatMap((o) =>
        [o.short, o.long].filter((n) => n !== undefined),
      );
      assert.deepEqual(
        bashComplete(file, [...words, '-']).sort(),
        [...new Set(flags)].sort(),
        words.join(' '),
      );
      for (const sub of command.commands) visit(sub, [...words, sub.name()]);
    };
    visit(program, ['genesys-ingest']);
  });

  it(
    'zsh: completes through compinit, sourced or autoloaded from fpath',
    { skip: hasZsh ? false : 'zsh is not installed' },
    async (t) => {
      const { dir, file } = await scriptFile('zsh', '_genesys-ingest');
      t.after(() => fs.rm(dir, { recursive: true, force: true }));
      const compinit = 'autoload -U compinit && compinit -u -D';
      const sourced = (line: string) => zshComplete(dir, [compinit, `source ${file}`], line);
      assert.deepEqual(sourced('genesys-ingest ret'), ['retry']);
      assert.deepEqual(sourced('genesys-ingest retry re'), ['remove']);
      assert.deepEqual(sourced('genesys-ingest catchup --av'), ['--availability-delay']);
      assert.deepEqual(sourced('genesys-ingest completion '), ['bash', 'powershell', 'zsh']);
      assert.deepEqual(sourced('genesys-ingest --config run cursor '), ['get', 'set']);
      assert.deepEqual(sourced('genesys-ingest cursor set --con'), ['--config', '--conversation-id']);
      const autoloaded = (line: string) => zshComplete(dir, [`fpath=(${dir} $fpath)`, compinit], line);
      assert.deepEqual(autoloaded('genesys-ingest retry re'), ['remove']);
    },
  );

  it(
    'PowerShell: completes through TabExpansion2',
    { skip: hasPwsh ? false : 'pwsh is not installed' },
    async (t) => {
      const { dir, file } = await scriptFile('powershell', 'genesys-ingest.ps1');
      t.after(() => fs.rm(dir, { recursive: true, force: true }));
      const complete = (line: string): string[] => {
        const command = `. '${file}'; (TabExpansion2 -inputScript '${line}' -cursorColumn ${line.length}).CompletionMatches | ForEach-Object { $_.CompletionText }`;
        const r = spawnSync('pwsh', ['-NoProfile', '-NonInteractive', '-Command', command], {
          encoding: 'utf8',
          timeout: SHELL_KILL_MS,
        });
        assert.equal(r.status, 0, r.stderr);
        return r.stdout.split(/\r?\n/).filter((l) => l !== '');
      };
      assert.deepEqual(complete('genesys-ingest ret'), ['retry']);
      assert.deepEqual(complete('genesys-ingest retry re'), ['remove']);
      assert.deepEqual(complete('genesys-ingest catchup --av'), ['--availability-delay']);
      assert.deepEqual(complete('genesys-ingest completion '), ['bash', 'zsh', 'powershell']);
    },
  );

  it('PowerShell: no hashtable key differs from another only by case (PowerShell would refuse the script)', async () => {
    // Runs without pwsh: PowerShell's hashtables ignore case, so -v and -V as keys of one literal
    // are a parse error ("Duplicate keys") that would break every completion.
    const r = await runCli(['completion', 'powershell']);
    assert.equal(r.code, 0, r.stderr);
    let keys = 0;
    const literals = r.stdout.split(/@\{/).slice(1);
    for (const literal of literals) {
      const own = [...literal.matchAll(/^\s*'((?:[^']|'')*)' = /gm)].map((m) => m[1]!.toLowerCase());
      assert.equal(new Set(own).size, own.length, `duplicate keys ignoring case: ${own.join(' ')}`);
      keys += own.length;
    }
    assert.ok(keys >= 12, 'the command tree is keyed by command path');
    assert.match(r.stdout, /-ccontains/);
  });

  it('an unknown shell is a usage error (exit 2) naming the choices', async () => {
    const r = await runCli(['completion', 'fish']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /bash, zsh, powershell/);
  });

  it('with --json the script is in the JSON document', async () => {
    const r = await runCli(['completion', 'zsh', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const doc = JSON.parse(r.stdout) as { ok: boolean; shell: string; script: string };
    assert.equal(doc.ok, true);
    assert.equal(doc.shell, 'zsh');
    assert.match(doc.script, /^#compdef genesys-ingest\n/);
  });
});

/**
 * Types `line` and a Tab into an interactive `zsh -f` in a zpty, after the `setup` lines, and
 * returns what the completion system added (compadd is wrapped to print each match it is given).
 */
function zshComplete(dir: string, setup: string[], line: string): string[] {
  const driver = `
zmodload zsh/zpty
zpty z zsh -f -i
zpty -w z "PROMPT=''"
${setup.map((l) => `zpty -w z ${quoteZsh(l)}`).join('\n')}
zpty -w z 'compadd () { if [[ \${@[1,(i)(-|--)]} == *-(O|A|D)\\ * ]]; then builtin compadd "$@"; return $?; fi; local -a hits; builtin compadd -A hits "$@"; local h; for h in $hits; do print -r -- "<ma""tch>$h</match>"; done; builtin compadd "$@"; }'
zpty -w z '_gi_end() { print -r -- "<do""ne/>"; exit; }; comppostfuncs=(_gi_end)'
zpty -w z "bindkey '^I' complete-word"
zpty -n -w z ${quoteZsh(line)}$'\\t'
out=''
while zpty -r z chunk; do
  out+=$chunk
  [[ $out == *'<done/>'* ]] && break
done
zpty -d z
print -r -- $out`;
  const r = spawnSync('zsh', ['-f', '-c', driver], { encoding: 'utf8', cwd: dir, timeout: SHELL_KILL_MS });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /<done\/>/, 'the completion system ran');
  const matches = [...r.stdout.matchAll(/<match>([^<]*)<\/match>/g)].map((m) => m[1]!);
  return [...new Set(matches)].sort();
}

function quoteZsh(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}
