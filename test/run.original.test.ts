import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { DateTime } from 'luxon';
import { addConversation, expectedMedia, generateOrg, type SimOrg } from '../sim/src/index.js';
import { mediaExtension } from '../src/pipeline/settle/rules.js';
import { archiveFiles, QUIET_MIX, startSimWorkspace } from './helpers/sim.js';
import { ingest, retryEntries } from './helpers/run.js';

const MIN = 60_000;
const HOUR = 60 * MIN;

/** Archive paths and hashes an ORIGINAL ingest must produce: the trunk's codec, named by its type. */
function expectedOriginal(org: SimOrg): Map<string, string> {
  const out = new Map<string, string>();
  for (const conv of org.conversations) {
    if (conv.endMs === undefined) continue;
    const day = DateTime.fromMillis(conv.startMs, { zone: 'Europe/Dublin' }).toFormat('yyyy/MM/dd');
    for (const rec of conv.recordings) {
      if (rec.media !== 'audio' || org.effectiveFileState(rec, Date.now()) !== 'AVAILABLE') continue;
      const media = expectedMedia(rec, 'ORIGINAL');
      out.set(`${day}/${conv.id}/${rec.id}.${mediaExtension('ORIGINAL', media.contentType)}`, media.sha256);
    }
  }
  return out;
}

describe('run: codec ORIGINAL through batch download', () => {
  it('archives every recording in its original codec with at most 0.05 API requests per recording', async (t) => {
    const now = Date.now();
    const setup = await startSimWorkspace({
      spec: {
        seed: 'original',
        conversations: 400,
        fromMs: now - 3 * 24 * HOUR,
        toMs: now - HOUR,
        mix: QUIET_MIX,
        recordingBytes: 2048,
      },
      sim: { batchCompleteMs: 200 },
      config: { codec: 'ORIGINAL' },
    });
    t.after(() => setup.cleanup());
    const { result, report } = await ingest(setup.ws);
    assert.equal(result.code, 0, result.stderr);
    const expected = expectedOriginal(setup.sim.org);
    const media = (await archiveFiles(setup.ws.archiveDir)).filter((f) => !f.endsWith('.xml'));
    assert.deepEqual(media, [...expected.keys()].sort());
    for (const [file, sha] of expected) {
      assert.equal(
        createHash('sha256')
          .update(await fs.readFile(path.join(setup.ws.archiveDir, file)))
          .digest('hex'),
        sha,
        file,
      );
    }
    assert.ok(
      new Set(media.map((f) => path.extname(f))).size >= 2,
      'several original codecs, each with its extension',
    );
    const perRecording = report.apiRequests / report.counts.ingested;
    assert.ok(
      perRecording <= 0.05,
      `${report.apiRequests} API requests for ${report.counts.ingested} recordings (${perRecording.toFixed(3)})`,
    );
  });

  it('expired result URLs, a forgotten job, per-item errors and archived recordings', async (t) => {
    const now = Date.now();
    const org = generateOrg({ seed: 'original-faults', conversations: 0 });
    const good = Array.from({ length: 6 }, (_, i) =>
      addConversation(org, { startMs: now - 5 * HOUR + i * MIN, durationMs: 30_000, sizeBytes: 4096 }),
    );
    const archived = addConversation(org, {
      startMs: now - 4 * HOUR,
      durationMs: 30_000,
      fileState: 'ARCHIVED',
    });
    const deleted = addConversation(org, {
      startMs: now - 3 * HOUR,
      durationMs: 30_000,
      fileState: 'DELETED',
    });
    const setup = await startSimWorkspace({
      sim: { org, batchCompleteMs: 100 },
      config: { codec: 'ORIGINAL', recordingStartTimestamp: new Date(now - 6 * HOUR).toISOString() },
    });
    t.after(() => setup.cleanup());
    const expired = setup.sim.faults.add({ listener: 'media', action: { kind: 'expireUrl' }, times: 2 });
    const forgotten = setup.sim.faults.add({
      listener: 'api',
      method: 'GET',
      path: '/recording/batchrequests/',
      action: { kind: 'status', status: 404, code: 'batch.download.job.not.found' },
      times: 1,
    });
    const { result, report } = await ingest(setup.ws);
    assert.equal(result.code, 1, result.stderr);
    assert.ok(expired.applied === 2 && forgotten.applied === 1);
    assert.equal(report.counts.ingested, good.length);
    assert.deepEqual(report.alerts.map((a) => a.type).sort(), ['archivedInGenesys', 'deletedInGenesys']);
    assert.deepEqual(await retryEntries(setup.ws), [`${archived.id}_${archived.recordings[0]!.id}.xml`]);
    assert.ok(report.items.some((i) => i.conversationId === deleted.id && i.status === 'gone'));
    assert.equal(
      (await archiveFiles(setup.ws.archiveDir)).filter((f) => f.endsWith('.xml')).length,
      good.length,
    );
  });
});
