import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { ReportWriter } from '../src/state/report.js';

const roots: string[] = [];
after(async () => {
  for (const root of roots) await fs.rm(root, { recursive: true, force: true });
});

async function openReport(): Promise<ReportWriter> {
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'report-counts-'));
  roots.push(root);
  return ReportWriter.open(root, {
    command: 'run',
    importSource: { name: 'test', policyId: 'p', importSourceId: 's' },
    startedAtMs: Date.UTC(2026, 11, 3),
    dryRun: false,
  });
}

describe('report counters', () => {
  it('change only through the report, and the finished report carries them', async () => {
    const report = await openReport();
    const live = report.counts;
    report.count('discovered');
    report.count('discovered');
    report.count('alreadyArchived', 3);
    report.count('skippedNonAudio', 0);
    report.alert({ type: 'lagging', conversationId: '', recordingId: '', message: 'behind' });
    assert.equal(live.discovered, 2, 'counts is read live (the progress line reads it as it changes)');
    assert.equal(report.counts.alreadyArchived, 3);
    assert.equal(report.counts.alerts, 1);
    // Checked by the type checker (npm run typecheck), never run.
    const refused = (): void => {
      // @ts-expect-error -- nothing but the report mutates its counters
      report.counts.ingested += 1;
      // @ts-expect-error -- alerts are counted by alert(), failures by countFailure()
      report.count('alerts');
    };
    void refused;

    const file = await report.finish(
      {
        exitCode: 1,
        window: null,
        cursor: { before: 'a', after: 'b' },
        apiRequests: 0,
        bytesDownloaded: 0,
        retryBuffer: { size: 0, dead: 0 },
      },
      Date.UTC(2026, 11, 3, 0, 1),
    );
    const written = JSON.parse(await fs.readFile(file, 'utf8')) as { counts: Record<string, number> };
    assert.equal(written.counts.discovered, 2);
    assert.equal(written.counts.alreadyArchived, 3);
    assert.equal(written.counts.alerts, 1);
  });

  it('a failure from the retry buffer is counted but only a first attempt makes the run partial', async () => {
    const report = await openReport();
    report.countFailure(true);
    assert.equal(report.counts.failed, 1);
    assert.equal(report.firstAttemptFailed, false, 'an entry failing again does not make exit 1');
    report.countFailure(false);
    assert.equal(report.counts.failed, 2);
    assert.equal(report.firstAttemptFailed, true);
    report.countFailure(true);
    assert.equal(report.firstAttemptFailed, true, 'stays set');
    await report.discard();
  });
});
