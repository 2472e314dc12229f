/**
 * `verify --reconcile` (SPEC §8.1) end to end against the simulator: a period is archived, then
 * damaged the way a real archive is, and the reconcile must name exactly the damaged conversations
 * as `missing`, give every other conversation its status, and honour the day boundaries of
 * `yyyy-MM-dd` read in `timezone`.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { DateTime } from 'luxon';
import { addConversation, generateOrg, type SimConversation } from '../sim/src/index.js';
import { baseEnv, runCli, snapshotTree, type CliResult } from './helpers/cli.js';
import { ingest } from './helpers/run.js';
import { startSimWorkspace, type SimSetup } from './helpers/sim.js';
import { holdLock } from './helpers/workspace.js';

const ZONE = 'America/New_York';
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

interface Doc {
  ok: boolean;
  from: string;
  to: string;
  listedFrom?: string;
  counts: Record<string, number>;
  conversations: {
    conversationId: string;
    conversationStart: string;
    status: string;
    recordingIds: string[];
    detail: string;
  }[];
}

/** RFC 4180: quoted fields, doubled quotes, CRLF rows. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i += 1) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i += 1;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i += 1;
    } else field += c;
  }
  assert.equal(field + row.join(''), '', 'the CSV ends with CRLF');
  return rows;
}

async function reconcileCli(setup: SimSetup, ...args: string[]): Promise<{ result: CliResult; doc: Doc }> {
  const result = await runCli(['verify', '--reconcile', ...args, '--json', '--config', setup.ws.configPath], {
    env: baseEnv(),
    timeoutMs: 120_000,
  });
  let doc: Doc;
  try {
    doc = JSON.parse(result.stdout) as Doc;
  } catch {
    throw new Error(
      `no JSON document (exit ${result.code}):\n${result.stderr}\n${result.stdout.slice(0, 2000)}`,
    );
  }
  return { result, doc };
}

function statusOf(doc: Doc): Map<string, string> {
  return new Map(doc.conversations.map((c) => [c.conversationId, c.status]));
}

function mediaFile(ws: SimSetup['ws'], conv: SimConversation, ext: string): string {
  const day = DateTime.fromMillis(conv.startMs, { zone: ZONE }).toFormat('yyyy/MM/dd');
  return path.join(ws.archiveDir, day, conv.id, `${conv.recordings[0]!.id}.${ext}`);
}

describe('verify --reconcile', () => {
  it('names exactly the damaged conversations missing, gives the others their status, and keeps to the local day', async (t) => {
    // Day D: a whole local day two days back, in a zone whose midnight is not UTC's.
    const dayStart = DateTime.now().setZone(ZONE).startOf('day').minus({ days: 2 });
    const D = dayStart.toMillis();
    const next = dayStart.plus({ days: 1 }).toMillis();
    const org = generateOrg({ seed: 'reconcile', conversations: 0 });
    const at = (
      startMs: number,
      more: Partial<Parameters<typeof addConversation>[1]> = {},
    ): SimConversation => addConversation(org, { startMs, durationMs: MINUTE, sizeBytes: 1024, ...more });
    const before = at(D - MINUTE); // the evening before, local time: outside the range
    const first = at(D + MINUTE);
    const archived = at(D + 2 * HOUR);
    const grows = at(D + 3 * HOUR); // gets a second recording after archiving (--deep)
    const mediaGone = at(D + 4 * HOUR);
    const cdrGone = at(D + 5 * HOUR);
    const notRecorded = at(D + 6 * HOUR, { recordings: 0 });
    const gone = at(D + 7 * HOUR, { fileState: 'DELETED' });
    const retry = at(D + 8 * HOUR, { fileState: 'ARCHIVED' });
    const dead = at(D + 9 * HOUR, { fileState: 'ARCHIVED' });
    const removed = at(D + 10 * HOUR, { fileState: 'ARCHIVED' });
    const late = at(D + 11 * HOUR, { visibleFrom: Date.now() + 365 * 24 * HOUR });
    const last = at(next - 2 * MINUTE);
    const after = at(next + MINUTE); // just after midnight: the next day
    const setup = await startSimWorkspace({
      sim: { org },
      config: {
        timezone: ZONE,
        reconcileAfterHours: 0,
        recordingStartTimestamp: new Date(D - HOUR).toISOString(),
      },
    });
    t.after(() => setup.cleanup());
    const { ws, sim } = setup;
    const run = await ingest(ws);
    assert.equal(run.result.code, 1, run.result.stderr); // the ARCHIVED ones went to the retry buffer

    // The damage.
    await fs.rm(mediaFile(ws, mediaGone, 'wav'));
    await fs.rm(mediaFile(ws, cdrGone, 'xml'));
    await fs.rm(mediaFile(ws, before, 'wav')); // outside the range: must not show
    const deadDir = path.join(ws.retryDir, 'dead');
    await fs.mkdir(deadDir, { recursive: true });
    const deadEntry = (await fs.readdir(ws.retryDir)).find((n) => n.startsWith(dead.id))!;
    await fs.rename(path.join(ws.retryDir, deadEntry), path.join(deadDir, deadEntry));
    const remove = await runCli(['retry', 'remove', removed.id, '--config', ws.configPath], {
      env: baseEnv(),
    });
    assert.equal(remove.code, 0, remove.stderr);
    sim.org.setVisibleFrom(late.id, undefined);
    const range = [dayStart.toFormat('yyyy-MM-dd'), dayStart.plus({ days: 1 }).toFormat('yyyy-MM-dd')];
    const csvFile = path.join(ws.dir, 'out', 'march.csv');
    const stateBefore = await snapshotTree(ws.stateDir);

    const { result, doc } = await reconcileCli(setup, ...range, '--csv', csvFile);
    assert.equal(result.code, 5, result.stderr);
    assert.equal(doc.ok, false);
    assert.equal(doc.from, new Date(D).toISOString());
    assert.equal(doc.to, new Date(next).toISOString());
    const expected = new Map([
      [first.id, 'archived'],
      [archived.id, 'archived'],
      [grows.id, 'archived'],
      [mediaGone.id, 'missing'],
      [cdrGone.id, 'missing'],
      [notRecorded.id, 'notRecorded'],
      [gone.id, 'gone'],
      [retry.id, 'retry'],
      [dead.id, 'dead'],
      [removed.id, 'removed'],
      [late.id, 'missing'],
      [last.id, 'archived'],
    ]);
    assert.deepEqual(statusOf(doc), expected);
    assert.ok(!statusOf(doc).has(before.id) && !statusOf(doc).has(after.id));
    assert.deepEqual(doc.counts, {
      archived: 4,
      notRecorded: 1,
      gone: 1,
      refused: 0,
      retry: 1,
      dead: 1,
      removed: 1,
      pending: 0,
      missing: 3,
    });
    const detail = new Map(doc.conversations.map((c) => [c.conversationId, c.detail]));
    assert.match(detail.get(mediaGone.id)!, /media .*\.wav is gone/);
    assert.match(detail.get(cdrGone.id)!, /CDR .*\.xml is gone/);
    assert.match(detail.get(late.id)!, /no record/);

    // The report file: the same document, 0600, and nothing else in stateDir changed.
    const reportsDir = path.join(ws.stateDir, 'reports', 'pol1_src1');
    const reports = (await fs.readdir(reportsDir)).filter((n) => n.endsWith('-reconcile.json'));
    assert.equal(reports.length, 1);
    const reportPath = path.join(reportsDir, reports[0]!);
    assert.equal((await fs.stat(reportPath)).mode & 0o777, 0o600);
    assert.equal(await fs.readFile(reportPath, 'utf8'), result.stdout);
    const stateAfter = await snapshotTree(ws.stateDir);
    stateAfter.delete(path.relative(ws.stateDir, reportPath));
    assert.deepEqual(stateAfter, stateBefore);

    // The CSV: one row per conversation, the same columns, parsed back.
    assert.equal((await fs.stat(csvFile)).mode & 0o777, 0o600);
    const rows = parseCsv(await fs.readFile(csvFile, 'utf8'));
    assert.deepEqual(rows[0], ['conversationId', 'conversationStart', 'status', 'recordingIds', 'detail']);
    assert.deepEqual(
      rows.slice(1),
      doc.conversations.map((c) => [
        c.conversationId,
        c.conversationStart,
        c.status,
        c.recordingIds.join(' '),
        c.detail,
      ]),
    );

    // For people: counts per status, then the missing ones in a table.
    const human = await runCli(['verify', '--reconcile', ...range, '--config', ws.configPath], {
      env: baseEnv(),
    });
    assert.equal(human.code, 5, human.stderr);
    assert.match(human.stdout, /^archived\s+4$/m);
    assert.match(human.stdout, /^missing\s+3$/m);
    for (const conv of [mediaGone, cdrGone, late])
      assert.match(human.stdout, new RegExp(`^${conv.id}\\s`, 'm'));
    assert.doesNotMatch(human.stdout, new RegExp(archived.id));

    // A recording added in Genesys after its conversation was archived: only --deep sees it.
    const extra = { ...grows.recordings[0]!, id: randomUUID(), sessionId: randomUUID() };
    sim.org.addRecording(grows.id, extra);
    const shallow = await reconcileCli(setup, ...range);
    assert.equal(statusOf(shallow.doc).get(grows.id), 'archived');
    const deep = await reconcileCli(setup, ...range, '--deep');
    assert.equal(deep.result.code, 5, deep.result.stderr);
    assert.deepEqual(
      deep.doc.conversations
        .filter((c) => c.status === 'missing')
        .map((c) => c.conversationId)
        .sort(),
      [mediaGone.id, cdrGone.id, late.id, grows.id].sort(),
    );
    assert.match(
      deep.doc.conversations.find((c) => c.conversationId === grows.id)!.detail,
      new RegExp(extra.id),
    );
  });

  it('gives pending to what is not due yet, exits 0 when nothing is missing, and runs while another run holds the lock', async (t) => {
    const now = Date.now();
    const org = generateOrg({ seed: 'reconcile-pending', conversations: 0 });
    const done = addConversation(org, { startMs: now - 30 * MINUTE, durationMs: MINUTE, sizeBytes: 1024 });
    const setup = await startSimWorkspace({
      sim: { org },
      config: { timezone: ZONE, reconcileAfterHours: 0 },
    });
    t.after(() => setup.cleanup());
    const run = await ingest(setup.ws);
    assert.equal(run.result.code, 0, run.result.stderr);
    // After the run: one that ended a moment ago (availability delay), one in progress.
    const fresh = addConversation(org, {
      startMs: now - 5 * MINUTE,
      durationMs: 4 * MINUTE,
      sizeBytes: 1024,
    });
    const live = addConversation(org, { startMs: now - 2 * MINUTE, inProgress: true });
    const lock = await holdLock(setup.ws);
    const lockBefore = await fs.readFile(lock, 'utf8');
    const from = DateTime.fromMillis(now - HOUR, { zone: ZONE }).toISO({ includeOffset: false })!;
    const { result, doc } = await reconcileCli(setup, from, new Date(now + MINUTE).toISOString());
    assert.equal(result.code, 0, result.stderr);
    assert.equal(doc.ok, true);
    assert.deepEqual(
      statusOf(doc),
      new Map([
        [done.id, 'archived'],
        [fresh.id, 'pending'],
        [live.id, 'pending'],
      ]),
    );
    assert.equal(await fs.readFile(lock, 'utf8'), lockBefore, 'the lock is not touched');
    // The range starts before the import does: listed from recordingStartTimestamp, and said so.
    assert.equal(doc.listedFrom, setup.ws.config.recordingStartTimestamp);
    assert.match(result.stderr, /conversations before it are not listed/);
  });
});
