/**
 * The simulated organisation's data. Times are epoch milliseconds; the HTTP layer turns them into
 * the ISO-8601 strings Genesys sends. Objects are plain and mutable so tests can shape a scenario,
 * but prefer the `SimOrg` mutators, which keep the indexes right.
 */

/** Recording file states as Genesys names them (genesys-api.md §7.1). */
export type FileState =
  'AVAILABLE' | 'UPLOADING' | 'ARCHIVED' | 'DELETED' | 'ERROR' | 'RESTORED' | 'RESTORING';

/** The `formatId` values of the recordings API, plus `ORIGINAL` for the trunk codec (batch download). */
export type MediaFormat = 'WAV' | 'WEBM' | 'WAV_ULAW' | 'OGG_VORBIS' | 'OGG_OPUS' | 'MP3' | 'ORIGINAL';

/** Every transcoding format id the recordings API accepts (besides `NONE`). */
export const TRANSCODE_FORMATS: readonly MediaFormat[] = [
  'WAV',
  'WEBM',
  'WAV_ULAW',
  'OGG_VORBIS',
  'OGG_OPUS',
  'MP3',
];

/** Content types a recording may have been stored in by the trunk. */
export type OriginalContentType = 'audio/ogg' | 'audio/wav' | 'audio/opus';

/** A Genesys user; `state: 'deleted'` ones are only found with `state=deleted|any`. */
export interface SimUser {
  id: string;
  name: string;
  username: string;
  email: string;
  department?: string;
  title?: string;
  divisionId: string;
  state: 'active' | 'inactive' | 'deleted';
}

/** A named entity: queue, division or wrap-up code. */
export interface SimNamed {
  id: string;
  name: string;
}

/** One segment of a session (genesys-api.md §6). */
export interface SimSegment {
  type: string;
  startMs: number;
  /** Absent while the segment is still open (conversation in progress). */
  endMs?: number;
  queueId?: string;
  wrapUpCode?: string;
  disconnectType?: string;
}

/** One media session of a participant. */
export interface SimSession {
  id: string;
  mediaType: 'voice' | 'chat' | 'email' | 'message' | 'callback' | 'screenshare';
  direction: 'inbound' | 'outbound';
  ani?: string;
  dnis?: string;
  /** True when an audio recording was started for this session. */
  recording?: boolean;
  segments: SimSegment[];
}

/** A conversation participant. */
export interface SimParticipant {
  id: string;
  purpose: string;
  name?: string;
  userId?: string;
  /** Participant data; only the asynchronous job results carry it (as Genesys does). */
  attributes?: Record<string, string>;
  sessions: SimSession[];
}

/** A recording of a conversation. */
export interface SimRecording {
  id: string;
  conversationId: string;
  sessionId: string;
  media: 'audio' | 'screen' | 'chat';
  /** Absent for chat transcripts. */
  mediaSubtype?: 'Trunk' | 'Station' | 'Consult' | 'Screen' | 'Snippet';
  startMs: number;
  /** Absent while the conversation is in progress. */
  endMs?: number;
  /** The stored state; see `effectiveFileState` for what the API reports at a given time. */
  fileState: FileState;
  /** For `UPLOADING`: from this time on the recording is `AVAILABLE`. Absent = uploading indefinitely. */
  availableAt?: number;
  /** For `RESTORING`: from this time on the recording is `RESTORED`. Absent = restoring indefinitely. */
  restoredAt?: number;
  /** The codec the trunk stored it in: what batch download serves. */
  originalContentType: OriginalContentType;
  /** Bytes of each media file, whatever the format. */
  sizeBytes: number;
  /** `mediaUris` keys; default `['S']`. One media file per key. */
  mediaKeys: string[];
  deleteDate?: number;
  archiveDate?: number;
  /**
   * Fields that replace what the recordings API would say about it, for tests of data Genesys should
   * never send (an unreadable `startTime`, say); `undefined` drops a field.
   */
  jsonOverrides?: Record<string, unknown>;
}

/** A conversation, as analytics and the recordings API see it. */
export interface SimConversation {
  id: string;
  startMs: number;
  /** Absent while the conversation is in progress. */
  endMs?: number;
  direction: 'inbound' | 'outbound';
  divisionIds: string[];
  participants: SimParticipant[];
  recordings: SimRecording[];
  /** Legal hold: the recordings' delete date cannot be set. */
  protected: boolean;
  /** Analytics (sync, multi-get, jobs) only returns the conversation from this time on (late data). */
  visibleFrom?: number;
  /**
   * Fields that replace what analytics would say about it, for tests of data Genesys should never
   * send (an unreadable `conversationEnd`, say); `undefined` drops a field. Listing still goes by `startMs`.
   */
  jsonOverrides?: Record<string, unknown>;
}

/** One `PUT …/recordings/{id}` that changed retention, kept for tests to inspect. */
export interface RetentionUpdate {
  conversationId: string;
  recordingId: string;
  /** Epoch ms, or null when the request cleared it; absent when the request did not mention it. */
  deleteDate?: number | null;
  archiveDate?: number | null;
  /** Simulator time of the request. */
  at: number;
  clientId: string;
}
