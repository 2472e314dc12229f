/** `verify --conversation ID` (SPEC §8.2): the story of one conversation, for an operator. */
import { ExitCode, UsageError } from '../../errors.js';
import { isGenesysId } from '../../util/ids.js';
import { loadForCommand, type CommandContext } from '../context.js';
import type { ConversationStory } from '../../verify/conversation.js';

export async function verifyConversation(
  ctx: CommandContext,
  conversationId: string,
  options: { offline: boolean },
): Promise<number> {
  // Before anything is read: the id becomes a file-name prefix and a URL path part.
  const valid: boolean = isGenesysId(conversationId);
  if (!valid)
    throw new UsageError(
      'verify.badConversationId',
      `${JSON.stringify(conversationId.slice(0, 80))} is not a Genesys conversation id (a UUID)`,
    );
  const { config, paths } = loadForCommand(ctx, { requireSecret: !options.offline });
  const { conversationStory } = await import('../../verify/conversation.js');
  const story = await conversationStory(config, paths, conversationId, {
    offline: options.offline,
    nowMs: ctx.now(),
  });
  const ok = story.status !== 'missing';
  ctx.output.document({ ok, ...story });
  for (const line of describe(story)) ctx.output.result(line);
  if (story.altered.length > 0)
    ctx.output.warn(`altered: ${story.altered.join('; ')} (verify --archive checks the whole archive)`);
  return ok ? ExitCode.ok : ExitCode.verifyFailed;
}

function describe(story: ConversationStory): string[] {
  const out = [`conversation ${story.conversationId}: ${story.status} (${story.detail})`];
  const g = story.genesys;
  if (g === null) out.push('genesys: not asked (--offline)');
  else if (!g.known) out.push('genesys: does not know this conversation');
  else {
    out.push(
      `genesys: started ${g.conversationStart ?? '?'}, ended ${g.conversationEnd ?? 'not yet'}, ${g.recorded === true ? 'recorded' : 'not recorded'}`,
    );
    for (const r of g.recordings)
      out.push(
        `  recording ${r.id}: ${r.media ?? 'audio'} ${r.fileState ?? '?'}${r.deleteDate ? `, deleteDate ${r.deleteDate}` : ''}`,
      );
  }
  out.push(`ledger: ${story.ledger.length} line(s)`);
  for (const l of story.ledger)
    out.push(
      l.type === 'recording'
        ? `  ${l.at} recording ${l.recordingId} → ${l.file}`
        : `  ${l.at} conversation ${l.status}${l.recordingIds.length > 0 ? ` (${l.recordingIds.join(', ')})` : ''}`,
    );
  out.push(`files: ${story.files.length}`);
  for (const f of story.files) {
    const size = f.sizeBytes === undefined ? 'gone' : `${f.sizeBytes} bytes`;
    const hash =
      f.sha256 === undefined ? '' : f.sha256 === f.expectedSha256 ? ', SHA-256 matches' : ', SHA-256 DIFFERS';
    out.push(`  ${f.ok ? 'ok  ' : 'BAD '} ${f.kind} ${f.file}: ${size}${hash}`);
  }
  out.push(`retry entries: ${story.retry.length}`);
  for (const r of story.retry)
    out.push(
      `  ${r.place} ${r.file}${r.invalid === undefined ? `: ${r.attempts ?? 0} attempt(s)${r.lastError ? `, last error: ${r.lastError}` : ''}` : `: not valid (${r.invalid})`}`,
    );
  out.push(`reports: ${story.reports.length} mention(s)`);
  for (const m of story.reports) {
    const e = m.entry as {
      status?: string;
      type?: string;
      reason?: string;
      message?: string;
      detail?: string;
    };
    out.push(
      `  ${m.report} ${m.kind} ${e.status ?? e.type ?? ''} ${e.reason ?? e.message ?? e.detail ?? ''}`.trimEnd(),
    );
  }
  out.push(`frontier: ${story.frontier.pending ? 'pending there' : 'not pending'}`);
  return out;
}
