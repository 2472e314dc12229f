/**
 * Generates a deterministic organisation for the simulator: agents (some deleted), queues,
 * divisions, wrap-up codes and conversations spread over a time span, with every case the ingest
 * pipeline must handle — in progress, not recorded, chat, screen recordings, uploading, archived,
 * deleted and failed recordings, legal holds, late analytics data and equal start times.
 */
import { buildConversation } from './conversation-builder.js';
import type { FileState, SimNamed, SimUser } from './model.js';
import { SimOrg } from './org-store.js';
import { SeededRandom } from './random.js';

export { SimOrg } from './org-store.js';
export type { SimOrgInit } from './org-store.js';
export { addConversation, buildConversation } from './conversation-builder.js';
export type { ConversationOptions } from './conversation-builder.js';

/** Fractions (0..1) of the generated conversations that get each special case. */
export interface OrgMix {
  /** Chat conversations (filtered out by a `mediaType: voice` segment filter). */
  nonVoice: number;
  /** Still in progress at `toMs` (no `conversationEnd`). */
  inProgress: number;
  /** Voice, but nothing recorded. */
  notRecorded: number;
  /** With an extra screen recording. */
  screen: number;
  outbound: number;
  /** Remote party with purpose `external` instead of `customer`. */
  external: number;
  /** Under deletion protection. */
  protected: number;
  /** Analytics shows them only hours after they ended. */
  late: number;
  /** Starting at exactly the same millisecond as the previous conversation. */
  sameStart: number;
  /** Recording states (the rest are `AVAILABLE`). */
  uploading: number;
  archived: number;
  deleted: number;
  error: number;
}

/** What `generateOrg` builds. Times are epoch milliseconds. */
export interface OrgSpec {
  /** Same seed and times → same organisation. Default 1. */
  seed?: string | number;
  /** Default: `toMs` − 3 days. */
  fromMs?: number;
  /** Default: now. */
  toMs?: number;
  /** Default 50. */
  conversations?: number;
  /** Active agents; default 8. */
  agents?: number;
  /** Agents who left (users in state `deleted`, still named in old conversations); default 2. */
  deletedAgents?: number;
  queues?: number;
  divisions?: number;
  wrapUpCodes?: number;
  /** Bytes of each media file: a number or [min, max]; default [4096, 65536]. */
  recordingBytes?: number | readonly [number, number];
  mix?: Partial<OrgMix>;
}

/** The default mix: every case shows up in an organisation of a few hundred conversations. */
export const DEFAULT_MIX: OrgMix = {
  nonVoice: 0.05,
  inProgress: 0.03,
  notRecorded: 0.1,
  screen: 0.05,
  outbound: 0.2,
  external: 0.05,
  protected: 0.03,
  late: 0.03,
  sameStart: 0.03,
  uploading: 0.04,
  archived: 0.03,
  deleted: 0.02,
  error: 0.02,
};

const FIRST = [
  'Ada',
  'Ben',
  'Chloe',
  'Dev',
  'Elena',
  'Farid',
  'Grace',
  'Hugo',
  'Ines',
  'Jonas',
  'Kira',
  'Liam',
];
const LAST = [
  'Okafor',
  'Novak',
  'Silva',
  'Tanaka',
  'Murphy',
  'Larsen',
  'Haddad',
  'Kowalski',
  'Rossi',
  'Byrne',
];
const QUEUES = ['Sales', 'Support', 'Billing', 'Retention', 'Technical', 'Claims', 'Bookings', 'VIP'];
const DIVISIONS = ['Home', 'EMEA', 'Americas', 'APAC'];
const WRAP_UPS = ['Resolved', 'Callback requested', 'Escalated', 'Wrong number', 'Sale', 'Complaint'];
const DEPARTMENTS = ['Customer Care', 'Sales', 'Back Office'];
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

function named(rnd: SeededRandom, names: readonly string[], count: number): SimNamed[] {
  return Array.from({ length: count }, (_, i) => ({
    id: rnd.uuid(),
    name:
      i < names.length
        ? (names[i] ?? '')
        : `${names[i % names.length] ?? 'Item'} ${Math.floor(i / names.length) + 1}`,
  }));
}

function makeUsers(rnd: SeededRandom, count: number, deleted: number, divisions: SimNamed[]): SimUser[] {
  const users: SimUser[] = [];
  for (let i = 0; i < count + deleted; i++) {
    const first = FIRST[i % FIRST.length] ?? 'Agent';
    const last = LAST[(i * 7 + Math.floor(i / FIRST.length)) % LAST.length] ?? String(i);
    const handle = `${first}.${last}${i >= FIRST.length ? String(i) : ''}`.toLowerCase();
    users.push({
      id: rnd.uuid(),
      name: `${first} ${last}`,
      username: `${handle}@example.com`,
      email: `${handle}@example.com`,
      department: rnd.pick(DEPARTMENTS),
      title: rnd.chance(0.3) ? 'Senior Agent' : 'Agent',
      divisionId: rnd.pick(divisions).id,
      state: i < count ? 'active' : 'deleted',
    });
  }
  return users;
}

function pickFileState(rnd: SeededRandom, mix: OrgMix): FileState {
  const draw = rnd.next();
  let edge = mix.uploading;
  if (draw < edge) return 'UPLOADING';
  if (draw < (edge += mix.archived)) return 'ARCHIVED';
  if (draw < (edge += mix.deleted)) return 'DELETED';
  if (draw < edge + mix.error) return 'ERROR';
  return 'AVAILABLE';
}

/** Generates an organisation; deterministic for a given spec (including its times). */
export function generateOrg(spec: OrgSpec = {}): SimOrg {
  const rnd = new SeededRandom(spec.seed ?? 1);
  const mix: OrgMix = { ...DEFAULT_MIX, ...spec.mix };
  const toMs = spec.toMs ?? Date.now();
  const fromMs = spec.fromMs ?? toMs - 72 * HOUR;
  if (!(fromMs < toMs)) throw new Error('generateOrg: fromMs must be before toMs');
  const divisions = named(rnd, DIVISIONS, Math.max(1, spec.divisions ?? 2));
  const org = new SimOrg({
    id: rnd.uuid(),
    name: `Simulated org ${String(spec.seed ?? 1)}`,
    users: makeUsers(rnd, Math.max(1, spec.agents ?? 8), spec.deletedAgents ?? 2, divisions),
    queues: named(rnd, QUEUES, Math.max(1, spec.queues ?? 3)),
    divisions,
    wrapUpCodes: named(rnd, WRAP_UPS, Math.max(1, spec.wrapUpCodes ?? 4)),
    conversations: [],
  });
  const users = [...org.users.values()];
  const deletedUsers = users.filter((u) => u.state === 'deleted');
  const activeUsers = users.filter((u) => u.state === 'active');
  const count = spec.conversations ?? 50;
  const span = toMs - fromMs;
  let previousStart: number | undefined;
  for (let i = 0; i < count; i++) {
    const inProgress = rnd.chance(mix.inProgress);
    const nonVoice = !inProgress && rnd.chance(mix.nonVoice);
    const duration = rnd.int(30_000, Math.max(30_000, Math.min(15 * MINUTE, Math.floor(span / 2))));
    let startMs: number;
    if (inProgress) {
      // Started recently (relative to toMs) and still running.
      startMs = toMs - rnd.int(MINUTE, Math.min(20 * MINUTE, span));
    } else if (previousStart !== undefined && rnd.chance(mix.sameStart) && previousStart + duration <= toMs) {
      startMs = previousStart;
    } else {
      startMs = fromMs + Math.floor(rnd.next() * Math.max(1, span - duration));
    }
    const recorded = nonVoice || !rnd.chance(mix.notRecorded);
    const recordingCount = recorded ? (rnd.chance(0.6) ? 1 : rnd.chance(0.75) ? 2 : 3) : 0;
    const fileState = inProgress ? 'UPLOADING' : pickFileState(rnd, mix);
    const endMs = startMs + duration;
    // Agents who left later appear mostly in the older half of the span.
    const useDeleted = deletedUsers.length > 0 && startMs < fromMs + span / 2 && rnd.chance(0.3);
    const agentPool = useDeleted ? deletedUsers : activeUsers;
    const late = !inProgress && rnd.chance(mix.late);
    const conversation = buildConversation(org, {
      random: rnd,
      startMs,
      durationMs: inProgress ? toMs - startMs : duration,
      inProgress,
      direction: rnd.chance(mix.outbound) ? 'outbound' : 'inbound',
      mediaType: nonVoice ? 'chat' : 'voice',
      recordings: recordingCount,
      fileState,
      ...(fileState === 'UPLOADING' && !inProgress
        ? { availableAt: endMs + rnd.int(5 * MINUTE, 2 * HOUR) }
        : {}),
      screen: !nonVoice && recorded && rnd.chance(mix.screen),
      sizeBytes: spec.recordingBytes ?? [4096, 65536],
      protected: rnd.chance(mix.protected),
      ...(late ? { visibleFrom: endMs + rnd.int(2 * HOUR, 6 * HOUR) } : {}),
      agentIds: [rnd.pick(agentPool).id, ...(rnd.chance(0.2) ? [rnd.pick(activeUsers).id] : [])],
      customerPurpose: rnd.chance(mix.external) ? 'external' : 'customer',
    });
    org.addConversation(conversation);
    previousStart = startMs;
  }
  return org;
}
