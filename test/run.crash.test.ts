import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { verifyChain } from '../src/state/ledger.js';
import { baseEnv, spawnCli } from './helpers/cli.js';
import {
  archiveFiles,
  assertArchiveExact,
  expectedArchive,
  QUIET_MIX,
  startSimWorkspace,
} from './helpers/sim.js';
import { cursorTime, ingest, partialFiles, readCursorLine, retryEntries, TEST_ENV } from './helpers/run.js';

const MIN = 60_000;
const HOUR = 60 * MIN;

describe('run: crashes, signals and overlapping runs', () => {
  it('kill -9 at random moments, many times: nothing lost, nothing duplicated, cursor never ahead of the archive', async (t) => {
    const now = Date.now();
    const setup = await startSimWorkspace({
      spec: {
        seed: 'crash',
        conversations: 60,
        fromMs: now - 20 * HOUR,
        toMs: now - HOUR,
        mix: QUIET_MIX,
        recordingBytes: [100_000, 300_000],
      },
      sim: { mediaBytesPerSecond: 4_000_000, apiLatencyMs: [5, 20] },
    });
    t.after(() => setup.cleanup());
    const { ws, sim } = setup;
    const expected = expectedArchive(sim.org, 'WAV', 'wav', 'Europe/Dublin', Date.now(), 2);
    let seed = 7;
    const random = (): number => (seed = (seed * 48271) % 2147483647) / 2147483647;
    for (let i = 0; i < 10; i += 1) {
      const { child, done } = spawnCli(['run', '--json', '--config', ws.configPath], {
        env: baseEnv(TEST_ENV),
      });
      await sleep(400 + Math.floor(random() * 1600));
      child.kill('SIGKILL');
      await done;
      // Whatever the moment, every recording at or before the cursor is archived (or parked).
      let line: string;
      try {
        line = await readCursorLine(ws);
      } catch {
        continue; // killed before the first cursor write
      }
      const cursor = cursorTime(line);
      const files = new Set(await archiveFiles(ws.archiveDir));
      const parked = new Set(await retryEntries(ws));
      for (const e of expected.values()) {
        if (sim.org.conversation(e.conversationId)!.startMs >= cursor) continue;
        assert.ok(
          files.has(e.file.replace(/\.wav$/, '.xml')) ||
            parked.has(`${e.conversationId}_${e.recordingId}.xml`),
          `kill ${i}: ${e.file} is before the cursor but not archived`,
        );
      }
    }
    const final = await ingest(ws);
    assert.equal(final.result.code, 0, final.result.stderr);
    await assertArchiveExact(setup);
    assert.deepEqual(await retryEntries(ws), []);
    const chain = await verifyChain(path.join(ws.stateDir, 'ledger', 'pol1_src1'));
    assert.ok(chain.ok, JSON.stringify(chain.firstBrokenLine));
  });

  it('two runs at once: the second exits 3 at once and changes nothing', async (t) => {
    const now = Date.now();
    const setup = await startSimWorkspace({
      spec: { seed: 'overlap', conversations: 20, fromMs: now - 5 * HOUR, toMs: now - HOUR, mix: QUIET_MIX },
      sim: { apiLatencyMs: [100, 150] },
    });
    t.after(() => setup.cleanup());
    const first = spawnCli(['run', '--json', '--config', setup.ws.configPath], { env: baseEnv(TEST_ENV) });
    const lock = path.join(path.dirname(setup.ws.cursorFile), 'pol1_src1.lock');
    for (
      let i = 0;
      i < 100 &&
      !(await fs.stat(lock).then(
        () => true,
        () => false,
      ));
      i += 1
    )
      await sleep(50);
    const second = await ingest(setup.ws);
    assert.equal(second.result.code, 3);
    assert.equal((JSON.parse(second.result.stdout) as { error: { code: string } }).error.code, 'lock.held');
    const done = await first.done;
    assert.equal(done.code, 0, done.stderr);
  });

  it('SIGTERM mid-run: exit 130 within 10 s, temporary files removed, state saved; the next run finishes the work', async (t) => {
    const now = Date.now();
    const setup = await startSimWorkspace({
      spec: {
        seed: 'sigterm',
        conversations: 30,
        fromMs: now - 5 * HOUR,
        toMs: now - HOUR,
        mix: QUIET_MIX,
        recordingBytes: 400_000,
      },
      sim: { mediaBytesPerSecond: 1_000_000 },
    });
    t.after(() => setup.cleanup());
    const run = spawnCli(['run', '--json', '--config', setup.ws.configPath], { env: baseEnv(TEST_ENV) });
    await sleep(2500);
    const sent = Date.now();
    run.child.kill('SIGTERM');
    const result = await run.done;
    assert.equal(result.code, 130, result.stderr);
    assert.ok(Date.now() - sent < 10_000, 'stopped within 10 seconds');
    const report = JSON.parse(result.stdout) as { exitCode: number };
    assert.equal(report.exitCode, 130);
    assert.deepEqual(await partialFiles(setup.ws.dir), []);
    await readCursorLine(setup.ws);
    const next = await ingest(setup.ws);
    assert.equal(next.result.code, 0, next.result.stderr);
    const expected = expectedArchive(setup.sim.org, 'WAV', 'wav', 'Europe/Dublin', Date.now(), 2);
    assert.equal(
      (await archiveFiles(setup.ws.archiveDir)).filter((f) => f.endsWith('.wav')).length,
      expected.size,
    );
  });
});
