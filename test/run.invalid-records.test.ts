/**
 * Data from Genesys that breaks the model is the recording's or conversation's problem, never the
 * run's (SPEC §4.3): empty entries are dropped, a bad id or unreadable time is refused with
 * `invalidRecord`, the cursor moves past it, and the next run neither re-downloads nor re-alerts.
 */
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { describe, it } from 'node:test';
import { addConversation, generateOrg, type SimConversation } from '../sim/src/index.js';
import { archiveFiles, startSimWorkspace, type SimSetup } from './helpers/sim.js';
import {
  cursorTime,
  ingest,
  ledgerLines,
  readCursorLine,
  retryEntries,
  type RunReport,
} from './helpers/run.js';

const MIN = 60_000;
const HOUR = 60 * MIN;

interface Scenario {
  setup: SimSetup;
  bad: SimConversation;
  after: SimConversation;
}

/** A good conversation, the malformed one `shape` makes, and a good one after it. */
async function scenario(
  t: { after(fn: () => Promise<void>): void },
  shape: (org: ReturnType<typeof generateOrg>, startMs: number) => SimConversation,
): Promise<Scenario> {
  const now = Date.now();
  const org = generateOrg({ seed: 'invalid', conversations: 0 });
  addConversation(org, { startMs: now - 3 * HOUR, durationMs: 5 * MIN });
  const bad = shape(org, now - 2 * HOUR);
  const after = addConversation(org, { startMs: now - HOUR, durationMs: 5 * MIN });
  const setup = await startSimWorkspace({
    sim: { org },
    config: { recordingStartTimestamp: new Date(now - 4 * HOUR).toISOString() },
  });
  t.after(() => setup.cleanup());
  return { setup, bad, after };
}

/** The second run: nothing to do, nothing downloaded, no alert. */
async function assertQuietRerun(setup: SimSetup): Promise<RunReport> {
  const mediaBefore = setup.sim.counts().media;
  const { result, report } = await ingest(setup.ws);
  assert.equal(result.code, 0, `${result.stderr}\n${JSON.stringify(report.alerts)}`);
  assert.deepEqual(report.alerts, []);
  assert.equal(report.counts.ingested, 0);
  assert.equal(report.counts.failed, 0);
  assert.equal(setup.sim.counts().media - mediaBefore, 0, 'no media downloaded again');
  return report;
}

/** The first run refused `conversationId` (as given) and archived the good ones; the cursor passed it all. */
async function assertRefused(
  s: Scenario,
  report: RunReport,
  code: number | null,
  stderr: string,
  recordingId = '',
): Promise<void> {
  assert.equal(code, 1, stderr);
  const refusals = report.alerts.filter((a) => a.type === 'invalidRecord');
  assert.equal(refusals.length, 1, JSON.stringify(report.alerts));
  assert.equal(refusals[0]!.conversationId, s.bad.id);
  assert.equal(refusals[0]!.recordingId, recordingId);
  const failed = report.items.filter((i) => i.status === 'failed');
  assert.deepEqual(
    failed.map((i) => [i.conversationId, i.recordingId, i.reason]),
    [[s.bad.id, recordingId, 'invalidRecord']],
  );
  assert.ok(report.items.some((i) => i.conversationId === s.after.id && i.status === 'ingested'));
  assert.ok(cursorTime(await readCursorLine(s.setup.ws)) > s.after.startMs, 'the cursor moved past it all');
  assert.deepEqual(await retryEntries(s.setup.ws), [], 'a refused record is not retried');
  const refusedLines = (await ledgerLines(s.setup.ws.stateDir)).filter(
    (l) => l.type === 'conversation' && l.status === 'refused',
  );
  assert.equal(refusedLines.length, 1, 'one conversation ledger line with status refused');
  assert.equal(refusedLines[0]!.conversationId, s.bad.id);
}

describe('run: malformed data from Genesys is refused per record, never exit 2', () => {
  it('a conversation id that is not a UUID: invalidRecord, the cursor passes, the next run is quiet', async (t) => {
    const s = await scenario(t, (org, startMs) =>
      addConversation(org, { id: 'not-a-uuid "\u0007/../x"', startMs, durationMs: 5 * MIN }),
    );
    const { result, report } = await ingest(s.setup.ws);
    await assertRefused(s, report, result.code, result.stderr);
    assert.equal((await archiveFiles(s.setup.ws.archiveDir)).filter((f) => f.endsWith('.wav')).length, 2);
    await assertQuietRerun(s.setup);
  });

  it('an unreadable conversationEnd: invalidRecord, the cursor passes, the next run is quiet', async (t) => {
    const s = await scenario(t, (org, startMs) =>
      addConversation(org, {
        startMs,
        durationMs: 5 * MIN,
        jsonOverrides: { conversationEnd: '2024-13-45T99:99:99Z' },
      }),
    );
    const { result, report } = await ingest(s.setup.ws);
    await assertRefused(s, report, result.code, result.stderr);
    await assertQuietRerun(s.setup);
  });

  it('an unreadable conversationStart: invalidRecord, and the next run does not raise it again', async (t) => {
    const s = await scenario(t, (org, startMs) =>
      addConversation(org, {
        startMs,
        durationMs: 5 * MIN,
        jsonOverrides: { conversationStart: 'yesterday' },
      }),
    );
    const { result, report } = await ingest(s.setup.ws);
    await assertRefused(s, report, result.code, result.stderr);
    await assertQuietRerun(s.setup);
  });

  it('a recording id that is not a UUID: refused alone, its sibling archived, the next run is quiet', async (t) => {
    const s = await scenario(t, (org, startMs) =>
      addConversation(org, {
        startMs,
        durationMs: 5 * MIN,
        recordings: 2,
        recordingIds: ['rec\n"not-a-uuid"'],
      }),
    );
    const { result, report } = await ingest(s.setup.ws);
    await assertRefused(s, report, result.code, result.stderr, 'rec\n"not-a-uuid"');
    const good = s.bad.recordings[1]!.id;
    assert.ok(report.items.some((i) => i.recordingId === good && i.status === 'ingested'));
    await assertQuietRerun(s.setup);
  });

  it('a recording whose startTime cannot be read: refused alone, the next run is quiet', async (t) => {
    const s = await scenario(t, (org, startMs) => {
      const conv = addConversation(org, { startMs, durationMs: 5 * MIN, recordings: 2 });
      conv.recordings[0]!.jsonOverrides = { startTime: 'soon' };
      return conv;
    });
    const { result, report } = await ingest(s.setup.ws);
    await assertRefused(s, report, result.code, result.stderr, s.bad.recordings[0]!.id);
    await assertQuietRerun(s.setup);
  });

  it('divisionIds [""]: the empty entry is dropped and the recording archived, once', async (t) => {
    const s = await scenario(t, (org, startMs) =>
      addConversation(org, { startMs, durationMs: 5 * MIN, divisionIds: ['', org.divisions[0]!.id, ''] }),
    );
    const { result, report } = await ingest(s.setup.ws);
    assert.equal(result.code, 0, `${result.stderr}\n${JSON.stringify(report.alerts)}`);
    assert.equal(report.counts.ingested, 3);
    const cdrFile = (await archiveFiles(s.setup.ws.archiveDir)).find(
      (f) => f.endsWith('.xml') && f.includes(s.bad.id),
    );
    assert.ok(cdrFile !== undefined, 'the recording with the empty division entry is archived');
    const xml = await fs.readFile(path.join(s.setup.ws.archiveDir, cdrFile), 'utf8');
    assert.match(xml, new RegExp(`<divisionId>${s.setup.sim.org.divisions[0]!.id}</divisionId>`));
    assert.doesNotMatch(xml, /<divisionId\s*\/>|<divisionId><\/divisionId>/);
    assert.ok(cursorTime(await readCursorLine(s.setup.ws)) > s.after.startMs);
    await assertQuietRerun(s.setup);
  });
});

describe('run: media URLs', () => {
  it('a media URL that is not https is never fetched: the recording fails with mediaRefused', async (t) => {
    const requests: string[] = [];
    const plain = http.createServer((req, res) => {
      requests.push(req.url ?? '');
      res.writeHead(200, { 'Content-Type': 'audio/wav', 'Content-Length': 4 }).end('RIFF');
    });
    await new Promise<void>((resolve) => plain.listen(0, '127.0.0.1', resolve));
    t.after(() => plain.close());
    const port = (plain.address() as AddressInfo).port;
    const s = await scenario(t, (org, startMs) => {
      const conv = addConversation(org, { startMs, durationMs: 5 * MIN });
      conv.recordings[0]!.jsonOverrides = {
        mediaUris: { S: { mediaUri: `http://127.0.0.1:${port}/media/x.wav?X-Amz-Signature=abc` } },
      };
      return conv;
    });
    const { result, report } = await ingest(s.setup.ws);
    assert.equal(result.code, 1, result.stderr);
    const failed = report.items.filter((i) => i.status === 'failed');
    assert.deepEqual(
      failed.map((i) => [i.conversationId, i.recordingId]),
      [[s.bad.id, s.bad.recordings[0]!.id]],
    );
    assert.match(failed[0]!.reason, /^mediaRefused\b/);
    assert.deepEqual(requests, [], 'nothing was requested over plain http');
    assert.equal(report.counts.ingested, 2);
  });
});
