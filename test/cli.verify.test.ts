import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { ALL_PERMISSIONS } from '../sim/src/index.js';
import { runCli, snapshotTree } from './helpers/cli.js';
import { startProxy } from './helpers/proxy.js';
import { archiveFiles, QUIET_MIX, startSimWorkspace } from './helpers/sim.js';
import { ingest } from './helpers/run.js';
import { CLIENT_SECRET, makeWorkspace, holdLock } from './helpers/workspace.js';

interface VerifyDoc {
  ok: boolean;
  checks: { name: string; ok: boolean; detail: string; hint?: string }[];
}

function check(doc: VerifyDoc, name: string): VerifyDoc['checks'][number] {
  const found = doc.checks.find((c) => c.name === name);
  assert.ok(found, `check ${name} in ${doc.checks.map((c) => c.name).join(', ')}`);
  return found;
}

function assertNoSecret(text: string, secrets: string[]): void {
  for (const secret of secrets) {
    for (const form of [
      secret,
      Buffer.from(secret).toString('base64'),
      encodeURIComponent(secret),
      Buffer.from(secret).toString('hex'),
    ]) {
      assert.ok(!text.includes(form), 'a secret was printed');
    }
  }
}

describe('verify', () => {
  it('passes through a real forward proxy with basic auth and TLS, and creates nothing', async (t) => {
    const setup = await startSimWorkspace({ spec: { conversations: 3 } });
    const proxy = await startProxy();
    t.after(async () => {
      await proxy.close();
      await setup.cleanup();
    });
    await setup.ws.writeConfig({
      proxy: { host: proxy.host, port: proxy.port, username: proxy.username, password: proxy.password },
      deleteAfterIngest: true,
      codec: 'WAV',
    });
    const before = await snapshotTree(setup.ws.dir);
    const r = await runCli(['verify', '--json', '--config', setup.ws.configPath]);
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    const doc = JSON.parse(r.stdout) as VerifyDoc;
    assert.equal(doc.ok, true);
    for (const name of [
      'config',
      'state folder',
      'archive folder',
      'free disk',
      'lock',
      'TLS to auth host',
      'TLS to api host',
      'proxy',
      'OAuth login',
      'permission: analytics',
      'permission: recordings',
      'permission: users',
      'permission: delete',
      'clock',
    ]) {
      assert.equal(check(doc, name).ok, true, name);
    }
    assert.ok(proxy.connects.length >= 2, 'auth and API traffic went through the proxy');
    assert.deepEqual(await snapshotTree(setup.ws.dir), before, 'verify created nothing');
    assertNoSecret(r.stdout + r.stderr, [CLIENT_SECRET, proxy.password]);
  });

  it('a wrong client secret: the login check fails, exit 4, the secret never printed', async (t) => {
    const setup = await startSimWorkspace({ spec: { conversations: 1 } });
    t.after(() => setup.cleanup());
    await setup.ws.writeConfig({ clientSecret: 'wrong-secret-7f3a9' });
    const r = await runCli(['verify', '--json', '--config', setup.ws.configPath]);
    assert.equal(r.code, 4);
    const login = check(JSON.parse(r.stdout) as VerifyDoc, 'OAuth login');
    assert.equal(login.ok, false);
    assert.match(login.hint ?? '', /clientId/);
    assertNoSecret(r.stdout + r.stderr, ['wrong-secret-7f3a9']);
  });

  it('a wrong proxy password: the proxy check fails, exit 4, the password never printed', async (t) => {
    const setup = await startSimWorkspace({ spec: { conversations: 1 } });
    const proxy = await startProxy();
    t.after(async () => {
      await proxy.close();
      await setup.cleanup();
    });
    await setup.ws.writeConfig({
      proxy: {
        host: proxy.host,
        port: proxy.port,
        username: proxy.username,
        password: 'not-the-password-42',
      },
    });
    const r = await runCli(['verify', '--json', '--config', setup.ws.configPath]);
    assert.equal(r.code, 4, r.stdout);
    const p = check(JSON.parse(r.stdout) as VerifyDoc, 'proxy');
    assert.equal(p.ok, false);
    assert.match(p.detail, /407|proxy/i);
    assertNoSecret(r.stdout + r.stderr, ['not-the-password-42', proxy.password]);
  });

  it('an untrusted CA and a wrong host name fail the TLS check with a hint (exit 4)', async (t) => {
    const setup = await startSimWorkspace({ spec: { conversations: 1 } });
    t.after(() => setup.cleanup());
    await setup.ws.writeConfig({ tls: undefined });
    let r = await runCli(['verify', '--json', '--config', setup.ws.configPath]);
    assert.equal(r.code, 4);
    const tls = check(JSON.parse(r.stdout) as VerifyDoc, 'TLS to auth host');
    assert.equal(tls.ok, false);
    assert.match(tls.hint ?? '', /trustList/);
    // The certificate names localhost and 127.0.0.1; another name for the same address must fail.
    await setup.ws.writeConfig({
      tls: { trustList: './ca.pem' },
      authUrl: setup.sim.authUrl.replace('localhost', 'localhost.'),
      apiUrl: setup.sim.apiUrl.replace('localhost', 'localhost.'),
    });
    r = await runCli(['verify', '--json', '--config', setup.ws.configPath]);
    assert.equal(r.code, 4, r.stdout);
    assert.equal(check(JSON.parse(r.stdout) as VerifyDoc, 'TLS to auth host').ok, false);
  });

  it('a missing permission fails its check, names the permission, exit 5', async (t) => {
    const permissions = ALL_PERMISSIONS.filter((p) => p !== 'recording:recording:editRetention');
    const setup = await startSimWorkspace({
      spec: { conversations: 1 },
      sim: { clients: [{ clientId: 'limited', clientSecret: 'limited-secret-1234', permissions }] },
    });
    t.after(() => setup.cleanup());
    await setup.ws.writeConfig({
      clientId: 'limited',
      clientSecret: 'limited-secret-1234',
      deleteAfterIngest: true,
    });
    const r = await runCli(['verify', '--json', '--config', setup.ws.configPath]);
    assert.equal(r.code, 5, r.stdout);
    const doc = JSON.parse(r.stdout) as VerifyDoc;
    const del = check(doc, 'permission: delete');
    assert.equal(del.ok, false);
    assert.match(del.hint ?? '', /recording:recording:editRetention/);
    assert.equal(check(doc, 'permission: recordings').ok, true);
  });

  it('warns about a clock far from Genesys and about a lossy codec with deleteAfterIngest', async (t) => {
    const setup = await startSimWorkspace({ spec: { conversations: 1 }, sim: { clockSkewMs: 5 * 60_000 } });
    t.after(() => setup.cleanup());
    await setup.ws.writeConfig({ codec: 'MP3', deleteAfterIngest: true });
    const r = await runCli(['verify', '--json', '--config', setup.ws.configPath]);
    assert.equal(r.code, 0, r.stdout);
    const doc = JSON.parse(r.stdout) as VerifyDoc;
    // The skew is a lower bound by design (the Date header has whole seconds, stamped before arrival):
    // a 300 s difference reads as 299 or 300 s.
    assert.match(check(doc, 'clock').detail, /^warning: .*(299|300) s/);
    assert.match(check(doc, 'codec').detail, /^warning: .*lossy codec MP3/);
  });

  it('--offline checks folders, disk, lock and cursor without the network; a held lock fails (exit 5)', async (t) => {
    const ws = await makeWorkspace();
    t.after(() => ws.cleanup());
    let r = await runCli(['verify', '--offline', '--json', '--config', ws.configPath]);
    assert.equal(r.code, 0, r.stdout);
    let doc = JSON.parse(r.stdout) as VerifyDoc;
    assert.match(check(doc, 'state folder').detail, /can be created/);
    assert.ok(!doc.checks.some((c) => c.name.startsWith('TLS')));
    await holdLock(ws);
    await fs.writeFile(ws.cursorFile, 'garbage');
    r = await runCli(['verify', '--offline', '--json', '--config', ws.configPath]);
    assert.equal(r.code, 5);
    doc = JSON.parse(r.stdout) as VerifyDoc;
    assert.equal(check(doc, 'lock').ok, false);
    assert.equal(check(doc, 'cursor').ok, false);
    const human = await runCli(['verify', '--offline', '--config', ws.configPath]);
    assert.equal(human.code, 5);
    assert.match(human.stdout, /FAIL {2}lock: held by run/);
    assert.match(human.stdout, /hint: /);
  });

  it('--archive after a real run passes; a flipped byte in one recording fails it (exit 5, altered)', async (t) => {
    const now = Date.now();
    const setup = await startSimWorkspace({
      spec: {
        seed: 'audit',
        conversations: 8,
        fromMs: now - 5 * 3_600_000,
        toMs: now - 3_600_000,
        mix: QUIET_MIX,
      },
    });
    t.after(() => setup.cleanup());
    assert.equal((await ingest(setup.ws)).result.code, 0);
    let r = await runCli(['verify', '--offline', '--archive', '--json', '--config', setup.ws.configPath]);
    assert.equal(r.code, 0, r.stdout);
    const wav = (await archiveFiles(setup.ws.archiveDir)).find((f) => f.endsWith('.wav'))!;
    const file = path.join(setup.ws.archiveDir, wav);
    const data = await fs.readFile(file);
    data[100] = data[100]! ^ 0xff;
    await fs.writeFile(file, data);
    r = await runCli(['verify', '--offline', '--archive', '--json', '--config', setup.ws.configPath]);
    assert.equal(r.code, 5);
    const doc = JSON.parse(r.stdout) as VerifyDoc & { findings: { kind: string; path: string }[] };
    assert.deepEqual(
      doc.findings.map((f) => [f.kind, f.path]),
      [['altered', wav]],
    );
  });

  it('--from/--to go with --archive and take days; anything else is a usage error (exit 2)', async (t) => {
    const ws = await makeWorkspace();
    t.after(() => ws.cleanup());
    const cases: [string[], RegExp][] = [
      [['--from', '2024-05-01'], /--from and --to go with --archive/],
      [['--archive', '--from', '2024-13-01'], /--from must be a day such as 2024-05-01/],
      [['--archive', '--to', 'yesterday'], /--to must be a day/],
      [
        ['--archive', '--from', '2024-05-02', '--to', '2024-05-01'],
        /--from 2024-05-02 is after --to 2024-05-01/,
      ],
    ];
    for (const [args, message] of cases) {
      const r = await runCli(['verify', '--offline', ...args, '--config', ws.configPath]);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, message);
    }
    const ok = await runCli([
      'verify',
      '--offline',
      '--archive',
      '--from',
      '2024-05-01',
      '--to',
      '2024-05-02',
      '--json',
      '--config',
      ws.configPath,
    ]);
    assert.equal(ok.code, 0, ok.stderr);
  });
});
