/**
 * Builds one plausible conversation (participants, sessions, segments, recordings) on top of an
 * organisation's users and queues. The generator uses it for every conversation; tests use it to add
 * a hand-shaped conversation while the simulator runs.
 */
import { randomUUID } from 'node:crypto';
import type {
  FileState,
  OriginalContentType,
  SimConversation,
  SimParticipant,
  SimRecording,
  SimSegment,
  SimSession,
} from './model.js';
import type { SimOrg } from './org-store.js';
import { SeededRandom } from './random.js';

/** How to shape a conversation; everything but `startMs` has a default. */
export interface ConversationOptions {
  startMs: number;
  id?: string;
  /** Default: random between 30 s and 15 min. */
  durationMs?: number;
  /** No `conversationEnd`; open segments; recordings `UPLOADING` until `endConversation`. */
  inProgress?: boolean;
  direction?: 'inbound' | 'outbound';
  mediaType?: 'voice' | 'chat';
  /** Number of audio recordings; 0 = not recorded. Default 1. */
  recordings?: number;
  /** Stored state of every audio recording; default `AVAILABLE` (`UPLOADING` when in progress). */
  fileState?: FileState;
  /** For `UPLOADING`: when the recordings become available. */
  availableAt?: number;
  /** Adds a screen recording of the first agent. */
  screen?: boolean;
  originalContentType?: OriginalContentType;
  /** Bytes of each media file; default random in [4096, 65536]. */
  sizeBytes?: number | readonly [number, number];
  /** `mediaUris` keys of each audio recording; default `['S']`. */
  mediaKeys?: string[];
  protected?: boolean;
  visibleFrom?: number;
  /** Agents' user ids; default 1–2 users of the organisation picked at random. */
  agentIds?: string[];
  /** Purpose of the remote party; default `customer`. */
  customerPurpose?: 'customer' | 'external';
  divisionIds?: string[];
  /** Ids of the audio recordings, in order (default random UUIDs): tests give malformed ones. */
  recordingIds?: string[];
  /** See `SimConversation.jsonOverrides`. */
  jsonOverrides?: Record<string, unknown>;
  /** Source of ids and choices; default a fresh random one (ids differ on every call). */
  random?: SeededRandom;
}

const ORIGINAL_TYPES: readonly OriginalContentType[] = ['audio/ogg', 'audio/ogg', 'audio/wav', 'audio/opus'];

function phone(rnd: SeededRandom, prefix: string): string {
  return `tel:+1${prefix}${rnd.digits(7)}`;
}

function closeAt(segment: SimSegment, endMs: number | undefined): SimSegment {
  if (endMs !== undefined) segment.endMs = endMs;
  return segment;
}

/** Builds (but does not add) a conversation for `org`. */
export function buildConversation(org: SimOrg, options: ConversationOptions): SimConversation {
  const rnd = options.random ?? new SeededRandom(randomUUID());
  const id = options.id ?? rnd.uuid();
  const start = options.startMs;
  const duration = options.durationMs ?? rnd.int(30_000, 900_000);
  const end = options.inProgress ? undefined : start + duration;
  const direction = options.direction ?? 'inbound';
  const mediaType = options.mediaType ?? 'voice';
  const customerNumber = phone(rnd, '555');
  const companyNumber = phone(rnd, '800');
  const ani = direction === 'inbound' ? customerNumber : companyNumber;
  const dnis = direction === 'inbound' ? companyNumber : customerNumber;
  const queue = org.queues.length > 0 ? rnd.pick(org.queues) : undefined;
  const activeAgents = [...org.users.values()].filter((u) => u.state === 'active');
  const agentIds =
    options.agentIds ??
    (activeAgents.length > 0
      ? [rnd.pick(activeAgents).id, ...(rnd.chance(0.25) ? [rnd.pick(activeAgents).id] : [])]
      : []);
  const voiceFields = mediaType === 'voice' ? { ani, dnis } : {};

  // Customer leg covers the whole conversation.
  const customerSession: SimSession = {
    id: rnd.uuid(),
    mediaType,
    direction,
    ...voiceFields,
    segments: [closeAt({ type: 'interact', startMs: start }, end)],
  };
  const participants: SimParticipant[] = [
    {
      id: rnd.uuid(),
      purpose: options.customerPurpose ?? 'customer',
      name: mediaType === 'voice' ? `Mobile ${customerNumber.slice(4)}` : 'Web visitor',
      attributes: { customerId: rnd.digits(8), language: 'en-US' },
      sessions: [customerSession],
    },
  ];
  // IVR and queue wait for inbound calls, then the agents share the rest.
  const span = end === undefined ? Math.max(duration, 60_000) : duration;
  let cursor = start;
  if (direction === 'inbound' && mediaType === 'voice') {
    const ivrEnd = cursor + Math.min(rnd.int(10_000, 60_000), Math.floor(span * 0.2));
    participants.push({
      id: rnd.uuid(),
      purpose: 'ivr',
      name: 'Main IVR',
      sessions: [
        {
          id: rnd.uuid(),
          mediaType,
          direction,
          ...voiceFields,
          segments: [{ type: 'ivr', startMs: cursor, endMs: ivrEnd }],
        },
      ],
    });
    cursor = ivrEnd;
  }
  const queueEnd = cursor + Math.min(rnd.int(5_000, 90_000), Math.floor(span * 0.2));
  participants.push({
    id: rnd.uuid(),
    purpose: 'acd',
    ...(queue ? { name: queue.name } : {}),
    sessions: [
      {
        id: rnd.uuid(),
        mediaType,
        direction,
        ...voiceFields,
        segments: [
          { type: 'delay', startMs: cursor, endMs: queueEnd, ...(queue ? { queueId: queue.id } : {}) },
        ],
      },
    ],
  });
  const agentSessions: SimSession[] = [];
  const share = Math.floor((start + span - queueEnd) / Math.max(1, agentIds.length));
  agentIds.forEach((userId, index) => {
    const from = queueEnd + index * share;
    const last = index === agentIds.length - 1;
    const to = last ? end : from + share;
    const alertEnd = from + Math.min(5_000, Math.floor(share / 4));
    const wrapStart = (to ?? from + share) - Math.min(20_000, Math.floor(share / 4));
    const segments: SimSegment[] = [
      { type: 'alert', startMs: from, endMs: alertEnd, ...(queue ? { queueId: queue.id } : {}) },
      closeAt(
        { type: 'interact', startMs: alertEnd, ...(queue ? { queueId: queue.id } : {}) },
        to === undefined ? undefined : wrapStart,
      ),
    ];
    if (to !== undefined) {
      const code = org.wrapUpCodes.length > 0 ? rnd.pick(org.wrapUpCodes).id : undefined;
      segments.push({ type: 'wrapup', startMs: wrapStart, endMs: to, ...(code ? { wrapUpCode: code } : {}) });
    }
    const session: SimSession = { id: rnd.uuid(), mediaType, direction, ...voiceFields, segments };
    agentSessions.push(session);
    const user = org.user(userId);
    participants.push({
      id: rnd.uuid(),
      purpose: 'agent',
      userId,
      ...(user ? { name: user.name } : {}),
      sessions: [session],
    });
  });

  const recordingCount = options.recordings ?? 1;
  const sizeOption = options.sizeBytes ?? [4096, 65536];
  const size = (): number =>
    typeof sizeOption === 'number' ? sizeOption : rnd.int(sizeOption[0], sizeOption[1]);
  const fileState = options.fileState ?? (end === undefined ? 'UPLOADING' : 'AVAILABLE');
  const recordings: SimRecording[] = [];
  const sessionFor = (index: number): SimSession =>
    index === 0 || agentSessions.length === 0
      ? customerSession
      : (agentSessions[(index - 1) % agentSessions.length] ?? customerSession);
  for (let i = 0; i < recordingCount; i++) {
    const session = sessionFor(i);
    // Each recording has its own trunk codec unless one is asked for.
    const original = options.originalContentType ?? rnd.pick(ORIGINAL_TYPES);
    session.recording = true;
    const first = session.segments[0];
    const lastSegment = session.segments[session.segments.length - 1];
    const recording: SimRecording = {
      id: options.recordingIds?.[i] ?? rnd.uuid(),
      conversationId: id,
      sessionId: session.id,
      media: mediaType === 'voice' ? 'audio' : 'chat',
      ...(mediaType === 'voice' ? { mediaSubtype: session === customerSession ? 'Trunk' : 'Station' } : {}),
      startMs: first?.startMs ?? start,
      ...(end === undefined ? {} : { endMs: lastSegment?.endMs ?? end }),
      fileState,
      ...(options.availableAt !== undefined ? { availableAt: options.availableAt } : {}),
      originalContentType: original,
      sizeBytes: size(),
      mediaKeys: options.mediaKeys ? [...options.mediaKeys] : ['S'],
    };
    recordings.push(recording);
  }
  const screenSession = agentSessions[0];
  if (options.screen && screenSession && mediaType === 'voice') {
    recordings.push({
      id: rnd.uuid(),
      conversationId: id,
      sessionId: screenSession.id,
      media: 'screen',
      mediaSubtype: 'Screen',
      startMs: screenSession.segments[0]?.startMs ?? start,
      ...(end === undefined ? {} : { endMs: end }),
      fileState: end === undefined ? 'UPLOADING' : 'AVAILABLE',
      originalContentType: options.originalContentType ?? 'audio/ogg',
      sizeBytes: size(),
      mediaKeys: ['S'],
    });
  }
  const division = org.divisions.length > 0 ? rnd.pick(org.divisions).id : undefined;
  return {
    id,
    startMs: start,
    ...(end === undefined ? {} : { endMs: end }),
    direction,
    divisionIds: options.divisionIds ?? (division ? [division] : []),
    participants,
    recordings,
    protected: options.protected ?? false,
    ...(options.visibleFrom !== undefined ? { visibleFrom: options.visibleFrom } : {}),
    ...(options.jsonOverrides !== undefined ? { jsonOverrides: { ...options.jsonOverrides } } : {}),
  };
}

/** Builds a conversation and adds it to `org`; returns it. */
export function addConversation(org: SimOrg, options: ConversationOptions): SimConversation {
  return org.addConversation(buildConversation(org, options));
}
