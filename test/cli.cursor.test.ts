import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { runCli, snapshotTree } from './helpers/cli.js';
import { makeWorkspace, type Workspace, holdLock } from './helpers/workspace.js';

const ID = '6f0c2a4e-1b1d-4c55-9a2b-0c3f2b1d9e77';

interface CursorDoc {
  conversationId: string;
  timestamp: string;
  local: string;
  timezone: string;
  lagMinutes: number;
  file: string;
}

async function setup(
  t: { after: (fn: () => Promise<void>) => void },
  patch: Record<string, unknown> = {},
): Promise<Workspace> {
  const ws = await makeWorkspace(patch);
  t.after(() => ws.cleanup());
  return ws;
}

async function writeCursorFile(ws: Workspace, content: string | Buffer): Promise<void> {
  await fs.mkdir(path.dirname(ws.cursorFile), { recursive: true });
  await fs.writeFile(ws.cursorFile, content);
}

const cli = (ws: Workspace, ...args: string[]) => runCli([...args, '--config', ws.configPath]);

describe('cursor get', () => {
  it('before the first run shows recordingStartTimestamp with an empty id', async (t) => {
    const ws = await setup(t);
    const r = await cli(ws, 'cursor', 'get', '--json');
    assert.equal(r.code, 0, r.stderr);
    const doc = JSON.parse(r.stdout) as CursorDoc;
    assert.deepEqual(Object.keys(doc).sort(), [
      'conversationId',
      'file',
      'lagMinutes',
      'local',
      'ok',
      'timestamp',
      'timezone',
    ]);
    assert.equal((doc as unknown as { ok: boolean }).ok, true, 'a successful document says ok');
    assert.equal(doc.conversationId, '');
    assert.equal(doc.timestamp, '2024-01-01T00:00:00.000Z');
    assert.equal(doc.local, '2024-01-01T00:00:00.000+00:00');
    assert.equal(doc.timezone, 'Europe/Dublin');
    assert.equal(doc.file, ws.cursorFile);
    assert.ok(doc.lagMinutes > 60 * 24 * 300);
    await assert.rejects(fs.stat(ws.stateDir), { code: 'ENOENT' }, 'cursor get creates nothing');
  });

  it('shows a saved cursor in UTC and in the timezone, human and JSON', async (t) => {
    const ws = await setup(t);
    await writeCursorFile(ws, `\uFEFF${ID};2024.05.01 10:00:00.123\r\n`);
    const r = await cli(ws, 'cursor', 'get', '--json');
    assert.equal(r.code, 0, r.stderr);
    const doc = JSON.parse(r.stdout) as CursorDoc;
    assert.equal(doc.conversationId, ID);
    assert.equal(doc.timestamp, '2024-05-01T10:00:00.123Z');
    assert.equal(doc.local, '2024-05-01T11:00:00.123+01:00');
    const human = await cli(ws, 'cursor', 'get');
    assert.equal(human.code, 0);
    assert.match(human.stdout, /2024-05-01T10:00:00\.123Z/);
    assert.match(human.stdout, new RegExp(ID));
  });

  it("warns about the commercial product's id and reads it as empty", async (t) => {
    const ws = await setup(t);
    await writeCursorFile(
      ws,
      'c84f2f698fc9d64d64ed161d87b00c25_I_251182078220051266_19d0243a-9fd0-11d1-ac11-13453884b96c;2023.02.02 07:00:00.000',
    );
    const r = await cli(ws, 'cursor', 'get', '--json');
    assert.equal(r.code, 0);
    assert.equal((JSON.parse(r.stdout) as CursorDoc).conversationId, '');
    assert.match(r.stderr, /warning: .*not a Genesys conversation id/);
  });

  it('a malformed cursor exits 2 naming the file and the expected format', async (t) => {
    const ws = await setup(t);
    await writeCursorFile(ws, `${ID};2024-05-01T10:00:00Z`);
    const r = await cli(ws, 'cursor', 'get', '--json');
    assert.equal(r.code, 2);
    const doc = JSON.parse(r.stdout) as { error: { code: string; message: string } };
    assert.equal(doc.error.code, 'cursor.unreadable');
    assert.ok(doc.error.message.includes(ws.cursorFile));
    assert.match(doc.error.message, /yyyy\.MM\.dd HH:mm:ss\.SSS/);
  });

  it('a cursor removed after earlier runs exits 2 and points to cursor set', async (t) => {
    const ws = await setup(t);
    const reports = path.join(ws.stateDir, 'reports', 'pol1_src1');
    await fs.mkdir(reports, { recursive: true });
    await fs.writeFile(path.join(reports, '20240101T000000Z-run.json'), '{}');
    const r = await cli(ws, 'cursor', 'get');
    assert.equal(r.code, 2);
    assert.match(r.stderr, /missing but this import source has run before/);
    assert.match(r.stderr, /cursor set/);
  });
});

describe('cursor set', () => {
  it('writes the new cursor, keeps a byte copy of the old one, prints old → new', async (t) => {
    const ws = await setup(t);
    const old = `\uFEFF${ID};2024.05.01 10:00:00.123\r\n`;
    await writeCursorFile(ws, old);
    const r = await cli(ws, 'cursor', 'set', '2024-04-01T00:00:00Z');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(
      r.stdout.trim(),
      `2024-05-01T10:00:00.123Z (2024-05-01T11:00:00.123+01:00 Europe/Dublin) ${ID} → 2024-04-01T00:00:00.000Z (2024-04-01T01:00:00.000+01:00 Europe/Dublin)`,
    );
    assert.equal(await fs.readFile(ws.cursorFile, 'utf8'), ';2024.04.01 00:00:00.000\n');
    assert.equal(await fs.readFile(`${ws.cursorFile}.bak`, 'utf8'), old);
    assert.equal((await fs.stat(ws.cursorFile)).mode & 0o777, 0o600);
    const lockLeft = (await fs.readdir(path.dirname(ws.cursorFile))).filter(
      (n) => n.endsWith('.lock') || n.endsWith('.partial'),
    );
    assert.deepEqual(lockLeft, [], 'the lock is released and no temporary file is left');
  });

  it('reads a time without offset in the timezone, the file format as UTC, and takes a conversation id', async (t) => {
    const ws = await setup(t);
    let r = await cli(ws, 'cursor', 'set', '2024-07-01T12:00:00', '--json');
    assert.equal(r.code, 0, r.stderr);
    const doc = JSON.parse(r.stdout) as { previous: CursorDoc | null; current: CursorDoc };
    assert.equal(doc.previous, null);
    assert.equal(doc.current.timestamp, '2024-07-01T11:00:00.000Z');
    assert.equal(doc.current.local, '2024-07-01T12:00:00.000+01:00');
    for (const dir of [ws.stateDir, path.join(ws.stateDir, 'laststate'), path.dirname(ws.cursorFile)]) {
      assert.equal((await fs.stat(dir)).mode & 0o777, 0o700, `${dir} is created 0700`);
    }
    assert.equal((await fs.stat(ws.cursorFile)).mode & 0o777, 0o600);
    r = await cli(
      ws,
      'cursor',
      'set',
      '2024.07.01 12:00:00.000',
      '--conversation-id',
      ID.toUpperCase(),
      '--json',
    );
    assert.equal(r.code, 0, r.stderr);
    const second = JSON.parse(r.stdout) as { previous: CursorDoc; current: CursorDoc };
    assert.equal(second.previous.timestamp, '2024-07-01T11:00:00.000Z');
    assert.equal(second.current.conversationId, ID);
    assert.equal(await fs.readFile(ws.cursorFile, 'utf8'), `${ID};2024.07.01 12:00:00.000\n`);
  });

  it('repairs an unreadable cursor, keeping its bytes in .bak', async (t) => {
    const ws = await setup(t);
    await writeCursorFile(ws, 'garbage');
    const r = await cli(ws, 'cursor', 'set', '2024-01-02T00:00:00Z');
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stdout,
      /\(unreadable\) → 2024-01-02T00:00:00\.000Z \(2024-01-02T00:00:00\.000\+00:00 Europe\/Dublin\)/,
    );
    assert.equal(await fs.readFile(`${ws.cursorFile}.bak`, 'utf8'), 'garbage');
  });

  const refusals: [string, string[], RegExp][] = [
    [
      'a time later than now − availability delay',
      [new Date(Date.now() - 5 * 60_000).toISOString()],
      /later than now − availability delay/,
    ],
    ['a time in the future', ['2999-01-01T00:00:00Z'], /later than now − availability delay/],
    ['an unreadable time', ['last tuesday'], /cannot read "last tuesday" as a time/],
    [
      'a conversation id that is not a UUID',
      ['2024-01-01T00:00:00Z', '--conversation-id', '../../etc'],
      /is not a Genesys conversation id/,
    ],
  ];
  for (const [title, args, pattern] of refusals) {
    it(`refuses ${title} with exit 2 and changes nothing`, async (t) => {
      const ws = await setup(t);
      await writeCursorFile(ws, `${ID};2024.05.01 10:00:00.123`);
      const before = await snapshotTree(ws.dir);
      const r = await cli(ws, 'cursor', 'set', ...args);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, pattern);
      assert.deepEqual(await snapshotTree(ws.dir), before);
    });
  }

  it('a refused cursor set on a fresh import source creates no folder', async (t) => {
    const ws = await setup(t);
    const before = await snapshotTree(ws.dir);
    const r = await cli(ws, 'cursor', 'set', '2999-01-01T00:00:00Z');
    assert.equal(r.code, 2);
    assert.deepEqual(await snapshotTree(ws.dir), before);
  });

  it('exits 3 when another run holds the lock, and changes nothing', async (t) => {
    const ws = await setup(t);
    await writeCursorFile(ws, `${ID};2024.05.01 10:00:00.123`);
    await holdLock(ws);
    const before = await snapshotTree(ws.dir);
    const r = await cli(ws, 'cursor', 'set', '2024-01-01T00:00:00Z', '--json');
    assert.equal(r.code, 3);
    assert.equal((JSON.parse(r.stdout) as { error: { code: string } }).error.code, 'lock.held');
    assert.deepEqual(await snapshotTree(ws.dir), before);
  });

  it('takes the lock before validating the rest of the config: invalid config under a held lock exits 3', async (t) => {
    const ws = await setup(t, { codec: 'FLAC' });
    const lockFile = await holdLock(ws);
    assert.equal((await cli(ws, 'cursor', 'set', '2024-01-01T00:00:00Z')).code, 3);
    await fs.rm(lockFile);
    const r = await cli(ws, 'cursor', 'set', '2024-01-01T00:00:00Z');
    assert.equal(r.code, 2);
    assert.match(r.stderr, /"codec"/);
  });

  it('exits 6 when the state folder cannot be written', async (t) => {
    const ws = await setup(t);
    // A file where the state folder should be fails for root too (permissions would not).
    await fs.writeFile(ws.stateDir, 'not a folder');
    const r = await cli(ws, 'cursor', 'set', '2024-01-01T00:00:00Z', '--json');
    assert.equal(r.code, 6, r.stderr);
    assert.match((JSON.parse(r.stdout) as { error: { code: string } }).error.code, /^storage\./);
  });
});
