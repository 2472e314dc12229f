/**
 * Restore of recordings archived in Genesys (SPEC §8.3), against the simulator: one request per
 * restoreDays, the retry buffer while Genesys restores, archived once RESTORED, deleted afterwards
 * with deleteAfterIngest; without the setting, archivedInGenesys as before.
 */
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { parseCdrXml } from '../src/archive/cdr.js';
import { addConversation, ALL_PERMISSIONS, generateOrg, type SimConversation } from '../sim/src/index.js';
import { runCli } from './helpers/cli.js';
import { archiveFiles, assertArchiveExact, startSimWorkspace } from './helpers/sim.js';
import { ingest, retryEntries } from './helpers/run.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

function archivedOrg(seed: string): { org: ReturnType<typeof generateOrg>; archived: SimConversation } {
  const now = Date.now();
  const org = generateOrg({ seed, conversations: 0 });
  addConversation(org, { startMs: now - 5 * HOUR, durationMs: MIN });
  const archived = addConversation(org, { startMs: now - 4 * HOUR, durationMs: MIN, fileState: 'ARCHIVED' });
  return { org, archived };
}

/** The restore requests the simulator received (retention updates carrying an archiveDate). */
function restoreRequests(sim: { org: { retentionLog: readonly { archiveDate?: number | null }[] } }) {
  return sim.org.retentionLog.filter((u) => u.archiveDate !== undefined);
}

function putRequests(sim: { log: readonly { method: string; route?: string }[] }): number {
  return sim.log.filter((e) => e.method === 'PUT' && e.route?.includes('/recordings/{recordingId}')).length;
}

async function entryRetry(retryDir: string, name: string): Promise<Record<string, unknown>> {
  const parsed = parseCdrXml(await fs.readFile(path.join(retryDir, name)));
  assert.equal(parsed.kind, 'retry');
  return (parsed.kind === 'retry' ? parsed.entry.retry : undefined) as unknown as Record<string, unknown>;
}

describe('run: restore of recordings archived in Genesys', () => {
  it('requests one restore, waits in the retry buffer while RESTORING, archives it once RESTORED', async (t) => {
    const { org, archived } = archivedOrg('restore');
    const rec = archived.recordings[0]!;
    const setup = await startSimWorkspace({
      sim: { org, restoreMs: 10 * HOUR },
      config: { restoreArchived: true, restoreDays: 3 },
    });
    t.after(() => setup.cleanup());
    const entry = `${archived.id}_${rec.id}.xml`;

    // A dry run says what it would do and asks nothing of Genesys.
    const dry = await ingest(setup.ws, ['--dry-run']);
    assert.equal(dry.result.code, 0, dry.result.stderr);
    const planned = dry.report.items.find((i) => i.recordingId === rec.id)!;
    assert.match(planned.reason, /^dry run: would request its restore in Genesys/);
    assert.equal(putRequests(setup.sim), 0);
    assert.deepEqual(await retryEntries(setup.ws), []);

    const before = Date.now();
    const first = await ingest(setup.ws);
    assert.equal(first.result.code, 1, 'first attempted and not archived: exit 1');
    const requests = restoreRequests(setup.sim);
    assert.equal(requests.length, 1, 'one restore request');
    assert.equal(putRequests(setup.sim), 1, 'one PUT in the request log');
    const until = requests[0]!.archiveDate!;
    assert.ok(
      until >= before + 3 * DAY - 5000 && until <= Date.now() + 3 * DAY,
      'archiveDate = now + restoreDays',
    );
    assert.equal(setup.sim.org.effectiveFileState(rec, Date.now()), 'RESTORING');
    assert.equal(first.report.counts.restoreRequested, 1);
    assert.deepEqual(first.report.alerts, [], 'no alert: nothing is asked of the operator');
    const item = first.report.items.find((i) => i.recordingId === rec.id)!;
    assert.equal(item.status, 'failed');
    assert.equal(item.reason, 'restoring');
    assert.deepEqual(await retryEntries(setup.ws), [entry]);
    const marked = await entryRetry(setup.ws.retryDir, entry);
    const at = Date.parse(String(marked.restoreRequestedAt));
    assert.ok(at >= before - 1000 && at <= Date.now(), 'the entry says when the restore was requested');
    const status = await runCli(['status', '--json', '--config', setup.ws.configPath]);
    const doc = JSON.parse(status.stdout) as { retryBuffer: { size: number; restoring: number } };
    assert.deepEqual([doc.retryBuffer.size, doc.retryBuffer.restoring], [1, 1]);

    // RESTORING: no new request, no alert, still in the buffer; a retry failing again is not exit 1.
    const second = await ingest(setup.ws);
    assert.equal(second.result.code, 0, second.result.stderr);
    assert.equal(putRequests(setup.sim), 1, 'no second PUT while RESTORING');
    assert.equal(second.report.counts.restoreRequested, 0);
    assert.deepEqual(second.report.alerts, []);
    const again = second.report.items.find((i) => i.recordingId === rec.id)!;
    assert.deepEqual([again.status, again.reason, again.fromRetryBuffer], ['failed', 'restoring', true]);
    assert.deepEqual(await retryEntries(setup.ws), [entry]);

    // Still ARCHIVED (Genesys has not started), the request younger than restoreDays: not asked again.
    setup.sim.org.setFileState(rec.id, 'ARCHIVED');
    const third = await ingest(setup.ws);
    assert.equal(putRequests(setup.sim), 1, 'no second request within restoreDays');
    assert.deepEqual(third.report.alerts, []);
    assert.equal((await entryRetry(setup.ws.retryDir, entry)).restoreRequestedAt, marked.restoreRequestedAt);

    // RESTORED: downloaded like any other recording, the entry removed.
    setup.sim.org.setFileState(rec.id, 'RESTORED');
    const fourth = await ingest(setup.ws);
    assert.equal(fourth.result.code, 0, fourth.result.stderr);
    const done = fourth.report.items.find((i) => i.recordingId === rec.id)!;
    assert.deepEqual([done.status, done.fromRetryBuffer], ['ingested', true]);
    assert.deepEqual(await retryEntries(setup.ws), []);
    await assertArchiveExact(setup);
    assert.equal(putRequests(setup.sim), 1, 'no delete: deleteAfterIngest is off');
  });

  it('asks again once the last request is older than restoreDays', async (t) => {
    const { org, archived } = archivedOrg('restore-again');
    const rec = archived.recordings[0]!;
    const setup = await startSimWorkspace({ sim: { org }, config: { restoreArchived: true } });
    t.after(() => setup.cleanup());
    await ingest(setup.ws);
    assert.equal(restoreRequests(setup.sim).length, 1);
    // Genesys' restore expired unused; the entry's mark is 8 days old (restoreDays 7 by default).
    setup.sim.org.setFileState(rec.id, 'ARCHIVED');
    const file = path.join(setup.ws.retryDir, `${archived.id}_${rec.id}.xml`);
    const old = new Date(Date.now() - 8 * DAY).toISOString();
    const xml = await fs.readFile(file, 'utf8');
    await fs.writeFile(file, xml.replace(/restoreRequestedAt="[^"]*"/, `restoreRequestedAt="${old}"`));
    const { report, result } = await ingest(setup.ws);
    assert.match(result.stderr, /1 restore requested in Genesys/, 'the summary line says so');
    assert.equal(restoreRequests(setup.sim).length, 2, 'a new request');
    assert.equal(report.counts.restoreRequested, 1);
    assert.notEqual((await entryRetry(setup.ws.retryDir, path.basename(file))).restoreRequestedAt, old);
  });

  it('with deleteAfterIngest, a restored recording is deleted in Genesys after it is archived', async (t) => {
    const { org, archived } = archivedOrg('restore-delete');
    const rec = archived.recordings[0]!;
    const setup = await startSimWorkspace({
      sim: { org, restoreMs: 0 },
      config: { restoreArchived: true, deleteAfterIngest: true },
    });
    t.after(() => setup.cleanup());
    const first = await ingest(setup.ws);
    assert.deepEqual(first.report.alerts, []);
    assert.equal(restoreRequests(setup.sim).length, 1);
    assert.ok(
      !setup.sim.org.retentionLog.some((u) => u.recordingId === rec.id && u.deleteDate !== undefined),
      'not deleted before it is archived',
    );
    const second = await ingest(setup.ws);
    assert.equal(second.result.code, 0, second.result.stderr);
    assert.equal(second.report.items.find((i) => i.recordingId === rec.id)?.status, 'ingested');
    const deletes = setup.sim.org.retentionLog.filter(
      (u) => u.recordingId === rec.id && u.deleteDate != null,
    );
    assert.equal(deletes.length, 1, 'deleted afterwards');
    const cdr = (await archiveFiles(setup.ws.archiveDir)).find((f) => f.endsWith(`${rec.id}.xml`))!;
    const parsed = parseCdrXml(await fs.readFile(path.join(setup.ws.archiveDir, cdr)));
    assert.ok(parsed.kind === 'archived' && parsed.cdr.deleteRequested !== undefined);
    assert.deepEqual(await retryEntries(setup.ws), []);
  });

  it('codec ORIGINAL: the batch download reports it unavailable; the same restore, then archived', async (t) => {
    const { org, archived } = archivedOrg('restore-original');
    const rec = archived.recordings[0]!;
    const setup = await startSimWorkspace({
      sim: { org, restoreMs: 0 },
      config: { restoreArchived: true, codec: 'ORIGINAL' },
    });
    t.after(() => setup.cleanup());
    const first = await ingest(setup.ws);
    assert.equal(restoreRequests(setup.sim).length, 1);
    assert.deepEqual(first.report.alerts, []);
    assert.equal(first.report.items.find((i) => i.recordingId === rec.id)?.reason, 'restoring');
    const second = await ingest(setup.ws);
    assert.equal(second.result.code, 0, second.result.stderr);
    assert.equal(second.report.items.find((i) => i.recordingId === rec.id)?.status, 'ingested');
    assert.equal(restoreRequests(setup.sim).length, 1);
    assert.deepEqual(await retryEntries(setup.ws), []);
  });

  it('without restoreArchived: archivedInGenesys, no request', async (t) => {
    const { org, archived } = archivedOrg('restore-off');
    const setup = await startSimWorkspace({ sim: { org } });
    t.after(() => setup.cleanup());
    const { result, report } = await ingest(setup.ws);
    assert.equal(result.code, 1);
    assert.deepEqual(
      report.alerts.map((a) => [a.type, a.recordingId]),
      [['archivedInGenesys', archived.recordings[0]!.id]],
    );
    assert.equal(report.counts.restoreRequested, 0);
    assert.equal(putRequests(setup.sim), 0);
    assert.deepEqual(await retryEntries(setup.ws), [`${archived.id}_${archived.recordings[0]!.id}.xml`]);
  });

  it('verify checks the permission with the delete probe when restoreArchived is on', async (t) => {
    const permissions = ALL_PERMISSIONS.filter((p) => p !== 'recording:recording:editRetention');
    const setup = await startSimWorkspace({
      spec: { conversations: 1 },
      sim: { clients: [{ clientId: 'limited', clientSecret: 'limited-secret-1234', permissions }] },
    });
    t.after(() => setup.cleanup());
    type Doc = { checks: { name: string; ok: boolean; hint?: string }[] };
    await setup.ws.writeConfig({ clientId: 'limited', clientSecret: 'limited-secret-1234' });
    let r = await runCli(['verify', '--json', '--config', setup.ws.configPath]);
    assert.equal(r.code, 0, r.stdout);
    assert.ok(!(JSON.parse(r.stdout) as Doc).checks.some((c) => c.name === 'permission: restore'));
    await setup.ws.writeConfig({ restoreArchived: true });
    r = await runCli(['verify', '--json', '--config', setup.ws.configPath]);
    assert.equal(r.code, 5, r.stdout);
    const check = (JSON.parse(r.stdout) as Doc).checks.find((c) => c.name === 'permission: restore')!;
    assert.equal(check.ok, false);
    assert.match(check.hint ?? '', /recording:recording:restore/);
  });
});
