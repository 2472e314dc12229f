import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, beforeEach, describe, it } from 'node:test';
import { buildRetryCdrXml, type RetryCdr, type RetryInfo } from '../src/archive/cdr.js';
import { UsageError } from '../src/errors.js';
import { statePaths, type StatePaths } from '../src/state/paths.js';
import {
  addRetryFiles,
  listRetryEntries,
  moveExpiredToDead,
  quarantineInvalid,
  removeRetryEntries,
  removeRetryEntry,
  retryBufferStats,
  retryEntryName,
  selectRetryBatch,
} from '../src/state/retry-buffer.js';

const DAY = 24 * 60 * 60 * 1000;
const NOW = Date.parse('2024-06-01T00:00:00.000Z');
const roots: string[] = [];
let paths: StatePaths;

beforeEach(async () => {
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'retry-list-'));
  roots.push(root);
  paths = statePaths(root, 'pol', 'src');
  await fs.mkdir(paths.retryDir, { recursive: true });
});
after(async () => {
  for (const root of roots) await fs.rm(root, { recursive: true, force: true });
});

/** Writes an entry straight into the buffer; `mtimeMs` sets the file's modification time. */
async function put(entry: RetryCdr, mtimeMs?: number): Promise<string> {
  const name = retryEntryName(entry.conversationId, entry.recordingId);
  const file = path.join(paths.retryDir, name);
  await fs.writeFile(file, buildRetryCdrXml(entry));
  if (mtimeMs !== undefined) await fs.utimes(file, mtimeMs / 1000, mtimeMs / 1000);
  return name;
}

function failed(attempts: number, firstMs: number, lastMs: number): RetryInfo {
  return {
    attempts,
    firstFailedAt: new Date(firstMs).toISOString(),
    lastFailedAt: new Date(lastMs).toISOString(),
    lastError: 'x',
  };
}

describe('retry buffer listing and selection', () => {
  it('takes exactly the 25 least recently attempted of 40 entries', async () => {
    const expected: Array<{ name: string; at: number }> = [];
    for (let i = 0; i < 40; i += 1) {
      // Mixed ages: a third by lastFailedAt, a third with attempts 0 (mtime), a third sharing one time.
      const conversationId = randomUUID();
      let at: number;
      let name: string;
      if (i % 3 === 0) {
        at = NOW - ((i * 7919) % 40) * DAY;
        name = await put({ conversationId, recordingId: randomUUID(), retry: failed(2, at - DAY, at) }, NOW);
      } else if (i % 3 === 1) {
        at = NOW - ((i * 104729) % 37) * DAY - 1000;
        name = await put({ conversationId }, at);
      } else {
        at = NOW - 20 * DAY; // ties, broken by name
        name = await put({ conversationId, retry: failed(1, at, at) }, NOW);
      }
      expected.push({ name, at });
    }
    const listing = await listRetryEntries(paths);
    assert.equal(listing.entries.length, 40);
    assert.deepEqual(listing.invalid, []);
    const batch = selectRetryBatch(listing.entries, 25);
    expected.sort((a, b) => a.at - b.at || (a.name < b.name ? -1 : 1));
    assert.deepEqual(
      batch.map((e) => e.file),
      expected.slice(0, 25).map((e) => e.name),
    );
    assert.deepEqual(selectRetryBatch(listing.entries, 0), []);
    assert.equal(selectRetryBatch(listing.entries, 100).length, 40);
  });

  it('lists entry fields, skips .partial files and folders, and reports invalid files', async () => {
    const conversationId = randomUUID();
    const recordingId = randomUUID();
    const good = await put({
      conversationId,
      recordingId,
      conversationStart: '2024-05-01T10:00:00.000Z',
      retry: failed(3, NOW - 2 * DAY, NOW - DAY),
    });
    await fs.writeFile(path.join(paths.retryDir, `.${good}.abc123.partial`), 'half');
    await fs.mkdir(path.join(paths.retryDir, 'rejected'), { recursive: true });
    await fs.writeFile(path.join(paths.retryDir, 'notes.txt'), 'hello');
    await fs.writeFile(path.join(paths.retryDir, `${randomUUID()}.xml`), '<!DOCTYPE x><cdr version="1"/>');
    // Valid content under a name that is not its own.
    await fs.writeFile(path.join(paths.retryDir, 'copy.xml'), buildRetryCdrXml({ conversationId }));
    await fs.symlink(path.join(paths.retryDir, good), path.join(paths.retryDir, `${randomUUID()}.xml`));

    const { entries, invalid } = await listRetryEntries(paths);
    assert.equal(entries.length, 1);
    const [entry] = entries;
    assert.ok(entry);
    assert.equal(entry.file, good);
    assert.equal(entry.path, path.join(paths.retryDir, good));
    assert.equal(entry.conversationId, conversationId);
    assert.equal(entry.recordingId, recordingId);
    assert.equal(entry.conversationStart, '2024-05-01T10:00:00.000Z');
    assert.equal(entry.attempts, 3);
    assert.equal(entry.firstFailedAt, new Date(NOW - 2 * DAY).toISOString());
    assert.equal(entry.lastFailedAt, new Date(NOW - DAY).toISOString());
    assert.equal(entry.lastError, 'x');
    assert.equal(typeof entry.mtimeMs, 'number');
    const reasons = invalid.map((i) => i.reason).join('\n');
    assert.equal(invalid.length, 4);
    assert.match(reasons, /DOCTYPE/);
    assert.match(reasons, /symbolic link/);
    assert.match(reasons, /file name does not match its ids/);
    assert.ok(invalid.some((i) => i.file === 'notes.txt'));
  });

  it('quarantines invalid files into rejected/ under the same name, never deleting one', async () => {
    const bad = `${randomUUID()}.xml`;
    await fs.writeFile(path.join(paths.retryDir, bad), 'garbage one');
    await fs.mkdir(paths.rejectedDir, { recursive: true });
    await fs.writeFile(path.join(paths.rejectedDir, bad), 'garbage from an earlier run');
    await fs.writeFile(path.join(paths.retryDir, 'other.xml'), 'garbage two');
    const { invalid } = await listRetryEntries(paths);
    const moved = await quarantineInvalid(paths, invalid);
    assert.equal(moved.length, 2);
    assert.deepEqual((await fs.readdir(paths.retryDir)).sort(), ['rejected']);
    const base = bad.slice(0, -4);
    assert.deepEqual(
      (await fs.readdir(paths.rejectedDir)).sort(),
      [`${base}.1.xml`, bad, 'other.xml'].sort(),
    );
    assert.equal(await fs.readFile(path.join(paths.rejectedDir, bad), 'utf8'), 'garbage from an earlier run');
    assert.equal(await fs.readFile(path.join(paths.rejectedDir, `${base}.1.xml`), 'utf8'), 'garbage one');
    assert.equal(await fs.readFile(path.join(paths.rejectedDir, 'other.xml'), 'utf8'), 'garbage two');
  });

  it('moves expired entries to dead/, and retry add brings one back', async () => {
    const old = await put({ conversationId: randomUUID(), retry: failed(9, NOW - 31 * DAY, NOW - DAY) }, NOW);
    const young = await put(
      { conversationId: randomUUID(), retry: failed(2, NOW - 29 * DAY, NOW - DAY) },
      NOW,
    );
    const oldByMtime = await put({ conversationId: randomUUID() }, NOW - 40 * DAY);
    const { entries } = await listRetryEntries(paths);
    const moved = await moveExpiredToDead(paths, entries, 30, NOW);
    assert.deepEqual(moved.map((e) => e.file).sort(), [old, oldByMtime].sort());
    assert.deepEqual((await fs.readdir(paths.deadDir)).sort(), [old, oldByMtime].sort());
    assert.deepEqual(
      (await listRetryEntries(paths)).entries.map((e) => e.file),
      [young],
    );
    assert.deepEqual(await retryBufferStats(paths), {
      size: 1,
      dead: 2,
      oldestFirstFailedAt: new Date(NOW - 29 * DAY).toISOString(),
      restoring: 0,
    });

    await addRetryFiles(paths, [path.join(paths.deadDir, old)]);
    assert.deepEqual(await fs.readdir(paths.deadDir), [oldByMtime]);
    const back = (await listRetryEntries(paths)).entries.find((e) => e.file === old);
    assert.ok(back, 'the dead entry is back in the buffer');
    assert.equal(back.attempts, 0, 'brought back as a fresh entry, so it does not expire at once');
  });

  it('reports stats of an empty or missing buffer', async () => {
    await fs.rm(paths.retryDir, { recursive: true });
    assert.deepEqual(await retryBufferStats(paths), {
      size: 0,
      dead: 0,
      oldestFirstFailedAt: null,
      restoring: 0,
    });
  });

  it('removes by file name, by conversation id and all; unknown names change nothing', async () => {
    const conversationId = randomUUID();
    const a = await put({ conversationId, recordingId: randomUUID() });
    const b = await put({ conversationId, recordingId: randomUUID() });
    const c = await put({ conversationId });
    const d = await put({ conversationId: randomUUID() });
    const e = await put({ conversationId: randomUUID() });
    const f = await put({ conversationId: randomUUID() });

    await assert.rejects(removeRetryEntries(paths, [d, 'nope.xml', '../../etc/passwd']), (error: unknown) => {
      assert.ok(error instanceof UsageError);
      assert.equal(error.code, 'retry.notFound');
      assert.equal(error.exitCode, 2);
      assert.match(error.message, /nope\.xml/);
      return true;
    });
    assert.equal((await fs.readdir(paths.retryDir)).length, 6, 'nothing removed');

    assert.deepEqual(await removeRetryEntries(paths, [d]), [d]);
    assert.deepEqual(await removeRetryEntries(paths, [e.slice(0, -4)]), [e], 'name without .xml');
    assert.deepEqual(await removeRetryEntries(paths, [conversationId.toUpperCase()]), [a, b, c].sort());
    assert.equal(await removeRetryEntry(paths, f), true);
    assert.equal(await removeRetryEntry(paths, f), false);
    await assert.rejects(removeRetryEntry(paths, '../x.xml'), TypeError);

    await put({ conversationId: randomUUID() });
    await put({ conversationId: randomUUID(), recordingId: randomUUID() });
    assert.equal((await removeRetryEntries(paths, 'all')).length, 2);
    assert.deepEqual(await fs.readdir(paths.retryDir), ['removed'], 'removed entries are kept in removed/');
    assert.equal((await fs.readdir(paths.removedDir)).length, 7);
    assert.deepEqual(await removeRetryEntries(paths, 'all'), []);
  });
});
