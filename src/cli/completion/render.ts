/** `genesys-ingest completion <shell>`: one model of the command tree, one small renderer per shell. */
import type { Command } from 'commander';
import { renderBash } from './bash.js';
import { completionTree } from './model.js';
import { renderPowerShell } from './powershell.js';
import type { Shell } from './shells.js';
import { renderZsh } from './zsh.js';

const RENDERERS: Record<Shell, typeof renderBash> = {
  bash: renderBash,
  zsh: renderZsh,
  powershell: renderPowerShell,
};

export function renderCompletion(program: Command, shell: Shell): string {
  return RENDERERS[shell](completionTree(program), program.name());
}
