import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import {
  addConversation,
  expectedMedia,
  generateOrg,
  generatePki,
  startSimulator,
  type MediaFormat,
  type Simulator,
} from '../sim/src/index.js';
import { simApi, simLogin, simRequest } from '../sim/src/test-client.js';

const pki = generatePki();
const NOW = Date.now();
const clock = { t: NOW };
const org = generateOrg({ conversations: 0, seed: 'media', toMs: NOW });
const conversation = addConversation(org, {
  startMs: NOW - 3_600_000,
  sizeBytes: 150_000,
  originalContentType: 'audio/wav',
});
const recording = conversation.recordings[0];
assert.ok(recording);

let sim: Simulator;
let token: string;

async function mediaUrl(format: MediaFormat): Promise<string> {
  const res = await simApi(
    sim,
    token,
    'GET',
    `/api/v2/conversations/${conversation.id}/recordings?formatId=${format}`,
  );
  assert.equal(res.status, 200);
  const uri =
    res.json<{ id: string; mediaUris?: { S?: { mediaUri: string } } }[]>()[0]?.mediaUris?.S?.mediaUri;
  assert.ok(uri);
  return uri;
}

const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

describe('media listener', () => {
  before(async () => {
    sim = await startSimulator({
      pki,
      org,
      now: () => clock.t,
      mediaUrlTtlSeconds: 120,
      rateLimitPerMinute: 0,
    });
    token = await simLogin(sim);
  });
  after(() => sim.close());

  for (const [format, type] of [
    ['WAV', 'audio/wav'],
    ['WAV_ULAW', 'audio/wav'],
    ['MP3', 'audio/mpeg'],
    ['OGG_OPUS', 'audio/ogg'],
    ['WEBM', 'audio/webm'],
  ] as const) {
    it(`serves ${format} byte-exact with Content-Type ${type} and Content-Length`, async () => {
      const res = await simRequest(await mediaUrl(format), { ca: pki.caCert });
      assert.equal(res.status, 200);
      const expected = expectedMedia(recording, format);
      assert.equal(res.headers['content-type'], type);
      assert.equal(expected.contentType, type);
      assert.equal(res.headers['content-length'], String(recording.sizeBytes));
      assert.equal(res.body.length, expected.size);
      assert.equal(sha256(res.body), expected.sha256);
    });
  }

  it('frames WAV with RIFF sizes that add up, and Ogg as pages', async () => {
    const wav = (await simRequest(await mediaUrl('WAV'), { ca: pki.caCert })).body;
    assert.equal(wav.toString('ascii', 0, 4), 'RIFF');
    assert.equal(wav.readUInt32LE(4), wav.length - 8);
    assert.equal(wav.toString('ascii', 8, 12), 'WAVE');
    assert.equal(wav.readUInt32LE(40), wav.length - 44);
    const ogg = (await simRequest(await mediaUrl('OGG_VORBIS'), { ca: pki.caCert })).body;
    let offset = 0;
    while (offset < ogg.length) {
      assert.equal(ogg.toString('ascii', offset, offset + 4), 'OggS');
      const segments = ogg[offset + 26] ?? 0;
      let length = 27 + segments;
      for (let i = 0; i < segments; i++) length += ogg[offset + 27 + i] ?? 0;
      offset += length;
    }
    assert.equal(offset, ogg.length);
  });

  it('gives the same bytes for the same recording and format, different bytes for another format', () => {
    assert.equal(expectedMedia(recording, 'MP3').sha256, expectedMedia({ ...recording }, 'MP3').sha256);
    assert.notEqual(expectedMedia(recording, 'MP3').sha256, expectedMedia(recording, 'WAV').sha256);
  });

  it('refuses a request that also carries an Authorization header', async () => {
    const res = await simRequest(await mediaUrl('MP3'), {
      ca: pki.caCert,
      headers: { Authorization: `Bearer ${token}` },
    });
    assert.equal(res.status, 400);
    assert.match(res.text(), /<Code>InvalidArgument<\/Code>/);
  });

  it('refuses a tampered or missing signature', async () => {
    const url = new URL(await mediaUrl('MP3'));
    const signature = url.searchParams.get('X-Amz-Signature') ?? '';
    url.searchParams.set('X-Amz-Signature', (signature.startsWith('0') ? '1' : '0') + signature.slice(1));
    const tampered = await simRequest(url.toString(), { ca: pki.caCert });
    assert.equal(tampered.status, 403);
    assert.match(tampered.text(), /<Code>SignatureDoesNotMatch<\/Code>/);
    url.searchParams.set('X-Amz-Signature', signature);
    url.searchParams.set('X-Amz-Expires', '999999');
    assert.equal((await simRequest(url.toString(), { ca: pki.caCert })).status, 403);
    url.searchParams.delete('X-Amz-Signature');
    assert.equal((await simRequest(url.toString(), { ca: pki.caCert })).status, 403);
  });

  it('refuses an expired URL with S3 AccessDenied "Request has expired"', async () => {
    const url = await mediaUrl('MP3');
    clock.t += 119_000;
    assert.equal((await simRequest(url, { ca: pki.caCert })).status, 200);
    clock.t += 1_000;
    try {
      const res = await simRequest(url, { ca: pki.caCert });
      assert.equal(res.status, 403);
      assert.match(String(res.headers['content-type']), /xml/);
      assert.match(res.text(), /<Code>AccessDenied<\/Code><Message>Request has expired<\/Message>/);
    } finally {
      clock.t = NOW;
    }
  });

  it('keeps the signature out of the request log', async () => {
    await simRequest(await mediaUrl('MP3'), { ca: pki.caCert });
    const entry = sim.log.filter((e) => e.listener === 'media').at(-1);
    assert.ok(entry);
    assert.equal(entry.status, 200);
    assert.ok(!entry.path.includes('X-Amz-Signature'));
    assert.match(entry.path, /X-Amz-Expires=120/);
  });
});

describe('media throttling', () => {
  it('serves at most mediaBytesPerSecond', async () => {
    const local = await startSimulator({ pki, org, mediaBytesPerSecond: 500_000 });
    try {
      const t = await simLogin(local);
      const res = await simApi(
        local,
        t,
        'GET',
        `/api/v2/conversations/${conversation.id}/recordings?formatId=WAV`,
      );
      const uri = res.json<{ mediaUris?: { S?: { mediaUri: string } } }[]>()[0]?.mediaUris?.S?.mediaUri;
      assert.ok(uri);
      const started = Date.now();
      const media = await simRequest(uri, { ca: pki.caCert });
      const elapsed = Date.now() - started;
      assert.equal(sha256(media.body), expectedMedia(recording, 'WAV').sha256);
      // 150,000 bytes at 500,000 B/s: at least ~0.3 s.
      assert.ok(elapsed >= 250, `took ${elapsed} ms`);
    } finally {
      await local.close();
    }
  });
});
