/**
 * SPEC §3.1 end to end: a clock step must not hand one import source to two runs. A forward step
 * looks, to a second process, like a heartbeat three minutes old in the live holder's lock file; a
 * test writes that directly. The holder is a real CLI run, held mid-run by the simulator.
 */
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { readLedger, verifyChain, type LedgerLine } from '../src/state/ledger.js';
import { addConversation, generateOrg } from '../sim/src/index.js';
import { baseEnv, spawnCli } from './helpers/cli.js';
import { assertArchiveExact, startSimWorkspace, type SimSetup } from './helpers/sim.js';
import { ingest, TEST_ENV } from './helpers/run.js';

const MIN = 60_000;
const HOUR = 60 * MIN;

interface LockFile {
  pid: number;
  host: string;
  runId: string;
  heartbeatAt: string;
}

function lockPath(setup: SimSetup): string {
  return path.join(path.dirname(setup.ws.cursorFile), 'pol1_src1.lock');
}

function ledgerDir(setup: SimSetup): string {
  return path.join(setup.ws.stateDir, 'ledger', 'pol1_src1');
}

async function ledgerLines(setup: SimSetup): Promise<LedgerLine[]> {
  const out: LedgerLine[] = [];
  for await (const line of readLedger(ledgerDir(setup))) out.push(line);
  return out;
}

/** Replaces the lock file the way another process would (write beside it, rename over it). */
async function rewriteLock(setup: SimSetup, patch: Partial<LockFile>): Promise<LockFile> {
  const file = lockPath(setup);
  const current = JSON.parse(await fs.readFile(file, 'utf8')) as LockFile;
  const next = { ...current, ...patch };
  await fs.writeFile(`${file}.test-tmp`, JSON.stringify(next), { mode: 0o600 });
  await fs.rename(`${file}.test-tmp`, file);
  return next;
}

/** Polls `check` until it holds; fails the test after `tries` polls of 25 ms. */
async function waitFor(what: string, check: () => Promise<boolean> | boolean, tries = 2400): Promise<void> {
  for (let i = 0; i < tries; i += 1) {
    if (await check()) return;
    await sleep(25);
  }
  assert.fail(`timed out waiting for ${what}`);
}

/**
 * Three conversations of one recording each, one download at a time; the second media request is
 * held by the simulator until `release()`. Returns once the holder run is held there and the first
 * conversation's ledger lines are written (the ledger is quiet until the release).
 */
async function heldRun(t: import('node:test').TestContext, seed: string) {
  const now = Date.now();
  const org = generateOrg({ seed, conversations: 0 });
  for (const hoursAgo of [5, 4, 3]) addConversation(org, { startMs: now - hoursAgo * HOUR, durationMs: MIN });
  const setup = await startSimWorkspace({ sim: { org }, config: { concurrency: 1 } });
  t.after(() => setup.cleanup());
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  t.after(() => release());
  const hold = setup.sim.faults.add({
    listener: 'media',
    after: 1,
    times: 1,
    action: { kind: 'hold', until: released },
  });
  const holder = spawnCli(['run', '--json', '--config', setup.ws.configPath], {
    env: baseEnv(TEST_ENV),
    timeoutMs: 240_000,
  });
  t.after(() => holder.child.kill('SIGKILL'));
  await waitFor('the holder to reach the held download', () => hold.applied === 1);
  await waitFor('the first conversation to be in the ledger', async () =>
    (await ledgerLines(setup).catch(() => [])).some((l) => l.type === 'conversation'),
  );
  return { setup, holder, release };
}

describe('run: the lock across a clock step (SPEC §3.1)', () => {
  it('a live local holder whose heartbeat looks three minutes old is never displaced: the second run exits 3', async (t) => {
    const { setup, holder, release } = await heldRun(t, 'lock-step');
    const stepped = await rewriteLock(setup, { heartbeatAt: new Date(Date.now() - 3 * MIN).toISOString() });
    const second = await ingest(setup.ws);
    assert.equal(second.result.code, 3, second.result.stderr);
    assert.equal((JSON.parse(second.result.stdout) as { error: { code: string } }).error.code, 'lock.held');
    const after = JSON.parse(await fs.readFile(lockPath(setup), 'utf8')) as LockFile;
    assert.equal(after.runId, stepped.runId, 'the lock still names the holder');
    release();
    const done = await holder.done;
    assert.equal(done.code, 0, done.stderr);
    await assertArchiveExact(setup);
    const chain = await verifyChain(ledgerDir(setup));
    assert.ok(chain.ok, JSON.stringify(chain.firstBrokenLine));
  });

  it('a holder whose lock was taken stops with exit 3 before its next ledger append and writes no more', async (t) => {
    const { setup, holder, release } = await heldRun(t, 'lock-taken');
    await rewriteLock(setup, { runId: 'another-run-took-it' });
    const before = await ledgerLines(setup);
    const cursorBefore = await fs.readFile(setup.ws.cursorFile, 'utf8');
    release();
    const done = await holder.done;
    assert.equal(done.code, 3, done.stderr);
    assert.equal((JSON.parse(done.stdout) as { exitCode: number }).exitCode, 3);
    assert.deepEqual(await ledgerLines(setup), before, 'no ledger line after the lock was lost');
    const chain = await verifyChain(ledgerDir(setup));
    assert.ok(chain.ok, JSON.stringify(chain.firstBrokenLine));
    assert.equal(await fs.readFile(setup.ws.cursorFile, 'utf8'), cursorBefore, 'the cursor was not moved');
    await assert.rejects(
      fs.stat(path.join(setup.ws.stateDir, 'reports', 'pol1_src1', 'status.json')),
      { code: 'ENOENT' },
      'status.json belongs to the run that holds the lock',
    );
    const lock = JSON.parse(await fs.readFile(lockPath(setup), 'utf8')) as LockFile;
    assert.equal(lock.runId, 'another-run-took-it', 'the lock of the other run is left alone');
  });
});
