/**
 * `status` (SPEC §1): the state at a glance for an operator or a monitoring check, from status.json
 * and the state folders alone (no network, no lock). Exit 0 when the last run exited 0 or 1 and the
 * cursor lags no more than maxLagMinutes; 5 otherwise, with the reasons named.
 */
import { promises as fs } from 'node:fs';
import type { CommandContext } from '../context.js';
import { loadForCommand } from '../context.js';
import { ExitCode } from '../../errors.js';
import { lagMinutes } from '../../pipeline/settle/rules.js';
import { readCursor } from '../../state/cursor-file.js';
import { readLock, staleReason } from '../../state/lock.js';
import { retryBufferStats } from '../../state/retry-buffer.js';
import { isoInZone, isoUtc } from '../../util/time.js';

export interface LastRun {
  command: string | null;
  finishedAt: string;
  exitCode: number;
}

export interface StatusView {
  ok: boolean;
  problems: string[];
  lastRun: LastRun | null;
  cursor: { conversationId: string; timestamp: string; local: string; lagMinutes: number } | null;
  maxLagMinutes: number;
  pending: number | null;
  /** `restoring`: entries waiting for Genesys to restore their recording from its archive (SPEC §8.3). */
  retryBuffer: { size: number; dead: number; oldestFirstFailedAt: string | null; restoring: number };
  lock: { command: string; pid: number; host: string; startedAt: string; stale: string | null } | null;
  statusFile: string;
}

/** The last run as status.json records it; undefined when no run has finished (or it is unreadable). */
async function readLastRun(file: string): Promise<{ run: LastRun; pending: number } | string | undefined> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    return `${file} cannot be read: ${(error as NodeJS.ErrnoException).code ?? String(error)}`;
  }
  try {
    const doc = JSON.parse(text) as Record<string, unknown>;
    if (typeof doc.lastExitCode !== 'number' || typeof doc.finishedAt !== 'string')
      return `${file} lacks lastExitCode or finishedAt`;
    return {
      run: {
        command: typeof doc.command === 'string' ? doc.command : null,
        finishedAt: doc.finishedAt,
        exitCode: doc.lastExitCode,
      },
      pending: typeof doc.pending === 'number' ? doc.pending : 0,
    };
  } catch {
    return `${file} is not valid JSON`;
  }
}

export async function status(ctx: CommandContext): Promise<number> {
  const { config, paths } = loadForCommand(ctx);
  const now = ctx.now();
  const problems: string[] = [];

  const last = await readLastRun(paths.statusFile);
  if (last === undefined) problems.push('no run has finished yet');
  else if (typeof last === 'string') problems.push(last);
  else if (last.run.exitCode !== ExitCode.ok && last.run.exitCode !== ExitCode.partial)
    problems.push(`the last run exited ${last.run.exitCode}`);

  let cursor: StatusView['cursor'] = null;
  try {
    const state = await readCursor(paths, config.recordingStartTimestamp, now);
    const position = state.kind === 'file' ? state.parsed.position : state.position;
    const lag = lagMinutes(position.startMs, now, config.availabilityDelayMinutes);
    cursor = {
      conversationId: position.conversationId,
      timestamp: isoUtc(position.startMs),
      local: isoInZone(position.startMs, config.timezone),
      lagMinutes: lag,
    };
    if (lag > config.maxLagMinutes)
      problems.push(`the cursor lags ${lag} minutes (maxLagMinutes ${config.maxLagMinutes})`);
  } catch (error) {
    problems.push(`the cursor cannot be read: ${(error as Error).message}`);
  }

  const retryBuffer = await retryBufferStats(paths);
  const info = await readLock(paths.lockFile);
  const lockPresent = await fs.stat(paths.lockFile).then(
    () => true,
    () => false,
  );
  const lock: StatusView['lock'] =
    !lockPresent || info === undefined
      ? null
      : {
          command: info.command,
          pid: info.pid,
          host: info.host,
          startedAt: info.startedAt,
          stale: (await staleReason(paths.lockFile, info, now)) ?? null,
        };

  const view: StatusView = {
    ok: problems.length === 0,
    problems,
    lastRun: typeof last === 'object' ? last.run : null,
    cursor,
    maxLagMinutes: config.maxLagMinutes,
    pending: typeof last === 'object' ? last.pending : null,
    retryBuffer,
    lock,
    statusFile: paths.statusFile,
  };
  ctx.output.document(view);
  ctx.output.result(describe(view, config.timezone).join('\n'));
  return view.ok ? ExitCode.ok : ExitCode.verifyFailed;
}

function describe(v: StatusView, timezone: string): string[] {
  const run = v.lastRun;
  const lines = [
    `status        ${v.ok ? 'OK' : `NOT OK: ${v.problems.join('; ')}`}`,
    `last run      ${run === null ? '(none finished)' : `${run.command ?? 'run'} finished ${run.finishedAt}, exit ${run.exitCode}`}`,
    v.cursor === null
      ? 'cursor        (unreadable)'
      : `cursor        ${v.cursor.timestamp} (${v.cursor.local} ${timezone}), lag ${v.cursor.lagMinutes} min (max ${v.maxLagMinutes})`,
    `pending       ${v.pending ?? '-'} conversation(s) at the last run`,
    `retry buffer  ${v.retryBuffer.size} entr${v.retryBuffer.size === 1 ? 'y' : 'ies'}${v.retryBuffer.restoring === 0 ? '' : ` (${v.retryBuffer.restoring} waiting for a restore in Genesys)`}, ${v.retryBuffer.dead} in dead/${v.retryBuffer.oldestFirstFailedAt === null ? '' : `, oldest failure ${v.retryBuffer.oldestFirstFailedAt}`}`,
    v.lock === null
      ? 'lock          free'
      : `lock          ${v.lock.stale === null ? 'held' : `stale (${v.lock.stale})`} by ${v.lock.command} (pid ${v.lock.pid} on ${v.lock.host}, since ${v.lock.startedAt})`,
  ];
  return lines;
}
