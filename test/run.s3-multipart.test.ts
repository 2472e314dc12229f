/**
 * A recording larger than one part through the S3 target (SPEC §7): a multipart upload of whole
 * parts and a shorter last one, the object read back byte for byte with its `sha256` metadata, the
 * parts checksummed, retention set by the copy that records the `sha256`. s3rver started here on
 * 127.0.0.1; what the tool sends is read by the recording layer in front of it (test/helpers/s3.ts).
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { PART_SIZE } from '../src/archive/s3-upload.js';
import { addConversation, generateOrg } from '../sim/src/index.js';
import { ingest } from './helpers/run.js';
import { startS3 } from './helpers/s3.js';
import { expectedArchive, startSimWorkspace } from './helpers/sim.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const PREFIX = 'genesys/';

describe('run: a multipart upload to S3 (SPEC §7)', () => {
  it('archives a recording of two parts and a half exactly, parts checksummed, sha256 and retention set', async (t) => {
    const now = Date.now();
    const org = generateOrg({ seed: 's3-multipart', conversations: 0 });
    const size = 2 * PART_SIZE + 123_457;
    addConversation(org, { startMs: now - 2 * HOUR, durationMs: 30 * MIN, recordings: 1, sizeBytes: size });
    const setup = await startSimWorkspace({ sim: { org } });
    const store = await startS3();
    t.after(async () => {
      await store.close();
      await setup.cleanup();
    });
    await setup.ws.writeConfig({
      archiveDir: undefined,
      archive: store.archive({ objectLock: { mode: 'GOVERNANCE', retainDays: 30 } }),
    });

    const first = await ingest(setup.ws, [], store.env());
    assert.equal(first.result.code, 0, first.result.stderr);
    assert.equal(first.report.counts.ingested, 1);
    const [e] = [...expectedArchive(org, 'WAV', 'wav', 'Europe/Dublin', Date.now(), 2).values()];
    assert.ok(e !== undefined && e.size === size, 'the simulator serves the recording of that size');
    const key = `${PREFIX}${e.file}`;
    const bytes = await store.get(key);
    assert.equal(bytes.length, size);
    assert.equal(
      createHash('sha256').update(bytes).digest('hex'),
      e.sha256,
      'the object holds the recording',
    );
    const head = await store.head(key);
    assert.equal(head.metadata.sha256, e.sha256, 'the object carries its sha256 metadata');
    assert.equal(head.contentType, 'audio/wav');

    const path = `/${store.bucket}/${key.split('/').map(encodeURIComponent).join('/')}`;
    const mine = store.requests.filter((r) => r.url.split('?')[0] === path);
    const lines = mine.map(
      (r) =>
        `${r.method} ${r.url
          .replace(/uploadId=[^&]+/, 'uploadId=…')
          .replace(/[?&]x-id=\w+/, '')
          .replace(/\?uploads=$/, '?uploads')}`,
    );
    const parts = mine.filter((r) => r.method === 'PUT' && r.url.includes('partNumber='));
    assert.deepEqual(
      lines.filter((l) => !l.startsWith('HEAD ')),
      [
        `POST ${path}?uploads`,
        `PUT ${path}?partNumber=1&uploadId=…`,
        `PUT ${path}?partNumber=2&uploadId=…`,
        `PUT ${path}?partNumber=3&uploadId=…`,
        `POST ${path}?uploadId=…`,
        `PUT ${path}`,
      ],
      'created, three parts in order, completed, then copied onto itself with the sha256',
    );
    assert.deepEqual(
      parts.map((p) => Number(p.headers['content-length'])),
      [PART_SIZE, PART_SIZE, size - 2 * PART_SIZE],
      'whole parts and the rest',
    );
    for (const part of parts)
      assert.ok(part.headers['x-amz-checksum-crc32'] !== undefined, `${part.url} carries its CRC32`);
    const copy = mine.filter((r) => r.method === 'PUT' && !r.url.includes('partNumber=')).at(-1)!;
    assert.ok(copy.headers['x-amz-copy-source'] !== undefined, 'the last PUT is the copy');
    assert.equal(copy.headers['x-amz-object-lock-mode'], 'GOVERNANCE', 'the copy sets the retention');
    assert.equal(copy.headers['x-amz-meta-sha256'], e.sha256);
  });
});
