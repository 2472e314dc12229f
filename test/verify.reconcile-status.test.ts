/** The pure decisions of `verify --reconcile` (SPEC §8.1): one status per conversation, the range, CSV fields. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { csvField } from '../src/verify/reconcile-output.js';
import {
  decideStatus,
  parseReconcileRange,
  type RetryPlace,
  type StatusInput,
} from '../src/verify/reconcile-status.js';

const NOW = Date.parse('2026-03-10T12:00:00Z');
const ID = '11111111-2222-3333-4444-555555555555';
const MINUTE = 60_000;

function input(patch: Partial<StatusInput> = {}): StatusInput {
  return {
    position: { startMs: NOW - 60 * MINUTE, conversationId: ID },
    genesys: { endMs: NOW - 50 * MINUTE, due: true },
    settled: undefined,
    retry: new Set<RetryPlace>(),
    fileProblems: [],
    unledgered: [],
    cursor: { startMs: NOW - 10 * MINUTE, conversationId: '' },
    inFrontier: false,
    nowMs: NOW,
    limits: { maxRecordingLengthMinutes: 240, availabilityDelayMinutes: 30 },
    ...patch,
  };
}

const archived = { status: 'archived' as const, recordingIds: ['r1'] };

describe('verify --reconcile: the status decision', () => {
  it('takes the settled status of the ledger', () => {
    assert.equal(decideStatus(input({ settled: archived })).status, 'archived');
    for (const status of ['notRecorded', 'gone', 'refused', 'removed'] as const)
      assert.equal(decideStatus(input({ settled: { status, recordingIds: [] } })).status, status);
  });

  it('a file the ledger says is archived and the archive lacks is missing, whatever else is recorded', () => {
    const d = decideStatus(input({ settled: archived, fileProblems: ['media a.wav is gone'] }));
    assert.deepEqual(d, { status: 'missing', detail: 'the ledger says archived, but media a.wav is gone' });
    assert.equal(
      decideStatus(input({ settled: archived, retry: new Set(['buffer']), fileProblems: ['x'] })).status,
      'missing',
    );
  });

  it('the retry buffer and dead/ come before the ledger status; removed/ before a bare retry line', () => {
    const retryLine = { status: 'retry' as const, recordingIds: [] };
    assert.equal(decideStatus(input({ settled: retryLine, retry: new Set(['buffer']) })).status, 'retry');
    assert.equal(decideStatus(input({ settled: retryLine, retry: new Set(['dead']) })).status, 'dead');
    assert.equal(decideStatus(input({ settled: retryLine, retry: new Set(['removed']) })).status, 'removed');
    assert.equal(decideStatus(input({ retry: new Set(['dead', 'removed']) })).status, 'dead');
    // `retry add --conversation` of one never settled: in the buffer.
    assert.equal(decideStatus(input({ retry: new Set(['buffer']) })).status, 'retry');
  });

  it('a ledger retry line with no entry anywhere (or only in rejected/) is missing', () => {
    const retryLine = { status: 'retry' as const, recordingIds: [] };
    assert.equal(decideStatus(input({ settled: retryLine })).status, 'missing');
    const d = decideStatus(input({ settled: retryLine, retry: new Set(['rejected']) }));
    assert.equal(d.status, 'missing');
    assert.match(d.detail, /rejected\//);
  });

  it('--deep: a recording Genesys holds that the ledger lacks makes a complete conversation missing', () => {
    const d = decideStatus(input({ settled: archived, unledgered: ['r2'] }));
    assert.equal(d.status, 'missing');
    assert.match(d.detail, /r2/);
    assert.equal(
      decideStatus(input({ settled: { status: 'notRecorded', recordingIds: [] }, unledgered: ['r2'] }))
        .status,
      'missing',
    );
    // Refused and removed ones were decided by someone: not second-guessed.
    assert.equal(
      decideStatus(input({ settled: { status: 'refused', recordingIds: [] }, unledgered: ['r2'] })).status,
      'refused',
    );
  });

  it('pending: in progress, within the availability delay, beyond the cursor, or pending in the frontier', () => {
    const inProgress = decideStatus(input({ genesys: { endMs: undefined, due: true } }));
    assert.deepEqual(inProgress, { status: 'pending', detail: 'in progress' });
    assert.equal(decideStatus(input({ genesys: { endMs: NOW - 5 * MINUTE, due: true } })).status, 'pending');
    const beyond = input({ cursor: { startMs: NOW - 2 * 60 * MINUTE, conversationId: '' } });
    assert.equal(decideStatus(beyond).status, 'pending');
    assert.equal(decideStatus(input({ inFrontier: true })).status, 'pending');
    // At the cursor itself (same start, same id): settled by the cursor's meaning, so missing.
    const atCursor = input({ cursor: { startMs: NOW - 60 * MINUTE, conversationId: ID } });
    assert.equal(decideStatus(atCursor).status, 'missing');
  });

  it('due, before the cursor and unknown to the records: missing', () => {
    const d = decideStatus(input());
    assert.equal(d.status, 'missing');
    assert.match(d.detail, /no record/);
    // In progress for longer than maxRecordingLengthMinutes: a run would have parked it.
    const overLong = input({
      position: { startMs: NOW - 300 * MINUTE, conversationId: ID },
      genesys: { endMs: undefined, due: true },
    });
    assert.equal(decideStatus(overLong).status, 'missing');
    // Refused while listed, with no readable start: nothing places it beyond the cursor.
    const undated = input({ position: { startMs: undefined, conversationId: 'bad id' }, genesys: undefined });
    assert.equal(decideStatus(undated).status, 'missing');
  });
});

describe('verify --reconcile: FROM and TO', () => {
  it('reads yyyy-MM-dd as local midnight in the timezone, and honours an offset', () => {
    assert.deepEqual(parseReconcileRange('2026-03-01', '2026-04-01', 'Europe/Dublin'), {
      fromMs: Date.parse('2026-03-01T00:00:00Z'),
      // Irish summer time starts on 29 March: midnight of 1 April is 23:00 UTC the day before.
      toMs: Date.parse('2026-03-31T23:00:00Z'),
    });
    assert.deepEqual(parseReconcileRange('2026-03-01', '2026-03-02', 'America/New_York'), {
      fromMs: Date.parse('2026-03-01T05:00:00Z'),
      toMs: Date.parse('2026-03-02T05:00:00Z'),
    });
    assert.deepEqual(parseReconcileRange('2026-03-01T10:00:00Z', '2026-03-01T12:00:00+01:00', 'Asia/Tokyo'), {
      fromMs: Date.parse('2026-03-01T10:00:00Z'),
      toMs: Date.parse('2026-03-01T11:00:00Z'),
    });
  });

  it('refuses an unreadable time or an empty range with exit 2', () => {
    for (const [from, to] of [
      ['2026-13-01', '2026-04-01'],
      ['March', '2026-04-01'],
      ['2026-04-01', '2026-03-01'],
      ['2026-03-01', '2026-03-01'],
    ] as const)
      assert.throws(
        () => parseReconcileRange(from, to, 'Europe/Dublin'),
        (error: { exitCode?: number; code?: string }) =>
          error.exitCode === 2 && error.code === 'verify.badRange',
      );
  });
});

describe('verify --reconcile: CSV fields', () => {
  it('quotes what RFC 4180 needs quoted and defuses spreadsheet formulas', () => {
    assert.equal(csvField(ID), ID);
    assert.equal(csvField('a, b'), '"a, b"');
    assert.equal(csvField('say "hi"'), '"say ""hi"""');
    assert.equal(csvField('two\nlines'), '"two\nlines"');
    assert.equal(csvField('=HYPERLINK("x")'), `"'=HYPERLINK(""x"")"`);
    assert.equal(csvField('-1'), "'-1");
    assert.equal(csvField(''), '');
  });
});
