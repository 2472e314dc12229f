/**
 * The demo's story on the simulator side: the organisation it starts with (three days of calls in
 * the default mix, so every case the pipeline handles shows up), a description of it for the
 * reader, and what "happens in Genesys" between the catch-up and the scheduled run so the retry
 * buffer visibly heals and new calls are picked up.
 */
import type { FileState, SimConversation } from './model.js';
import { DEFAULT_MIX, generateOrg, type SimOrg } from './org.js';

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

/** Small media files keep the demo fast; their size does not change what the tool does with them. */
export const DEMO_RECORDING_BYTES: readonly [number, number] = [4096, 32768];

function isVoice(conversation: SimConversation): boolean {
  return conversation.participants.some((p) => p.sessions.some((s) => s.mediaType === 'voice'));
}

/** Calls whose upload the demo holds back, so the catch-up shows `overdue` and the run heals it. */
const STUCK_UPLOADS = 2;

/**
 * The demo organisation: `conversations` calls over the `days` before `nowMs`, default mix. The
 * mix's uploads finish minutes after their call, so over three days they are all done by now; to
 * show an overdue recording the demo holds back the uploads of the latest few calls that ended.
 */
export function demoOrg(nowMs: number, days: number, conversations: number): SimOrg {
  const org = generateOrg({
    // A fixed seed: the same shape of organisation on every run, only shifted in time.
    seed: 'genesys-ingest-demo',
    // A minute inside the window, so the earliest call is never before recordingStartTimestamp.
    fromMs: nowMs - days * DAY + MINUTE,
    toMs: nowMs,
    conversations,
    recordingBytes: DEMO_RECORDING_BYTES,
    mix: DEFAULT_MIX,
  });
  const candidates = org.conversations
    .filter(
      (c) =>
        isVoice(c) &&
        c.endMs !== undefined &&
        // Well past the availability delay, so the tool settles them instead of leaving them pending.
        c.endMs < nowMs - 10 * MINUTE &&
        org.isVisible(c, nowMs) &&
        c.recordings.some((r) => r.media === 'audio') &&
        c.recordings.every((r) => r.media !== 'audio' || r.fileState === 'AVAILABLE'),
    )
    .sort((a, b) => (b.endMs ?? 0) - (a.endMs ?? 0))
    .slice(0, STUCK_UPLOADS);
  for (const conversation of candidates) {
    for (const recording of conversation.recordings) {
      // No availableAt: uploading until changeGenesys lets it finish.
      if (recording.media === 'audio') org.setFileState(recording.id, 'UPLOADING');
    }
  }
  return org;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** A few lines telling the reader what the simulated Genesys holds, in the tool's terms. */
export function describeOrg(org: SimOrg, nowMs: number): string[] {
  const conversations = org.conversations;
  const voice = conversations.filter(isVoice);
  const inProgress = voice.filter((c) => c.endMs === undefined).length;
  const notRecorded = voice.filter((c) => !c.recordings.some((r) => r.media === 'audio')).length;
  const late = voice.filter((c) => !org.isVisible(c, nowMs)).length;
  const states = new Map<FileState, number>();
  let audio = 0;
  for (const conversation of voice) {
    for (const recording of conversation.recordings) {
      if (recording.media !== 'audio') continue;
      audio += 1;
      const state = org.effectiveFileState(recording, nowMs);
      states.set(state, (states.get(state) ?? 0) + 1);
    }
  }
  const byState = [...states.entries()]
    .sort((a, b) => b[1] - a[1])
    .map(([state, n]) => `${n} ${state}`)
    .join(', ');
  const extras = [
    `${inProgress} still in progress`,
    `${notRecorded} voice calls not recorded`,
    ...(late > 0 ? [`${late} not yet visible in analytics (late data)`] : []),
    `${conversations.filter((c) => c.protected).length} under legal hold`,
  ];
  return [
    `${plural(conversations.length, 'conversation')} (${voice.length} voice; the rest are chats, which the tool skips), ` +
      `${plural(audio, 'audio recording')}: ${byState}.`,
    `${extras.join(', ')}.`,
  ];
}

/** What `changeGenesys` did, for the heading before the scheduled run. */
export interface DemoChanges {
  restored: number;
  /** The conversation whose archived recordings were left archived (undefined when there was none). */
  keptArchived: string | undefined;
  uploaded: number;
  ended: number;
  stillRunning: number;
}

/**
 * Plays the part of Genesys between two runs. Recordings archived in Genesys are restored (state
 * RESTORED, downloadable) except those of one conversation, which stay archived so the retry
 * buffer still has something to show; uploads that had not finished finish; calls in progress end
 * (those that started too recently to be past the availability delay keep running and stay
 * pending).
 *
 * No brand-new call is added: one that started before the catch-up's window end but was not listed
 * by it would be late analytics data (found by the daily reconcile, not by `run`), and one starting
 * after it cannot be past the availability delay within the demo's few seconds.
 */
export function changeGenesys(org: SimOrg, nowMs: number, availabilityDelayMinutes: number): DemoChanges {
  const voice = org.conversations.filter(isVoice);
  const archived = voice.filter((c) =>
    c.recordings.some((r) => r.media === 'audio' && org.effectiveFileState(r, nowMs) === 'ARCHIVED'),
  );
  const keptArchived = archived[archived.length - 1]?.id;
  let restored = 0;
  let uploaded = 0;
  let ended = 0;
  let stillRunning = 0;
  // Ended this long ago, a call is past the availability delay by the time `run` lists it.
  const endMs = nowMs - availabilityDelayMinutes * MINUTE - MINUTE / 2;
  for (const conversation of voice) {
    if (conversation.endMs === undefined) {
      if (conversation.startMs < endMs - MINUTE / 2) {
        org.endConversation(conversation.id, endMs);
        ended += 1;
      } else {
        stillRunning += 1;
      }
      continue;
    }
    for (const recording of conversation.recordings) {
      if (recording.media !== 'audio') continue;
      const state = org.effectiveFileState(recording, nowMs);
      if (state === 'ARCHIVED' && conversation.id !== keptArchived) {
        org.setFileState(recording.id, 'RESTORED');
        restored += 1;
      } else if (state === 'UPLOADING') {
        org.setFileState(recording.id, 'AVAILABLE');
        uploaded += 1;
      }
    }
  }
  return { restored, keptArchived, uploaded, ended, stillRunning };
}
