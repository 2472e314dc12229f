/**
 * The metrics file (SPEC §8.4) written by real runs against the simulator: after exit 0, after a
 * catchup, after a run that fails (exit 4 at login, exit 6 before the report), totals kept in
 * status.json across runs, mode 0600, written atomically (no temporary file left), a dry run
 * leaving it alone.
 */
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { addConversation, generateOrg } from '../sim/src/index.js';
import { baseEnv, runCli } from './helpers/cli.js';
import { ingest, TEST_ENV } from './helpers/run.js';
import { parseExposition, sampleValue, type Exposition } from './helpers/prometheus.js';
import { startSimWorkspace } from './helpers/sim.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const SOURCE = { import_source: 'pol1_src1' };

async function readMetrics(file: string): Promise<Exposition> {
  return parseExposition(await fs.readFile(file, 'utf8'));
}

const value = (exp: Exposition, name: string, labels: Record<string, string> = {}): number =>
  sampleValue(exp, `genesys_ingest_${name}`, { ...SOURCE, ...labels });

interface Status {
  lastExitCode: number;
  totals: {
    recordingsIngested: number;
    bytesArchived: number;
    apiRequests: number;
    alerts: Record<string, number>;
  };
}

describe('run: metrics file', () => {
  it('is rewritten by every run with totals kept across runs, also after failing runs', async (t) => {
    const now = Date.now();
    const org = generateOrg({ seed: 'metrics', conversations: 0 });
    addConversation(org, { startMs: now - 5 * HOUR, durationMs: MIN, recordings: 2, sizeBytes: 5000 });
    addConversation(org, { startMs: now - 4 * HOUR, durationMs: MIN, fileState: 'ARCHIVED' });
    const setup = await startSimWorkspace({
      sim: { org },
      config: {
        metricsFile: './textfile/genesys-ingest.prom',
        recordingStartTimestamp: new Date(now - 6 * HOUR).toISOString(),
      },
    });
    t.after(() => setup.cleanup());
    const file = path.join(setup.ws.dir, 'textfile', 'genesys-ingest.prom');
    const statusFile = path.join(setup.ws.stateDir, 'reports', 'pol1_src1', 'status.json');

    // A dry run is not a run that happened: no metrics file.
    const dry = await ingest(setup.ws, ['--dry-run']);
    assert.equal(dry.result.code, 0, dry.result.stderr);
    await assert.rejects(fs.stat(file), { code: 'ENOENT' });

    const first = await ingest(setup.ws);
    assert.equal(first.result.code, 1, 'archivedInGenesys');
    let m = await readMetrics(file);
    assert.equal((await fs.stat(file)).mode & 0o777, 0o600);
    assert.deepEqual(await fs.readdir(path.dirname(file)), ['genesys-ingest.prom'], 'no temporary file left');
    assert.equal(value(m, 'last_run_exit_code'), 1);
    assert.equal(value(m, 'recordings_ingested_total'), 2);
    assert.equal(value(m, 'bytes_archived_total'), 10_000);
    assert.equal(value(m, 'api_requests_total'), first.report.apiRequests);
    assert.equal(value(m, 'alerts_total', { type: 'archivedInGenesys' }), 1);
    assert.equal(value(m, 'alerts_total', { type: 'lagging' }), 0);
    assert.equal(value(m, 'retry_buffer_entries'), 1);
    assert.equal(value(m, 'retry_dead_entries'), 0);
    assert.equal(value(m, 'pending_conversations'), 0);
    assert.ok(value(m, 'cursor_lag_seconds') >= 0 && value(m, 'cursor_lag_seconds') < 3 * 60);
    const finished = Date.parse(first.report.finishedAt) / 1000;
    assert.ok(Math.abs(value(m, 'last_run_timestamp_seconds') - finished) < 2, 'the run finish time');
    assert.ok(value(m, 'last_run_duration_seconds') > 0);
    const status = JSON.parse(await fs.readFile(statusFile, 'utf8')) as Status;
    assert.deepEqual(status.totals, {
      recordingsIngested: 2,
      bytesArchived: 10_000,
      apiRequests: first.report.apiRequests,
      alerts: { archivedInGenesys: 1 },
    });

    // A second run adds to the totals (a conversation that surfaced behind the cursor, rewound to it).
    addConversation(org, { startMs: now - 3 * HOUR, durationMs: MIN, sizeBytes: 7000 });
    const rewind = await runCli(
      ['cursor', 'set', new Date(now - 3.5 * HOUR).toISOString(), '--config', setup.ws.configPath],
      { env: baseEnv() },
    );
    assert.equal(rewind.code, 0, rewind.stderr);
    const second = await ingest(setup.ws);
    assert.equal(second.result.code, 0, second.result.stderr);
    m = await readMetrics(file);
    assert.equal(value(m, 'last_run_exit_code'), 0);
    assert.equal(value(m, 'recordings_ingested_total'), 3);
    assert.equal(value(m, 'bytes_archived_total'), 17_000);
    assert.equal(value(m, 'api_requests_total'), first.report.apiRequests + second.report.apiRequests);
    assert.equal(
      value(m, 'alerts_total', { type: 'archivedInGenesys' }),
      1,
      'a retry failing again raises none',
    );

    // Exit 4 at login (after the lock, the report open): the file says so; the totals still add up.
    await setup.ws.writeConfig({ clientSecret: 'wrong-secret-7f3a9' });
    const third = await runCli(['run', '--json', '--config', setup.ws.configPath], {
      env: baseEnv(TEST_ENV),
    });
    assert.equal(third.code, 4, third.stderr);
    m = await readMetrics(file);
    assert.equal(value(m, 'last_run_exit_code'), 4);
    assert.equal(value(m, 'recordings_ingested_total'), 3);
    const afterLogin = (JSON.parse(await fs.readFile(statusFile, 'utf8')) as Status).totals.apiRequests;
    assert.ok(afterLogin > first.report.apiRequests + second.report.apiRequests, 'the failed login counts');
    assert.equal(value(m, 'api_requests_total'), afterLogin);
    await setup.ws.writeConfig({ clientSecret: setup.sim.clients[0]!.clientSecret });

    // catchup writes it too.
    const catchup = await ingest(setup.ws, ['catchup']);
    assert.equal(catchup.result.code, 0, catchup.result.stderr);
    m = await readMetrics(file);
    assert.equal(value(m, 'last_run_exit_code'), 0);
    const afterCatchup = afterLogin + catchup.report.apiRequests;
    assert.equal(value(m, 'api_requests_total'), afterCatchup);

    // Exit 6 before the report could be finished (the ledger folder cannot be made): the file still
    // says so, with the last known totals and gauges from status.json.
    const ledgerRoot = path.join(setup.ws.stateDir, 'ledger');
    await fs.rename(ledgerRoot, `${ledgerRoot}.moved`);
    await fs.writeFile(ledgerRoot, 'not a folder');
    const fourth = await runCli(['run', '--json', '--config', setup.ws.configPath], {
      env: baseEnv(TEST_ENV),
    });
    assert.equal(fourth.code, 6, fourth.stderr);
    m = await readMetrics(file);
    assert.equal(value(m, 'last_run_exit_code'), 6);
    assert.equal(value(m, 'recordings_ingested_total'), 3);
    assert.equal(value(m, 'api_requests_total'), afterCatchup);
    assert.equal(value(m, 'retry_buffer_entries'), 1);
    assert.deepEqual(await fs.readdir(path.dirname(file)), ['genesys-ingest.prom']);
    assert.equal((await fs.stat(file)).mode & 0o777, 0o600);
  });
});
