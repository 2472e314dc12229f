/**
 * `verify --archive` against a small real archive and ledger written with the project's own writers
 * (CDR builder, atomic writes, the ledger), then damaged one way per test.
 */
import assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { buildArchivedCdrXml, type ArchivedCdr } from '../src/archive/cdr.js';
import { cdrFileName, conversationFolder, mediaFileName } from '../src/archive/layout.js';
import { loadConfig } from '../src/config/load.js';
import type { Config } from '../src/config/types.js';
import { writeFileAtomic } from '../src/util/atomic.js';
import { Ledger, type LedgerEntry } from '../src/state/ledger.js';
import { statePaths, type StatePaths } from '../src/state/paths.js';
import { LedgerIndex } from '../src/verify/archive-index.js';
import { auditArchive, type ArchiveAudit } from '../src/verify/archive.js';
import { makeWorkspace, type Workspace } from './helpers/workspace.js';

const WRITTEN = Date.parse('2024-05-03T12:00:00.000Z');
const sha = (data: string | Buffer): string => createHash('sha256').update(data).digest('hex');

interface Archived {
  cdr: ArchivedCdr;
  folder: string;
  cdrPath: string;
  /** Absolute media paths, first is the one the ledger names. */
  media: string[];
  rel: (file: string) => string;
}

let ws: Workspace;
let config: Config;
let paths: StatePaths;
let ledger: Ledger;

beforeEach(async () => {
  ws = await makeWorkspace();
  config = loadConfig(ws.configPath, { env: {} });
  paths = statePaths(config.stateDir, config.policyId, config.importSourceId);
  ledger = await Ledger.open(paths.ledgerDir);
});
afterEach(async () => ws.cleanup());

/** Archives one recording the way the pipeline does: media, then CDR, then ledger line. */
async function archive(
  start: string,
  options: { keys?: string[]; ledger?: boolean; policyId?: string } = {},
): Promise<Archived> {
  const conversationId = randomUUID();
  const recordingId = randomUUID();
  const startMs = Date.parse(start);
  const folder = conversationFolder(config.archiveDir!, config.timezone, startMs, conversationId);
  const keys = options.keys ?? [undefined];
  const media: Archived['media'] = [];
  const cdrMedia: ArchivedCdr['media'] = [];
  for (const key of keys) {
    const name = mediaFileName(recordingId, 'wav', key);
    const bytes = Buffer.from(`RIFF audio of ${recordingId} ${key ?? ''}`);
    await writeFileAtomic(path.join(folder, name), bytes);
    media.push(path.join(folder, name));
    const entry = {
      codec: 'WAV',
      contentType: 'audio/wav',
      file: name,
      sizeBytes: bytes.length,
      sha256: sha(bytes),
    };
    cdrMedia.push(key === undefined ? entry : { ...entry, key });
  }
  const cdr: ArchivedCdr = {
    conversationId,
    recordingId,
    conversationStart: new Date(startMs).toISOString(),
    conversationEnd: new Date(startMs + 60_000).toISOString(),
    localStart: { value: '2024-05-01T11:00:00.000+01:00', timezone: config.timezone },
    durationMs: 60_000,
    participants: [{ purpose: 'customer' }],
    queues: [],
    divisionIds: [],
    wrapUpCodes: [],
    recording: {},
    media: cdrMedia,
    importSource: {
      name: 'x',
      policyId: options.policyId ?? config.policyId,
      importSourceId: config.importSourceId,
    },
    ingestedAt: '2024-05-03T12:00:00.000Z',
  };
  const cdrPath = path.join(folder, cdrFileName(recordingId));
  const xml = buildArchivedCdrXml(cdr);
  await writeFileAtomic(cdrPath, xml);
  const rel = (file: string): string => path.relative(config.archiveDir!, file).split(path.sep).join('/');
  if (options.ledger !== false) await ledger.append([recordingLine(cdr, rel(media[0]!), xml)], WRITTEN);
  return { cdr, folder, cdrPath, media, rel };
}

function recordingLine(cdr: ArchivedCdr, file: string, xml: string): LedgerEntry {
  return {
    type: 'recording',
    conversationId: cdr.conversationId,
    recordingId: cdr.recordingId,
    conversationStart: cdr.conversationStart,
    file,
    sha256: cdr.media[0]!.sha256,
    cdrSha256: sha(xml),
  };
}

/** A small archive: three recordings over two days (one with two media files), ledger lines between. */
async function standardArchive(): Promise<[Archived, Archived, Archived]> {
  const a = await archive('2024-05-01T10:00:00.000Z');
  await ledger.append(
    [
      {
        type: 'conversation',
        conversationId: a.cdr.conversationId,
        conversationStart: a.cdr.conversationStart,
        status: 'archived',
        recordingIds: [a.cdr.recordingId],
      },
    ],
    WRITTEN,
  );
  const b = await archive('2024-05-01T23:30:00.000Z', { keys: ['0', '1'] });
  const c = await archive('2024-05-02T08:15:00.000Z');
  return [a, b, c];
}

async function audit(): Promise<ArchiveAudit> {
  return auditArchive(config, paths, {});
}

function kinds(result: ArchiveAudit): string[] {
  return result.findings.map((f) => `${f.kind} ${f.path}`).sort();
}

function check(result: ArchiveAudit, name: string): { ok: boolean; detail: string; hint?: string } {
  const found = result.checks.find((c) => c.name === name);
  assert.ok(found, `no check ${name}`);
  return found;
}

/** Names, sizes and modification times of every file and folder under `dir`. */
async function snapshot(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await fs.readdir(dir, { recursive: true, withFileTypes: true })) {
    const full = path.join(entry.parentPath, entry.name);
    const stat = await fs.lstat(full);
    out.push(`${full} ${stat.size} ${stat.mtimeMs}`);
  }
  return out.sort();
}

describe('verify --archive', () => {
  it('passes a clean archive, reports progress and creates nothing', async () => {
    await standardArchive();
    const before = await snapshot(ws.dir);
    const temps = async (): Promise<string[]> =>
      (await fs.readdir(os.tmpdir())).filter((n) => n.startsWith('genesys-ingest-verify-'));
    const tempsBefore = await temps();
    const progress: number[] = [];
    const result = await auditArchive(config, paths, { onProgress: (done) => progress.push(done) });
    assert.deepEqual(result.findings, []);
    assert.equal(result.recordings, 3);
    assert.deepEqual(progress, [1, 2, 3]);
    assert.deepEqual(
      result.checks.map((c) => [c.name, c.ok]),
      [
        ['archive files', true],
        ['archive layout', true],
        ['ledger chain', true],
        ['ledger cross-check', true],
      ],
    );
    assert.match(
      check(result, 'archive files').detail,
      /^3 recordings re-hashed \(4 media files, .*\), all match/,
    );
    assert.match(check(result, 'ledger chain').detail, /^4 lines, hash chain intact/);
    assert.deepEqual(await snapshot(ws.dir), before);
    assert.deepEqual(await temps(), tempsBefore);
  });

  it('passes an empty installation (no archive, no ledger yet)', async () => {
    const result = await audit();
    assert.ok(result.checks.every((c) => c.ok));
    assert.match(check(result, 'archive files').detail, /does not exist yet/);
  });

  it('detects one altered media byte, and only that', async () => {
    const [, b] = await standardArchive();
    const file = b.media[1]!;
    const bytes = await fs.readFile(file);
    bytes[3] = (bytes[3] as number) ^ 0xff;
    await fs.writeFile(file, bytes);
    const result = await audit();
    assert.deepEqual(kinds(result), [`altered ${b.rel(file)}`]);
    assert.match(result.findings[0]!.detail, /SHA-256 [0-9a-f]{64}, CDR says/);
    const files = check(result, 'archive files');
    assert.equal(files.ok, false);
    assert.match(files.detail, /^1 altered among 3 recordings: /);
    assert.match(files.hint ?? '', /restore altered files from backup/);
    assert.ok(check(result, 'ledger cross-check').ok);
  });

  it('detects a deleted media file, and a recording gone entirely from the archive', async () => {
    const [a, , c] = await standardArchive();
    await fs.rm(a.media[0]!);
    await fs.rm(c.folder, { recursive: true });
    const result = await audit();
    assert.deepEqual(
      kinds(result),
      [`missing ${a.rel(a.media[0]!)}`, `missing ${c.rel(c.media[0]!)}`].sort(),
    );
    const ledgerMissing = result.findings.find((f) => f.path === c.rel(c.media[0]!))!;
    assert.match(ledgerMissing.detail, /neither the media nor a CDR/);
    assert.equal(check(result, 'archive files').ok, false);
    assert.equal(check(result, 'ledger cross-check').ok, false);
    assert.match(check(result, 'ledger cross-check').hint ?? '', /retry add --conversation/);
  });

  it('--from/--to: only the archive days asked for, in the archive and in the ledger', async () => {
    // a is dated 2024-05-01 in Europe/Dublin; b (23:30Z = 00:30 local) and c 2024-05-02.
    const [a, b, c] = await standardArchive();
    const bytes = await fs.readFile(a.media[0]!);
    bytes[0] = (bytes[0] as number) ^ 0xff;
    await fs.writeFile(a.media[0]!, bytes);
    await fs.rm(c.folder, { recursive: true });
    await fs.writeFile(path.join(config.archiveDir!, 'stray.txt'), 'not in any day');
    const second = await auditArchive(config, paths, { days: { from: '2024/05/02', to: '2024/05/02' } });
    assert.deepEqual(kinds(second), [`missing ${c.rel(c.media[0]!)}`], 'day 2 only: c is missing');
    assert.equal(second.recordings, 1, 'only b was read');
    assert.equal(check(second, 'ledger cross-check').ok, false);
    const first = await auditArchive(config, paths, { days: { to: '2024/05/01' } });
    assert.deepEqual(kinds(first), [`altered ${a.rel(a.media[0]!)}`], 'day 1 only: a is altered');
    assert.ok(check(first, 'ledger cross-check').ok);
    assert.match(
      check(first, 'ledger cross-check').detail,
      /every recording the ledger dates 2024-05-01 or earlier/,
    );
    const later = await auditArchive(config, paths, { days: { from: '2024/05/03' } });
    assert.deepEqual(kinds(later), []);
    assert.equal(later.recordings, 0);
    assert.ok(b.media.length === 2);
  });

  it('detects orphaned files: a stray file, and media whose CDR is gone', async () => {
    const [a, b] = await standardArchive();
    const stray = path.join(a.folder, 'stray.wav');
    await fs.writeFile(stray, 'x');
    await fs.rm(b.cdrPath);
    const result = await audit();
    assert.deepEqual(
      kinds(result),
      [
        `orphaned ${a.rel(stray)}`,
        `orphaned ${b.rel(b.media[0]!)}`,
        `orphaned ${b.rel(b.media[1]!)}`,
        // The ledger still names the recording: its CDR is what is missing.
        `missing ${b.rel(b.media[0]!)}`,
      ].sort(),
    );
    assert.match(
      result.findings.find((f) => f.kind === 'missing')!.detail,
      /the media is there but no CDR for it is/,
    );
    assert.equal(check(result, 'archive layout').ok, false);
  });

  it('detects a leftover .partial file', async () => {
    const [a] = await standardArchive();
    const partial = path.join(a.folder, `.${path.basename(a.media[0]!)}.0a1b2c3d4e5f.partial`);
    await fs.writeFile(partial, 'half');
    const result = await audit();
    assert.deepEqual(kinds(result), [`leftoverPartial ${a.rel(partial)}`]);
    assert.match(check(result, 'archive layout').hint ?? '', /'run' removes those/);
  });

  it('detects a CDR with garbage, without calling its media orphaned or its ledger line missing', async () => {
    const [, , c] = await standardArchive();
    await fs.writeFile(c.cdrPath, '<cdr version="1"><garbage');
    const result = await audit();
    assert.deepEqual(kinds(result), [`unparseableCdr ${c.rel(c.cdrPath)}`]);
    assert.equal(result.recordings, 2);
    assert.equal(check(result, 'archive files').ok, false);
  });

  it('detects a CDR in the wrong date folder', async () => {
    const [a] = await standardArchive();
    const wrong = path.join(config.archiveDir!, '2024', '04', '30', a.cdr.conversationId);
    await fs.mkdir(path.dirname(wrong), { recursive: true });
    await fs.rename(a.folder, wrong);
    const result = await audit();
    const rel = `2024/04/30/${a.cdr.conversationId}/${a.cdr.recordingId}.xml`;
    assert.deepEqual(kinds(result), [`misplaced ${rel}`]);
    assert.match(result.findings[0]!.detail, new RegExp(`belongs at ${a.rel(a.cdrPath)}`));
    assert.equal(check(result, 'archive layout').ok, false);
  });

  it('finds every CDR misplaced when timezone is changed after archiving', async () => {
    const [, b] = await standardArchive();
    // 23:30 UTC is already the next day in Dublin (UTC+1), but not in UTC.
    config = { ...config, timezone: 'UTC' };
    const result = await audit();
    assert.deepEqual(kinds(result), [`misplaced ${b.rel(b.cdrPath)}`]);
    assert.ok(check(result, 'ledger cross-check').ok);
  });

  it('names the file and line of a broken ledger chain, and the recording it no longer matches', async () => {
    const [a] = await standardArchive();
    const file = path.join(paths.ledgerDir, '2024-05.jsonl');
    const lines = (await fs.readFile(file, 'utf8')).split('\n');
    lines[0] = lines[0]!.replace(/"sha256":"[0-9a-f]{64}"/, `"sha256":"${'0'.repeat(64)}"`);
    await fs.writeFile(file, lines.join('\n'));
    const result = await audit();
    const chain = check(result, 'ledger chain');
    assert.equal(chain.ok, false);
    assert.match(
      chain.detail,
      new RegExp(`broken at ${file.replace(/[.\\]/g, '\\$&')} line 2 of 4: prev does not match`),
    );
    assert.deepEqual(kinds(result), [`ledgerMismatch ${a.rel(a.cdrPath)}`]);
    assert.match(result.findings[0]!.detail, /media sha256 \(ledger 0{64}/);
  });

  it('names a garbage line appended to the ledger', async () => {
    await standardArchive();
    await fs.appendFile(path.join(paths.ledgerDir, '2024-05.jsonl'), 'garbage\n');
    const result = await audit();
    assert.match(check(result, 'ledger chain').detail, /2024-05\.jsonl line 5 of 5: not JSON/);
    assert.deepEqual(result.findings, []);
  });

  it('detects a recording missing from the ledger', async () => {
    await standardArchive();
    const d = await archive('2024-05-02T09:00:00.000Z', { ledger: false });
    const result = await audit();
    assert.deepEqual(kinds(result), [`notInLedger ${d.rel(d.cdrPath)}`]);
    assert.equal(check(result, 'ledger cross-check').ok, false);
  });

  it('passes a CDR rewritten with deleteRequested plus its second ledger line, and duplicate lines', async () => {
    const [a, b] = await standardArchive();
    const cdr: ArchivedCdr = {
      ...a.cdr,
      deleteRequested: { at: '2024-05-04T00:00:00.000Z', deleteDate: '2024-05-05T00:00:00.000Z' },
    };
    const xml = buildArchivedCdrXml(cdr);
    await writeFileAtomic(a.cdrPath, xml);
    await ledger.append([recordingLine(cdr, a.rel(a.media[0]!), xml)], WRITTEN);
    // A crash after the line was appended but before the run recorded it: the same line again.
    const bXml = await fs.readFile(b.cdrPath, 'utf8');
    await ledger.append([recordingLine(b.cdr, b.rel(b.media[0]!), bXml)], WRITTEN);
    const result = await audit();
    assert.deepEqual(result.findings, []);
    assert.ok(result.checks.every((c) => c.ok));
    assert.match(
      check(result, 'ledger cross-check').detail,
      /all 3 recordings in the ledger \(5 recording lines\)/,
    );
  });

  it('reports a CDR rewritten by an unfinished delete as a mismatch, saying the next run completes it', async () => {
    const [a] = await standardArchive();
    const cdr: ArchivedCdr = {
      ...a.cdr,
      deleteRequested: { at: '2024-05-04T00:00:00.000Z', deleteDate: '2024-05-05T00:00:00.000Z' },
    };
    await writeFileAtomic(a.cdrPath, buildArchivedCdrXml(cdr));
    const intent = { conversationId: cdr.conversationId, recordingId: cdr.recordingId };
    await writeFileAtomic(
      path.join(paths.deletesDir, `${cdr.conversationId}_${cdr.recordingId}.json`),
      JSON.stringify(intent),
    );
    const result = await audit();
    assert.deepEqual(kinds(result), [`ledgerMismatch ${a.rel(a.cdrPath)}`]);
    assert.match(result.findings[0]!.detail, /cdrSha256 .*a delete of it is journaled and unfinished/);
  });

  it('re-hashes but does not cross-check CDRs of another import source sharing the archive', async () => {
    await standardArchive();
    await archive('2024-05-02T09:00:00.000Z', { ledger: false, policyId: 'otherPolicy' });
    const result = await audit();
    assert.deepEqual(result.findings, []);
    assert.equal(result.recordings, 4);
    assert.match(check(result, 'ledger cross-check').detail, /1 CDRs of other import sources/);
  });
});

describe('ledger index', () => {
  it('keeps the last line per recording, in memory and with positioned reads alike', async () => {
    const ids = Array.from({ length: 300 }, () => randomUUID());
    const entries: LedgerEntry[] = ids.map((id, i) => ({
      type: 'recording',
      conversationId: randomUUID(),
      recordingId: id,
      conversationStart: '2024-05-01T10:00:00.000Z',
      file: `f/${i}.wav`,
      sha256: sha(`m${i}`),
      cdrSha256: sha(`c${i}`),
    }));
    // A second line for every third recording, with a new CDR hash: that one must win.
    const later = entries
      .filter((_, i) => i % 3 === 0)
      .map((e) => ({ ...e, cdrSha256: sha(`new ${e.type === 'recording' ? e.recordingId : ''}`) }));
    await ledger.append([...entries, ...later], WRITTEN);
    for (const inMemoryBytes of [Number.MAX_SAFE_INTEGER, 0]) {
      const temp = await fs.mkdtemp(path.join(ws.dir, 'index-'));
      const index = await LedgerIndex.build(paths.ledgerDir, temp, inMemoryBytes);
      try {
        assert.equal(index.count, 300);
        assert.equal(index.lines, 400);
        for (const [i, id] of ids.entries()) {
          const found = await index.find(id.toUpperCase());
          assert.ok(found, id);
          assert.equal(found.sha256, sha(`m${i}`));
          assert.equal(found.cdrSha256, i % 3 === 0 ? sha(`new ${id}`) : sha(`c${i}`));
          assert.equal(found.seq, i % 3 === 0 ? 300 + i / 3 : i);
          if (i % 2 === 0) index.markSeen(found.position);
        }
        assert.equal(await index.find(randomUUID()), undefined);
        assert.equal(index.unseenCount(), 150);
        const unseen: string[] = [];
        for await (const line of index.unseenLines(paths.ledgerDir)) unseen.push(line.recordingId);
        assert.deepEqual(unseen.sort(), ids.filter((_, i) => i % 2 === 1).sort());
      } finally {
        await index.close();
      }
    }
  });
});
