/** Where each piece of state lives (SPEC §3). One place, so no module builds these paths by hand. */
import path from 'node:path';

export interface StatePaths {
  readonly key: string;
  readonly workDir: string;
  readonly lastStateDir: string;
  readonly cursorFile: string;
  readonly cursorBackup: string;
  readonly lockFile: string;
  readonly retryDir: string;
  readonly rejectedDir: string;
  readonly deadDir: string;
  /** Entries an operator removed (`retry remove`): kept, never deleted. */
  readonly removedDir: string;
  readonly ledgerDir: string;
  readonly reportsDir: string;
  readonly statusFile: string;
  readonly deletesDir: string;
  readonly tokenFile: string;
  readonly userCacheFile: string;
  /** Queue and wrap-up code names (SPEC §3.5), cached like users. */
  readonly queueCacheFile: string;
  readonly wrapUpCodeCacheFile: string;
}

/**
 * The folders that belong to this import source alone (each with its subfolders). Several import
 * sources may share one stateDir: whatever sweeps or cleans up stays inside these.
 */
export function ownStateFolders(paths: StatePaths): string[] {
  return [paths.workDir, paths.lastStateDir, paths.retryDir, paths.ledgerDir, paths.reportsDir];
}

export function statePaths(stateDir: string, policyId: string, importSourceId: string): StatePaths {
  const key = `${policyId}_${importSourceId}`;
  const lastStateDir = path.join(stateDir, 'laststate', key);
  const retryDir = path.join(stateDir, 'retryBuffer', key);
  const workDir = path.join(stateDir, 'work', key);
  const reportsDir = path.join(stateDir, 'reports', key);
  return {
    key,
    workDir,
    lastStateDir,
    cursorFile: path.join(lastStateDir, `${key}.cursor`),
    cursorBackup: path.join(lastStateDir, `${key}.cursor.bak`),
    lockFile: path.join(lastStateDir, `${key}.lock`),
    retryDir,
    rejectedDir: path.join(retryDir, 'rejected'),
    deadDir: path.join(retryDir, 'dead'),
    removedDir: path.join(retryDir, 'removed'),
    ledgerDir: path.join(stateDir, 'ledger', key),
    reportsDir,
    statusFile: path.join(reportsDir, 'status.json'),
    deletesDir: path.join(workDir, 'deletes'),
    tokenFile: path.join(workDir, 'token.enc'),
    userCacheFile: path.join(workDir, 'users.json'),
    queueCacheFile: path.join(workDir, 'queues.json'),
    wrapUpCodeCacheFile: path.join(workDir, 'wrapupcodes.json'),
  };
}
