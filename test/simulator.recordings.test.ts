import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  addConversation,
  generateOrg,
  generatePki,
  startSimulator,
  type Simulator,
} from '../sim/src/index.js';
import { simApi, simLogin } from '../sim/src/test-client.js';

const pki = generatePki();
const NOW = Date.now();
const clock = { t: NOW };
const org = generateOrg({ conversations: 0, seed: 'recordings', toMs: NOW });
const two = addConversation(org, {
  startMs: NOW - 3_600_000,
  recordings: 2,
  screen: true,
  mediaKeys: ['S', 'L'],
});
const uploading = addConversation(org, {
  startMs: NOW - 3_600_000,
  fileState: 'UPLOADING',
  availableAt: NOW + 60_000,
});
const archived = addConversation(org, { startMs: NOW - 7_200_000, fileState: 'ARCHIVED' });
const held = addConversation(org, { startMs: NOW - 7_200_000, protected: true });
const silent = addConversation(org, { startMs: NOW - 7_200_000, recordings: 0 });

interface RecordingBody {
  id: string;
  media: string;
  fileState: string;
  mediaUris?: Record<string, { mediaUri: string }>;
  outputSizeInBytes: number;
  outputDurationMs?: number;
  sessionId: string;
  startTime: string;
  endTime?: string;
  deleteDate?: string;
}

let sim: Simulator;
let token: string;
const recordingsOf = (id: string, query: string) =>
  simApi(sim, token, 'GET', `/api/v2/conversations/${id}/recordings?${query}`);

describe('recordings', () => {
  before(async () => {
    sim = await startSimulator({ pki, org, now: () => clock.t, transcodeMs: 5_000, rateLimitPerMinute: 0 });
    token = await simLogin(sim);
  });
  after(() => sim.close());

  it('answers 202 with an empty body while transcoding, then 200 with signed media URLs', async () => {
    const first = await recordingsOf(two.id, 'formatId=MP3');
    assert.equal(first.status, 202);
    assert.equal(first.body.length, 0);
    clock.t += 4_000;
    assert.equal((await recordingsOf(two.id, 'formatId=MP3')).status, 202);
    clock.t += 1_000;
    const done = await recordingsOf(two.id, 'formatId=MP3');
    assert.equal(done.status, 200);
    const list = done.json<RecordingBody[]>();
    assert.equal(list.length, 3);
    const audio = list.filter((r) => r.media === 'audio');
    assert.equal(audio.length, 2);
    for (const r of audio) {
      const own = two.recordings.find((x) => x.id === r.id);
      assert.ok(own);
      assert.deepEqual(Object.keys(r.mediaUris ?? {}), ['S', 'L']);
      assert.match(
        r.mediaUris?.S?.mediaUri ?? '',
        /^https:\/\/localhost:\d+\/recordings\/[0-9a-f]{32}\?.*X-Amz-Expires=3600/,
      );
      assert.equal(r.outputSizeInBytes, own.sizeBytes);
      assert.equal(r.outputDurationMs, (own.endMs ?? 0) - own.startMs);
      assert.equal(r.fileState, 'AVAILABLE');
      assert.equal(r.sessionId, own.sessionId);
    }
    assert.ok(list.some((r) => r.media === 'screen' && r.mediaUris?.S !== undefined));
  });

  it('starts a separate transcode per format; formatId=NONE never waits and has no media', async () => {
    assert.equal((await recordingsOf(two.id, 'formatId=WAV')).status, 202);
    const none = await recordingsOf(two.id, 'formatId=NONE');
    assert.equal(none.status, 200);
    for (const r of none.json<RecordingBody[]>()) {
      assert.equal(r.mediaUris, undefined);
      assert.equal(r.outputSizeInBytes, 0);
    }
    assert.equal((await recordingsOf(two.id, 'formatId=FLAC')).status, 400);
  });

  it('waits up to maxWaitMs for a short transcode and then answers 200', async () => {
    const local = await startSimulator({ pki, org, transcodeMs: 150 });
    try {
      const t = await simLogin(local);
      const started = Date.now();
      const res = await simApi(
        local,
        t,
        'GET',
        `/api/v2/conversations/${archived.id}/recordings?formatId=OGG_OPUS&maxWaitMs=1000`,
      );
      assert.equal(res.status, 200);
      const res2 = await simApi(
        local,
        t,
        'GET',
        `/api/v2/conversations/${two.id}/recordings?formatId=OGG_OPUS&maxWaitMs=1000`,
      );
      assert.equal(res2.status, 200);
      assert.ok(Date.now() - started >= 140);
    } finally {
      await local.close();
    }
  });

  it('reports UPLOADING and ARCHIVED recordings without media, UPLOADING until availableAt', async () => {
    const up = await recordingsOf(uploading.id, 'formatId=NONE');
    assert.equal(up.json<RecordingBody[]>()[0]?.fileState, 'UPLOADING');
    const ar = await recordingsOf(archived.id, 'formatId=WAV');
    assert.equal(ar.status, 200);
    const [arch] = ar.json<RecordingBody[]>();
    assert.equal(arch?.fileState, 'ARCHIVED');
    assert.equal(arch?.mediaUris, undefined);
    clock.t = NOW + 60_000;
    const later = await simApi(sim, token, 'GET', `/api/v2/conversations/${uploading.id}/recordingmetadata`);
    assert.equal(later.json<RecordingBody[]>()[0]?.fileState, 'AVAILABLE');
    assert.equal((await recordingsOf(silent.id, 'formatId=WAV')).json<unknown[]>().length, 0);
    assert.equal(
      (await recordingsOf('00000000-0000-4000-8000-000000000000', 'formatId=WAV')).json().code,
      'conversation.not.found',
    );
  });

  it('reads one recording, with media once transcoded', async () => {
    const rec = uploading.recordings[0];
    assert.ok(rec);
    const path = `/api/v2/conversations/${uploading.id}/recordings/${rec.id}?formatId=WEBM`;
    const pending = await simApi(sim, token, 'GET', path);
    assert.equal(pending.status, 202);
    assert.equal(pending.json<RecordingBody>().mediaUris, undefined);
    clock.t += 5_000;
    const ready = await simApi(sim, token, 'GET', path);
    assert.equal(ready.status, 200);
    assert.ok(ready.json<RecordingBody>().mediaUris?.S);
    assert.equal(
      (await simApi(sim, token, 'GET', `/api/v2/conversations/${uploading.id}/recordings/nope`)).status,
      404,
    );
  });

  it('sets delete dates, records them, and refuses them on protected conversations', async () => {
    const rec = two.recordings[0];
    assert.ok(rec);
    const deleteDate = new Date(clock.t + 86_400_000).toISOString();
    const res = await simApi(sim, token, 'PUT', `/api/v2/conversations/${two.id}/recordings/${rec.id}`, {
      deleteDate,
    });
    assert.equal(res.status, 200);
    assert.equal(res.json<RecordingBody>().deleteDate, deleteDate);
    const entry = sim.org.retentionLog.at(-1);
    assert.equal(entry?.recordingId, rec.id);
    assert.equal(entry?.deleteDate, Date.parse(deleteDate));
    assert.equal(entry?.clientId, 'sim-client');
    const heldRec = held.recordings[0];
    assert.ok(heldRec);
    const refused = await simApi(
      sim,
      token,
      'PUT',
      `/api/v2/conversations/${held.id}/recordings/${heldRec.id}`,
      { deleteDate },
    );
    assert.equal(refused.status, 400);
    assert.equal(refused.json().code, 'recording.deletion.protected');
    assert.equal(heldRec.deleteDate, undefined);
    const missing = await simApi(
      sim,
      token,
      'PUT',
      `/api/v2/conversations/${two.id}/recordings/00000000-0000-4000-8000-000000000001`,
      {},
    );
    assert.equal(missing.status, 404);
    const bad = await simApi(sim, token, 'PUT', `/api/v2/conversations/${two.id}/recordings/${rec.id}`, {
      deleteDate: 'soon',
    });
    assert.equal(bad.status, 400);
  });

  it('deletes a recording whose delete date has passed', async () => {
    const rec = archived.recordings[0];
    assert.ok(rec);
    const put = await simApi(sim, token, 'PUT', `/api/v2/conversations/${archived.id}/recordings/${rec.id}`, {
      deleteDate: new Date(clock.t - 1).toISOString(),
    });
    assert.equal(put.status, 200);
    assert.equal(put.json<RecordingBody>().fileState, 'DELETED');
    const again = await simApi(
      sim,
      token,
      'PUT',
      `/api/v2/conversations/${archived.id}/recordings/${rec.id}`,
      {
        deleteDate: new Date(clock.t).toISOString(),
      },
    );
    assert.equal(again.status, 404);
  });

  it('tells which conversations are protected', async () => {
    const res = await simApi(sim, token, 'POST', '/api/v2/recordings/deletionprotection', {
      conversationIds: [two.id, held.id, 'unknown'],
    });
    assert.equal(res.status, 200);
    assert.deepEqual(
      res.json<{ id: string }[]>().map((e) => e.id),
      [held.id],
    );
    const tooMany = Array.from({ length: 101 }, () => two.id);
    assert.equal(
      (
        await simApi(sim, token, 'POST', '/api/v2/recordings/deletionprotection', {
          conversationIds: tooMany,
        })
      ).status,
      400,
    );
  });
});
