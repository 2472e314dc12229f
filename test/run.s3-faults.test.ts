/**
 * The S3 target under faults (SPEC §7 Failures, §3.4): store errors the SDK's retries absorb, writes
 * refused past the retry budget (exit 6, the cursor never past an unarchived recording), and kill -9
 * during multipart uploads (media over the 8 MiB part size: streamed in parts, then copied onto
 * itself with its sha256). Faults are injected by the recording layer in front of s3rver
 * (test/helpers/s3.ts), which answers chosen requests itself.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { parseCdrXml } from '../src/archive/cdr.js';
import { baseEnv, spawnCli } from './helpers/cli.js';
import { ingest, readCursorLine, cursorTime, retryEntries, TEST_ENV } from './helpers/run.js';
import { startS3, type TestStore } from './helpers/s3.js';
import { expectedArchive, QUIET_MIX, startSimWorkspace, type SimSetup } from './helpers/sim.js';

const MIN = 60_000;
const HOUR = 60 * MIN;

async function s3Setup(
  t: { after(fn: () => Promise<void>): void },
  spec: { seed: string; conversations: number; recordingBytes?: [number, number] },
  sim: Record<string, unknown> = {},
): Promise<{ setup: SimSetup; store: TestStore }> {
  const now = Date.now();
  const setup = await startSimWorkspace({
    spec: { ...spec, fromMs: now - 5 * HOUR, toMs: now - HOUR, mix: QUIET_MIX },
    sim,
  });
  const store = await startS3();
  t.after(async () => {
    await store.close();
    await setup.cleanup();
  });
  await setup.ws.writeConfig({
    archiveDir: undefined,
    archive: { type: 's3', bucket: store.bucket, endpoint: store.endpoint, forcePathStyle: true },
  });
  return { setup, store };
}

/** Every CDR in the store names media that is there, complete, with its sha256 metadata. */
async function assertNoCdrOnIncompleteMedia(store: TestStore, when: string): Promise<number> {
  const keys = await store.keys();
  let cdrs = 0;
  for (const key of keys.filter((k) => k.endsWith('.xml'))) {
    const parsed = parseCdrXml(await store.get(key));
    assert.equal(parsed.kind, 'archived', `${when}: ${key}`);
    if (parsed.kind !== 'archived') continue;
    cdrs += 1;
    for (const media of parsed.cdr.media) {
      const mediaKey = `${key.slice(0, key.lastIndexOf('/') + 1)}${media.file}`;
      const bytes = await store.get(mediaKey);
      assert.equal(bytes.length, media.sizeBytes, `${when}: ${mediaKey} complete`);
      assert.equal(createHash('sha256').update(bytes).digest('hex'), media.sha256, `${when}: ${mediaKey}`);
      assert.equal((await store.head(mediaKey)).metadata.sha256, media.sha256);
    }
  }
  return cdrs;
}

async function assertExact(setup: SimSetup, store: TestStore): Promise<void> {
  const expected = expectedArchive(setup.sim.org, 'WAV', 'wav', 'Europe/Dublin', Date.now(), 2);
  const keys = await store.keys();
  assert.deepEqual(
    keys,
    [...expected.values()].flatMap((e) => [e.file, e.file.replace(/\.wav$/, '.xml')]).sort(),
  );
  assert.equal(await assertNoCdrOnIncompleteMedia(store, 'the end'), expected.size);
}

describe('run: the S3 target under faults (SPEC §7)', () => {
  it('503s and 500s that the retries absorb: an exact archive, exit 0', async (t) => {
    const { setup, store } = await s3Setup(t, { seed: 's3-503', conversations: 4 });
    const puts = store.fault((r) => r.method === 'PUT', 503, 3);
    const heads = store.fault((r) => r.method === 'HEAD' && r.url.endsWith('.wav'), 500, 2);
    const { result, report } = await ingest(setup.ws, [], store.env());
    assert.equal(result.code, 0, result.stderr);
    assert.equal(puts.hits, 3);
    assert.equal(heads.hits, 2);
    assert.equal(report.counts.failed, 0);
    await assertExact(setup, store);
  });

  it('writes refused past the retry budget: exit 6, the cursor not past an unarchived recording; the next run completes', async (t) => {
    const { setup, store } = await s3Setup(t, { seed: 's3-down', conversations: 4 });
    const refused = store.fault((r) => r.method === 'PUT', 503, Infinity);
    const down = await ingest(setup.ws, [], store.env());
    assert.equal(down.result.code, 6, down.result.stderr);
    assert.ok(refused.hits >= 5, 'the SDK retried before giving up');
    assert.equal(down.report.counts.ingested, 0);
    assert.deepEqual(await retryEntries(setup.ws), [], 'no retry entry for work not reached');
    const cursor = cursorTime(await readCursorLine(setup.ws));
    const first = Math.min(...setup.sim.org.conversations.map((c) => c.startMs));
    assert.ok(cursor <= first, 'the cursor did not pass the unarchived recordings');
    refused.remove();
    const up = await ingest(setup.ws, [], store.env());
    assert.equal(up.result.code, 0, up.result.stderr);
    await assertExact(setup, store);
  });

  it('kill -9 during multipart uploads: no CDR ever names an incomplete object; then an exact archive', async (t) => {
    const { setup, store } = await s3Setup(
      t,
      { seed: 's3-kill', conversations: 3, recordingBytes: [9_000_000, 10_000_000] },
      { mediaBytesPerSecond: 12_000_000 },
    );
    for (let i = 0; i < 3; i += 1) {
      const { child, done } = spawnCli(['run', '--json', '--config', setup.ws.configPath], {
        env: baseEnv({ ...TEST_ENV, ...store.env() }),
      });
      // Killed at a part upload (i even) or at the copy that sets the sha256 (i odd): mid-object.
      const point = store.waitFor((r) =>
        i % 2 === 0
          ? r.method === 'PUT' && r.url.includes('partNumber=')
          : r.headers['x-amz-copy-source'] !== undefined,
      );
      const outcome = await Promise.race([point.then(() => 'reached'), done.then(() => 'ended')]);
      child.kill('SIGKILL');
      await done;
      await assertNoCdrOnIncompleteMedia(store, `kill ${i} (${outcome})`);
    }
    const final = await ingest(setup.ws, [], store.env());
    assert.equal(final.result.code, 0, final.result.stderr);
    await assertExact(setup, store);
  });
});
