/** The operator's retry-buffer commands (SPEC §1, §3.3). */
import type { CommandContext } from '../context.js';
import { loadForCommand, withLock } from '../context.js';
import { renderTable } from '../output.js';
import { ExitCode, UsageError } from '../../errors.js';
import { Ledger } from '../../state/ledger.js';
import {
  addRetryFiles,
  addRetryForConversation,
  listRetryEntries,
  removeRetryEntries,
  retryBufferStats,
  selectRetryBatch,
  type RetryEntry,
} from '../../state/retry-buffer.js';

function entryView(e: RetryEntry): Record<string, string | number | null> {
  return {
    file: e.file,
    conversationId: e.conversationId,
    recordingId: e.recordingId ?? null,
    conversationStart: e.conversationStart ?? null,
    attempts: e.attempts,
    firstFailedAt: e.firstFailedAt ?? null,
    lastFailedAt: e.lastFailedAt ?? null,
    lastError: e.lastError ?? null,
  };
}

export async function retryList(ctx: CommandContext): Promise<number> {
  const { paths } = loadForCommand(ctx);
  const listing = await listRetryEntries(paths);
  // The order the next runs will take them in: least recently attempted first.
  const ordered = selectRetryBatch(listing.entries, listing.entries.length);
  ctx.output.document({ ok: true, size: ordered.length, entries: ordered.map(entryView) });
  const stats = await retryBufferStats(paths, listing);
  if (ordered.length === 0) {
    ctx.output.result(`the retry buffer is empty (${paths.retryDir})`);
  } else {
    const rows = ordered.map((e) => [
      e.file,
      String(e.attempts),
      e.firstFailedAt ?? '-',
      e.lastFailedAt ?? '-',
      (e.lastError ?? '').slice(0, 60),
    ]);
    ctx.output.result(
      await renderTable(ctx.output, ['entry', 'attempts', 'first failed', 'last failed', 'last error'], rows),
    );
    ctx.output.result(`${ordered.length} entr${ordered.length === 1 ? 'y' : 'ies'} in ${paths.retryDir}`);
  }
  if (stats.dead > 0)
    ctx.output.info(
      `${stats.dead} entr${stats.dead === 1 ? 'y' : 'ies'} in dead/ (older than retryMaxAgeDays); 'retry add' a dead file to bring it back`,
    );
  for (const bad of listing.invalid) {
    ctx.output.warn(
      `${bad.file} is not a valid retry entry (${bad.reason}); the next run moves it to rejected/`,
    );
  }
  return ExitCode.ok;
}

export async function retryAdd(
  ctx: CommandContext,
  files: string[],
  conversation: string | undefined,
  recording: string | undefined,
): Promise<number> {
  if (recording !== undefined && conversation === undefined) {
    throw new UsageError('retry.usage', '--recording needs --conversation; nothing was changed');
  }
  if (conversation !== undefined && files.length > 0) {
    throw new UsageError(
      'retry.usage',
      'give either CDR files or --conversation, not both; nothing was changed',
    );
  }
  if (conversation === undefined && files.length === 0) {
    throw new UsageError(
      'retry.usage',
      'give one or more CDR XML files, or --conversation ID [--recording ID]; nothing was changed',
    );
  }
  return withLock(ctx, 'retry add', async ({ paths }, lock) => {
    await lock.assertHeld();
    const added =
      conversation !== undefined
        ? [await addRetryForConversation(paths, conversation, recording)]
        : await addRetryFiles(paths, files);
    ctx.output.document({ ok: true, added });
    for (const name of added) ctx.output.result(`added ${name}`);
    return ExitCode.ok;
  });
}

export interface RemoveOptions {
  all: boolean;
  /** `--yes`: no question asked (needed for `--all` when there is no terminal to ask on). */
  yes: boolean;
  /** Asks the operator; resolves true for yes. Only called on a terminal. */
  confirm?: (question: string) => Promise<boolean>;
}

export async function retryRemove(
  ctx: CommandContext,
  names: string[],
  options: RemoveOptions,
): Promise<number> {
  const { all } = options;
  if (all && names.length > 0)
    throw new UsageError('retry.usage', 'give either names or --all, not both; nothing was changed');
  if (!all && names.length === 0)
    throw new UsageError(
      'retry.usage',
      'give entry file names or conversation ids, or --all; nothing was changed',
    );
  if (all && !options.yes && options.confirm === undefined)
    throw new UsageError(
      'retry.confirm',
      'retry remove --all needs --yes when there is no terminal to confirm on; nothing was changed',
    );
  return withLock(ctx, 'retry remove', async ({ paths }, lock) => {
    if (all && !options.yes) {
      const { size } = await retryBufferStats(paths);
      if (size === 0) {
        ctx.output.document({ ok: true, removed: [] });
        ctx.output.result('the retry buffer was already empty');
        return ExitCode.ok;
      }
      const yes = await options.confirm!(
        `Move all ${size} entr${size === 1 ? 'y' : 'ies'} of the retry buffer to removed/ (they will not be retried)? [y/N] `,
      );
      if (!yes) throw new UsageError('retry.notConfirmed', 'not confirmed; nothing was changed');
    }
    await lock.assertHeld();
    // Opened at the first removal: a name that matches nothing changes nothing, not even the ledger.
    let ledger: Ledger | undefined;
    // Each removal leaves a trace: a ledger line first, then the file moves to removed/.
    const removed = await removeRetryEntries(paths, all ? 'all' : names, async (entry) => {
      await lock.assertHeld();
      ledger ??= await Ledger.open(paths.ledgerDir);
      await ledger.append([
        {
          type: 'conversation',
          conversationId: entry.conversationId,
          conversationStart: entry.conversationStart ?? '',
          status: 'removed',
          recordingIds: entry.recordingId === undefined ? [] : [entry.recordingId],
        },
      ]);
    });
    ctx.output.document({ ok: true, removed });
    for (const name of removed)
      ctx.output.result(`removed ${name} (kept in removed/; 'retry add' brings it back)`);
    if (removed.length === 0) ctx.output.result('the retry buffer was already empty');
    return ExitCode.ok;
  });
}
