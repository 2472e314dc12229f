/**
 * The examples at the end of each command's `--help`: the operator procedures (rewind, retry one
 * conversation, back-fill a year, check the setup, monitor, dry run). Every `$ genesys-ingest …`
 * line is parsed by a test against the command tree, so an example cannot name a flag that is gone.
 */
import type { Command } from 'commander';

interface Example {
  /** What the example does, shown as a `#` comment above it. */
  why: string;
  /** The command line without the program name. */
  line: string;
}

const CONVERSATION = '6f0c2a4e-1b1d-4c55-9a2b-0c3f2b1d9e77';
const RECORDING = '0b5e2d7c-8a41-4f3e-b7d2-5c9a1e6f3d20';
const BASH_COMPLETION_INSTALL = 'completion bash > ~/.local/share/bash-completion/completions/genesys-ingest';

/** Keyed by command path (`''` is the program itself). */
export const HELP_EXAMPLES: Record<string, Example[]> = {
  '': [
    { why: 'check the setup without the network (configuration, folders, disk)', line: 'verify --offline' },
    { why: 'check everything, login and permissions in Genesys included', line: 'verify' },
    { why: 'what would the next run ingest, retry and delete? (changes nothing)', line: 'run --dry-run' },
    { why: 'from cron every five minutes: one scheduled pass', line: 'run --quiet' },
    { why: 'the state at a glance; exit 0 when healthy, 5 otherwise', line: 'status' },
    {
      why: 'tab completion in bash (see completion --help for zsh and PowerShell)',
      line: BASH_COMPLETION_INSTALL,
    },
  ],
  run: [
    {
      why: 'from cron: only warnings, errors and the result',
      line: 'run --config /etc/genesys-ingest/genesys-ingest.json --quiet',
    },
    {
      why: 'dry run: list what would be ingested, retried and deleted; change nothing',
      line: 'run --dry-run',
    },
    { why: 'stop starting new work after 4 minutes (cron every 5)', line: 'run --max-minutes 4' },
  ],
  catchup: [
    {
      why: 'back-fill the year 2025: rewind the cursor to its start first',
      line: 'cursor set 2025-01-01T00:00:00',
    },
    {
      why: 'then back-fill up to its end, with the overrides advised for mass historical ingest',
      line: 'catchup --until 2026-01-01T00:00:00Z --availability-delay 10 --max-recording-length 999',
    },
    {
      why: 'see first what it would do (changes nothing)',
      line: 'catchup --dry-run --until 2026-01-01T00:00:00Z',
    },
  ],
  cursor: [
    { why: 'where the cursor is, and how far it lags', line: 'cursor get' },
    {
      why: 'rewind: the next run re-reads from there (nothing archived is fetched again)',
      line: 'cursor set 2024-05-01T08:00:00Z',
    },
  ],
  'cursor get': [
    { why: 'the cursor in UTC and in the configured timezone, with its lag', line: 'cursor get' },
    { why: 'the same as one JSON document', line: 'cursor get --json' },
  ],
  'cursor set': [
    { why: 'rewind to 08:00 UTC on 1 May 2024', line: 'cursor set 2024-05-01T08:00:00Z' },
    {
      why: 'a time without offset is read in the configured timezone',
      line: 'cursor set 2024-05-01T10:00:00',
    },
    { why: "the cursor file's own format (UTC)", line: "cursor set '2024.05.01 08:00:00.000'" },
  ],
  retry: [
    { why: 'what is waiting to be retried', line: 'retry list' },
    {
      why: 'retry one conversation (all its recordings) in the next run',
      line: `retry add --conversation ${CONVERSATION}`,
    },
    {
      why: 'give up on one entry (it moves to removed/, the ledger records it)',
      line: `retry remove ${CONVERSATION}`,
    },
  ],
  'retry list': [
    { why: 'the entries, least recently attempted first', line: 'retry list' },
    { why: 'the same as one JSON document, e.g. for a monitoring check', line: 'retry list --json' },
  ],
  'retry add': [
    {
      why: 'retry one conversation (all its recordings) in the next run',
      line: `retry add --conversation ${CONVERSATION}`,
    },
    {
      why: 'retry only one of its recordings',
      line: `retry add --conversation ${CONVERSATION} --recording ${RECORDING}`,
    },
    {
      why: 'bring back an entry from dead/ or removed/ in the retry buffer (the file is validated first)',
      line: `retry add state/retryBuffer/policy_source/dead/${CONVERSATION}.xml`,
    },
  ],
  'retry remove': [
    {
      why: 'remove the entries of one conversation (kept in removed/; retry add brings it back)',
      line: `retry remove ${CONVERSATION}`,
    },
    { why: 'remove every entry without asking (cron, scripts)', line: 'retry remove --all --yes' },
  ],
  status: [
    { why: 'the state at a glance', line: 'status' },
    {
      why: 'a monitoring check: exit 0 when healthy, 5 otherwise, one JSON document',
      line: 'status --json --config /etc/genesys-ingest/genesys-ingest.json',
    },
  ],
  verify: [
    { why: 'every check, the network ones included (login, permissions, TLS, proxy, clock)', line: 'verify' },
    { why: 'configuration, folders, disk and lock only: no network', line: 'verify --offline' },
    {
      why: 'audit the archive: re-hash every recording against its CDR and the ledger',
      line: 'verify --archive',
    },
  ],
  completion: [
    {
      why: 'bash (with the bash-completion package; or add `source <(genesys-ingest completion bash)` to ~/.bashrc)',
      line: BASH_COMPLETION_INSTALL,
    },
    {
      why: 'zsh (put fpath=(~/.zfunc $fpath) before compinit in ~/.zshrc; or source it after compinit)',
      line: 'completion zsh > ~/.zfunc/_genesys-ingest',
    },
    { why: 'PowerShell: append it to your profile', line: 'completion powershell >> $PROFILE' },
  ],
};

/** Adds each command's examples after its help; call once the whole tree is built. */
export function addHelpExamples(program: Command): void {
  const visit = (command: Command, path: string[]): void => {
    const examples = HELP_EXAMPLES[path.join(' ')];
    if (examples !== undefined) command.addHelpText('after', render(program.name(), examples));
    for (const sub of command.commands) visit(sub, [...path, sub.name()]);
  };
  visit(program, []);
}

function render(name: string, examples: Example[]): string {
  const lines = examples.flatMap((e) => [`  # ${e.why}`, `  $ ${name} ${e.line}`]);
  return `\nExamples:\n${lines.join('\n')}`;
}
