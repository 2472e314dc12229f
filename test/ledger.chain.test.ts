import assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, beforeEach, describe, it } from 'node:test';
import {
  GENESIS_PREV,
  Ledger,
  ledgerFileName,
  readLedger,
  verifyChain,
  type LedgerEntry,
  type LedgerLine,
} from '../src/state/ledger.js';

const MAY_END = Date.parse('2024-05-31T23:59:59.000Z');
const JUNE = Date.parse('2024-06-01T00:00:01.000Z');
const roots: string[] = [];
let dir: string;

beforeEach(async () => {
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'ledger-'));
  roots.push(root);
  dir = path.join(root, 'ledger', 'pol_src');
});
after(async () => {
  for (const root of roots) await fs.rm(root, { recursive: true, force: true });
});

function recording(): LedgerEntry {
  const recordingId = randomUUID();
  return {
    type: 'recording',
    conversationId: randomUUID(),
    recordingId,
    conversationStart: '2024-05-01T10:00:00.123Z',
    file: `2024/05/01/x/${recordingId}.wav`,
    sha256: 'a'.repeat(64),
    cdrSha256: 'b'.repeat(64),
  };
}

function conversation(): LedgerEntry {
  return {
    type: 'conversation',
    conversationId: randomUUID(),
    conversationStart: '2024-05-01T10:00:00.123Z',
    status: 'archived',
    recordingIds: [randomUUID()],
  };
}

const sha = (text: string): string => createHash('sha256').update(text).digest('hex');

async function lines(name: string): Promise<string[]> {
  const text = await fs.readFile(path.join(dir, name), 'utf8');
  assert.ok(text.endsWith('\n'));
  return text.slice(0, -1).split('\n');
}

async function collect(): Promise<LedgerLine[]> {
  const out: LedgerLine[] = [];
  for await (const line of readLedger(dir)) out.push(line);
  return out;
}

describe('ledger', () => {
  it('appends a hash chain across two month files, with 0600 files in a 0700 folder', async () => {
    const ledger = await Ledger.open(dir);
    assert.equal(ledger.lastHash, GENESIS_PREV);
    assert.equal(ledger.recovered, undefined);
    await ledger.append([recording(), conversation()], MAY_END);
    await ledger.append([conversation()], JUNE);
    assert.deepEqual((await fs.readdir(dir)).sort(), ['2024-05.jsonl', '2024-06.jsonl']);
    assert.equal(ledgerFileName(MAY_END), '2024-05.jsonl');

    const may = await lines('2024-05.jsonl');
    const june = await lines('2024-06.jsonl');
    assert.equal(may.length, 2);
    assert.equal(june.length, 1);
    const first = JSON.parse(may[0] ?? '') as LedgerLine;
    assert.equal(first.prev, GENESIS_PREV);
    assert.deepEqual(Object.keys(first), [
      'type',
      'conversationId',
      'recordingId',
      'conversationStart',
      'file',
      'sha256',
      'cdrSha256',
      'at',
      'prev',
    ]);
    assert.equal(first.at, '2024-05-31T23:59:59.000Z');
    const second = JSON.parse(may[1] ?? '') as LedgerLine;
    assert.deepEqual(Object.keys(second), [
      'type',
      'conversationId',
      'conversationStart',
      'status',
      'recordingIds',
      'at',
      'prev',
    ]);
    assert.equal(second.prev, sha(may[0] ?? ''));
    assert.equal((JSON.parse(june[0] ?? '') as LedgerLine).prev, sha(may[1] ?? ''), 'chain crosses months');
    assert.equal(ledger.lastHash, sha(june[0] ?? ''));

    for (const name of ['2024-05.jsonl', '2024-06.jsonl']) {
      assert.equal((await fs.stat(path.join(dir, name))).mode & 0o777, 0o600);
    }
    assert.equal((await fs.stat(dir)).mode & 0o777, 0o700);

    assert.deepEqual(await verifyChain(dir), { lines: 3, ok: true, head: ledger.lastHash });
    assert.deepEqual(
      (await collect()).map((l) => l.type),
      ['recording', 'conversation', 'conversation'],
    );
  });

  it('continues the chain after reopening, and never writes into an older month', async () => {
    await (await Ledger.open(dir)).append([recording()], JUNE);
    const reopened = await Ledger.open(dir);
    assert.equal(reopened.lastHash, sha((await lines('2024-06.jsonl'))[0] ?? ''));
    await reopened.append([conversation()], MAY_END); // the clock stepped back
    assert.deepEqual(await fs.readdir(dir), ['2024-06.jsonl']);
    const result = await verifyChain(dir);
    assert.equal(result.ok, true);
    assert.equal(result.lines, 2);
  });

  it('serialises concurrent appends', async () => {
    const ledger = await Ledger.open(dir);
    await Promise.all(Array.from({ length: 20 }, () => ledger.append([recording(), conversation()], JUNE)));
    assert.deepEqual(await verifyChain(dir), { lines: 40, ok: true, head: ledger.lastHash });
  });

  it('refuses an invalid entry without writing anything', async () => {
    const ledger = await Ledger.open(dir);
    const bad = { ...recording(), recordingId: '../x' } as LedgerEntry;
    await assert.rejects(ledger.append([recording(), bad], JUNE), { code: 'ledger.invalidEntry' });
    assert.deepEqual(await fs.readdir(dir), []);
    assert.equal(ledger.lastHash, GENESIS_PREV);
  });

  it('keeps a refused conversation with the id and start Genesys gave; other lines still need UUIDs', async () => {
    const ledger = await Ledger.open(dir);
    const refusedLine = (conversationId: string, conversationStart: string): LedgerEntry => ({
      type: 'conversation',
      conversationId,
      conversationStart,
      status: 'refused',
      recordingIds: [],
    });
    const refused = [
      refusedLine('not-a-uuid "\n\u0007"', '2024-05-01T10:00:00.123Z'),
      refusedLine(randomUUID(), ''),
    ];
    await ledger.append(refused, JUNE);
    const read = await collect();
    assert.deepEqual(
      read.map((l) => [l.conversationId, l.conversationStart]),
      refused.map((l) => [l.conversationId, l.conversationStart]),
    );
    assert.equal((await verifyChain(dir)).ok, true);
    for (const bad of [
      { ...conversation(), conversationId: 'not-a-uuid' },
      { ...conversation(), conversationStart: '' },
      { ...conversation(), status: 'refused', recordingIds: ['not-a-uuid'] },
    ] as LedgerEntry[])
      await assert.rejects(ledger.append([bad], JUNE), { code: 'ledger.invalidEntry' });
  });

  it('detects an edited line', async () => {
    const ledger = await Ledger.open(dir);
    await ledger.append([recording(), recording(), recording()], MAY_END);
    await ledger.append([recording()], JUNE);
    const file = path.join(dir, '2024-05.jsonl');
    const original = await fs.readFile(file, 'utf8');
    await fs.writeFile(file, original.replace('a'.repeat(64), `c${'a'.repeat(63)}`)); // line 1's sha256
    const broken = await verifyChain(dir);
    assert.equal(broken.ok, false);
    assert.equal(broken.lines, 4);
    assert.deepEqual(broken.firstBrokenLine && [broken.firstBrokenLine.file, broken.firstBrokenLine.line], [
      '2024-05.jsonl',
      2,
    ]);
    assert.match(broken.firstBrokenLine?.reason ?? '', /prev does not match/);

    // The last line of May is checked by the first line of June.
    const mayLines = original.split('\n');
    mayLines[2] = (mayLines[2] ?? '').replace('"archived"', '"x"').replace('2024-05-01T10', '2024-05-01T11');
    await fs.writeFile(file, mayLines.join('\n'));
    assert.deepEqual((await verifyChain(dir)).firstBrokenLine?.file, '2024-06.jsonl');

    // A stray CR (invisible to readline) is caught too.
    await fs.writeFile(file, original.replace('}\n', '}\r\n'));
    assert.equal((await verifyChain(dir)).firstBrokenLine?.line, 1);
  });

  it('cuts away a torn last line, keeping its bytes, and continues the chain', async () => {
    const ledger = await Ledger.open(dir);
    await ledger.append([recording(), conversation()], JUNE);
    const file = path.join(dir, '2024-06.jsonl');
    const torn = '{"type":"recording","conversationId":"6f0c2a4e-1b1d';
    await fs.appendFile(file, torn);
    assert.match((await verifyChain(dir)).firstBrokenLine?.reason ?? '', /torn/);
    assert.equal((await collect()).length, 2, 'readers skip the torn line');

    const reopened = await Ledger.open(dir, JUNE);
    assert.equal(reopened.recovered?.action, 'truncated');
    assert.equal(reopened.recovered.bytes, torn.length);
    assert.ok(reopened.recovered.savedAs);
    assert.equal(await fs.readFile(reopened.recovered.savedAs, 'utf8'), torn);
    assert.equal(reopened.lastHash, ledger.lastHash);
    await reopened.append([conversation()], JUNE);
    assert.deepEqual(await verifyChain(dir), { lines: 3, ok: true, head: reopened.lastHash });
  });

  it('completes a last line that lost only its newline', async () => {
    const ledger = await Ledger.open(dir);
    await ledger.append([recording(), conversation()], JUNE);
    const file = path.join(dir, '2024-06.jsonl');
    const text = await fs.readFile(file, 'utf8');
    await fs.writeFile(file, text.slice(0, -1));
    const reopened = await Ledger.open(dir, JUNE);
    assert.equal(reopened.recovered?.action, 'completed');
    assert.equal(await fs.readFile(file, 'utf8'), text);
    assert.equal(reopened.lastHash, ledger.lastHash);
    assert.equal((await verifyChain(dir)).ok, true);
  });

  it('handles a torn first line of a new month file', async () => {
    const ledger = await Ledger.open(dir);
    await ledger.append([recording()], MAY_END);
    await fs.writeFile(path.join(dir, '2024-06.jsonl'), '{"type":', { mode: 0o600 });
    const reopened = await Ledger.open(dir, JUNE);
    assert.equal(reopened.recovered?.action, 'truncated');
    assert.equal(reopened.lastHash, ledger.lastHash);
    await reopened.append([conversation()], JUNE);
    assert.deepEqual(await verifyChain(dir), { lines: 2, ok: true, head: reopened.lastHash });
  });

  it('verifies and reads an empty or missing ledger', async () => {
    assert.deepEqual(await verifyChain(dir), { lines: 0, ok: true, head: GENESIS_PREV });
    assert.deepEqual(await collect(), []);
  });
});
