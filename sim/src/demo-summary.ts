/**
 * The demo's closing page: `status.json` as a monitoring system would read it, what landed in the
 * archive, where each piece of state lives, and what to try next.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';

/** Files under `root`, relative with `/` separators, sorted (the archive is small in the demo). */
async function listFiles(root: string): Promise<string[]> {
  const out: string[] = [];
  async function walk(dir: string): Promise<void> {
    const entries = await fs.readdir(dir, { withFileTypes: true }).catch(() => []);
    for (const entry of entries) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) await walk(full);
      else if (entry.isFile()) out.push(path.relative(root, full).split(path.sep).join('/'));
    }
  }
  await walk(root);
  return out.sort();
}

/** What the archive holds, split into media files and their CDRs. */
export interface ArchiveCensus {
  recordings: string[];
  cdrs: string[];
}

export async function archiveCensus(archiveDir: string): Promise<ArchiveCensus> {
  const files = await listFiles(archiveDir);
  // Leftover temporary files are not archive content (a run removes them; none should be here).
  const content = files.filter((f) => !path.posix.basename(f).startsWith('.'));
  return {
    recordings: content.filter((f) => !f.endsWith('.xml')),
    cdrs: content.filter((f) => f.endsWith('.xml')),
  };
}

/**
 * How the reader can invoke the tool from `cwd` (the package is not installed globally): in the
 * package's own folder `npx genesys-ingest` finds the project's bin; elsewhere, node and the bin's path.
 */
export function toolCommand(cwd: string, packageRoot: string, bin: string): string {
  if (path.resolve(cwd) === path.resolve(packageRoot)) return 'npx genesys-ingest';
  const relative = path.relative(cwd, bin);
  const shown = relative.startsWith('..') || path.isAbsolute(relative) ? bin : relative;
  return `node ${shown.includes(' ') ? JSON.stringify(shown) : shown}`;
}

/** Paths the summary names, relative to the folder the demo was started in. */
export interface SummaryInput {
  /** e.g. `demo` */
  demoDir: string;
  /** e.g. `demo/genesys-ingest.json` */
  configArg: string;
  /** How to invoke the tool from the reader's folder (`toolCommand`). */
  command: string;
  /** `<policyId>_<importSourceId>` */
  key: string;
}

/** Prints the closing page; `heading` formats a section title. */
export async function printSummary(input: SummaryInput, heading: (title: string) => string): Promise<void> {
  const { demoDir, key } = input;
  const state = path.join(demoDir, 'state');
  const statusFile = path.join(state, 'reports', key, 'status.json');
  const print = (line = ''): void => void process.stdout.write(`${line}\n`);

  print(heading(`status.json — the one file a monitoring system reads (${statusFile})`));
  const status = await fs.readFile(statusFile, 'utf8').catch(() => undefined);
  print(status === undefined ? '(missing: no run finished)' : status.trimEnd());

  const archiveDir = path.join(demoDir, 'archive');
  const census = await archiveCensus(archiveDir);
  print(heading('The archive'));
  print(`${census.recordings.length} recordings and ${census.cdrs.length} CDRs under ${archiveDir}/`);
  print('(<yyyy>/<MM>/<dd>/<conversationId>/<recordingId>.wav, the date of the call in Europe/Dublin)');
  const example = census.recordings[0];
  if (example !== undefined) {
    const cdr = example.replace(/\.[^./]+$/, '.xml');
    print(`  recording: ${path.join(archiveDir, example)}`);
    print(`  its CDR:   ${path.join(archiveDir, census.cdrs.includes(cdr) ? cdr : (census.cdrs[0] ?? ''))}`);
  }

  print(heading('Where the state lives'));
  const rows: [string, string][] = [
    ['configuration', input.configArg],
    ['run reports', `${path.join(state, 'reports', key)}/ (one JSON per run, and status.json)`],
    ['ledger', `${path.join(state, 'ledger', key)}/<yyyy-MM>.jsonl (hash-chained, append-only)`],
    ['retry buffer', `${path.join(state, 'retryBuffer', key)}/*.xml (+ rejected/, dead/)`],
    ['cursor', `${path.join(state, 'laststate', key, `${key}.cursor`)} (one line, plain text)`],
  ];
  for (const [what, where] of rows) print(`  ${what.padEnd(14)} ${where}`);

  print(heading('Try next'));
  const c = input.command;
  const cfg = `--config ${input.configArg}`;
  // An hour-aligned time a day back: a valid rewind target that is clearly before the last run.
  const rewind = new Date(Math.floor((Date.now() - 86_400_000) / 3_600_000) * 3_600_000).toISOString();
  print('The simulator stops when the demo ends; these commands work without it:');
  print(`  ${c} cursor get ${cfg}`);
  print(`  ${c} retry list ${cfg} --json`);
  print(`  ${c} verify --offline ${cfg}`);
  print(`  ${c} verify --offline --archive ${cfg}`);
  print('      (re-hashes every archived recording against its CDR and the ledger)');
  print(`  ${c} cursor set ${rewind} ${cfg}`);
  print('      (a rewind: a later run would list that day again, and download nothing it already archived)');
  print(`  ${c} --help`);
  print();
  print(`Everything is in ./${demoDir}/; running the demo again replaces it.`);
}
