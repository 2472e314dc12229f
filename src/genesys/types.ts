/**
 * The shapes of the Genesys requests and responses we use (research §4–§11): only the fields the
 * tool reads, all optional where Genesys may omit them (it leaves out null and empty fields).
 */

/** A predicate in an analytics filter. */
export interface QueryPredicate {
  type?: 'dimension' | 'property' | 'metric';
  dimension?: string;
  operator?: 'matches' | 'exists' | 'notExists';
  value?: string;
}

export interface QueryFilter {
  type: 'and' | 'or';
  predicates?: QueryPredicate[];
  clauses?: Array<{ type: 'and' | 'or'; predicates: QueryPredicate[] }>;
}

/** Body of the synchronous details query (`paging` is filled in by the paging helper). */
export interface ConversationQuery {
  /** ISO-8601 `start/end`, at most 7 days. */
  interval: string;
  order?: 'asc' | 'desc';
  orderBy?: 'conversationStart' | 'conversationEnd' | 'segmentStart' | 'segmentEnd';
  paging?: { pageSize: number; pageNumber: number };
  conversationFilters?: QueryFilter[];
  segmentFilters?: QueryFilter[];
}

/** Body of an asynchronous details job (no paging; `limit` caps the results). */
export interface AsyncConversationQuery {
  interval: string;
  order?: 'asc' | 'desc';
  orderBy?: 'conversationStart' | 'conversationEnd';
  conversationFilters?: QueryFilter[];
  segmentFilters?: QueryFilter[];
  limit?: number;
  startOfDayIntervalMatching?: boolean;
}

export interface AnalyticsSegment {
  segmentStart?: string;
  segmentEnd?: string;
  segmentType?: string;
  queueId?: string;
  wrapUpCode?: string;
  disconnectType?: string;
}

export interface AnalyticsSession {
  sessionId?: string;
  mediaType?: string;
  direction?: string;
  ani?: string;
  dnis?: string;
  recording?: boolean;
  segments?: AnalyticsSegment[];
}

export interface AnalyticsParticipant {
  participantId?: string;
  participantName?: string;
  purpose?: string;
  userId?: string;
  sessions?: AnalyticsSession[];
  attributes?: Record<string, string>;
}

/** A conversation as analytics returns it (sync, multi-get and async). */
export interface AnalyticsConversation {
  conversationId: string;
  conversationStart?: string;
  conversationEnd?: string;
  originatingDirection?: string;
  divisionIds?: string[];
  participants?: AnalyticsParticipant[];
}

export interface ConversationQueryResponse {
  conversations?: AnalyticsConversation[];
  totalHits?: number;
}

/** One page as the paging helper yields it. */
export interface ConversationPage {
  readonly pageNumber: number;
  readonly pageSize: number;
  readonly totalHits: number;
  readonly conversations: AnalyticsConversation[];
}

export type AsyncJobState = 'QUEUED' | 'PENDING' | 'FAILED' | 'CANCELLED' | 'FULFILLED' | 'EXPIRED';

export interface AsyncQueryStatus {
  /** One of AsyncJobState; typed loosely so an unknown state is handled, not mis-typed. */
  state?: string;
  errorMessage?: string;
  expirationDate?: string;
  submissionDate?: string;
  completionDate?: string;
}

export interface AsyncQueryResults {
  conversations?: AnalyticsConversation[];
  cursor?: string;
  dataAvailabilityDate?: string;
}

export type FileState =
  'AVAILABLE' | 'RESTORED' | 'RESTORING' | 'UPLOADING' | 'ARCHIVED' | 'DELETED' | 'ERROR';

/** `GET …/recordingmetadata` items. */
export interface RecordingMetadata {
  id: string;
  conversationId?: string;
  media?: string;
  mediaSubtype?: string;
  /** One of FileState (loosely typed: Genesys may add states). */
  fileState?: string;
  startTime?: string;
  endTime?: string;
  sessionId?: string;
  archiveDate?: string;
  deleteDate?: string;
}

export interface MediaResult {
  mediaUri?: string;
}

/** `GET …/recordings` items and the single recording. */
export interface Recording extends RecordingMetadata {
  mediaUris?: Record<string, MediaResult>;
  outputDurationMs?: number;
  outputSizeInBytes?: number;
  estimatedTranscodeTimeMs?: number;
  users?: Array<{ id?: string; name?: string }>;
}

/** The recordings of a conversation, or Genesys still transcoding them (202). */
export type RecordingsResult =
  { readonly transcoding: true } | { readonly transcoding: false; readonly recordings: Recording[] };

/** One item of a batch download. */
export interface BatchDownloadItem {
  conversationId: string;
  recordingId?: string;
}

export interface BatchDownloadResult {
  conversationId?: string;
  recordingId?: string;
  resultUrl?: string;
  contentType?: string;
  errorMsg?: string;
}

export interface BatchDownloadStatus {
  id?: string;
  jobId?: string;
  /** `InProgress` or `Completed`. */
  status?: string;
  expectedResultCount?: number;
  resultCount?: number;
  errorCount?: number;
  results?: BatchDownloadResult[];
}

/** What we keep of a Genesys user (CDR participant attributes, SPEC §3.5). */
export interface UserInfo {
  id: string;
  name?: string;
  email?: string;
  department?: string;
  title?: string;
  state?: string;
}

export interface TokenInfo {
  organization?: { id?: string; name?: string };
  OAuthClient?: { id?: string; name?: string };
  authorizedScope?: string[];
}
