import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { parseCdrXml } from '../src/archive/cdr.js';
import { addConversation, generateOrg } from '../src/simulator/index.js';
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
    assert.deepEqual(deletedIds, [...audio(plain), ...audio(early), ...audio(withScreen)].sort());
    for (const update of log) {
      const rec = setup.sim.org.recording(update.recordingId)!;
      const grace = started + 24 * HOUR;
      if (rec.conversationId === early.id)
        assert.equal(update.deleteDate, now + 2 * HOUR, 'the earlier existing deleteDate is kept');
      else
        assert.ok(
          update.deleteDate! >= grace - 5000 && update.deleteDate! <= Date.now() + 24 * HOUR,
          'now + deleteGraceHours',
        );
    }
    assert.ok(
      !deletedIds.some((id) => setup.sim.org.recording(id)!.media !== 'audio'),
      'non-audio is never deleted',
    );
    assert.equal(report.counts.deleted, deletedIds.length);
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
      assert.equal(parsed.cdr.deleteRequested !== undefined, deletedIds.includes(parsed.cdr.recordingId), f);
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
