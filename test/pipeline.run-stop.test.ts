import assert from 'node:assert/strict';
import { describe, it, mock } from 'node:test';
import { RunDeadline, RunStop } from '../src/pipeline/run-stop.js';
import { WorkPool } from '../src/util/work-pool.js';

describe('run stop', () => {
  it('a failure stops new work and aborts the work in flight, stop first, keeping the first reason', () => {
    const stop = new RunStop(new AbortController().signal);
    const seen: boolean[] = [];
    stop.abort.addEventListener('abort', () => seen.push(stop.stop.aborted));
    assert.equal(stop.failed, false);
    assert.equal(stop.failure, undefined);
    const first = new Error('disk full');
    stop.fail(first);
    stop.fail(new Error('later'));
    assert.deepEqual(seen, [true], 'whoever reacts to abort already sees stop');
    assert.equal(stop.stop.reason, first);
    assert.equal(stop.abort.reason, first);
    assert.equal(stop.failure, first);
    stop.dispose();
  });

  it('an outside stop (a signal, an escaped error) is a failure; after dispose it is not heard', () => {
    const outside = new AbortController();
    const stop = new RunStop(outside.signal);
    const reason = new Error('SIGTERM');
    outside.abort(reason);
    assert.equal(stop.failure, reason);

    const late = new AbortController();
    const done = new RunStop(late.signal);
    done.dispose();
    late.abort(new Error('after the run'));
    assert.equal(done.failed, false);
    assert.equal(done.stop.aborted, false);

    const already = new AbortController();
    already.abort(reason);
    assert.equal(new RunStop(already.signal).failure, reason, 'aborted before the run started');
  });

  it('the deadline stops new work only: no failure, work in flight is not aborted', () => {
    mock.timers.enable({ apis: ['setTimeout'] });
    try {
      const stop = new RunStop(new AbortController().signal);
      stop.deadlineAfter(55);
      mock.timers.tick(55 * 60_000 - 1);
      assert.equal(stop.stop.aborted, false, 'not before maxRunMinutes');
      mock.timers.tick(1);
      assert.equal(stop.stop.aborted, true);
      assert.ok(stop.stop.reason instanceof RunDeadline);
      assert.equal(stop.abort.aborted, false, 'downloads in flight finish');
      assert.equal(stop.failed, false);
      assert.equal(stop.failure, undefined);
      const failure = new Error('later failure');
      stop.fail(failure);
      assert.equal(stop.failure, failure, 'a failure after the deadline still aborts the work in flight');
      assert.ok(stop.stop.reason instanceof RunDeadline, 'stop keeps its first reason');
      stop.dispose();

      const disposed = new RunStop(new AbortController().signal);
      disposed.deadlineAfter(1);
      disposed.dispose();
      mock.timers.tick(60_000);
      assert.equal(disposed.stop.aborted, false, 'a run that ended has no deadline');
    } finally {
      mock.timers.reset();
    }
  });
});

describe('work pool', () => {
  it('starts no task once stop is aborted; tasks in flight run on', async () => {
    const stop = new AbortController();
    const pool = new WorkPool(2, stop.signal);
    const ran: string[] = [];
    let finish!: () => void;
    await pool.submit(async () => {
      await new Promise<void>((resolve) => (finish = resolve));
      ran.push('in flight');
    });
    stop.abort(new RunDeadline(1));
    await pool.submit(() => {
      ran.push('new');
      return Promise.resolve();
    });
    finish();
    await pool.drain();
    assert.deepEqual(ran, ['in flight']);
  });

  it('reports the first failure at once and re-throws it from drain', async () => {
    const stop = new AbortController();
    const failures: unknown[] = [];
    const pool = new WorkPool(2, stop.signal, (error) => {
      failures.push(error);
      stop.abort(error);
    });
    const boom = new Error('boom');
    await pool.submit(() => Promise.reject(boom));
    await pool.settle();
    assert.deepEqual(failures, [boom]);
    let started = false;
    await pool.submit(() => {
      started = true;
      return Promise.resolve();
    });
    assert.equal(started, false, 'the failure stopped new work');
    await assert.rejects(pool.drain(), boom);
  });
});
