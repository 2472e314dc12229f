import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, beforeEach, describe, it } from 'node:test';
import { buildArchivedCdrXml, buildRetryCdrXml, parseCdrXml, type ArchivedCdr } from '../src/archive/cdr.js';
import { UsageError } from '../src/errors.js';
import { statePaths, type StatePaths } from '../src/state/paths.js';
import {
  addRetryFiles,
  addRetryForConversation,
  listRetryEntries,
  recordRetryFailure,
  retryEntryName,
  retryEntryToCdr,
  sanitizeRetryError,
} from '../src/state/retry-buffer.js';
import { registerSecret } from '../src/util/redact.js';

const NOW = Date.parse('2024-06-01T00:00:00.000Z');
const roots: string[] = [];
let root: string;
let paths: StatePaths;

beforeEach(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'retry-write-'));
  roots.push(root);
  paths = statePaths(path.join(root, 'state'), 'pol', 'src');
});
after(async () => {
  for (const dir of roots) await fs.rm(dir, { recursive: true, force: true });
});

function archived(conversationId: string, recordingId: string): ArchivedCdr {
  return {
    conversationId,
    recordingId,
    conversationStart: '2024-05-01T10:00:00.123Z',
    conversationEnd: '2024-05-01T10:05:00.000Z',
    localStart: { value: '2024-05-01T11:00:00.123+01:00', timezone: 'Europe/Dublin' },
    durationMs: 299_877,
    participants: [{ purpose: 'agent', name: 'Secret Agent' }],
    queues: [],
    divisionIds: [],
    wrapUpCodes: [],
    recording: {},
    media: [
      {
        codec: 'WAV',
        contentType: 'audio/wav',
        file: `${recordingId}.wav`,
        sizeBytes: 1,
        sha256: 'a'.repeat(64),
      },
    ],
    importSource: { name: 'N', policyId: 'p', importSourceId: 'i' },
    ingestedAt: '2024-05-01T12:00:00.000Z',
  };
}

async function snapshot(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const name of await fs.readdir(dir)) out[name] = await fs.readFile(path.join(dir, name), 'utf8');
  return out;
}

describe('retry add', () => {
  it('rebuilds given files as fresh retry entries under canonical names, leaving the originals alone', async () => {
    const inbox = path.join(root, 'inbox');
    await fs.mkdir(inbox);
    const c1 = randomUUID();
    const r1 = randomUUID();
    const c2 = randomUUID();
    await fs.writeFile(path.join(inbox, 'archived.xml'), buildArchivedCdrXml(archived(c1, r1)));
    await fs.writeFile(
      path.join(inbox, 'entry.xml'),
      buildRetryCdrXml({
        conversationId: c2.toUpperCase(),
        ani: 'kept out',
        retry: {
          attempts: 7,
          firstFailedAt: '2020-01-01T00:00:00Z',
          lastFailedAt: '2020-01-01T00:00:00Z',
          lastError: 'e',
        },
      }),
    );
    const before = await snapshot(inbox);
    const names = await addRetryFiles(paths, [
      path.join(inbox, 'archived.xml'),
      path.join(inbox, 'entry.xml'),
    ]);
    assert.deepEqual(names, [`${c1}_${r1}.xml`, `${c2}.xml`]);
    assert.deepEqual(await snapshot(inbox), before, 'operator files unchanged');

    const first = parseCdrXml(await fs.readFile(path.join(paths.retryDir, names[0] ?? '')));
    assert.deepEqual(first, {
      kind: 'retry',
      entry: { conversationId: c1, recordingId: r1, conversationStart: '2024-05-01T10:00:00.123Z' },
    });
    const second = parseCdrXml(await fs.readFile(path.join(paths.retryDir, names[1] ?? '')));
    assert.deepEqual(second, { kind: 'retry', entry: { conversationId: c2 } });

    assert.equal((await fs.stat(path.join(paths.retryDir, names[0] ?? ''))).mode & 0o777, 0o600);
    assert.equal((await fs.stat(paths.retryDir)).mode & 0o777, 0o700);
  });

  it('validates every file before writing anything', async () => {
    const inbox = path.join(root, 'inbox');
    await fs.mkdir(inbox);
    const good = path.join(inbox, 'good.xml');
    const bad = path.join(inbox, 'bad.xml');
    const hostile = path.join(inbox, 'hostile.xml');
    await fs.writeFile(good, buildRetryCdrXml({ conversationId: randomUUID() }));
    await fs.writeFile(bad, '<cdr version="1"><conversationId>12345</conversationId></cdr>');
    await fs.writeFile(hostile, '<?xml version="1.0"?><!DOCTYPE cdr [<!ENTITY x "y">]><cdr version="1"/>');
    await assert.rejects(
      addRetryFiles(paths, [good, bad, hostile, path.join(inbox, 'missing.xml')]),
      (error: unknown) => {
        assert.ok(error instanceof UsageError);
        assert.equal(error.code, 'retry.invalidFile');
        assert.equal(error.exitCode, 2);
        assert.match(error.message, /bad\.xml: conversationId is not a Genesys id/);
        assert.match(error.message, /hostile\.xml: contains a DOCTYPE/);
        assert.match(error.message, /missing\.xml: no such file/);
        assert.doesNotMatch(error.message, /good\.xml/);
        return true;
      },
    );
    await assert.rejects(fs.readdir(paths.retryDir), { code: 'ENOENT' }, 'nothing was written');
    assert.deepEqual((await fs.readdir(inbox)).sort(), ['bad.xml', 'good.xml', 'hostile.xml']);
  });

  it('adds an entry from ids with attempts 0, and refuses ids that are not UUIDs', async () => {
    const conversationId = randomUUID();
    const recordingId = randomUUID();
    await assert.rejects(addRetryForConversation(paths, '../etc'), { code: 'retry.invalidId' });
    await assert.rejects(addRetryForConversation(paths, conversationId, 'x'), { code: 'retry.invalidId' });
    assert.equal(await addRetryForConversation(paths, conversationId), `${conversationId}.xml`);
    assert.equal(
      await addRetryForConversation(paths, conversationId, recordingId),
      `${conversationId}_${recordingId}.xml`,
    );
    const { entries, invalid } = await listRetryEntries(paths);
    assert.deepEqual(invalid, []);
    assert.deepEqual(
      entries.map((e) => [e.file, e.attempts, e.firstFailedAt]),
      [
        [`${conversationId}.xml`, 0, undefined],
        [`${conversationId}_${recordingId}.xml`, 0, undefined],
      ],
    );
  });
});

describe('recordRetryFailure', () => {
  it('counts attempts from the first failure, keeps firstFailedAt and updates the rest', async () => {
    const conversationId = randomUUID();
    const recordingId = randomUUID();
    const entry = { conversationId, recordingId, conversationStart: '2024-05-01T10:00:00.123Z' };
    const one = await recordRetryFailure(paths, entry, 'timeout', NOW);
    assert.equal(one.file, retryEntryName(conversationId, recordingId));
    assert.deepEqual(one.retry, {
      attempts: 1,
      firstFailedAt: '2024-06-01T00:00:00.000Z',
      lastFailedAt: '2024-06-01T00:00:00.000Z',
      lastError: 'timeout',
    });
    assert.equal(one.first, true);
    // A later failure without conversationStart keeps the one already on disk.
    const two = await recordRetryFailure(
      paths,
      { conversationId, recordingId },
      'mediaRefused',
      NOW + 3_600_000,
    );
    assert.deepEqual(two.retry, {
      attempts: 2,
      firstFailedAt: '2024-06-01T00:00:00.000Z',
      lastFailedAt: '2024-06-01T01:00:00.000Z',
      lastError: 'mediaRefused',
    });
    assert.equal(two.first, false);
    const [listed] = (await listRetryEntries(paths)).entries;
    assert.ok(listed);
    assert.equal(listed.conversationStart, '2024-05-01T10:00:00.123Z');
    assert.equal(listed.attempts, 2);
    assert.deepEqual(retryEntryToCdr(listed).retry, two.retry);
  });

  it('carries attempts and age over from the entry passed in (conversation entry split into recordings)', async () => {
    const conversationId = randomUUID();
    const retry = {
      attempts: 4,
      firstFailedAt: '2024-05-20T00:00:00.000Z',
      lastFailedAt: '2024-05-30T00:00:00.000Z',
      lastError: 'x',
    };
    const result = await recordRetryFailure(
      paths,
      { conversationId, recordingId: randomUUID(), retry },
      'again',
      NOW,
    );
    assert.equal(result.retry.attempts, 5);
    assert.equal(result.retry.firstFailedAt, '2024-05-20T00:00:00.000Z');
  });

  it('moves an invalid file with the same name to rejected/ instead of overwriting it', async () => {
    const conversationId = randomUUID();
    await fs.mkdir(paths.retryDir, { recursive: true });
    await fs.writeFile(path.join(paths.retryDir, `${conversationId}.xml`), 'not xml');
    await recordRetryFailure(paths, { conversationId }, 'boom', NOW);
    assert.equal(await fs.readFile(path.join(paths.rejectedDir, `${conversationId}.xml`), 'utf8'), 'not xml');
    assert.equal((await listRetryEntries(paths)).entries[0]?.attempts, 1);
  });

  it('keeps lastError short, single-line and free of URL queries and secrets', async () => {
    const secret = registerSecret('s3cr3t-proxy-pass');
    const message = [
      'GET https://media.example.com/rec/a.ogg?X-Amz-Signature=abc&X-Amz-Credential=def#frag failed',
      `\nproxy http://user:${secret}@proxy:3128 said no\r\n\t`,
      'x'.repeat(1000),
    ].join('');
    const clean = sanitizeRetryError(message);
    assert.ok(clean.length <= 300);
    assert.doesNotMatch(clean, /[\r\n\t]/);
    assert.doesNotMatch(clean, /X-Amz|abc|def|frag|\?/);
    assert.doesNotMatch(clean, new RegExp(secret));
    assert.match(
      clean,
      /^GET https:\/\/media\.example\.com\/rec\/a\.ogg failed proxy http:\/\/proxy:3128 said no x+\.\.\.$/,
    );

    const conversationId = randomUUID();
    const { retry } = await recordRetryFailure(paths, { conversationId }, message, NOW);
    assert.equal(retry.lastError, clean);
    const onDisk = await fs.readFile(path.join(paths.retryDir, `${conversationId}.xml`), 'utf8');
    assert.doesNotMatch(onDisk, /X-Amz|s3cr3t/);
  });

  it('refuses ids that are not Genesys ids', async () => {
    await assert.rejects(recordRetryFailure(paths, { conversationId: '../../x' }, 'e', NOW), {
      code: 'cdr.invalid',
    });
  });
});
