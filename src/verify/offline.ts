/**
 * The checks `verify` makes without the network (SPEC §1): folders, free disk, folder fsync, lock,
 * cursor, retry buffer, configuration warnings. `verify` creates nothing: a folder that does not
 * exist yet passes when it could be created.
 */
import { constants, promises as fs } from 'node:fs';
import path from 'node:path';
import type { Config } from '../config/types.js';
import { CURSOR_FORMAT, readCursor } from '../state/cursor-file.js';
import { readLock, staleReason } from '../state/lock.js';
import type { StatePaths } from '../state/paths.js';
import { fail, pass, warning, type Check } from './check.js';

/** The deepest folder of `target` (or `target` itself) that exists. */
async function nearestExisting(target: string): Promise<string> {
  let current = path.resolve(target);
  for (;;) {
    const stat = await fs.stat(current).catch(() => undefined);
    if (stat?.isDirectory() === true) return current;
    const parent = path.dirname(current);
    if (parent === current) return current;
    current = parent;
  }
}

async function folderCheck(name: string, folder: string): Promise<Check> {
  const existing = await nearestExisting(folder);
  const exists = existing === path.resolve(folder);
  try {
    await fs.access(existing, constants.W_OK | constants.X_OK);
  } catch {
    return fail(
      name,
      `${exists ? folder : `${existing} (where ${folder} would be created)`} is not writable by this user`,
      'fix the folder permissions or choose another folder in the configuration',
    );
  }
  if (exists) {
    const mode = (await fs.stat(folder)).mode & 0o777;
    if (process.platform !== 'win32' && (mode & 0o022) !== 0) {
      return warning(
        name,
        `${folder} is writable by group or others (mode ${mode.toString(8)})`,
        `run: chmod 700 ${folder}`,
      );
    }
    return pass(name, `${folder} is writable`);
  }
  return pass(name, `${folder} does not exist yet and can be created in ${existing}`);
}

async function diskCheck(config: Config, archiveDir: string): Promise<Check> {
  const existing = await nearestExisting(archiveDir);
  try {
    const stats = await fs.statfs(existing);
    const freeMb = Math.floor((stats.bavail * stats.bsize) / (1024 * 1024));
    if (freeMb < config.minFreeDiskMb) {
      return fail(
        'free disk',
        `${freeMb} MB free on the archive volume (${existing}); minFreeDiskMb is ${config.minFreeDiskMb}`,
        'free space or move archiveDir: no download starts below minFreeDiskMb',
      );
    }
    return pass(
      'free disk',
      `${freeMb} MB free on the archive volume (minFreeDiskMb ${config.minFreeDiskMb})`,
    );
  } catch (error) {
    return warning(
      'free disk',
      `cannot read free space of ${existing} (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
    );
  }
}

async function fsyncCheck(config: Config): Promise<Check> {
  const results: string[] = [];
  for (const folder of [config.stateDir, config.archiveDir].filter((f) => f !== undefined)) {
    const existing = await nearestExisting(folder);
    let handle: fs.FileHandle | undefined;
    try {
      handle = await fs.open(existing, constants.O_RDONLY);
      await handle.sync();
    } catch {
      results.push(existing);
    } finally {
      await handle?.close().catch(() => undefined);
    }
  }
  if (results.length > 0) {
    return warning(
      'folder fsync',
      `folders cannot be fsynced on ${results.join(', ')}; writes stay atomic but the newest rename may not survive a power loss`,
      'keep stateDir on a local disk',
    );
  }
  return pass('folder fsync', 'state and archive folders can be fsynced');
}

async function lockCheck(paths: StatePaths, nowMs: number): Promise<Check> {
  const info = await readLock(paths.lockFile);
  const exists = await fs.stat(paths.lockFile).then(
    () => true,
    () => false,
  );
  if (!exists) return pass('lock', 'free');
  const stale = await staleReason(paths.lockFile, info, nowMs);
  if (stale !== undefined)
    return pass('lock', `a stale lock is present (${stale}); the next run takes it over`);
  const who =
    info === undefined
      ? 'another process'
      : `${info.command} (pid ${info.pid} on ${info.host}, since ${info.startedAt})`;
  return fail(
    'lock',
    `held by ${who}`,
    'wait for that run to finish; a run stops starting new work after maxRunMinutes',
  );
}

async function cursorCheck(config: Config, paths: StatePaths, nowMs: number): Promise<Check> {
  try {
    const state = await readCursor(paths, config.recordingStartTimestamp, nowMs);
    if (state.kind === 'initial')
      return pass('cursor', 'no cursor yet: the first run starts at recordingStartTimestamp');
    if (state.parsed.ignoredId !== undefined)
      return warning(
        'cursor',
        `readable; its id ${JSON.stringify(state.parsed.ignoredId)} is not a Genesys id and is read as empty`,
      );
    return pass('cursor', `readable (${paths.cursorFile})`);
  } catch (error) {
    return fail(
      'cursor',
      (error as Error).message,
      `fix it with 'genesys-ingest cursor set TIME' (format ${CURSOR_FORMAT})`,
    );
  }
}

function configWarnings(config: Config): Check[] {
  const lossy = ['MP3', 'OGG_VORBIS', 'OGG_OPUS', 'WEBM', 'WAV_ULAW'];
  const checks: Check[] = [];
  if (config.deleteAfterIngest && lossy.includes(config.codec)) {
    checks.push(
      warning(
        'codec',
        `deleteAfterIngest is on with the lossy codec ${config.codec}: once deleted in Genesys, only the transcoded copy remains`,
        'use WAV or ORIGINAL when Genesys copies are deleted',
      ),
    );
  }
  const placeholders = placeholderKeys(config);
  if (placeholders.length > 0)
    checks.push(
      warning(
        'placeholders',
        `still the examples' placeholder: ${placeholders.join(', ')}`,
        'put your own values there (see examples/README.md)',
      ),
    );
  return checks;
}

/**
 * Keys still holding a value copied from examples/: `your-…` names and hosts under the reserved
 * `example` domains (RFC 2606), which can never be a real client, proxy or healthcheck.
 */
export function placeholderKeys(config: Config): string[] {
  const looksPlaceholder = (value: string | undefined): boolean =>
    value !== undefined &&
    (/(^|[/.:-])your-/i.test(value) || /(^|\.)example(\.(com|net|org))?(:\d+)?(\/|$)/i.test(hostOf(value)));
  const found: string[] = [];
  if (looksPlaceholder(config.clientId)) found.push(`clientId "${config.clientId}"`);
  if (looksPlaceholder(config.proxy?.host)) found.push(`proxy.host "${config.proxy?.host ?? ''}"`);
  if (config.healthcheckUrl !== undefined && looksPlaceholder(config.healthcheckUrl))
    found.push('healthcheckUrl');
  return found;
}

/** The host of a URL, or the text itself when it is not one (a bare host name). */
function hostOf(value: string): string {
  try {
    return new URL(value).host;
  } catch {
    return value;
  }
}

/** The client certificate, key, thumbprint and trust list can all be checked without the network. */
async function tlsFilesCheck(config: Config, nowMs: number): Promise<Check[]> {
  const t = config.tls;
  if (t.certFile === undefined && t.trustList === undefined) return [];
  try {
    const { loadTlsMaterial } = await import('../genesys/tls.js');
    const material = loadTlsMaterial(config);
    const cert = material.clientCertificate;
    const validTo = cert === undefined ? Number.NaN : Date.parse(cert.validTo);
    if (cert !== undefined && Number.isFinite(validTo) && validTo < nowMs)
      return [
        fail(
          'TLS files',
          `the client certificate expired on ${cert.validTo}`,
          'renew the certificate in tls.certFile',
        ),
      ];
    const parts = [
      t.trustList !== undefined ? 'trust list readable' : '',
      cert !== undefined
        ? `client certificate ${cert.subject} loaded${t.thumbprint !== undefined ? ', thumbprint matches' : ''}, valid until ${cert.validTo}`
        : '',
    ].filter((x) => x !== '');
    return [pass('TLS files', parts.join('; '))];
  } catch (error) {
    return [fail('TLS files', (error as Error).message, 'check the files and password named in "tls"')];
  }
}

function secretCheck(config: Config): Check[] {
  if (config.clientSecret !== undefined) return [pass('client secret', 'set')];
  return [
    warning(
      'client secret',
      'not set here: run, catchup and verify need it',
      'set GENESYS_CLIENT_SECRET, "clientSecret" or a readable "clientSecretFile"',
    ),
  ];
}

export async function offlineChecks(config: Config, paths: StatePaths, nowMs: number): Promise<Check[]> {
  return [
    pass('config', `valid (${config.file})`),
    ...configWarnings(config),
    ...secretCheck(config),
    ...(await tlsFilesCheck(config, nowMs)),
    await folderCheck('state folder', config.stateDir),
    ...(config.archiveDir === undefined
      ? [
          pass(
            'archive',
            `${config.archive.type} target: the store is checked online (verify without --offline)`,
          ),
        ]
      : [await folderCheck('archive folder', config.archiveDir), await diskCheck(config, config.archiveDir)]),
    await fsyncCheck(config),
    await lockCheck(paths, nowMs),
    await cursorCheck(config, paths, nowMs),
  ];
}
