/**
 * The settle rules as pure functions (SPEC §4.2, §4.3), so the decisions that decide whether a
 * recording can be lost are tested on their own, away from I/O.
 */
export interface VerdictFacts {
  startMs: number;
  /** Undefined while the conversation is in progress. */
  endMs: number | undefined;
  /** One of its voice sessions has `recording: true`. */
  due: boolean;
}

export interface SettleLimits {
  maxRecordingLengthMinutes: number;
  availabilityDelayMinutes: number;
}

export type Verdict =
  /** Not settled yet; the cursor stays before it. */
  | { kind: 'pending'; reason: 'inProgress' | 'awaitingAvailability' }
  /** In progress for longer than anything expected: alert and a per-conversation retry entry; the cursor may pass. */
  | { kind: 'overMaxLength' }
  | { kind: 'notRecorded' }
  /** Ready: list its recordings and archive them. */
  | { kind: 'ready' };

export function settleVerdict(conv: VerdictFacts, nowMs: number, limits: SettleLimits): Verdict {
  if (conv.endMs === undefined) {
    return nowMs - conv.startMs > limits.maxRecordingLengthMinutes * 60_000
      ? { kind: 'overMaxLength' }
      : { kind: 'pending', reason: 'inProgress' };
  }
  if (nowMs - conv.endMs < limits.availabilityDelayMinutes * 60_000)
    return { kind: 'pending', reason: 'awaitingAvailability' };
  return conv.due ? { kind: 'ready' } : { kind: 'notRecorded' };
}

export type RecordingAction =
  | 'download'
  /** UPLOADING or transcoding: not available yet (polled for a while in this run). */
  | 'notYet'
  /** RESTORING: Genesys brings it back from its archive, which takes hours; retry buffer, no alert (SPEC §8.3). */
  | 'restoring'
  /** ARCHIVED: alert archivedInGenesys, retry buffer. */
  | 'archived'
  /** DELETED: `gone`, alert deletedInGenesys, not retried. */
  | 'gone'
  /** ERROR: `failed`, alert recordingError, not retried. */
  | 'error'
  /** Not audio (screen etc.): counted in skippedNonAudio, never deleted. */
  | 'skipNonAudio';

export function recordingAction(rec: {
  media?: string | undefined;
  fileState?: string | undefined;
}): RecordingAction {
  if (rec.media !== undefined && rec.media !== 'audio') return 'skipNonAudio';
  switch (rec.fileState) {
    case 'AVAILABLE':
    case 'RESTORED':
      return 'download';
    case 'ARCHIVED':
      return 'archived';
    case 'RESTORING':
      return 'restoring';
    case 'DELETED':
      return 'gone';
    case 'ERROR':
      return 'error';
    default:
      // UPLOADING, an absent or unknown state: never taken as "no recording".
      return 'notYet';
  }
}

/**
 * An ARCHIVED recording with `restoreArchived` (SPEC §8.3): ask Genesys to restore it unless this
 * tool asked less than `restoreDays` ago (Genesys keeps a restore that long; asking again sooner
 * would only spend the organisation's restorations). A mark that cannot be read asks again.
 */
export function restoreDue(requestedAt: string | undefined, nowMs: number, restoreDays: number): boolean {
  const at = requestedAt === undefined ? NaN : Date.parse(requestedAt);
  // A mark more than a day ahead of now (a clock that was far off) is not trusted either.
  if (!Number.isFinite(at) || at - nowMs > 86_400_000) return true;
  return nowMs - at >= restoreDays * 86_400_000;
}

/** Archive file extension for a configured codec, or for ORIGINAL from the served Content-Type (SPEC §3.4). */
export function mediaExtension(codec: string, contentType: string | undefined): string {
  switch (codec) {
    case 'WAV':
    case 'WAV_ULAW':
      return 'wav';
    case 'WEBM':
      return 'webm';
    case 'OGG_VORBIS':
      return 'ogg';
    case 'OGG_OPUS':
      return 'opus';
    case 'MP3':
      return 'mp3';
    default:
      break;
  }
  const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  return extensionByType.get(type) ?? 'bin';
}

/** SPEC §3.4's table, and nothing else: a Map has no inherited keys (`constructor`, `__proto__`). */
const extensionByType: ReadonlyMap<string, string> = new Map([
  ['audio/ogg', 'ogg'],
  ['audio/opus', 'opus'],
  ['audio/wav', 'wav'],
  ['audio/x-wav', 'wav'],
  ['audio/wave', 'wav'],
  ['audio/mpeg', 'mp3'],
  ['audio/webm', 'webm'],
]);

/** Beyond this the skew between the local clock and the API's raises alert `clockSkew`; the API's clock is always used (SPEC §4 step 2). */
export const CLOCK_SKEW_LIMIT_MS = 60_000;

/** now − availability delay: where listing stops, the latest a cursor may be set, what lag is measured against. */
export function windowEndAt(nowMs: number, availabilityDelayMinutes: number): number {
  return nowMs - availabilityDelayMinutes * 60_000;
}

/** Whole minutes the cursor lags behind now − availability delay (never negative). */
export function lagMinutes(cursorMs: number, nowMs: number, availabilityDelayMinutes: number): number {
  return Math.max(0, Math.floor((windowEndAt(nowMs, availabilityDelayMinutes) - cursorMs) / 60_000));
}
