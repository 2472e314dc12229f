/**
 * Turns what `verify --archive` found into `verify`'s check lines (SPEC §1): counts per kind, the
 * first few paths, and what the operator can do about each kind. Findings are kept up to a cap so
 * a wrecked archive cannot exhaust memory; the counts stay exact.
 */
import path from 'node:path';
import type { ChainVerification } from '../state/ledger.js';
import { fail, pass, type Check } from './check.js';
import type { ArchiveFinding, ArchiveFindingKind } from './archive-walk.js';

/** Which check line a finding counts against. */
export type FindingGroup = 'files' | 'layout' | 'ledger';

/** How many findings are kept in the returned list (counts in the checks are exact). */
export const MAX_KEPT_FINDINGS = 10_000;
const SAMPLES = 3;

const defaultGroup: Record<ArchiveFindingKind, FindingGroup> = {
  altered: 'files',
  missing: 'files',
  unparseableCdr: 'files',
  misplaced: 'layout',
  orphaned: 'layout',
  leftoverPartial: 'layout',
  notInLedger: 'ledger',
  ledgerMismatch: 'ledger',
};

const labels: Record<ArchiveFindingKind, [string, string]> = {
  altered: ['altered', 'altered'],
  missing: ['missing', 'missing'],
  unparseableCdr: ['unparseable CDR', 'unparseable CDRs'],
  misplaced: ['misplaced CDR', 'misplaced CDRs'],
  orphaned: ['orphaned file', 'orphaned files'],
  leftoverPartial: ['leftover .partial file', 'leftover .partial files'],
  notInLedger: ['not in the ledger', 'not in the ledger'],
  ledgerMismatch: ['not matching the ledger', 'not matching the ledger'],
};

const RETRY_ADD = 'genesys-ingest retry add --conversation <id> --recording <id>';

/** What to do, per kind and check line. */
const hints: Record<FindingGroup, Partial<Record<ArchiveFindingKind, string>>> = {
  files: {
    altered: 'restore altered files from backup (the sha256 in the CDR identifies the right copy)',
    missing: `restore missing files from backup; if Genesys still holds the recording, move its CDR out of the archive and run '${RETRY_ADD}' so the next run fetches it again`,
    unparseableCdr:
      "restore unparseable CDRs from backup (the ledger's cdrSha256 for the recording confirms the right copy)",
  },
  layout: {
    misplaced:
      "a CDR must lie in the folder of its conversationStart in 'timezone': if 'timezone' was changed after archiving, set it back; otherwise move the conversation folder where the finding says",
    orphaned:
      'media without a CDR is what a run leaves when it stops between media and CDR: the next run of that conversation archives it again; otherwise restore the CDR from backup or move the file out of the archive',
    leftoverPartial:
      "temporary files of an interrupted write: 'run' removes those it left; others can be deleted by hand",
  },
  ledger: {
    notInLedger: `a run stopped between CDR and ledger line: '${RETRY_ADD}' makes the next run record it without downloading it again`,
    ledgerMismatch:
      "the CDR or media changed after the ledger recorded it: restore them from backup (the ledger's hashes identify the right copy)",
    missing: `the ledger records recordings the archive no longer holds: restore them from backup, or '${RETRY_ADD}' fetches one again while Genesys still has it`,
  },
};

/** Thousands separated by spaces: 12 345. */
export function count(n: number): string {
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ' ');
}

export function size(bytes: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${bytes} bytes` : `${value.toFixed(1)} ${units[unit]}`;
}

/** Collects findings: all counted, the first MAX_KEPT_FINDINGS kept, the first few paths per line. */
export class FindingLog {
  readonly kept: ArchiveFinding[] = [];
  private readonly counts = new Map<FindingGroup, Map<ArchiveFindingKind, number>>();
  private readonly samples = new Map<FindingGroup, string[]>();

  add(finding: ArchiveFinding, group: FindingGroup = defaultGroup[finding.kind]): void {
    if (this.kept.length < MAX_KEPT_FINDINGS) this.kept.push(finding);
    const kinds = this.counts.get(group) ?? new Map<ArchiveFindingKind, number>();
    kinds.set(finding.kind, (kinds.get(finding.kind) ?? 0) + 1);
    this.counts.set(group, kinds);
    const samples = this.samples.get(group) ?? [];
    if (samples.length < SAMPLES) samples.push(finding.path);
    this.samples.set(group, samples);
  }

  total(group: FindingGroup): number {
    let sum = 0;
    for (const n of this.counts.get(group)?.values() ?? []) sum += n;
    return sum;
  }

  /** A failing check line for `group`, or undefined when it has no finding. */
  failure(name: string, group: FindingGroup, among: string, extraHint?: string): Check | undefined {
    const kinds = this.counts.get(group);
    if (kinds === undefined) return undefined;
    const parts = [...kinds].map(([kind, n]) => `${count(n)} ${labels[kind][n === 1 ? 0 : 1]}`);
    const total = this.total(group);
    const shown = this.samples.get(group) ?? [];
    const more = total > shown.length ? ` and ${count(total - shown.length)} more` : '';
    const detail = `${parts.join(', ')}${among}: ${shown.join(', ')}${more}`;
    const hint = [...kinds.keys()].map((kind) => hints[group][kind]).filter((h) => h !== undefined);
    if (extraHint !== undefined) hint.push(extraHint);
    return fail(name, detail, hint.join('; '));
  }
}

/** The `ledger chain` line from `verifyChain`'s result. */
export function chainCheck(ledgerDir: string, chain: ChainVerification | Error): Check {
  const name = 'ledger chain';
  if (chain instanceof Error) {
    return fail(
      name,
      `cannot read the ledger in ${ledgerDir}: ${chain.message}`,
      'check the folder permissions',
    );
  }
  const broken = chain.firstBrokenLine;
  if (broken !== undefined) {
    const torn = broken.reason.includes('torn');
    return fail(
      name,
      `broken at ${path.join(ledgerDir, broken.file)} line ${count(broken.line)} of ${count(chain.lines)}: ${broken.reason}`,
      torn
        ? 'a run was stopped mid-write: the next run repairs a torn last line'
        : 'the ledger was changed after it was written: keep a copy of the damaged file for investigation and restore the ledger from backup; lines from there on are no chain of custody',
    );
  }
  if (chain.lines === 0) return pass(name, `no ledger lines yet in ${ledgerDir}`);
  return pass(
    name,
    `${count(chain.lines)} lines, hash chain intact (head ${chain.head}: keep it elsewhere to detect a cut tail)`,
  );
}
