import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { parseCdrXml } from '../src/archive/cdr.js';
import { addConversation, generateOrg } from '../sim/src/index.js';
import { archiveFiles, startSimWorkspace } from './helpers/sim.js';
import { ingest, retryEntries } from './helpers/run.js';

const MIN = 60_000;
const HOUR = 60 * MIN;

async function journal(dir: string): Promise<string[]> {
  return (await fs.readdir(path.join(dir, 'state', 'work', 'pol1_src1', 'deletes')).catch(() => []))
    .filter((n) => n.endsWith('.json'))
    .sort();
}

describe('run: delete after ingest', () => {
  it('only archived, verified, unprotected recordings get a deleteDate, never later than the one they had', async (t) => {
    const now = Date.now();
    const org = generateOrg({ seed: 'delete', conversations: 0 });
    const plain = addConversation(org, { startMs: now - 5 * HOUR, durationMs: MIN, recordings: 2 });
    const early = addConversation(org, { startMs: now - 4 * HOUR, durationMs: MIN });
    early.recordings[0]!.deleteDate = now + 2 * HOUR;
    const held = addConversation(org, { startMs: now - 3 * HOUR, durationMs: MIN, protected: true });
    const archivedThere = addConversation(org, {
      startMs: now - 2 * HOUR,
      durationMs: MIN,
      fileState: 'ARCHIVED',
    });
    const withScreen = addConversation(org, { startMs: now - 90 * MIN, durationMs: MIN, screen: true });
    const setup = await startSimWorkspace({
      sim: { org },
      config: { deleteAfterIngest: true, recordingStartTimestamp: new Date(now - 6 * HOUR).toISOString() },
    });
    t.after(() => setup.cleanup());
    const started = Date.now();
    const { result, report } = await ingest(setup.ws);
    assert.equal(result.code, 1, 'alerts: deleteProtected and archivedInGenesys');
    const log = setup.sim.org.retentionLog;
    const deletedIds = log.map((u) => u.recordingId).sort();
    const audio = (c: typeof plain) => c.recordings.filter((r) => r.media === 'audio').map((r) => r.id);
    // `early` already has a sooner deleteDate than now + deleteGraceHours: it is kept, without a call.
    assert.deepEqual(deletedIds, [...audio(plain), ...audio(withScreen)].sort());
    assert.equal(
      setup.sim.org.recording(early.recordings[0]!.id)!.deleteDate,
      now + 2 * HOUR,
      'the earlier existing deleteDate is kept',
    );
    for (const update of log) {
      const grace = started + 24 * HOUR;
      assert.ok(
        update.deleteDate! >= grace - 5000 && update.deleteDate! <= Date.now() + 24 * HOUR,
        'now + deleteGraceHours',
      );
    }
    assert.ok(
      !deletedIds.some((id) => setup.sim.org.recording(id)!.media !== 'audio'),
      'non-audio is never deleted',
    );
    assert.equal(report.counts.deleted, deletedIds.length + 1, 'early counts as deleted');
    assert.deepEqual(report.alerts.map((a) => a.type).sort(), ['archivedInGenesys', 'deleteProtected']);
    assert.deepEqual(await journal(setup.ws.dir), [`${held.id}_${held.recordings[0]!.id}.json`]);
    assert.deepEqual(await retryEntries(setup.ws), [
      `${archivedThere.id}_${archivedThere.recordings[0]!.id}.xml`,
    ]);
    const cdrs = (await archiveFiles(setup.ws.archiveDir)).filter((f) => f.endsWith('.xml'));
    for (const f of cdrs) {
      const parsed = parseCdrXml(await fs.readFile(path.join(setup.ws.archiveDir, f)));
      assert.equal(parsed.kind, 'archived');
      if (parsed.kind !== 'archived') continue;
      assert.equal(
        parsed.cdr.deleteRequested !== undefined,
        deletedIds.includes(parsed.cdr.recordingId) || parsed.cdr.conversationId === early.id,
        f,
      );
    }
    // The protected one is checked again each run, without a second alert; lifted, it is deleted.
    const again = await ingest(setup.ws);
    assert.deepEqual(again.report.alerts, []);
    setup.sim.org.protect(held.id, false);
    const third = await ingest(setup.ws);
    assert.equal(third.report.counts.deleted, 1);
    assert.deepEqual(await journal(setup.ws.dir), []);
  });

  it('a failed delete is tried again in a later run; a tampered archive copy is never deleted', async (t) => {
    const now = Date.now();
    const org = generateOrg({ seed: 'delete-fail', conversations: 0 });
    const a = addConversation(org, { startMs: now - 5 * HOUR, durationMs: MIN });
    const b = addConversation(org, { startMs: now - 4 * HOUR, durationMs: MIN });
    const setup = await startSimWorkspace({
      sim: { org },
      config: { deleteAfterIngest: true, recordingStartTimestamp: new Date(now - 6 * HOUR).toISOString() },
    });
    t.after(() => setup.cleanup());
    const failing = setup.sim.faults.add({
      listener: 'api',
      method: 'PUT',
      action: { kind: 'status', status: 500 },
      times: Infinity,
    });
    const first = await ingest(setup.ws);
    assert.equal(first.result.code, 1);
    assert.equal(first.report.alerts.filter((x) => x.type === 'deleteFailed').length, 2);
    assert.equal(setup.sim.org.retentionLog.length, 0);
    assert.equal((await journal(setup.ws.dir)).length, 2);
    // Tamper with b's archived media between runs.
    const bFile = (await archiveFiles(setup.ws.archiveDir)).find(
      (f) => f.includes(b.recordings[0]!.id) && f.endsWith('.wav'),
    )!;
    await fs.appendFile(path.join(setup.ws.archiveDir, bFile), 'tampered');
    failing.remove();
    const second = await ingest(setup.ws);
    assert.deepEqual(
      setup.sim.org.retentionLog.map((u) => u.recordingId),
      [a.recordings[0]!.id],
    );
    assert.equal(second.report.counts.deleted, 1);
    assert.deepEqual(
      await journal(setup.ws.dir),
      [`${b.id}_${b.recordings[0]!.id}.json`],
      'the unverifiable one stays journaled',
    );
  });

  it('a deleteDate set sooner in Genesys after archiving is never extended (SPEC §4.5)', async (t) => {
    const now = Date.now();
    const org = generateOrg({ seed: 'delete-sooner', conversations: 0 });
    const held = addConversation(org, { startMs: now - 5 * HOUR, durationMs: MIN, protected: true });
    const other = addConversation(org, { startMs: now - 4 * HOUR, durationMs: MIN, protected: true });
    // At archiving both carry a retention deleteDate 30 days out.
    held.recordings[0]!.deleteDate = now + 30 * 24 * HOUR;
    other.recordings[0]!.deleteDate = now + 30 * 24 * HOUR;
    const setup = await startSimWorkspace({
      sim: { org },
      config: { deleteAfterIngest: true, recordingStartTimestamp: new Date(now - 6 * HOUR).toISOString() },
    });
    t.after(() => setup.cleanup());
    const first = await ingest(setup.ws);
    assert.equal(first.result.code, 1, 'deleteProtected alerts');
    assert.equal((await journal(setup.ws.dir)).length, 2, 'both deletes journaled while protected');
    assert.equal(setup.sim.org.retentionLog.length, 0);
    // In Genesys: one recording's deleteDate is set 2 hours out, the other's 48 hours; the hold is lifted.
    const heldRec = held.recordings[0]!.id;
    const otherRec = other.recordings[0]!.id;
    const sooner = Date.now() + 2 * HOUR;
    setup.sim.org.setDeleteDate(heldRec, sooner);
    setup.sim.org.setDeleteDate(otherRec, Date.now() + 48 * HOUR);
    setup.sim.org.protect(held.id, false);
    setup.sim.org.protect(other.id, false);
    const started = Date.now();
    const second = await ingest(setup.ws);
    assert.equal(second.result.code, 0, second.result.stderr);
    assert.equal(second.report.counts.deleted, 2);
    assert.deepEqual(await journal(setup.ws.dir), []);
    for (const update of setup.sim.org.retentionLog.filter((u) => u.recordingId === heldRec))
      assert.ok(update.deleteDate! <= sooner, 'no later deleteDate than the current one is sent');
    assert.equal(setup.sim.org.recording(heldRec)!.deleteDate, sooner, 'the sooner deleteDate is kept');
    const otherUpdates = setup.sim.org.retentionLog.filter((u) => u.recordingId === otherRec);
    assert.equal(otherUpdates.length, 1, 'a later current deleteDate is brought forward');
    assert.ok(
      otherUpdates[0]!.deleteDate! >= started + 24 * HOUR - 5000 &&
        otherUpdates[0]!.deleteDate! <= Date.now() + 24 * HOUR,
      'now + deleteGraceHours',
    );
    const cdr = (await archiveFiles(setup.ws.archiveDir)).find((f) => f.endsWith(`${heldRec}.xml`))!;
    const parsed = parseCdrXml(await fs.readFile(path.join(setup.ws.archiveDir, cdr)));
    assert.ok(parsed.kind === 'archived');
    assert.equal(
      parsed.cdr.deleteRequested?.deleteDate,
      new Date(sooner).toISOString(),
      'the CDR names the date Genesys deletes it',
    );
  });

  it('a journal replay after a crash reads the current deleteDate, not the one remembered at archiving', async (t) => {
    const now = Date.now();
    const org = generateOrg({ seed: 'delete-crash-sooner', conversations: 0 });
    const a = addConversation(org, { startMs: now - 5 * HOUR, durationMs: MIN });
    a.recordings[0]!.deleteDate = now + 30 * 24 * HOUR;
    const setup = await startSimWorkspace({
      sim: { org },
      config: { deleteAfterIngest: true, recordingStartTimestamp: new Date(now - 6 * HOUR).toISOString() },
    });
    t.after(() => setup.cleanup());
    const crashed = await ingest(setup.ws, [], { GENESYS_INGEST_CRASH_AT: 'before-delete-call' }).catch(
      (e: Error) => e,
    );
    assert.ok(crashed instanceof Error, 'the run was killed before it could print a report');
    assert.equal((await journal(setup.ws.dir)).length, 1);
    const recId = a.recordings[0]!.id;
    const sooner = Date.now() + 2 * HOUR;
    setup.sim.org.setDeleteDate(recId, sooner);
    const next = await ingest(setup.ws);
    assert.equal(next.result.code, 0, next.result.stderr);
    assert.equal(next.report.counts.deleted, 1);
    for (const update of setup.sim.org.retentionLog)
      assert.ok(update.deleteDate! <= sooner, 'no later deleteDate than the current one is sent');
    assert.equal(setup.sim.org.recording(recId)!.deleteDate, sooner);
    assert.deepEqual(await journal(setup.ws.dir), []);
  });

  it('a crash between the journal and the call: the next run carries the delete out', async (t) => {
    const now = Date.now();
    const org = generateOrg({ seed: 'delete-crash', conversations: 0 });
    const a = addConversation(org, { startMs: now - 5 * HOUR, durationMs: MIN });
    const setup = await startSimWorkspace({
      sim: { org },
      config: { deleteAfterIngest: true, recordingStartTimestamp: new Date(now - 6 * HOUR).toISOString() },
    });
    t.after(() => setup.cleanup());
    const crashed = await ingest(setup.ws, [], { GENESYS_INGEST_CRASH_AT: 'before-delete-call' }).catch(
      (e: Error) => e,
    );
    assert.ok(crashed instanceof Error, 'the run was killed before it could print a report');
    assert.equal(setup.sim.org.retentionLog.length, 0);
    assert.equal((await journal(setup.ws.dir)).length, 1);
    const next = await ingest(setup.ws);
    assert.equal(next.result.code, 0, next.result.stderr);
    assert.deepEqual(
      setup.sim.org.retentionLog.map((u) => u.recordingId),
      [a.recordings[0]!.id],
    );
    assert.deepEqual(await journal(setup.ws.dir), []);
  });
});
