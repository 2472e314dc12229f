/**
 * A real full disk (SPEC §3, §4.6): a small tmpfs mounted as the archive and filled to leave a few
 * pages free. Skipped with a message when the tests do not run as root.
 */
import assert from 'node:assert/strict';
import { promises as fs, type Stats } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { readCdrFile } from '../src/archive/cdr.js';
import { addConversation, generateOrg } from '../sim/src/index.js';
import { baseEnv, runCli } from './helpers/cli.js';
import { cursorTime, ledgerText, partialFiles, readCursorLine, TEST_ENV } from './helpers/run.js';
import { archiveFiles, startSimWorkspace } from './helpers/sim.js';
import { fillLeaving, mountTmpfs } from './helpers/tmpfs.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const PAGE = 4096;

describe('run: a full archive volume', () => {
  it('the archive fills up mid-file: no media file is committed smaller than its download, exit 6, cursor at the durable prefix', async (t) => {
    const now = Date.now();
    const org = generateOrg({ seed: 'full-archive', conversations: 0 });
    const notRecorded = addConversation(org, { startMs: now - 3 * HOUR, durationMs: 60_000, recordings: 0 });
    // Two media files of 4,100 bytes (two pages each) and no size known before the download (several
    // mediaUris keys), so the free-space check lets the download start with three pages free: the
    // second file gets one page, i.e. a short write of 4,096 bytes, then ENOSPC.
    const big = addConversation(org, {
      startMs: now - 2 * HOUR,
      durationMs: 60_000,
      recordings: 1,
      mediaKeys: ['S', 'T'],
      sizeBytes: 4100,
    });
    const setup = await startSimWorkspace({
      sim: { org },
      config: {
        minFreeDiskMb: 0,
        concurrency: 1,
        recordingStartTimestamp: new Date(now - 4 * HOUR).toISOString(),
      },
    });
    const disk = await mountTmpfs(t, setup.ws.archiveDir, 16 * PAGE);
    t.after(async () => {
      disk?.unmount();
      await setup.cleanup();
    });
    if (disk === undefined) return;
    await fillLeaving(disk.dir, 3 * PAGE);

    const result = await runCli(['run', '--config', setup.ws.configPath], { env: baseEnv(TEST_ENV) });
    assert.equal(result.code, 6, result.stderr);
    assert.match(result.stderr, /ENOSPC|no space/);

    const media = (await archiveFiles(disk.dir)).filter((f) => f.endsWith('.wav'));
    assert.ok(media.length >= 1, 'the first media file was written');
    for (const file of media) {
      const stat: Stats = await fs.stat(path.join(disk.dir, file));
      assert.equal(stat.size, 4100, `${file} is committed with every byte of its download`);
    }
    for (const file of (await archiveFiles(disk.dir)).filter((f) => f.endsWith('.xml'))) {
      const parsed = await readCdrFile(path.join(disk.dir, file));
      assert.ok(parsed.kind === 'archived', `${file} is an archived CDR`);
      for (const m of parsed.cdr.media) {
        const stat: Stats = await fs.stat(path.join(disk.dir, path.dirname(file), m.file));
        assert.equal(stat.size, m.sizeBytes, `${m.file} has the size its CDR says`);
      }
    }
    assert.deepEqual(await partialFiles(setup.ws.dir), []);

    // The durable prefix: the not-recorded conversation once it settled, never the failed one.
    const cursor = await readCursorLine(setup.ws);
    const settled = (await ledgerText(setup.ws.stateDir)).includes(notRecorded.id);
    assert.ok(cursorTime(cursor) < big.startMs, `cursor ${cursor} stays before the conversation that failed`);
    if (settled) assert.equal(cursor.split(';')[0], notRecorded.id);
    else assert.equal(cursorTime(cursor), now - 4 * HOUR - ((now - 4 * HOUR) % 1000));
    assert.ok(!(await ledgerText(setup.ws.stateDir)).includes(big.recordings[0]!.id), 'no ledger line');
  });
});
