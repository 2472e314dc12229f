/**
 * What the pipeline reads from an analytics conversation: its position, whether it is due, and the
 * metadata its CDRs carry (SPEC §3.5, §4.2). Genesys omits empty fields, so every array is optional.
 */
import type { ArchivedCdr, CdrNamedId, CdrParticipant } from '../archive/cdr.js';
import type { AnalyticsConversation, UserInfo } from '../genesys/index.js';
import { isGenesysId } from '../util/ids.js';
import { parseUtcIso } from '../util/time.js';

export interface ConversationFacts {
  readonly conversationId: string;
  readonly startMs: number;
  readonly endMs: number | undefined;
  readonly due: boolean;
  readonly raw: AnalyticsConversation;
}

/**
 * A conversation whose data breaks the model (SPEC §4.3): its id is not a Genesys id or its times
 * cannot be read. It is refused with `invalidRecord`, never made the run's problem.
 */
export interface RefusedConversation {
  readonly refused: true;
  /** The id as given (lowercased when it is a UUID); any string, so JSON-escape it wherever it goes. */
  readonly conversationId: string;
  /** Its start, when that could be read (it then has a place in the listing order). */
  readonly startMs: number | undefined;
  readonly reason: string;
}

/** Longest id kept as given; anything longer is cut (it is only ever shown, never used). */
const MAX_GIVEN_ID = 200;
const loneSurrogate = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** A value from Genesys as text for a report or a message: strings as they are, anything else as JSON. */
export function asGiven(value: unknown): string {
  const text = typeof value === 'string' ? value : (JSON.stringify(value) ?? '');
  // A lone surrogate cannot be written as UTF-8 (nor URI-encoded for the settled index).
  return text.slice(0, MAX_GIVEN_ID).replace(loneSurrogate, '\uFFFD');
}

/** A non-empty string, else undefined: empty strings from Genesys are dropped (SPEC §4.3). */
export function nonEmpty(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

export function isRefused(read: ConversationFacts | RefusedConversation): read is RefusedConversation {
  return 'refused' in read;
}

/** Reads the facts, or the reason the conversation is refused. */
export function readConversation(conv: AnalyticsConversation): ConversationFacts | RefusedConversation {
  const given: unknown = conv.conversationId;
  const id = isGenesysId(given) ? given.toLowerCase() : asGiven(given);
  const startMs = parseUtcIso(conv.conversationStart);
  const endMs = parseUtcIso(conv.conversationEnd);
  const refuse = (reason: string): RefusedConversation => ({
    refused: true,
    conversationId: id,
    startMs,
    reason,
  });
  if (!isGenesysId(given))
    return refuse(`Genesys gave a conversation id that is not a UUID: ${JSON.stringify(id)}`);
  if (startMs === undefined)
    return refuse(`conversationStart cannot be read: ${JSON.stringify(asGiven(conv.conversationStart))}`);
  if (conv.conversationEnd !== undefined && endMs === undefined)
    return refuse(`conversationEnd cannot be read: ${JSON.stringify(asGiven(conv.conversationEnd))}`);
  const due = (conv.participants ?? []).some((p) =>
    (p.sessions ?? []).some((s) => s.mediaType === 'voice' && s.recording === true),
  );
  return { conversationId: id, startMs, endMs, due, raw: conv };
}

/** Reads the facts; undefined when the conversation is refused (see `readConversation`). */
export function conversationFacts(conv: AnalyticsConversation): ConversationFacts | undefined {
  const read = readConversation(conv);
  return isRefused(read) ? undefined : read;
}

/** The user ids of the conversation's participants (for the bulk users call). */
export function participantUserIds(conv: AnalyticsConversation): string[] {
  const ids = new Set<string>();
  for (const p of conv.participants ?? []) {
    const userId = nonEmpty(p.userId);
    if (userId !== undefined) ids.add(userId);
  }
  return [...ids];
}

/** The queue ids and wrap-up codes of the conversation's segments, each once, in order of appearance. */
export function routingIds(conv: AnalyticsConversation): { queues: string[]; wrapUpCodes: string[] } {
  const queues = new Set<string>();
  const wrapUps = new Set<string>();
  for (const p of conv.participants ?? []) {
    for (const s of p.sessions ?? []) {
      for (const seg of s.segments ?? []) {
        const queueId = nonEmpty(seg.queueId);
        const wrapUpCode = nonEmpty(seg.wrapUpCode);
        if (queueId !== undefined) queues.add(queueId);
        if (wrapUpCode !== undefined) wrapUps.add(wrapUpCode);
      }
    }
  }
  return { queues: [...queues], wrapUpCodes: [...wrapUps] };
}

/**
 * What was looked up in Genesys for a conversation's CDRs (SPEC §3.5, §4.4). An id missing from a
 * map is written without the details: media is never held back for them.
 */
export interface CdrLookups {
  readonly users: ReadonlyMap<string, UserInfo>;
  readonly queues: ReadonlyMap<string, string>;
  readonly wrapUpCodes: ReadonlyMap<string, string>;
}

/** No details at all: ids only. */
export const NO_LOOKUPS: CdrLookups = { users: new Map(), queues: new Map(), wrapUpCodes: new Map() };

function withNames(ids: readonly string[], names: ReadonlyMap<string, string>): CdrNamedId[] {
  return ids.map((id) => {
    const name = nonEmpty(names.get(id));
    return name === undefined ? { id } : { id, name };
  });
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
  lookups: CdrLookups,
): Pick<
  ArchivedCdr,
  'direction' | 'ani' | 'dnis' | 'participants' | 'queues' | 'divisionIds' | 'wrapUpCodes'
> {
  const conv = facts.raw;
  const session = firstVoiceSession(conv, 'customer') ?? firstVoiceSession(conv, 'external');
  const { users } = lookups;
  const participants: CdrParticipant[] = [];
  for (const p of conv.participants ?? []) {
    const userId = nonEmpty(p.userId);
    const participant: CdrParticipant = { purpose: nonEmpty(p.purpose) ?? 'unknown' };
    if (userId !== undefined) participant.userId = userId;
    const user = userId === undefined ? undefined : users.get(userId);
    const name = nonEmpty(user?.name) ?? nonEmpty(p.participantName);
    if (name !== undefined) participant.name = name;
    const email = nonEmpty(user?.email);
    const department = nonEmpty(user?.department);
    const title = nonEmpty(user?.title);
    if (email !== undefined) participant.email = email;
    if (department !== undefined) participant.department = department;
    if (title !== undefined) participant.title = title;
    participants.push(participant);
  }
  const routing = routingIds(conv);
  const part: Pick<
    ArchivedCdr,
    'direction' | 'ani' | 'dnis' | 'participants' | 'queues' | 'divisionIds' | 'wrapUpCodes'
  > = {
    participants,
    queues: withNames(routing.queues, lookups.queues),
    // Empty entries (`divisionIds: [""]`) are dropped, never a reason to refuse the recording.
    divisionIds: (conv.divisionIds ?? []).flatMap((d) => nonEmpty(d) ?? []),
    wrapUpCodes: withNames(routing.wrapUpCodes, lookups.wrapUpCodes),
  };
  const direction = nonEmpty(conv.originatingDirection);
  const ani = nonEmpty(session?.ani);
  const dnis = nonEmpty(session?.dnis);
  if (direction !== undefined) part.direction = direction;
  if (ani !== undefined) part.ani = ani;
  if (dnis !== undefined) part.dnis = dnis;
  return part;
}
