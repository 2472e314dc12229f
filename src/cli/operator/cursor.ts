/** The operator's cursor commands: read it, and rewind it without ever duplicating (SPEC §1, §3.2). */
import { readFile } from 'node:fs/promises';
import type { CommandContext } from '../context.js';
import { loadForCommand, withLock } from '../context.js';
import type { Config } from '../../config/types.js';
import { parseIsoInZone } from '../../config/fields.js';
import { ExitCode, UsageError } from '../../errors.js';
import { writeFileAtomic } from '../../util/atomic.js';
import { parseCursorTimestamp, readCursor, writeCursor, type CursorState } from '../../state/cursor-file.js';
import type { StatePaths } from '../../state/paths.js';
import type { Position } from '../../state/position.js';
import { isGenesysId } from '../../util/ids.js';
import { isoInZone, isoUtc } from '../../util/time.js';
import { lagMinutes, windowEndAt } from '../../pipeline/settle/rules.js';

export interface CursorView {
  conversationId: string;
  timestamp: string;
  local: string;
  timezone: string;
  lagMinutes: number;
  file: string;
}

function view(position: Position, config: Config, paths: StatePaths, nowMs: number): CursorView {
  return {
    conversationId: position.conversationId,
    timestamp: isoUtc(position.startMs),
    local: isoInZone(position.startMs, config.timezone),
    timezone: config.timezone,
    lagMinutes: lagMinutes(position.startMs, nowMs, config.availabilityDelayMinutes),
    file: paths.cursorFile,
  };
}

function positionOf(state: CursorState): Position {
  return state.kind === 'file' ? state.parsed.position : state.position;
}

/** One position for a person: ISO in UTC, the local time in `timezone`, and the id when there is one. */
function shortView(v: CursorView): string {
  return `${v.timestamp} (${v.local} ${v.timezone})${v.conversationId === '' ? '' : ` ${v.conversationId}`}`;
}

function describe(v: CursorView): string[] {
  return [
    `file          ${v.file}`,
    `conversation  ${v.conversationId === '' ? '(none)' : v.conversationId}`,
    `timestamp     ${v.timestamp}`,
    `local         ${v.local} (${v.timezone})`,
    `lag           ${v.lagMinutes} minute${v.lagMinutes === 1 ? '' : 's'} behind now − availability delay`,
  ];
}

export async function cursorGet(ctx: CommandContext): Promise<number> {
  const { config, paths } = loadForCommand(ctx);
  const now = ctx.now();
  const state = await readCursor(paths, config.recordingStartTimestamp, now);
  if (state.kind === 'file' && state.parsed.ignoredId !== undefined) {
    ctx.output.warn(
      `the cursor's id ${JSON.stringify(state.parsed.ignoredId)} is not a Genesys conversation id; it is read as empty`,
    );
  }
  const v = view(positionOf(state), config, paths, now);
  ctx.output.document({ ok: true, ...v });
  ctx.output.result(describe(v).join('\n'));
  if (state.kind === 'initial')
    ctx.output.info('(no cursor file yet: the first run starts at recordingStartTimestamp)');
  return ExitCode.ok;
}

/**
 * Reads a time an operator typed as ISO-8601 (offset honoured, else read in `timezone`) or as the
 * cursor file's own format (UTC): `cursor set TIME` and `catchup --until TIME` alike. `label` names
 * the argument in the error (UsageError `code`, exit 2).
 */
export function parseCursorTime(
  text: string,
  timezone: string,
  { code, label }: { code: string; label?: string } = { code: 'cursor.badTime' },
): number {
  const own = parseCursorTimestamp(text.trim());
  if (own !== undefined) return own;
  const iso = parseIsoInZone(text, timezone);
  if (iso === undefined) {
    throw new UsageError(
      code,
      `cannot read ${label === undefined ? '' : `${label} `}${JSON.stringify(text)} as a time; give ISO-8601 (2024-05-01T10:00:00Z, or without an offset in ${timezone}) or yyyy.MM.dd HH:mm:ss.SSS (UTC); nothing was changed`,
    );
  }
  return iso;
}

export async function cursorSet(
  ctx: CommandContext,
  time: string,
  conversationId: string | undefined,
): Promise<number> {
  return withLock(ctx, 'cursor set', async ({ config, paths }, lock) => {
    const now = ctx.now();
    const startMs = parseCursorTime(time, config.timezone);
    const limit = windowEndAt(now, config.availabilityDelayMinutes);
    if (startMs > limit) {
      throw new UsageError(
        'cursor.tooLate',
        `refused: ${isoUtc(startMs)} is later than now − availability delay (${isoUtc(limit)}); a cursor there would skip conversations that may still get recordings; nothing was changed`,
      );
    }
    if (conversationId !== undefined && conversationId !== '' && !isGenesysId(conversationId)) {
      throw new UsageError(
        'cursor.badId',
        `--conversation-id ${JSON.stringify(conversationId)} is not a Genesys conversation id (a UUID); nothing was changed`,
      );
    }
    const next: Position = { startMs, conversationId: (conversationId ?? '').toLowerCase() };

    let previous: Position | undefined;
    let previousBytes: Buffer | undefined;
    try {
      previousBytes = await readFile(paths.cursorFile);
      const state = await readCursor(paths, config.recordingStartTimestamp, now);
      previous = positionOf(state);
    } catch (error) {
      // An unreadable cursor is exactly what an operator fixes with `cursor set`: keep its bytes in .bak.
      if (previousBytes === undefined && (error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    await lock.assertHeld();
    if (previousBytes !== undefined) {
      await writeFileAtomic(paths.cursorBackup, previousBytes);
    }
    await writeCursor(paths, next);

    const previousView = previous === undefined ? null : view(previous, config, paths, now);
    const currentView = view(next, config, paths, now);
    ctx.output.document({ ok: true, previous: previousView, current: currentView });
    const oldLine =
      previousView !== null
        ? shortView(previousView)
        : previousBytes !== undefined
          ? '(unreadable)'
          : '(none)';
    ctx.output.result(`${oldLine} → ${shortView(currentView)}`);
    if (startMs < config.recordingStartTimestamp) {
      ctx.output.warn(
        `the new cursor is earlier than recordingStartTimestamp (${isoUtc(config.recordingStartTimestamp)})`,
      );
    }
    return ExitCode.ok;
  });
}
