import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { addConversation, generateOrg } from '../sim/src/index.js';
import { archiveFiles, expectedArchive, QUIET_MIX, startSimWorkspace } from './helpers/sim.js';
import { cursorTime, ingest, readCursorLine, retryEntries } from './helpers/run.js';

const MIN = 60_000;
const HOUR = 60 * MIN;

describe('run: settle rules against the simulator', () => {
  it('a mixed organisation: every due recording archived, parked or reported, never lost', async (t) => {
    const now = Date.now();
    const setup = await startSimWorkspace({
      spec: { seed: 'mixed', conversations: 200, fromMs: now - 2 * 24 * HOUR, toMs: now - 5 * MIN },
    });
    t.after(() => setup.cleanup());
    const { ws, sim } = setup;
    const { result, report } = await ingest(ws);
    assert.equal(result.code, 1, 'alerts were raised');
    const expected = expectedArchive(sim.org, 'WAV', 'wav', 'Europe/Dublin', Date.now(), 2);
    const media = (await archiveFiles(ws.archiveDir)).filter((f) => f.endsWith('.wav'));
    assert.deepEqual(media, [...expected.values()].map((e) => e.file).sort());
    const parked = new Set((await retryEntries(ws)).map((n) => n.replace(/\.xml$/, '')));
    const reported = new Map(report.items.map((i) => [i.recordingId, i.status]));
    const cursor = cursorTime(await readCursorLine(ws));
    for (const conv of sim.org.conversations) {
      const voice = conv.participants.some((p) => p.sessions.some((s) => s.mediaType === 'voice'));
      if (!voice) continue;
      if (conv.endMs === undefined) {
        assert.ok(
          cursor <= conv.startMs,
          `the cursor did not pass conversation ${conv.id}, still in progress`,
        );
        continue;
      }
      for (const rec of conv.recordings.filter((r) => r.media === 'audio')) {
        const state = sim.org.effectiveFileState(rec, Date.now());
        if (state === 'AVAILABLE') assert.ok(expected.has(rec.id));
        else if (state === 'ARCHIVED' || state === 'UPLOADING')
          assert.ok(
            parked.has(`${conv.id}_${rec.id}`) || parked.has(conv.id),
            `${rec.id} (${state}) is in the retry buffer`,
          );
        else if (state === 'DELETED') assert.equal(reported.get(rec.id), 'gone');
        else if (state === 'ERROR') assert.equal(reported.get(rec.id), 'failed');
      }
    }
    const types = new Set(report.alerts.map((a) => a.type));
    const states = new Set(
      sim.org.recordings
        .filter((r) => r.media === 'audio' && r.endMs !== undefined)
        .map((r) => sim.org.effectiveFileState(r, Date.now())),
    );
    const alertFor: Record<string, string> = {
      ARCHIVED: 'archivedInGenesys',
      DELETED: 'deletedInGenesys',
      ERROR: 'recordingError',
    };
    for (const [state, type] of Object.entries(alertFor))
      assert.equal(types.has(type), states.has(state as never), `alert ${type} iff a recording is ${state}`);
    assert.equal(report.counts.alerts, report.alerts.length);
    assert.ok(
      report.apiRequests / report.counts.ingested <= 1.1,
      `${report.apiRequests} requests for ${report.counts.ingested} recordings`,
    );
  });

  it('a conversation still in progress holds the cursor; it is ingested once it has ended', async (t) => {
    const now = Date.now();
    const org = generateOrg({ seed: 'ivr', conversations: 0 });
    const before = addConversation(org, { startMs: now - 3 * HOUR, durationMs: 5 * MIN });
    const live = addConversation(org, { startMs: now - 2 * HOUR, inProgress: true, recordings: 1 });
    const after = addConversation(org, { startMs: now - HOUR, durationMs: 5 * MIN });
    const setup = await startSimWorkspace({
      sim: { org },
      config: { recordingStartTimestamp: new Date(now - 4 * HOUR).toISOString() },
    });
    t.after(() => setup.cleanup());
    const first = await ingest(setup.ws);
    assert.equal(first.result.code, 0, first.result.stderr);
    assert.equal(first.report.counts.pending, 1);
    assert.equal(
      first.report.counts.ingested,
      2,
      'the conversations before and after it are settled in this run',
    );
    assert.equal(await readCursorLine(setup.ws), `${before.id};${formatStamp(before.startMs)}`);
    // Ended long enough ago to be past the 2-minute availability delay.
    setup.sim.org.endConversation(live.id, Date.now() - 3 * MIN);
    const second = await ingest(setup.ws);
    assert.equal(second.result.code, 0, second.result.stderr);
    assert.equal(second.report.counts.ingested, 1);
    assert.ok(cursorTime(await readCursorLine(setup.ws)) > after.startMs);
    assert.equal((await archiveFiles(setup.ws.archiveDir)).filter((f) => f.endsWith('.wav')).length, 3);
  });

  it('a conversation that ended less than the availability delay ago is pending', async (t) => {
    const now = Date.now();
    const org = generateOrg({ seed: 'delay', conversations: 0 });
    // Started before the window end (now − 30 min), ended 15 minutes ago: listed, but not ready.
    const recent = addConversation(org, { startMs: now - 60 * MIN, durationMs: 45 * MIN });
    const setup = await startSimWorkspace({
      sim: { org },
      config: { availabilityDelayMinutes: 30, recordingStartTimestamp: new Date(now - HOUR).toISOString() },
    });
    t.after(() => setup.cleanup());
    const { result, report } = await ingest(setup.ws);
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(
      report.items.map((i) => [i.conversationId, i.status]),
      [[recent.id, 'pending']],
    );
    assert.ok(cursorTime(await readCursorLine(setup.ws)) <= recent.startMs);
    assert.equal(report.items[0]!.reason, 'awaitingAvailability');
  });

  it('a recording never available: overdue and the retry buffer; ingested from the buffer once it appears', async (t) => {
    const now = Date.now();
    const org = generateOrg({ seed: 'overdue', conversations: 0 });
    const conv = addConversation(org, {
      startMs: now - 2 * HOUR,
      durationMs: 5 * MIN,
      fileState: 'UPLOADING',
    });
    const setup = await startSimWorkspace({
      sim: { org },
      config: { recordingStartTimestamp: new Date(now - 3 * HOUR).toISOString() },
    });
    t.after(() => setup.cleanup());
    const first = await ingest(setup.ws);
    assert.equal(first.result.code, 1);
    assert.deepEqual(
      first.report.alerts.map((a) => a.type),
      ['overdue'],
    );
    const recId = conv.recordings[0]!.id;
    assert.deepEqual(await retryEntries(setup.ws), [`${conv.id}_${recId}.xml`]);
    assert.ok(
      cursorTime(await readCursorLine(setup.ws)) > conv.startMs,
      'the cursor may pass: the recording is durably parked',
    );
    const again = await ingest(setup.ws);
    assert.equal(again.result.code, 0, 'failing again from the buffer is not a first failure');
    assert.deepEqual(again.report.alerts, [], 'no new alert for the same reason');
    setup.sim.org.setFileState(recId, 'AVAILABLE');
    const healed = await ingest(setup.ws);
    assert.equal(healed.result.code, 0, healed.result.stderr);
    assert.equal(healed.report.counts.ingested, 1);
    assert.ok(healed.report.items.some((i) => i.status === 'ingested' && i.fromRetryBuffer));
    assert.deepEqual(await retryEntries(setup.ws), []);
  });

  it('in progress longer than maxRecordingLengthMinutes: overMaxLength, a per-conversation entry, and the cursor passes', async (t) => {
    const now = Date.now();
    const org = generateOrg({ seed: 'long', conversations: 0 });
    const long = addConversation(org, { startMs: now - 3 * HOUR, inProgress: true });
    const later = addConversation(org, { startMs: now - HOUR, durationMs: MIN });
    const setup = await startSimWorkspace({
      sim: { org },
      config: {
        maxRecordingLengthMinutes: 60,
        recordingStartTimestamp: new Date(now - 4 * HOUR).toISOString(),
      },
    });
    t.after(() => setup.cleanup());
    const { result, report } = await ingest(setup.ws);
    assert.equal(result.code, 1);
    assert.deepEqual(
      report.alerts.map((a) => [a.type, a.conversationId]),
      [['overMaxLength', long.id]],
    );
    assert.deepEqual(await retryEntries(setup.ws), [`${long.id}.xml`]);
    assert.ok(cursorTime(await readCursorLine(setup.ws)) > later.startMs);
  });

  it('equal start times split across pages: each conversation archived exactly once', async (t) => {
    const now = Date.now();
    const org = generateOrg({ seed: 'ties', conversations: 0 });
    const start = now - 2 * HOUR;
    for (let i = 0; i < 150; i += 1)
      addConversation(org, { startMs: start, durationMs: MIN, recordings: 1, sizeBytes: 2048 });
    const setup = await startSimWorkspace({
      sim: { org },
      config: { recordingStartTimestamp: new Date(now - 3 * HOUR).toISOString() },
    });
    t.after(() => setup.cleanup());
    const { result, report } = await ingest(setup.ws);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(report.counts.discovered, 150);
    assert.equal(report.counts.ingested, 150);
    assert.equal((await archiveFiles(setup.ws.archiveDir)).filter((f) => f.endsWith('.wav')).length, 150);
  });

  it('--dry-run lists what would be ingested and changes nothing', async (t) => {
    const now = Date.now();
    const setup = await startSimWorkspace({
      spec: { seed: 'dry', conversations: 20, fromMs: now - 5 * HOUR, toMs: now - HOUR, mix: QUIET_MIX },
      // A dry run never moves the cursor; keep this test about discovery, not the lagging alert.
      config: { maxLagMinutes: 10_000 },
    });
    t.after(() => setup.cleanup());
    const { result, report } = await ingest(setup.ws, ['--dry-run']);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(report.dryRun, true);
    assert.equal(report.counts.ingested, 0);
    assert.ok(report.items.filter((i) => i.reason.startsWith('dry run')).length >= 20);
    assert.equal(setup.sim.counts().media, 0, 'nothing downloaded');
    assert.deepEqual(await archiveFiles(setup.ws.archiveDir), []);
    await assert.rejects(readCursorLine(setup.ws), { code: 'ENOENT' }, 'no cursor written');
    // Recordings are listed without media URLs (formatId=NONE), so nothing is transcoded for a dry run.
    assert.ok(setup.sim.log.some((e) => e.method === 'GET' && e.path.includes('/recordings')));
    assert.ok(
      setup.sim.log.every(
        (e) => !e.path.includes('/recordings') || e.path.includes('formatId=NONE') || e.method !== 'GET',
      ),
    );
  });
});

function formatStamp(ms: number): string {
  const iso = new Date(ms).toISOString();
  return `${iso.slice(0, 10).replace(/-/g, '.')} ${iso.slice(11, 23)}`;
}
