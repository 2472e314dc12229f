/**
 * The simulated organisation: users, queues, divisions, wrap-up codes and conversations, with the
 * indexes the API needs and mutators tests call while a simulator is running (end a conversation,
 * let a recording finish uploading, protect a conversation, ...).
 */
import type {
  FileState,
  RetentionUpdate,
  SimConversation,
  SimNamed,
  SimRecording,
  SimUser,
} from './model.js';

/** What `SimOrg` is built from. */
export interface SimOrgInit {
  id: string;
  name: string;
  users: SimUser[];
  queues: SimNamed[];
  divisions: SimNamed[];
  wrapUpCodes: SimNamed[];
  conversations: SimConversation[];
}

function compareConversations(a: SimConversation, b: SimConversation): number {
  if (a.startMs !== b.startMs) return a.startMs - b.startMs;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** A Genesys organisation held in memory. */
export class SimOrg {
  readonly id: string;
  readonly name: string;
  readonly users = new Map<string, SimUser>();
  readonly queues: SimNamed[];
  readonly divisions: SimNamed[];
  readonly wrapUpCodes: SimNamed[];
  /** Every retention change made through the API, oldest first. */
  readonly retentionLog: RetentionUpdate[] = [];
  private readonly byId = new Map<string, SimConversation>();
  private readonly recordingsById = new Map<string, SimRecording>();
  private sorted: SimConversation[] = [];
  private dirty = false;

  constructor(init: SimOrgInit) {
    this.id = init.id;
    this.name = init.name;
    this.queues = init.queues;
    this.divisions = init.divisions;
    this.wrapUpCodes = init.wrapUpCodes;
    for (const user of init.users) this.users.set(user.id, user);
    for (const conversation of init.conversations) this.addConversation(conversation);
  }

  /** All conversations, ordered by (start, id). */
  get conversations(): readonly SimConversation[] {
    if (this.dirty) {
      this.sorted.sort(compareConversations);
      this.dirty = false;
    }
    return this.sorted;
  }

  /** Every recording of every conversation. */
  get recordings(): SimRecording[] {
    return this.conversations.flatMap((c) => c.recordings);
  }

  conversation(id: string): SimConversation | undefined {
    return this.byId.get(id);
  }

  recording(id: string): SimRecording | undefined {
    return this.recordingsById.get(id);
  }

  user(id: string): SimUser | undefined {
    return this.users.get(id);
  }

  /** Conversations whose start lies in [fromMs, toMs), ordered by (start, id). */
  startingBetween(fromMs: number, toMs: number): SimConversation[] {
    const list = this.conversations;
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((list[mid]?.startMs ?? Infinity) < fromMs) lo = mid + 1;
      else hi = mid;
    }
    const out: SimConversation[] = [];
    for (let i = lo; i < list.length; i++) {
      const c = list[i];
      if (c === undefined || c.startMs >= toMs) break;
      out.push(c);
    }
    return out;
  }

  /** Adds a conversation (and indexes its recordings). Ids must be new. */
  addConversation(conversation: SimConversation): SimConversation {
    if (this.byId.has(conversation.id)) throw new Error(`conversation ${conversation.id} already exists`);
    for (const recording of conversation.recordings) {
      if (this.recordingsById.has(recording.id)) throw new Error(`recording ${recording.id} already exists`);
      recording.conversationId = conversation.id;
      this.recordingsById.set(recording.id, recording);
    }
    this.byId.set(conversation.id, conversation);
    this.sorted.push(conversation);
    this.dirty = true;
    return conversation;
  }

  /** Removes a conversation entirely (as if it never existed). */
  removeConversation(id: string): void {
    const conversation = this.mustConversation(id);
    this.byId.delete(id);
    for (const recording of conversation.recordings) this.recordingsById.delete(recording.id);
    this.sorted = this.sorted.filter((c) => c.id !== id);
  }

  /** Adds a recording to an existing conversation. */
  addRecording(conversationId: string, recording: SimRecording): SimRecording {
    const conversation = this.mustConversation(conversationId);
    if (this.recordingsById.has(recording.id)) throw new Error(`recording ${recording.id} already exists`);
    recording.conversationId = conversationId;
    conversation.recordings.push(recording);
    this.recordingsById.set(recording.id, recording);
    return recording;
  }

  addUser(user: SimUser): void {
    this.users.set(user.id, user);
  }

  /** Marks a user as deleted (left the company). */
  deleteUser(userId: string): void {
    const user = this.users.get(userId);
    if (!user) throw new Error(`unknown user ${userId}`);
    user.state = 'deleted';
  }

  /**
   * Ends a conversation in progress at `endMs`: open segments and recordings end then, and
   * recordings still uploading become available `uploadMs` later (default at once).
   */
  endConversation(id: string, endMs: number, options: { uploadMs?: number } = {}): SimConversation {
    const conversation = this.mustConversation(id);
    conversation.endMs = endMs;
    for (const participant of conversation.participants) {
      for (const session of participant.sessions) {
        for (const segment of session.segments) segment.endMs ??= Math.max(segment.startMs, endMs);
      }
    }
    for (const recording of conversation.recordings) {
      recording.endMs ??= endMs;
      if (recording.fileState === 'UPLOADING' && recording.availableAt === undefined) {
        recording.availableAt = endMs + (options.uploadMs ?? 0);
      }
    }
    return conversation;
  }

  /**
   * Genesys' answer to a restore request: `RESTORING` until `restoredAt`, then `RESTORED` until its
   * `archiveDate` (`until`) passes.
   */
  startRestore(recordingId: string, restoredAt: number, until: number): SimRecording {
    const recording = this.mustRecording(recordingId);
    recording.fileState = 'RESTORING';
    recording.restoredAt = restoredAt;
    recording.archiveDate = until;
    return recording;
  }

  /** Sets a recording's stored file state; `availableAt` only matters for `UPLOADING`. */
  setFileState(recordingId: string, state: FileState, availableAt?: number): SimRecording {
    const recording = this.mustRecording(recordingId);
    recording.fileState = state;
    if (availableAt === undefined) delete recording.availableAt;
    else recording.availableAt = availableAt;
    return recording;
  }

  /** Puts a conversation under deletion protection (legal hold), or lifts it. */
  protect(conversationId: string, on = true): void {
    this.mustConversation(conversationId).protected = on;
  }

  /** Sets a recording's `deleteDate` as Genesys' retention would (undefined clears it). */
  setDeleteDate(recordingId: string, ms: number | undefined): void {
    const recording = this.mustRecording(recordingId);
    if (ms === undefined) delete recording.deleteDate;
    else recording.deleteDate = ms;
  }

  /** Analytics returns the conversation only from `ms` on; undefined shows it at once. */
  setVisibleFrom(conversationId: string, ms: number | undefined): void {
    const conversation = this.mustConversation(conversationId);
    if (ms === undefined) delete conversation.visibleFrom;
    else conversation.visibleFrom = ms;
  }

  /** Changes the `mediaUris` keys (media files) of a recording. */
  setMediaKeys(recordingId: string, keys: string[]): void {
    if (keys.length === 0) throw new Error('a recording needs at least one media key');
    this.mustRecording(recordingId).mediaKeys = [...keys];
  }

  /** Changes the size in bytes of each of the recording's media files. */
  setSize(recordingId: string, bytes: number): void {
    this.mustRecording(recordingId).sizeBytes = bytes;
  }

  /**
   * The file state the API reports at `now`: uploads finish, passed delete dates delete, restores
   * finish, and a restored copy is archived again once its `archiveDate` has passed.
   */
  effectiveFileState(recording: SimRecording, now: number): FileState {
    if (recording.fileState === 'DELETED') return 'DELETED';
    if (recording.deleteDate !== undefined && recording.deleteDate <= now) return 'DELETED';
    if (recording.fileState === 'RESTORING' || recording.fileState === 'RESTORED') {
      if (recording.archiveDate !== undefined && recording.archiveDate <= now) return 'ARCHIVED';
      if (recording.fileState === 'RESTORED') return 'RESTORED';
      return recording.restoredAt !== undefined && recording.restoredAt <= now ? 'RESTORED' : 'RESTORING';
    }
    if (
      recording.fileState === 'UPLOADING' &&
      recording.availableAt !== undefined &&
      recording.availableAt <= now
    ) {
      return 'AVAILABLE';
    }
    return recording.fileState;
  }

  /** True when analytics shows the conversation at `now`. */
  isVisible(conversation: SimConversation, now: number): boolean {
    return conversation.visibleFrom === undefined || conversation.visibleFrom <= now;
  }

  private mustConversation(id: string): SimConversation {
    const conversation = this.byId.get(id);
    if (!conversation) throw new Error(`unknown conversation ${id}`);
    return conversation;
  }

  private mustRecording(id: string): SimRecording {
    const recording = this.recordingsById.get(id);
    if (!recording) throw new Error(`unknown recording ${id}`);
    return recording;
  }
}
