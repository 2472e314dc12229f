/**
 * `genesys-ingest status` (SPEC §1) as a monitoring check runs it: no network, no lock, exit 0 when
 * the last run exited 0 or 1 and the lag is within maxLagMinutes, 5 otherwise, with the reason.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { baseEnv, runCli, snapshotTree } from './helpers/cli.js';
import { QUIET_MIX, startSimWorkspace } from './helpers/sim.js';
import { ingest } from './helpers/run.js';
import { holdLock, makeWorkspace, type Workspace } from './helpers/workspace.js';

const HOUR = 3_600_000;

interface StatusDoc {
  ok: boolean;
  problems: string[];
  lastRun: { command: string | null; finishedAt: string; exitCode: number } | null;
  cursor: { conversationId: string; timestamp: string; local: string; lagMinutes: number } | null;
  pending: number | null;
  retryBuffer: { size: number; dead: number; oldestFirstFailedAt: string | null };
  lock: { command: string; pid: number; host: string; stale: string | null } | null;
}

async function status(
  ws: Workspace,
  json = true,
): Promise<{ code: number | null; doc?: StatusDoc; text: string }> {
  // No secret in the environment: a monitoring check has none.
  const r = await runCli(['status', ...(json ? ['--json'] : []), '--config', ws.configPath], {
    env: baseEnv(),
  });
  return {
    code: r.code,
    ...(json ? { doc: JSON.parse(r.stdout) as StatusDoc } : {}),
    text: r.stdout + r.stderr,
  };
}

describe('status', () => {
  it('on a fresh setup: exit 5, no run has finished, and nothing is created', async (t) => {
    const ws = await makeWorkspace();
    t.after(() => ws.cleanup());
    const before = await snapshotTree(ws.dir);
    const { code, doc } = await status(ws);
    assert.equal(code, 5);
    assert.equal(doc!.ok, false);
    assert.deepEqual(
      doc!.problems.filter((p) => /no run has finished/.test(p)).length,
      1,
      doc!.problems.join('; '),
    );
    assert.equal(doc!.lastRun, null);
    assert.equal(doc!.lock, null);
    assert.deepEqual(await snapshotTree(ws.dir), before, 'status changed nothing');
  });

  it('after a good run: exit 0 with the last run, cursor, retry buffer; a held lock is shown', async (t) => {
    const now = Date.now();
    const setup = await startSimWorkspace({
      spec: {
        seed: 'status',
        conversations: 4,
        fromMs: now - 5 * HOUR,
        toMs: now - 2 * HOUR,
        mix: QUIET_MIX,
      },
      config: { recordingStartTimestamp: new Date(now - 6 * HOUR).toISOString() },
    });
    t.after(() => setup.cleanup());
    const { result, report } = await ingest(setup.ws);
    assert.equal(result.code, 0, result.stderr);

    const healthy = await status(setup.ws);
    assert.equal(healthy.code, 0, JSON.stringify(healthy.doc));
    const doc = healthy.doc!;
    assert.equal(doc.ok, true);
    assert.deepEqual(doc.problems, []);
    assert.equal(doc.lastRun?.command, 'run');
    assert.equal(doc.lastRun?.exitCode, 0);
    assert.equal(doc.lastRun?.finishedAt, report.finishedAt);
    assert.ok(doc.cursor !== null);
    assert.ok(doc.cursor.lagMinutes <= 60, `lag ${doc.cursor.lagMinutes}`);
    assert.deepEqual(doc.retryBuffer, { size: 0, dead: 0, oldestFirstFailedAt: null, restoring: 0 });
    assert.equal(doc.pending, report.counts.pending);

    const human = await status(setup.ws, false);
    assert.equal(human.code, 0);
    assert.match(human.text, /status\s+OK/);
    assert.match(human.text, /last run\s+run finished .*exit 0/);

    await holdLock(setup.ws, 'catchup');
    const locked = await status(setup.ws);
    assert.equal(locked.code, 0, 'a live lock is not a problem: a run is going');
    assert.equal(locked.doc!.lock?.command, 'catchup');
    assert.equal(locked.doc!.lock?.pid, process.pid);
    assert.equal(locked.doc!.lock?.stale, null);
  });

  it('exit 5 when the cursor lags beyond maxLagMinutes, and when the last run failed', async (t) => {
    const now = Date.now();
    const setup = await startSimWorkspace({
      spec: {
        seed: 'status-lag',
        conversations: 2,
        fromMs: now - 5 * HOUR,
        toMs: now - 3 * HOUR,
        mix: QUIET_MIX,
      },
      config: { recordingStartTimestamp: new Date(now - 6 * HOUR).toISOString() },
    });
    t.after(() => setup.cleanup());
    assert.equal((await ingest(setup.ws)).result.code, 0);

    await setup.ws.writeConfig({ maxLagMinutes: 60 });
    const rewind = await runCli(
      ['cursor', 'set', new Date(now - 5.5 * HOUR).toISOString(), '--config', setup.ws.configPath],
      { env: baseEnv() },
    );
    assert.equal(rewind.code, 0, rewind.stderr);
    const lagging = await status(setup.ws);
    assert.equal(lagging.code, 5);
    assert.ok(
      lagging.doc!.problems.some((p) => /lags \d+ minutes \(maxLagMinutes 60\)/.test(p)),
      lagging.doc!.problems.join('; '),
    );

    // Genesys unreachable: the run exits 4, and status says the last run failed.
    await setup.ws.writeConfig({
      maxLagMinutes: 100_000,
      authUrl: 'https://127.0.0.1:9',
      apiUrl: 'https://127.0.0.1:9',
    });
    const failed = await ingest(setup.ws);
    assert.equal(failed.result.code, 4, failed.result.stderr);
    const after = await status(setup.ws);
    assert.equal(after.code, 5);
    assert.equal(after.doc!.lastRun?.exitCode, 4);
    assert.ok(after.doc!.problems.includes('the last run exited 4'), after.doc!.problems.join('; '));
  });
});
