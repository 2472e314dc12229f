/**
 * Media downloads against the simulator's media host: hashing and counting, no Authorization
 * header (also across a redirect from the API host), refused and expired URLs, resets, truncation,
 * stalls, deadlines and aborts — each leaving nothing behind once the caller aborts the file.
 */
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { MediaRefusedError, MediaTransferError, type GenesysClient } from '../src/genesys/index.js';
import { openAtomic } from '../src/util/atomic.js';
import { addConversation, expectedMedia, type Simulator, type SimConversation } from '../sim/src/index.js';
import { assertNoSecretShown, captureFailure, openClientEnv, type ClientEnv } from './helpers/genesys.js';

const SECRET = 'media-SeCrEt-canary-5e1b';
const seen: string[] = [];
const signatures = new Set<string>();
let urlsIssued = 0;

describe('media download', { concurrency: false }, () => {
  let env: ClientEnv;
  let sim: Simulator;
  let dir: string;
  let client: GenesysClient;
  let conversation: SimConversation;

  const make = (patch: Record<string, unknown> = {}): GenesysClient => env.make(patch);

  /** A fresh signed URL for the conversation's recording. */
  const freshUrl = async (): Promise<{ url: string; size: number }> => {
    const result = await client.recordings.getRecordings(conversation.id, 'WAV');
    assert.ok(!result.transcoding);
    const recording = result.recordings[0]!;
    const url = recording.mediaUris?.S?.mediaUri;
    assert.ok(url);
    const signature = new URL(url).searchParams.get('X-Amz-Signature');
    if (signature) signatures.add(signature);
    signatures.add(new URL(url).search.slice(1));
    urlsIssued += 1;
    return { url, size: recording.outputSizeInBytes ?? 0 };
  };

  const target = (name: string) => openAtomic(path.join(dir, 'archive', name));

  const fails = (promise: Promise<unknown>) => captureFailure(seen, promise);

  before(async () => {
    env = await openClientEnv({
      name: 'media',
      clientId: 'sim-client',
      clientSecret: SECRET,
      dirPrefix: 'gi-media-',
    });
    ({ sim, dir } = env);
    conversation = addConversation(sim.org, {
      startMs: Date.now() - 3_600_000,
      durationMs: 60_000,
      sizeBytes: 200_000,
    });
    client = make();
  });

  after(() => env.close());

  it('streams, hashes and counts a recording without sending Authorization', async () => {
    const { url, size } = await freshUrl();
    const before = client.apiRequests;
    const file = await target('ok.wav');
    const result = await client.downloadMedia(url, file, { expectedBytes: size });
    const expected = expectedMedia(conversation.recordings[0]!, 'WAV');
    assert.deepEqual(result, {
      bytes: expected.size,
      sha256: expected.sha256,
      contentType: expected.contentType,
    });
    assert.equal(client.apiRequests, before, 'media requests are not API requests');
    assert.equal(client.bytesDownloaded, expected.size);
    await file.commit();
    assert.equal((await fs.stat(file.finalPath)).size, expected.size);
  });

  it('drops Authorization when an API response redirects to the media host', async () => {
    const { url } = await freshUrl();
    const pki = sim.pki;
    const seenAuth: Array<string | undefined> = [];
    const redirector = https.createServer({ key: pki.serverKey, cert: pki.serverCert }, (req, res) => {
      seenAuth.push(req.headers.authorization);
      res.writeHead(302, { location: url }).end();
    });
    await new Promise<void>((resolve) => redirector.listen(0, '127.0.0.1', resolve));
    try {
      const port = (redirector.address() as AddressInfo).port;
      const redirected = make({ apiUrl: `https://localhost:${port}` });
      // The media host answers 400 to any request that carries an Authorization header.
      const token = await redirected.auth.token();
      const res = await redirected.transport.send({
        method: 'GET',
        url: `https://localhost:${port}/api/v2/downloads/x`,
        headers: { authorization: `Bearer ${token.accessToken}` },
      });
      assert.equal(res.status, 200, res.text.slice(0, 200));
      assert.match(seenAuth[0] ?? '', /^Bearer /);
      assert.equal(
        redirected.apiRequests,
        redirected.auth.logins + 1,
        'the API hop (and any login); not the media hop',
      );
      redirected.close();
    } finally {
      redirector.close();
    }
  });

  it('turns a 403 from the media host into MediaRefusedError', async () => {
    const { url } = await freshUrl();
    sim.faults.add({ listener: 'media', action: { kind: 'expireUrl' } });
    const file = await target('expired.wav');
    const error = await fails(client.downloadMedia(url, file));
    assert.ok(error instanceof MediaRefusedError);
    assert.equal(error.status, 403);
    await file.abort();
  });

  for (const [name, action, code] of [
    ['a reset mid-body', { kind: 'reset', afterBytes: 50_000 }, /^media\.(interrupted|reset)$/],
    ['a clean close mid-body', { kind: 'truncate', afterBytes: 50_000 }, /^media\.(truncated|interrupted)$/],
    ['a short chunked body', { kind: 'shortChunked', afterBytes: 50_000 }, /^media\.sizeMismatch$/],
    ['a 503', { kind: 'status', status: 503 }, /^media\.http$/],
  ] as const) {
    it(`makes ${name} a retryable error and leaves no temp file once aborted`, async () => {
      const { url, size } = await freshUrl();
      sim.faults.add({ listener: 'media', action });
      const file = await target(`broken-${name.replace(/\W+/g, '-')}.wav`);
      const error = await fails(client.downloadMedia(url, file, { expectedBytes: size }));
      assert.ok(error instanceof MediaTransferError, String(error));
      assert.equal(error.retryable, true);
      assert.match(error.code ?? '', code);
      await file.abort();
      await assert.rejects(fs.stat(file.tempPath), { code: 'ENOENT' });
    });
  }

  it('never fetches a media URL that is not https: mediaRefused, and no request leaves', async () => {
    const requests: string[] = [];
    const plain = http.createServer((req, res) => {
      requests.push(req.url ?? '');
      res.writeHead(200, { 'Content-Type': 'audio/wav', 'Content-Length': 4 }).end('RIFF');
    });
    await new Promise<void>((resolve) => plain.listen(0, '127.0.0.1', resolve));
    try {
      const port = (plain.address() as AddressInfo).port;
      const file = await target('plain-http.wav');
      const error = await fails(
        client.downloadMedia(`http://127.0.0.1:${port}/media/x.wav?X-Amz-Signature=abc`, file),
      );
      assert.ok(error instanceof MediaTransferError, String(error));
      assert.equal(error.code, 'mediaRefused');
      assert.deepEqual(requests, [], 'nothing was requested from the http host');
      await file.abort();
      await assert.rejects(fs.stat(file.tempPath), { code: 'ENOENT' });
    } finally {
      plain.close();
    }
  });

  it('aborts a stalled download, one past its deadline, and one whose caller aborts', async () => {
    sim.faults.add({ listener: 'media', action: { kind: 'trickle', bytesPerChunk: 10, intervalMs: 400 } });
    let file = await target('stalled.wav');
    const stalled = await fails(client.downloadMedia((await freshUrl()).url, file, { idleTimeoutMs: 150 }));
    assert.equal(stalled.code, 'media.stalled');
    await file.abort();

    sim.faults.add({ listener: 'media', action: { kind: 'trickle', bytesPerChunk: 10, intervalMs: 20 } });
    file = await target('slow.wav');
    const slow = await fails(client.downloadMedia((await freshUrl()).url, file, { deadlineMs: 300 }));
    assert.equal(slow.code, 'media.deadline');
    await file.abort();

    sim.faults.add({ listener: 'media', action: { kind: 'trickle', bytesPerChunk: 10, intervalMs: 20 } });
    file = await target('stopped.wav');
    const controller = new AbortController();
    const reason = new Error('interrupted by SIGTERM');
    setTimeout(() => controller.abort(reason), 100);
    const stopped = await fails(
      client.downloadMedia((await freshUrl()).url, file, { signal: controller.signal }),
    );
    assert.equal(stopped, reason);
    await file.abort();
    const left = await fs.readdir(path.join(dir, 'archive'));
    assert.deepEqual(left, ['ok.wav']);
  });

  it('never shows a media URL signature in an error', () => {
    // URLs for one recording signed within the same second are identical, so count the URLs issued
    // rather than distinct signatures.
    assert.ok(urlsIssued > 3);
    assert.ok(signatures.size >= 2);
    assertNoSecretShown(seen, [...signatures, SECRET], ['base64', 'base64url']);
  });
});
