import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { completeBefore, DurablePrefix } from '../src/pipeline/discover/durable-prefix.js';
import { mediaExtension, recordingAction, settleVerdict } from '../src/pipeline/settle/rules.js';
import { MAX_WINDOW_MS, planWindows, syncHorizon } from '../src/pipeline/discover/windows.js';

const MIN = 60_000;
const NOW = Date.parse('2026-06-15T12:00:00Z');
const limits = { maxRecordingLengthMinutes: 240, availabilityDelayMinutes: 30 };
const id = (n: number): string => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

describe('settle rules', () => {
  it('holds a conversation in progress, and gives up on one past the maximum length', () => {
    assert.deepEqual(settleVerdict({ startMs: NOW - 60 * MIN, endMs: undefined, due: false }, NOW, limits), {
      kind: 'pending',
      reason: 'inProgress',
    });
    assert.deepEqual(settleVerdict({ startMs: NOW - 241 * MIN, endMs: undefined, due: true }, NOW, limits), {
      kind: 'overMaxLength',
    });
    assert.deepEqual(settleVerdict({ startMs: NOW - 240 * MIN, endMs: undefined, due: true }, NOW, limits), {
      kind: 'pending',
      reason: 'inProgress',
    });
  });
  it('waits the availability delay after the end, then settles by whether it is due', () => {
    assert.deepEqual(
      settleVerdict({ startMs: NOW - 60 * MIN, endMs: NOW - 29 * MIN, due: true }, NOW, limits),
      { kind: 'pending', reason: 'awaitingAvailability' },
    );
    assert.deepEqual(
      settleVerdict({ startMs: NOW - 60 * MIN, endMs: NOW - 30 * MIN, due: true }, NOW, limits),
      { kind: 'ready' },
    );
    assert.deepEqual(
      settleVerdict({ startMs: NOW - 60 * MIN, endMs: NOW - 30 * MIN, due: false }, NOW, limits),
      { kind: 'notRecorded' },
    );
  });
  it('maps every fileState, and never takes an unknown state as "no recording"', () => {
    assert.equal(recordingAction({ media: 'audio', fileState: 'AVAILABLE' }), 'download');
    assert.equal(recordingAction({ media: 'audio', fileState: 'RESTORED' }), 'download');
    assert.equal(recordingAction({ media: 'audio', fileState: 'UPLOADING' }), 'notYet');
    assert.equal(recordingAction({ media: 'audio', fileState: 'RESTORING' }), 'restoring');
    assert.equal(recordingAction({ media: 'audio' }), 'notYet');
    assert.equal(recordingAction({ media: 'audio', fileState: 'SOMETHING_NEW' }), 'notYet');
    assert.equal(recordingAction({ media: 'audio', fileState: 'ARCHIVED' }), 'archived');
    assert.equal(recordingAction({ media: 'audio', fileState: 'DELETED' }), 'gone');
    assert.equal(recordingAction({ media: 'audio', fileState: 'ERROR' }), 'error');
    assert.equal(recordingAction({ media: 'screen', fileState: 'AVAILABLE' }), 'skipNonAudio');
  });
  it('names archive files by codec, and by Content-Type for ORIGINAL', () => {
    assert.deepEqual(
      ['WAV', 'WAV_ULAW', 'WEBM', 'OGG_VORBIS', 'OGG_OPUS', 'MP3'].map((c) => mediaExtension(c, 'x/y')),
      ['wav', 'wav', 'webm', 'ogg', 'opus', 'mp3'],
    );
    const original = [
      'audio/ogg',
      'audio/opus',
      'audio/wav',
      'audio/x-wav',
      'audio/wave',
      'audio/mpeg',
      'audio/webm',
      'AUDIO/OGG; codecs=opus',
      'application/octet-stream',
      undefined,
    ];
    assert.deepEqual(
      original.map((t) => mediaExtension('ORIGINAL', t)),
      ['ogg', 'opus', 'wav', 'wav', 'wav', 'mp3', 'webm', 'ogg', 'bin', 'bin'],
    );
  });
  it('maps a Content-Type only by its own table, never through inherited properties', () => {
    const inherited = [
      'constructor',
      'toString',
      '__proto__',
      'hasOwnProperty',
      'valueOf',
      'constructor; x=1',
    ];
    assert.deepEqual(
      inherited.map((t) => mediaExtension('ORIGINAL', t)),
      inherited.map(() => 'bin'),
    );
  });
});

describe('window planning', () => {
  it('splits into windows of at most 7 days, contiguous, covering the span exactly', () => {
    const from = NOW - 20 * 24 * 60 * MIN;
    const windows = planWindows(from, NOW, NOW);
    assert.equal(windows[0]!.fromMs, from);
    assert.equal(windows.at(-1)!.toMs, NOW);
    for (let i = 0; i < windows.length; i += 1) {
      assert.ok(windows[i]!.toMs - windows[i]!.fromMs <= MAX_WINDOW_MS);
      if (i > 0) assert.equal(windows[i]!.fromMs, windows[i - 1]!.toMs);
      assert.equal(windows[i]!.mode, 'sync');
    }
  });
  it('sends windows older than the synchronous horizon to async jobs, never straddling it', () => {
    const from = NOW - 100 * 24 * 60 * MIN;
    const windows = planWindows(from, NOW, NOW);
    const horizon = syncHorizon(NOW);
    for (const w of windows) {
      if (w.mode === 'async') assert.ok(w.toMs <= horizon);
      else assert.ok(w.fromMs >= horizon);
    }
    assert.ok(windows.some((w) => w.mode === 'async') && windows.some((w) => w.mode === 'sync'));
    assert.equal(windows.find((w) => w.mode === 'sync')!.fromMs, horizon);
  });
  it('an empty span gives no windows', () => {
    assert.deepEqual(planWindows(NOW, NOW, NOW), []);
  });
});

describe('durable prefix', () => {
  it('moves only past settled conversations, holding before the first pending one', () => {
    const p = new DurablePrefix({ startMs: 0, conversationId: '' });
    for (let n = 1; n <= 5; n += 1) p.listed({ startMs: n * 1000, conversationId: id(n) });
    p.settled(id(1));
    p.settled('never-listed'); // settling an unknown id changes nothing
    p.settled(id(3));
    p.settled(id(5));
    assert.deepEqual(p.advance({ startMs: 10_000, conversationId: '' }), {
      startMs: 1000,
      conversationId: id(1),
    });
    p.settled(id(2));
    assert.deepEqual(p.advance({ startMs: 10_000, conversationId: '' }), {
      startMs: 3000,
      conversationId: id(3),
    });
    p.settled(id(4));
    assert.deepEqual(
      p.advance({ startMs: 10_000, conversationId: '' }),
      { startMs: 10_000, conversationId: '' },
      'then to the listed bound with an empty id',
    );
  });
  it('never passes the newest start received so far (equal starts may straddle pages)', () => {
    const p = new DurablePrefix({ startMs: 0, conversationId: '' });
    p.listed({ startMs: 1000, conversationId: id(1) });
    p.listed({ startMs: 2000, conversationId: id(9) });
    p.settled(id(1));
    p.settled(id(9));
    assert.deepEqual(p.advance(completeBefore(2000)), { startMs: 2000, conversationId: '' });
    // Next page: a conversation with the same start and a smaller id.
    p.listed({ startMs: 2000, conversationId: id(3) });
    assert.deepEqual(
      p.advance(completeBefore(2000)),
      { startMs: 2000, conversationId: '' },
      'cursor did not skip id(3)',
    );
    p.settled(id(3));
    assert.deepEqual(p.advance({ startMs: 5000, conversationId: '' }), { startMs: 5000, conversationId: '' });
  });
  it('ignores conversations at or before the cursor and repeated listings', () => {
    const p = new DurablePrefix({ startMs: 5000, conversationId: id(5) });
    p.listed({ startMs: 5000, conversationId: id(4) });
    p.listed({ startMs: 5000, conversationId: id(6) });
    p.listed({ startMs: 5000, conversationId: id(6) });
    assert.equal(p.outstanding, 1);
  });
  it('keeps the cursor when nothing new is complete', () => {
    const start = { startMs: 5000, conversationId: id(5) };
    const p = new DurablePrefix(start);
    assert.deepEqual(p.advance({ startMs: 4000, conversationId: '' }), start);
  });
});
