/**
 * The pieces of SPEC §8.3 that decide whether a restore is asked again: when one is due, and the
 * retry entry's `restoreRequestedAt` mark, which survives later failures and is read strictly.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { buildRetryCdrXml, parseCdrXml } from '../src/archive/cdr.js';
import { restoreDue } from '../src/pipeline/settle/rules.js';
import { statePaths } from '../src/state/paths.js';
import {
  listRetryEntries,
  recordRetryFailure,
  restoreRequestedAtOf,
  retryBufferStats,
} from '../src/state/retry-buffer.js';

const DAY = 86_400_000;
const NOW = Date.parse('2026-12-03T12:00:00.000Z');
const roots: string[] = [];
after(async () => {
  for (const dir of roots) await fs.rm(dir, { recursive: true, force: true });
});

describe('restore: when to ask, and the mark in the retry entry', () => {
  it('asks when never asked, when the last request is restoreDays old, or when the mark is unusable', () => {
    assert.equal(restoreDue(undefined, NOW, 7), true);
    assert.equal(restoreDue(new Date(NOW - 6 * DAY).toISOString(), NOW, 7), false);
    assert.equal(restoreDue(new Date(NOW - 7 * DAY).toISOString(), NOW, 7), true);
    assert.equal(restoreDue(new Date(NOW - 2 * DAY).toISOString(), NOW, 1), true);
    assert.equal(restoreDue('not a time', NOW, 7), true);
    assert.equal(restoreDue(new Date(NOW + 2 * DAY).toISOString(), NOW, 7), true, 'a mark far ahead');
    assert.equal(restoreDue(new Date(NOW + 60_000).toISOString(), NOW, 7), false, 'a clock a minute off');
  });

  it('the mark round-trips in <retry>, and a bad one makes the entry invalid', () => {
    const entry = {
      conversationId: randomUUID(),
      recordingId: randomUUID(),
      retry: {
        attempts: 1,
        firstFailedAt: '2026-12-03T12:00:00.000Z',
        lastFailedAt: '2026-12-03T12:00:00.000Z',
        lastError: 'archived in Genesys; restore requested',
        restoreRequestedAt: '2026-12-03T12:00:00.000Z',
      },
    };
    const xml = buildRetryCdrXml(entry);
    assert.match(xml, /restoreRequestedAt="2026-12-03T12:00:00.000Z"/);
    assert.deepEqual(parseCdrXml(xml), { kind: 'retry', entry });
    assert.throws(
      () =>
        parseCdrXml(
          xml.replace('restoreRequestedAt="2026-12-03T12:00:00.000Z"', 'restoreRequestedAt="soon"'),
        ),
      /restoreRequestedAt is not a UTC ISO-8601 timestamp/,
    );
    assert.throws(
      () => parseCdrXml(xml.replace('restoreRequestedAt=', 'restoreAskedAt=')),
      /unknown attribute/,
    );
  });

  it('a later failure keeps the mark; a new request renews it; stats count the entries waiting', async () => {
    const root = await fs.mkdtemp(path.join(os.tmpdir(), 'restore-entries-'));
    roots.push(root);
    const paths = statePaths(path.join(root, 'state'), 'pol', 'src');
    const ids = { conversationId: randomUUID(), recordingId: randomUUID() };
    assert.equal(await restoreRequestedAtOf(paths, ids.conversationId, ids.recordingId), undefined);
    await recordRetryFailure(paths, ids, 'restore requested', NOW, { restoreRequested: true });
    const first = new Date(NOW).toISOString();
    assert.equal(await restoreRequestedAtOf(paths, ids.conversationId, ids.recordingId), first);
    await recordRetryFailure(paths, ids, 'media refused', NOW + DAY);
    assert.equal(await restoreRequestedAtOf(paths, ids.conversationId, ids.recordingId), first, 'kept');
    const [entry] = (await listRetryEntries(paths)).entries;
    assert.equal(entry?.restoreRequestedAt, first);
    assert.equal(entry?.attempts, 2);
    await recordRetryFailure(paths, ids, 'restore requested again', NOW + 8 * DAY, {
      restoreRequested: true,
    });
    assert.equal(
      await restoreRequestedAtOf(paths, ids.conversationId, ids.recordingId),
      new Date(NOW + 8 * DAY).toISOString(),
    );
    await recordRetryFailure(paths, { conversationId: randomUUID() }, 'not restoring', NOW);
    const stats = await retryBufferStats(paths);
    assert.deepEqual([stats.size, stats.restoring], [2, 1]);
  });
});
