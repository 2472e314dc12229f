/** The metrics file's text (SPEC §8.4), exactly, and the totals status.json keeps for it. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cursorLagSeconds, escapeLabelValue, renderMetrics } from '../src/pipeline/metrics.js';
import { addTotals, emptyTotals, totalsFrom } from '../src/state/run-totals.js';
import { parseExposition, sampleValue } from './helpers/prometheus.js';

const ZERO_ALERTS = [
  'clockSkew',
  'deleteFailed',
  'deleteProtected',
  'deletedInGenesys',
  'discoveryCapped',
  'invalidRecord',
  'lagging',
  'lateDiscovered',
  'namesUnavailable',
  'overMaxLength',
  'overdue',
  'recordingError',
  'rejectedRetryFile',
  'retryExhausted',
];

describe('metrics file', () => {
  it('renders every metric with HELP, TYPE and the import_source label, exactly', () => {
    const text = renderMetrics({
      importSource: 'pol1_src1',
      finishedAtMs: 1_764_775_800_123,
      exitCode: 1,
      durationMs: 61_500,
      cursorLagSeconds: 420,
      pending: 2,
      retryBuffer: { size: 3, dead: 1 },
      totals: {
        recordingsIngested: 120,
        bytesArchived: 9_876_543_210,
        apiRequests: 456,
        alerts: { archivedInGenesys: 2, lagging: 1 },
      },
    });
    const l = 'import_source="pol1_src1"';
    const expected = [
      '# HELP genesys_ingest_last_run_timestamp_seconds When the last run or catchup of this import source finished (Unix time, seconds).',
      '# TYPE genesys_ingest_last_run_timestamp_seconds gauge',
      `genesys_ingest_last_run_timestamp_seconds{${l}} 1764775800.123`,
      '# HELP genesys_ingest_last_run_exit_code Exit code of the last run or catchup (0 ok, 1 partial, 4 Genesys unreachable, 6 disk, 70 bug, 130 interrupted).',
      '# TYPE genesys_ingest_last_run_exit_code gauge',
      `genesys_ingest_last_run_exit_code{${l}} 1`,
      '# HELP genesys_ingest_last_run_duration_seconds How long the last run or catchup took, in seconds.',
      '# TYPE genesys_ingest_last_run_duration_seconds gauge',
      `genesys_ingest_last_run_duration_seconds{${l}} 61.500`,
      '# HELP genesys_ingest_cursor_lag_seconds How far the cursor lags behind now minus the availability delay, in seconds.',
      '# TYPE genesys_ingest_cursor_lag_seconds gauge',
      `genesys_ingest_cursor_lag_seconds{${l}} 420`,
      '# HELP genesys_ingest_pending_conversations Conversations not yet due at the last run (in progress or within the availability delay).',
      '# TYPE genesys_ingest_pending_conversations gauge',
      `genesys_ingest_pending_conversations{${l}} 2`,
      '# HELP genesys_ingest_retry_buffer_entries Entries in the retry buffer (recordings or conversations whose ingest failed and is retried).',
      '# TYPE genesys_ingest_retry_buffer_entries gauge',
      `genesys_ingest_retry_buffer_entries{${l}} 3`,
      '# HELP genesys_ingest_retry_dead_entries Retry entries given up after retryMaxAgeDays (in dead/, waiting for an operator).',
      '# TYPE genesys_ingest_retry_dead_entries gauge',
      `genesys_ingest_retry_dead_entries{${l}} 1`,
      '# HELP genesys_ingest_recordings_ingested_total Recordings archived, over all runs.',
      '# TYPE genesys_ingest_recordings_ingested_total counter',
      `genesys_ingest_recordings_ingested_total{${l}} 120`,
      '# HELP genesys_ingest_bytes_archived_total Bytes of media archived, over all runs.',
      '# TYPE genesys_ingest_bytes_archived_total counter',
      `genesys_ingest_bytes_archived_total{${l}} 9876543210`,
      '# HELP genesys_ingest_api_requests_total Requests to the Genesys auth and API hosts (not media), over all runs.',
      '# TYPE genesys_ingest_api_requests_total counter',
      `genesys_ingest_api_requests_total{${l}} 456`,
      '# HELP genesys_ingest_alerts_total Alerts raised, by type, over all runs.',
      '# TYPE genesys_ingest_alerts_total counter',
      `genesys_ingest_alerts_total{${l},type="archivedInGenesys"} 2`,
      ...ZERO_ALERTS.map((type) =>
        type === 'lagging'
          ? `genesys_ingest_alerts_total{${l},type="lagging"} 1`
          : `genesys_ingest_alerts_total{${l},type="${type}"} 0`,
      ),
      '',
    ].join('\n');
    assert.equal(text, expected);
    parseExposition(text);
  });

  it('leaves out gauges that are not known, and escapes label values', () => {
    const text = renderMetrics({
      importSource: 'a\\b"c\nd',
      finishedAtMs: 1000,
      exitCode: 6,
      durationMs: 5,
      cursorLagSeconds: undefined,
      pending: undefined,
      retryBuffer: undefined,
      totals: emptyTotals(),
    });
    assert.doesNotMatch(text, /cursor_lag|pending_conversations|retry_buffer|retry_dead/);
    assert.match(text, /^genesys_ingest_last_run_exit_code\{import_source="a\\\\b\\"c\\nd"\} 6$/m);
    const parsed = parseExposition(text);
    assert.equal(sampleValue(parsed, 'genesys_ingest_last_run_exit_code', { import_source: 'a\\b"c\nd' }), 6);
    assert.equal(escapeLabelValue('plain_Source-1'), 'plain_Source-1');
  });

  it('totals: read leniently from status.json, added run by run', () => {
    assert.deepEqual(totalsFrom(undefined), emptyTotals());
    assert.deepEqual(totalsFrom({ totals: 'garbage' }), emptyTotals());
    const before = totalsFrom({
      totals: {
        recordingsIngested: 5,
        bytesArchived: 100,
        apiRequests: -3,
        alerts: { overdue: 2, 'bad type!': 9, lagging: 1.5 },
      },
    });
    assert.deepEqual(before, {
      recordingsIngested: 5,
      bytesArchived: 100,
      apiRequests: 0,
      alerts: { overdue: 2 },
    });
    assert.deepEqual(
      addTotals(before, {
        recordingsIngested: 2,
        bytesArchived: 50,
        apiRequests: 7,
        alerts: { overdue: 1, lagging: 1 },
      }),
      { recordingsIngested: 7, bytesArchived: 150, apiRequests: 7, alerts: { overdue: 3, lagging: 1 } },
    );
  });

  it('cursor lag in seconds, never negative', () => {
    assert.equal(cursorLagSeconds(0, 10 * 60_000, 2), 480);
    assert.equal(cursorLagSeconds(9 * 60_000, 10 * 60_000, 2), 0);
  });
});
