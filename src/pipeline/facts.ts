/**
 * What the pipeline reads from an analytics conversation: its position, whether it is due, and the
 * metadata its CDRs carry (SPEC §3.5, §4.2). Genesys omits empty fields, so every array is optional.
 */
import type { ArchivedCdr, CdrParticipant } from '../archive/cdr.js';
import type { AnalyticsConversation, UserInfo } from '../genesys/index.js';
import { parseUtcIso } from '../util/time.js';

export interface ConversationFacts {
  readonly conversationId: string;
  readonly startMs: number;
  readonly endMs: number | undefined;
  readonly due: boolean;
  readonly raw: AnalyticsConversation;
}

/** Reads the facts; undefined when the conversation has no usable start time. */
export function conversationFacts(conv: AnalyticsConversation): ConversationFacts | undefined {
  const startMs = parseUtcIso(conv.conversationStart);
  if (startMs === undefined) return undefined;
  const due = (conv.participants ?? []).some((p) =>
    (p.sessions ?? []).some((s) => s.mediaType === 'voice' && s.recording === true),
  );
  return {
    conversationId: conv.conversationId.toLowerCase(),
    startMs,
    endMs: parseUtcIso(conv.conversationEnd),
    due,
    raw: conv,
  };
}

/** The user ids of the conversation's participants (for the bulk users call). */
export function participantUserIds(conv: AnalyticsConversation): string[] {
  const ids = new Set<string>();
  for (const p of conv.participants ?? [])
    if (typeof p.userId === 'string' && p.userId !== '') ids.add(p.userId);
  return [...ids];
}

function firstVoiceSession(
  conv: AnalyticsConversation,
  purpose: string,
): { ani?: string | undefined; dnis?: string | undefined } | undefined {
  const participant = (conv.participants ?? []).find(
    (p) => p.purpose === purpose && (p.sessions ?? []).some((s) => s.mediaType === 'voice'),
  );
  return participant?.sessions?.find((s) => s.mediaType === 'voice');
}

/** The conversation-level part of a CDR; recording, media and bookkeeping are added by the caller. */
export function cdrConversationPart(
  facts: ConversationFacts,
  users: ReadonlyMap<string, UserInfo>,
): Pick<
  ArchivedCdr,
  'direction' | 'ani' | 'dnis' | 'participants' | 'queues' | 'divisionIds' | 'wrapUpCodes'
> {
  const conv = facts.raw;
  const session = firstVoiceSession(conv, 'customer') ?? firstVoiceSession(conv, 'external');
  const queues = new Set<string>();
  const wrapUps = new Set<string>();
  const participants: CdrParticipant[] = [];
  for (const p of conv.participants ?? []) {
    const participant: CdrParticipant = { purpose: p.purpose ?? 'unknown' };
    if (p.userId !== undefined) participant.userId = p.userId;
    const user = p.userId === undefined ? undefined : users.get(p.userId);
    const name = user?.name ?? p.participantName;
    if (name !== undefined) participant.name = name;
    if (user?.email !== undefined) participant.email = user.email;
    if (user?.department !== undefined) participant.department = user.department;
    if (user?.title !== undefined) participant.title = user.title;
    participants.push(participant);
    for (const s of p.sessions ?? []) {
      for (const seg of s.segments ?? []) {
        if (seg.queueId !== undefined) queues.add(seg.queueId);
        if (seg.wrapUpCode !== undefined) wrapUps.add(seg.wrapUpCode);
      }
    }
  }
  const part: Pick<
    ArchivedCdr,
    'direction' | 'ani' | 'dnis' | 'participants' | 'queues' | 'divisionIds' | 'wrapUpCodes'
  > = {
    participants,
    queues: [...queues],
    divisionIds: [...(conv.divisionIds ?? [])],
    wrapUpCodes: [...wrapUps],
  };
  if (conv.originatingDirection !== undefined) part.direction = conv.originatingDirection;
  if (session?.ani !== undefined) part.ani = session.ani;
  if (session?.dnis !== undefined) part.dnis = session.dnis;
  return part;
}
