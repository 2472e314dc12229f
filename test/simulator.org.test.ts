import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  addConversation,
  expectedMedia,
  generateOrg,
  mediaChunks,
  type SimConversation,
} from '../sim/src/index.js';

const TO = Date.UTC(2026, 2, 15, 9);
const FROM = TO - 3 * 86_400_000;

describe('generateOrg', () => {
  it('is deterministic for a seed and time span', () => {
    const a = generateOrg({ seed: 7, fromMs: FROM, toMs: TO, conversations: 40 });
    const b = generateOrg({ seed: 7, fromMs: FROM, toMs: TO, conversations: 40 });
    const c = generateOrg({ seed: 8, fromMs: FROM, toMs: TO, conversations: 40 });
    assert.deepEqual(a.conversations, b.conversations);
    assert.deepEqual([...a.users.values()], [...b.users.values()]);
    assert.notDeepEqual(
      a.conversations.map((x) => x.id),
      c.conversations.map((x) => x.id),
    );
  });

  it('produces every case the pipeline must handle', () => {
    const org = generateOrg({ seed: 'mix', fromMs: FROM, toMs: TO, conversations: 600 });
    const all = org.conversations;
    assert.equal(all.length, 600);
    const isVoice = (c: SimConversation) =>
      c.participants.some((p) => p.sessions.some((s) => s.mediaType === 'voice'));
    const recorded = (c: SimConversation) =>
      c.participants.some((p) => p.sessions.some((s) => s.recording === true));
    assert.ok(
      all.some((c) => c.endMs === undefined),
      'in progress',
    );
    assert.ok(
      all.some((c) => isVoice(c) && !recorded(c) && c.recordings.length === 0),
      'not recorded',
    );
    assert.ok(
      all.some((c) => !isVoice(c)),
      'non-voice',
    );
    assert.ok(
      all.some((c) => c.protected),
      'protected',
    );
    assert.ok(
      all.some((c) => c.visibleFrom !== undefined),
      'late data',
    );
    assert.ok(
      all.some((c) => c.direction === 'outbound'),
      'outbound',
    );
    assert.ok(
      all.some((c) => c.participants.some((p) => p.purpose === 'external')),
      'external party',
    );
    assert.ok(
      all.some((c, i) => i > 0 && all[i - 1]?.startMs === c.startMs),
      'equal start times',
    );
    const recordings = org.recordings;
    for (const state of ['AVAILABLE', 'UPLOADING', 'ARCHIVED', 'DELETED', 'ERROR'] as const) {
      assert.ok(
        recordings.some((r) => r.fileState === state),
        state,
      );
    }
    assert.ok(
      recordings.some((r) => r.media === 'screen'),
      'screen',
    );
    assert.ok(
      recordings.some((r) => r.fileState === 'UPLOADING' && r.availableAt !== undefined),
      'uploading with availableAt',
    );
    for (const type of ['audio/ogg', 'audio/wav', 'audio/opus'] as const) {
      assert.ok(
        recordings.some((r) => r.originalContentType === type),
        type,
      );
    }
    const counts = all
      .filter((c) => c.recordings.some((r) => r.media === 'audio'))
      .map((c) => c.recordings.filter((r) => r.media === 'audio').length);
    assert.ok(counts.every((n) => n >= 1 && n <= 3));
    assert.ok([1, 2, 3].every((n) => counts.includes(n)));
    const deletedIds = new Set([...org.users.values()].filter((u) => u.state === 'deleted').map((u) => u.id));
    assert.ok(
      all.some((c) => c.participants.some((p) => p.userId !== undefined && deletedIds.has(p.userId))),
      'deleted agent',
    );
    // Every recording belongs to a session that says it recorded.
    for (const c of all) {
      for (const r of c.recordings.filter((x) => x.media === 'audio')) {
        const session = c.participants.flatMap((p) => p.sessions).find((s) => s.id === r.sessionId);
        assert.equal(session?.recording, true);
      }
      assert.ok(c.startMs >= FROM && c.startMs < TO);
      if (c.endMs !== undefined) assert.ok(c.endMs <= TO);
    }
  });
});

describe('SimOrg mutators', () => {
  it('ends a conversation and lets its recordings finish uploading', () => {
    const org = generateOrg({ conversations: 0, toMs: TO });
    const c = addConversation(org, { startMs: TO - 60_000, inProgress: true, recordings: 2 });
    assert.equal(c.endMs, undefined);
    const [r] = c.recordings;
    assert.ok(r);
    assert.equal(org.effectiveFileState(r, TO + 10 ** 9), 'UPLOADING');
    org.endConversation(c.id, TO, { uploadMs: 30_000 });
    assert.equal(c.endMs, TO);
    assert.ok(
      c.participants.every((p) => p.sessions.every((s) => s.segments.every((g) => g.endMs !== undefined))),
    );
    assert.equal(org.effectiveFileState(r, TO + 29_999), 'UPLOADING');
    assert.equal(org.effectiveFileState(r, TO + 30_000), 'AVAILABLE');
  });

  it('changes file states, protection, visibility, and finds conversations by start', () => {
    const org = generateOrg({ conversations: 0, toMs: TO });
    const c = addConversation(org, { startMs: TO - 3_600_000 });
    const r = c.recordings[0];
    assert.ok(r);
    org.setFileState(r.id, 'ARCHIVED');
    assert.equal(org.effectiveFileState(r, TO), 'ARCHIVED');
    r.deleteDate = TO - 1;
    assert.equal(org.effectiveFileState(r, TO), 'DELETED');
    org.protect(c.id);
    assert.equal(org.conversation(c.id)?.protected, true);
    org.setVisibleFrom(c.id, TO + 1);
    assert.equal(org.isVisible(c, TO), false);
    assert.equal(org.isVisible(c, TO + 1), true);
    assert.deepEqual(org.startingBetween(TO - 3_600_000, TO - 3_599_999), [c]);
    assert.deepEqual(org.startingBetween(TO - 3_599_999, TO), []);
    org.removeConversation(c.id);
    assert.equal(org.recording(r.id), undefined);
    assert.throws(() => org.protect(c.id));
  });
});

describe('media bytes', () => {
  it('streams exactly sizeBytes in bounded chunks, for any size', () => {
    for (const sizeBytes of [0, 1, 27, 28, 44, 65_307, 65_308, 300_001]) {
      for (const format of ['WAV', 'MP3', 'OGG_OPUS', 'ORIGINAL'] as const) {
        const rec = {
          id: `r-${sizeBytes}`,
          media: 'audio' as const,
          originalContentType: 'audio/opus' as const,
          sizeBytes,
        };
        let total = 0;
        for (const chunk of mediaChunks(rec, format)) {
          assert.ok(chunk.length <= 65_536 + 282);
          total += chunk.length;
        }
        assert.equal(total, sizeBytes, `${format} ${sizeBytes}`);
        assert.equal(expectedMedia(rec, format).size, sizeBytes);
      }
    }
  });

  it('differs per media key and does not repeat across blocks', () => {
    const rec = {
      id: 'keys',
      media: 'audio' as const,
      originalContentType: 'audio/ogg' as const,
      sizeBytes: 200_000,
    };
    assert.notEqual(expectedMedia(rec, 'MP3', 'S').sha256, expectedMedia(rec, 'MP3', 'L').sha256);
    const bytes = Buffer.concat([...mediaChunks(rec, 'MP3')]);
    assert.notDeepEqual(bytes.subarray(3, 3 + 4096), bytes.subarray(65_539, 65_539 + 4096));
  });
});
