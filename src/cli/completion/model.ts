/**
 * The one model of the command tree that every shell's completion script is rendered from
 * (`genesys-ingest completion bash|zsh|powershell`). It is read from the commander program itself,
 * through commander's Help (what `--help` shows), so a command or flag added, renamed or removed
 * changes every script at once; nothing here lists a command by hand.
 */
import type { Argument, Command, Option } from 'commander';

/** What a value is completed with: file names, a fixed list, or nothing (free text such as a time). */
export type ValueKind = { kind: 'file' } | { kind: 'choice'; choices: string[] } | { kind: 'free' };

export interface CompletionOption {
  /** Every spelling, short first: `['-q', '--quiet']`. */
  names: string[];
  description: string;
  /** Present when the option takes a value (`--config <file>`). */
  value?: ValueKind;
}

export interface CompletionNode {
  name: string;
  /** Command names from the program down to this node; `[]` for the program itself. */
  path: string[];
  description: string;
  subcommands: CompletionNode[];
  /** The node's own options, its ancestors' (global) options and `--help`. */
  options: CompletionOption[];
  /** What the node's positional arguments complete to (the first one's kind; `free` when none). */
  argument: ValueKind;
}

/** A name that is safe to put unquoted into any of the three shells' scripts. */
const SAFE_WORD = /^-{0,2}[A-Za-z0-9][A-Za-z0-9_-]*$/;

export function completionTree(program: Command): CompletionNode {
  return nodeOf(program, []);
}

/** Every node, the program first, depth first: the renderers emit one case per node. */
export function flattenTree(root: CompletionNode): CompletionNode[] {
  return [root, ...root.subcommands.flatMap(flattenTree)];
}

function nodeOf(command: Command, path: string[]): CompletionNode {
  const options = [...command.createHelp().visibleOptions(command), ...globalOptions(command)].map(optionOf);
  const subcommands = command.commands
    .filter((sub) => !(sub as Command & { _hidden?: boolean })._hidden)
    .map((sub) => nodeOf(sub, [...path, safe(sub.name())]));
  return {
    name: safe(command.name()),
    path,
    description: oneLine(command.description()),
    subcommands,
    options: dedupe(options),
    argument: argumentKind(command.registeredArguments[0]),
  };
}

/**
 * The ancestors' options, which commander accepts after a subcommand too. Read directly rather than
 * through Help.visibleGlobalOptions, which is empty unless help is configured to show them.
 */
function globalOptions(command: Command): Option[] {
  const options: Option[] = [];
  for (let ancestor = command.parent; ancestor !== null; ancestor = ancestor.parent)
    options.push(...ancestor.options.filter((o) => !o.hidden));
  return options;
}

function optionOf(option: Option): CompletionOption {
  const names = [option.short, option.long].filter((n): n is string => n !== undefined).map(safe);
  const takesValue = option.required || option.optional;
  return {
    names,
    description: oneLine(option.description),
    ...(takesValue ? { value: valueKind(option.flags, option.argChoices) } : {}),
  };
}

function argumentKind(argument: Argument | undefined): ValueKind {
  if (argument === undefined) return { kind: 'free' };
  return valueKind(argument.name(), argument.argChoices);
}

/** `<file>`, `[files...]`, `--csv <file>`: a value whose name says file is completed with file names. */
function valueKind(name: string, choices: string[] | undefined): ValueKind {
  if (choices !== undefined && choices.length > 0) return { kind: 'choice', choices: choices.map(safe) };
  if (/file|dir|path/i.test(name)) return { kind: 'file' };
  return { kind: 'free' };
}

function dedupe(options: CompletionOption[]): CompletionOption[] {
  const seen = new Set<string>();
  return options.filter((o) => {
    const key = o.names.join(' ');
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function safe(word: string): string {
  if (!SAFE_WORD.test(word)) throw new Error(`completion: ${JSON.stringify(word)} is not a plain word`);
  return word;
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

/** All spellings of the options at a node that take a value, e.g. `--config`, `--until`. */
export function valueOptionNames(node: CompletionNode): string[] {
  return node.options.filter((o) => o.value !== undefined).flatMap((o) => o.names);
}

/** A value kind as one shell word list: `@file` for file names, the choices, or '' for free text. */
export function valuesWord(value: ValueKind): string {
  if (value.kind === 'file') return '@file';
  if (value.kind === 'choice') return value.choices.join(' ');
  return '';
}
