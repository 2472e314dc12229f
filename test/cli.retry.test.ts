import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { buildRetryCdrXml } from '../src/archive/cdr.js';
import { runCli, snapshotTree } from './helpers/cli.js';
import { makeWorkspace, type Workspace, holdLock } from './helpers/workspace.js';

const C1 = '11111111-1111-4111-8111-111111111111';
const C2 = '22222222-2222-4222-8222-222222222222';
const R1 = 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa';

interface ListDoc {
  size: number;
  entries: {
    file: string;
    conversationId: string;
    recordingId: string | null;
    attempts: number;
    lastFailedAt: string | null;
    lastError: string | null;
  }[];
}

async function setup(t: { after: (fn: () => Promise<void>) => void }): Promise<Workspace> {
  const ws = await makeWorkspace();
  t.after(() => ws.cleanup());
  return ws;
}
const cli = (ws: Workspace, ...args: string[]) => runCli([...args, '--config', ws.configPath]);
async function list(ws: Workspace): Promise<ListDoc> {
  const r = await cli(ws, 'retry', 'list', '--json');
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as ListDoc;
}

describe('retry commands', () => {
  it('list on an empty buffer', async (t) => {
    const ws = await setup(t);
    assert.deepEqual(await list(ws), { ok: true, size: 0, entries: [] });
    const human = await cli(ws, 'retry', 'list');
    assert.match(human.stdout, /empty/);
  });

  it('add --conversation [--recording], list them least recently attempted first, remove by id and name', async (t) => {
    const ws = await setup(t);
    let r = await cli(ws, 'retry', 'add', '--conversation', C1);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`added ${C1}\\.xml`));
    r = await cli(ws, 'retry', 'add', '--conversation', C2, '--recording', R1);
    assert.equal(r.code, 0, r.stderr);
    const doc = await list(ws);
    assert.equal(doc.size, 2);
    assert.deepEqual(doc.entries.map((e) => e.file).sort(), [`${C1}.xml`, `${C2}_${R1}.xml`].sort());
    const entry = doc.entries.find((e) => e.conversationId === C2)!;
    assert.equal(entry.recordingId, R1);
    assert.equal(entry.attempts, 0);
    for (const file of await fs.readdir(ws.retryDir)) {
      if (file.endsWith('.xml'))
        assert.equal((await fs.stat(path.join(ws.retryDir, file))).mode & 0o777, 0o600);
    }
    r = await cli(ws, 'retry', 'remove', C2);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /removed/);
    r = await cli(ws, 'retry', 'remove', `${C1}.xml`, '--json');
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), { ok: true, removed: [`${C1}.xml`] });
    assert.equal((await list(ws)).size, 0);
  });

  it('add copies valid CDR files in, and leaves the operator files where they were', async (t) => {
    const ws = await setup(t);
    const src = path.join(ws.dir, 'incoming');
    await fs.mkdir(src);
    const f1 = path.join(src, 'one.xml');
    await fs.writeFile(
      f1,
      buildRetryCdrXml({
        conversationId: C1,
        recordingId: R1,
        conversationStart: '2024-05-01T10:00:00.000Z',
      }),
    );
    const before = await fs.readFile(f1);
    const r = await cli(ws, 'retry', 'add', f1);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(await fs.readFile(f1), before, 'the given file is untouched');
    const doc = await list(ws);
    assert.equal(doc.entries[0]!.file, `${C1}_${R1}.xml`);
  });

  const invalidFiles: [string, string][] = [
    [
      'a DOCTYPE',
      `<?xml version="1.0"?><!DOCTYPE cdr [<!ENTITY a "x">]><cdr version="1"><conversationId>${C1}</conversationId></cdr>`,
    ],
    [
      'a non-UUID conversation id',
      '<?xml version="1.0"?><cdr version="1"><conversationId>../../etc/passwd</conversationId></cdr>',
    ],
    ['malformed XML', '<cdr version="1"><conversationId>'],
    ['the wrong root', `<?xml version="1.0"?><call><conversationId>${C1}</conversationId></call>`],
  ];
  for (const [title, content] of invalidFiles) {
    it(`add refuses a file with ${title}: exit 2, nothing changed`, async (t) => {
      const ws = await setup(t);
      const good = path.join(ws.dir, 'good.xml');
      await fs.writeFile(good, buildRetryCdrXml({ conversationId: C2 }));
      const bad = path.join(ws.dir, 'bad.xml');
      await fs.writeFile(bad, content);
      const before = await snapshotTree(ws.dir);
      const r = await cli(ws, 'retry', 'add', good, bad, '--json');
      assert.equal(r.code, 2, r.stderr);
      const err = JSON.parse(r.stdout) as { error: { code: string; message: string } };
      assert.equal(err.error.code, 'retry.invalidFile');
      assert.ok(err.error.message.includes(bad));
      assert.deepEqual(await snapshotTree(ws.dir), before, 'not even the valid file was added');
    });
  }

  it('argument errors exit 2', async (t) => {
    const ws = await setup(t);
    const cases: string[][] = [
      ['retry', 'add'],
      ['retry', 'add', '--recording', R1],
      ['retry', 'add', 'x.xml', '--conversation', C1],
      ['retry', 'add', '--conversation', 'not-a-uuid'],
      ['retry', 'remove'],
      ['retry', 'remove', 'x', '--all'],
      ['retry', 'remove', `${C1}.xml`],
    ];
    for (const args of cases) {
      const r = await cli(ws, ...args);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    }
  });

  it('remove --all --yes empties the buffer; a name matching nothing removes nothing', async (t) => {
    const ws = await setup(t);
    await cli(ws, 'retry', 'add', '--conversation', C1);
    await cli(ws, 'retry', 'add', '--conversation', C2);
    const before = await snapshotTree(ws.dir);
    const miss = await cli(ws, 'retry', 'remove', C1, '33333333-3333-4333-8333-333333333333');
    assert.equal(miss.code, 2);
    assert.deepEqual(await snapshotTree(ws.dir), before);
    const r = await cli(ws, 'retry', 'remove', '--all', '--yes');
    assert.equal(r.code, 0, r.stderr);
    assert.equal((await list(ws)).size, 0);
  });

  it('list warns about a file that is not a valid entry, and never deletes it', async (t) => {
    const ws = await setup(t);
    await fs.mkdir(ws.retryDir, { recursive: true });
    await fs.writeFile(path.join(ws.retryDir, 'junk.xml'), '<!DOCTYPE x><x/>');
    const r = await cli(ws, 'retry', 'list', '--json');
    assert.equal(r.code, 0);
    assert.equal((JSON.parse(r.stdout) as ListDoc).size, 0);
    assert.match(r.stderr, /junk\.xml is not a valid retry entry/);
    await fs.stat(path.join(ws.retryDir, 'junk.xml'));
  });

  it('add and remove exit 3 while another run holds the lock', async (t) => {
    const ws = await setup(t);
    await holdLock(ws);
    const before = await snapshotTree(ws.dir);
    assert.equal((await cli(ws, 'retry', 'add', '--conversation', C1)).code, 3);
    assert.equal((await cli(ws, 'retry', 'remove', '--all', '--yes')).code, 3);
    assert.deepEqual(await snapshotTree(ws.dir), before);
    assert.equal((await cli(ws, 'retry', 'list')).code, 0, 'list takes no lock');
  });
});
