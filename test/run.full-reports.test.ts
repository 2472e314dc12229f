/**
 * A real full disk (SPEC §4.6): a small tmpfs mounted as the reports folder and filled to leave one
 * page free. A report or status.json that cannot be written stops the run with exit 6, state saved. Skipped with a message when the tests do not run as root.
 */
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { formatCursorLine } from '../src/state/cursor-file.js';
import { baseEnv, runCli } from './helpers/cli.js';
import { cursorTime, ledgerText, partialFiles, readCursorLine, TEST_ENV } from './helpers/run.js';
import { QUIET_MIX, startSimWorkspace } from './helpers/sim.js';
import { fillLeaving, mountTmpfs } from './helpers/tmpfs.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const PAGE = 4096;

describe('run: a full reports folder', () => {
  it('the reports folder fills up mid-run: exit 6, cursor saved, status.json written, lock released, no .partial', async (t) => {
    const now = Date.now();
    const setup = await startSimWorkspace({
      spec: {
        seed: 'full-reports',
        conversations: 40,
        fromMs: now - 10 * HOUR,
        toMs: now - HOUR,
        mix: QUIET_MIX,
      },
    });
    const start = Date.parse(setup.ws.config.recordingStartTimestamp as string);
    // The cursor first: a reports folder without one would read as a removed cursor (exit 2).
    await fs.mkdir(path.dirname(setup.ws.cursorFile), { recursive: true, mode: 0o700 });
    const initial = formatCursorLine({ conversationId: '', startMs: start });
    await fs.writeFile(setup.ws.cursorFile, `${initial}\n`, { mode: 0o600 });
    const reportsDir = path.join(setup.ws.stateDir, 'reports', 'pol1_src1');
    const disk = await mountTmpfs(t, reportsDir, 16 * PAGE);
    t.after(async () => {
      disk?.unmount();
      await setup.cleanup();
    });
    if (disk === undefined) return;
    // One page: the report's header and a dozen items fit, the 40 items do not.
    await fillLeaving(disk.dir, PAGE);

    const result = await runCli(['run', '--json', '--config', setup.ws.configPath], {
      env: baseEnv(TEST_ENV),
      timeoutMs: 240_000,
    });
    assert.equal(result.code, 6, result.stderr);
    const doc = JSON.parse(result.stdout) as { ok: boolean; exitCode: number; error: { code: string } };
    assert.equal(doc.exitCode, 6);
    assert.match(doc.error.code, /^storage\./);
    assert.doesNotMatch(result.stderr, /internal error|unhandled/i);

    const cursor = await readCursorLine(setup.ws);
    assert.ok(cursorTime(cursor) > start, `the cursor moved with the conversations settled (${cursor})`);
    const ledger = await ledgerText(setup.ws.stateDir);
    for (const conv of setup.sim.org.conversations)
      if (conv.startMs <= cursorTime(cursor))
        assert.ok(ledger.includes(conv.id), `${conv.id} is before the cursor, so it is settled`);

    const status = JSON.parse(await fs.readFile(path.join(reportsDir, 'status.json'), 'utf8')) as {
      lastExitCode: number;
      cursor: { conversationId: string };
    };
    assert.equal(status.lastExitCode, 6);
    assert.equal(status.cursor.conversationId, cursor.split(';')[0]);
    const lastState = path.dirname(setup.ws.cursorFile);
    assert.deepEqual(
      (await fs.readdir(lastState)).filter((n) => n.endsWith('.lock')),
      [],
      'the lock is released',
    );
    assert.deepEqual(await partialFiles(setup.ws.dir), []);
  });
});
