import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import {
  addConversation,
  expectedMedia,
  generateOrg,
  generatePki,
  startSimulator,
  type Simulator,
} from '../sim/src/index.js';
import { simApi, simLogin, simRequest } from '../sim/src/test-client.js';

const pki = generatePki();
const NOW = Date.now();
const clock = { t: NOW };
const org = generateOrg({ conversations: 0, seed: 'batch', toMs: NOW });
const twoWav = addConversation(org, {
  startMs: NOW - 7_200_000,
  recordings: 2,
  originalContentType: 'audio/wav',
});
const oneOgg = addConversation(org, {
  startMs: NOW - 7_000_000,
  originalContentType: 'audio/ogg',
  sizeBytes: 70_000,
});
const archived = addConversation(org, { startMs: NOW - 6_000_000, fileState: 'ARCHIVED' });
const unknown = '00000000-0000-4000-8000-00000000beef';

interface BatchStatus {
  id: string;
  jobId: string;
  expectedResultCount: number;
  resultCount: number;
  errorCount: number;
  status: string;
  results: {
    conversationId: string;
    recordingId?: string;
    resultUrl?: string;
    contentType?: string;
    errorMsg?: string;
  }[];
}

let sim: Simulator;
let token: string;
const path = '/api/v2/recording/batchrequests';

describe('batch download', () => {
  before(async () => {
    sim = await startSimulator({
      pki,
      org,
      now: () => clock.t,
      batchCompleteMs: 10_000,
      rateLimitPerMinute: 0,
      clients: [
        { clientId: 'sim-client', clientSecret: 'sim-secret' },
        { clientId: 'other', clientSecret: 'other-secret' },
      ],
    });
    token = await simLogin(sim);
  });
  after(() => sim.close());

  it('runs a job to Completed with original-codec URLs and per-item errors', async () => {
    const oggRecording = oneOgg.recordings[0];
    assert.ok(oggRecording);
    const submitted = await simApi(sim, token, 'POST', path, {
      batchDownloadRequestList: [
        { conversationId: twoWav.id },
        { conversationId: oneOgg.id, recordingId: oggRecording.id },
        { conversationId: archived.id },
        { conversationId: unknown },
      ],
    });
    assert.equal(submitted.status, 200);
    const { id, selfUri } = submitted.json<{ id: string; selfUri: string }>();
    assert.equal(selfUri, `${path}/${id}`);
    const poll = async () => (await simApi(sim, token, 'GET', `${path}/${id}`)).json<BatchStatus>();
    const started = await poll();
    assert.equal(started.status, 'InProgress');
    assert.equal(started.expectedResultCount, 5);
    assert.equal(started.resultCount, 0);
    clock.t = NOW + 5_000;
    const half = await poll();
    assert.equal(half.status, 'InProgress');
    assert.equal(half.resultCount, 2);
    clock.t = NOW + 10_000;
    const done = await poll();
    assert.equal(done.status, 'Completed');
    assert.equal(done.jobId, id);
    assert.equal(done.resultCount, 5);
    assert.equal(done.errorCount, 2);
    const wav = done.results.filter((r) => r.conversationId === twoWav.id);
    assert.deepEqual(
      wav.map((r) => r.recordingId),
      twoWav.recordings.map((r) => r.id),
    );
    assert.ok(wav.every((r) => r.contentType === 'audio/wav' && r.resultUrl !== undefined));
    assert.ok(done.results.find((r) => r.conversationId === archived.id)?.errorMsg);
    assert.ok(done.results.find((r) => r.conversationId === unknown)?.errorMsg);
    const ogg = done.results.find((r) => r.recordingId === oggRecording.id);
    assert.equal(ogg?.contentType, 'audio/ogg');
    const media = await simRequest(ogg?.resultUrl ?? '', { ca: pki.caCert });
    assert.equal(media.headers['content-type'], 'audio/ogg');
    const expected = expectedMedia(oggRecording, 'ORIGINAL');
    assert.equal(expected.contentType, 'audio/ogg');
    assert.equal(createHash('sha256').update(media.body).digest('hex'), expected.sha256);
    // Polling again gives the same, settled results.
    assert.deepEqual((await poll()).results, done.results);
  });

  it('lets only the submitting client read a job', async () => {
    const submitted = await simApi(sim, token, 'POST', path, {
      batchDownloadRequestList: [{ conversationId: oneOgg.id }],
    });
    const { id } = submitted.json<{ id: string }>();
    const other = await simLogin(sim, 'other', 'other-secret');
    const denied = await simApi(sim, other, 'GET', `${path}/${id}`);
    assert.equal(denied.status, 403);
    assert.equal(denied.json().code, 'batch.download.permission.denied');
    const sameClient = await simLogin(sim);
    assert.equal((await simApi(sim, sameClient, 'GET', `${path}/${id}`)).status, 200);
    const missing = await simApi(sim, token, 'GET', `${path}/00000000-0000-4000-8000-000000000000`);
    assert.equal(missing.status, 404);
    assert.equal(missing.json().code, 'batch.download.job.not.found');
  });

  it('refuses empty and oversized requests', async () => {
    const empty = await simApi(sim, token, 'POST', path, { batchDownloadRequestList: [] });
    assert.equal(empty.status, 400);
    assert.equal(empty.json().code, 'batch.download.bad.request');
    const items = Array.from({ length: 101 }, () => ({ conversationId: oneOgg.id }));
    const big = await simApi(sim, token, 'POST', path, { batchDownloadRequestList: items });
    assert.equal(big.status, 400);
    assert.equal(big.json().code, 'batch.download.too.many.items');
    assert.equal(
      (await simApi(sim, token, 'POST', path, { batchDownloadRequestList: items.slice(0, 100) })).status,
      200,
    );
  });
});
