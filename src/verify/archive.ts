/**
 * `verify --archive` (SPEC §1, §3.4–§3.6): re-hashes every archived recording against its CDR,
 * checks the ledger's hash chain, and cross-checks archive and ledger both ways (every CDR has a
 * matching last ledger line; every recording the ledger names is in the archive).
 *
 * Memory stays flat whatever the archive holds: the archive is walked folder by folder with
 * `opendir` (see archive-walk.ts) and the ledger is indexed by recording id in a temporary file
 * (see archive-index.ts) under the system temporary folder (TMPDIR), removed before returning:
 * 92 bytes per ledger recording line on disk, under half a byte per recording in memory. Nothing
 * is created or changed in the archive or state folders.
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Config } from '../config/types.js';
import { verifyChain, type ChainVerification } from '../state/ledger.js';
import type { StatePaths } from '../state/paths.js';
import { fail, pass, type Check } from './check.js';
import { LedgerIndex, fileDigest } from './archive-index.js';
import { FindingLog, chainCheck, count, size } from './archive-report.js';
import { walkArchive, type ArchiveFinding, type WalkedCdr } from './archive-walk.js';
import { openArchiveTarget } from '../archive/open-target.js';
import type { ArchiveTarget } from '../archive/target.js';

export type { ArchiveFinding, ArchiveFindingKind } from './archive-walk.js';
export { MAX_KEPT_FINDINGS } from './archive-report.js';

export interface ArchiveAuditOptions {
  /**
   * Only these archive days (`yyyy/MM/dd`, either end optional, inclusive): the walk enters only
   * their date folders, and only ledger lines whose file lies in them must be in the archive.
   */
  days?: { from?: string; to?: string };
  /** The archive to audit; by default the configured target, opened and closed here. */
  target?: ArchiveTarget;
  /** Called after each CDR file with the number of CDR files checked so far (throttle on the caller's side). */
  onProgress?: (done: number) => void;
}

export interface ArchiveAudit {
  /** `archive files`, `archive layout`, `ledger chain`, `ledger cross-check`, in that order. */
  checks: Check[];
  /** Every problem found, in walk order; at most MAX_KEPT_FINDINGS (the checks count them all). */
  findings: ArchiveFinding[];
  /** Archived CDRs read and re-hashed. */
  recordings: number;
}

const RERUN_HINT = "if a run was working meanwhile, run 'verify --archive' again after it";

/** Runs the archive audit. Read-only; only the temporary index is written, and removed. */
export async function auditArchive(
  config: Config,
  paths: StatePaths,
  options: ArchiveAuditOptions = {},
): Promise<ArchiveAudit> {
  const log = new FindingLog();
  const chain: ChainVerification | Error = await verifyChain(paths.ledgerDir).catch((e: unknown) =>
    e instanceof Error ? e : new Error(String(e)),
  );
  const target = options.target ?? (await openArchiveTarget(config));
  const root = target.where;
  const stats = { recordings: 0, files: 0, bytes: 0, crossChecked: 0, otherSource: 0, cdrFiles: 0 };

  let temp: string | undefined;
  let index: LedgerIndex | undefined;
  let indexError: string | undefined;
  try {
    try {
      temp = await fs.mkdtemp(path.join(os.tmpdir(), 'genesys-ingest-verify-'));
      index = await LedgerIndex.build(paths.ledgerDir, temp);
    } catch (error) {
      indexError = `cannot index the ledger ${temp === undefined ? `(no temporary folder under ${os.tmpdir()})` : `in ${temp}`}: ${(error as Error).message}`;
    }
    const ledger = index;

    const rootExists = await target.exists('');
    await walkArchive(
      { target, timezone: config.timezone, ...(options.days === undefined ? {} : { days: options.days }) },
      {
        finding: (finding) => log.add(finding),
        cdr: async (walked) => {
          stats.recordings += 1;
          stats.files += walked.mediaFiles;
          stats.bytes += walked.mediaBytes;
          if (ledger !== undefined) await crossCheck(ledger, walked, config, paths, log, stats);
          stats.cdrFiles += 1;
          options.onProgress?.(stats.cdrFiles);
        },
        unreadableCdr: async (recordingId) => {
          // Its ledger line is not `missing`: the CDR is there, and already reported.
          const found = recordingId === undefined ? undefined : await ledger?.find(recordingId);
          if (found !== undefined) ledger?.markSeen(found.position);
          stats.cdrFiles += 1;
          options.onProgress?.(stats.cdrFiles);
        },
      },
    );

    if (ledger !== undefined && ledger.unseenCount() > 0) {
      for await (const line of ledger.unseenLines(paths.ledgerDir)) {
        if (options.days !== undefined && !inDays(line.file, options.days)) continue;
        log.add({ kind: 'missing', path: line.file, detail: await ledgerOnlyDetail(target, line) }, 'ledger');
      }
    }

    const checks: Check[] = [
      filesCheck(log, stats, rootExists, root),
      log.failure('archive layout', 'layout', '', RERUN_HINT) ??
        pass('archive layout', 'no misplaced, orphaned or leftover files'),
      chainCheck(paths.ledgerDir, chain),
      crossCheckLine(log, stats, ledger, indexError, options.days),
    ];
    return { checks, findings: log.kept, recordings: stats.recordings };
  } finally {
    await index?.close().catch(() => undefined);
    if (temp !== undefined) await fs.rm(temp, { recursive: true, force: true });
    if (options.target === undefined) target.close();
  }
}

const exists = (file: string): Promise<boolean> =>
  fs.lstat(file).then(
    () => true,
    () => false,
  );

/**
 * Compares an archived CDR of this import source with the last ledger line of its recording: the
 * media hash, the CDR's own bytes, and the file the line names.
 */
async function crossCheck(
  ledger: LedgerIndex,
  walked: WalkedCdr,
  config: Config,
  paths: StatePaths,
  log: FindingLog,
  stats: { crossChecked: number; otherSource: number },
): Promise<void> {
  const { cdr } = walked;
  // Another import source sharing this archive keeps its own ledger: not ours to cross-check.
  if (
    cdr.importSource.policyId !== config.policyId ||
    cdr.importSource.importSourceId !== config.importSourceId
  ) {
    stats.otherSource += 1;
    return;
  }
  stats.crossChecked += 1;
  const found = await ledger.find(cdr.recordingId);
  if (found === undefined) {
    log.add({
      kind: 'notInLedger',
      path: walked.rel,
      detail: `conversation ${cdr.conversationId}, recording ${cdr.recordingId} (archived ${cdr.ingestedAt}) has no recording line in the ledger`,
    });
    return;
  }
  ledger.markSeen(found.position);
  const primary = cdr.media[0]!;
  const differs: string[] = [];
  if (found.sha256 !== primary.sha256)
    differs.push(`media sha256 (ledger ${found.sha256}, CDR ${primary.sha256})`);
  if (found.cdrSha256 !== walked.cdrSha256)
    differs.push(`cdrSha256 (ledger ${found.cdrSha256}, CDR file ${walked.cdrSha256})`);
  // A misplaced CDR is already reported; its ledger line names where it was written.
  if (!walked.misplaced && !found.fileDigest.equals(fileDigest(walked.primaryRel)))
    differs.push(`file (not ${walked.primaryRel})`);
  if (differs.length === 0) return;
  let detail = `the ledger's last line for recording ${cdr.recordingId} records another ${differs.join('; ')}`;
  // A delete rewrites the CDR before it appends the new line (SPEC §4.5): a crash in between shows here.
  if (await exists(path.join(paths.deletesDir, `${cdr.conversationId}_${cdr.recordingId}.json`))) {
    detail +=
      '; a delete of it is journaled and unfinished: the next run completes it and records the new CDR';
  }
  log.add({ kind: 'ledgerMismatch', path: walked.rel, detail });
}

/** What is left in the archive of a recording the ledger names but no CDR claims. */
async function ledgerOnlyDetail(
  target: ArchiveTarget,
  line: { file: string; conversationId: string; recordingId: string; at: string },
): Promise<string> {
  const what = `recorded in the ledger (conversation ${line.conversationId}, recording ${line.recordingId}, ${line.at})`;
  const parts = line.file.split(/[/\\]/);
  if (path.isAbsolute(line.file) || parts.some((p) => p === '..' || p === '.' || p === '')) {
    return `${what}, but its file lies outside the archive`;
  }
  const cdr = `${path.posix.dirname(line.file)}/${line.recordingId.toLowerCase()}.xml`;
  return (await target.exists(line.file).catch(() => false))
    ? `${what}; the media is there but no CDR for it is (expected ${cdr})`
    : `${what}, but neither the media nor a CDR for it is in the archive`;
}

function filesCheck(
  log: FindingLog,
  stats: { recordings: number; files: number; bytes: number },
  rootExists: boolean,
  root: string,
): Check {
  const name = 'archive files';
  const among = ` among ${count(stats.recordings)} recordings`;
  const failure = log.failure(name, 'files', among, RERUN_HINT);
  if (failure !== undefined) return failure;
  if (!rootExists) return pass(name, `${root} does not exist yet: nothing archived`);
  return pass(
    name,
    `${count(stats.recordings)} recordings re-hashed (${count(stats.files)} media files, ${size(stats.bytes)}), all match their CDRs`,
  );
}

function crossCheckLine(
  log: FindingLog,
  stats: { crossChecked: number; otherSource: number },
  ledger: LedgerIndex | undefined,
  indexError: string | undefined,
  days: { from?: string; to?: string } | undefined,
): Check {
  const name = 'ledger cross-check';
  if (ledger === undefined) {
    return fail(
      name,
      indexError ?? 'the ledger could not be indexed',
      'check that the ledger folder can be read, and that TMPDIR names a writable folder with room for about 100 bytes per recording',
    );
  }
  const others =
    stats.otherSource > 0
      ? `; ${count(stats.otherSource)} CDRs of other import sources were not cross-checked`
      : '';
  const failure = log.failure(name, 'ledger', '', RERUN_HINT);
  if (failure !== undefined) return failure;
  if (days !== undefined)
    return pass(
      name,
      `${count(stats.crossChecked)} recordings match their last ledger line; every recording the ledger dates ${describeDays(days)} is in the archive${others}`,
    );
  return pass(
    name,
    `${count(stats.crossChecked)} recordings match their last ledger line; all ${count(ledger.count)} recordings in the ledger (${count(ledger.lines)} recording lines) are in the archive${others}`,
  );
}

/** True when an archive-relative file lies in one of `days` (its `yyyy/MM/dd` prefix). */
export function inDays(file: string, days: { from?: string; to?: string }): boolean {
  const day = file.slice(0, 10);
  if (!/^\d{4}\/\d{2}\/\d{2}$/.test(day) || file[10] !== '/') return false;
  return (days.from === undefined || day >= days.from) && (days.to === undefined || day <= days.to);
}

function describeDays(days: { from?: string; to?: string }): string {
  const show = (d: string): string => d.replace(/\//g, '-');
  if (days.from !== undefined && days.to !== undefined) return `${show(days.from)} to ${show(days.to)}`;
  return days.from !== undefined ? `${show(days.from)} or later` : `${show(days.to!)} or earlier`;
}
