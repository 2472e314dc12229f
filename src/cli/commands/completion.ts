/**
 * `completion bash|zsh|powershell`: prints a completion script generated from this very command
 * tree. The renderers are imported only when the command runs, so other commands pay nothing.
 */
import { Argument, Command } from 'commander';
import { ExitCode } from '../../errors.js';
import { SHELLS, type Shell } from '../completion/shells.js';
import type { Runner } from '../main.js';

export function makeCompletionCommand(run: Runner): Command {
  return new Command('completion')
    .description('print a shell completion script (bash, zsh or PowerShell) for this command')
    .addArgument(new Argument('<shell>', 'the shell to complete in').choices(SHELLS))
    .action(async (shell: Shell, _opts: unknown, cmd: Command) =>
      run(cmd.optsWithGlobals(), async (ctx) => {
        const { renderCompletion } = await import('../completion/render.js');
        const program = rootOf(cmd);
        const script = renderCompletion(program, shell);
        ctx.output.result(script.trimEnd());
        ctx.output.document({ ok: true, shell, script });
        return ExitCode.ok;
      }),
    );
}

function rootOf(command: Command): Command {
  let root = command;
  while (root.parent !== null) root = root.parent;
  return root;
}
