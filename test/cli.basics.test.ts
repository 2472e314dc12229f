import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { promises as fs, readFileSync } from 'node:fs';
import path from 'node:path';
import { baseEnv, ROOT, runCli } from './helpers/cli.js';
import { makeWorkspace } from './helpers/workspace.js';

const version = (JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string })
  .version;

describe('command line basics', () => {
  it('--version and --help exit 0', async () => {
    const v = await runCli(['--version']);
    assert.equal(v.code, 0);
    assert.equal(v.stdout.trim(), version);
    const h = await runCli(['--help']);
    assert.equal(h.code, 0);
    for (const command of ['run', 'catchup', 'cursor', 'retry', 'verify'])
      assert.match(h.stdout, new RegExp(`\\b${command}\\b`));
    assert.match(h.stdout, /Exit codes:/);
    const sub = await runCli(['cursor', 'set', '--help']);
    assert.equal(sub.code, 0);
    assert.match(sub.stdout, /--conversation-id/);
    assert.match(sub.stdout, /--config/, 'global options are shown on subcommands');
  });

  it('an unknown command or option is a usage error (exit 2)', async () => {
    const r = await runCli(['frobnicate']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /unknown command 'frobnicate'/);
    const o = await runCli(['cursor', 'get', '--bogus']);
    assert.equal(o.code, 2);
    assert.match(o.stderr, /unknown option '--bogus'/);
    const none = await runCli([]);
    assert.equal(none.code, 2);
  });

  it('with --json a usage error is one JSON document on stdout', async () => {
    const r = await runCli(['cursor', 'get', '--bogus', '--json']);
    assert.equal(r.code, 2);
    const doc = JSON.parse(r.stdout) as {
      ok: boolean;
      exitCode: number;
      error: { code: string; message: string };
    };
    assert.equal(doc.ok, false);
    assert.equal(doc.exitCode, 2);
    assert.equal(doc.error.code, 'commander.unknownOption');
  });

  it('a missing configuration file exits 2 and names the file', async () => {
    const r = await runCli(['cursor', 'get', '--config', '/nonexistent/gi.json', '--json']);
    assert.equal(r.code, 2);
    const doc = JSON.parse(r.stdout) as { error: { code: string; message: string } };
    assert.equal(doc.error.code, 'config.invalid');
    assert.match(doc.error.message, /\/nonexistent\/gi\.json/);
    assert.match(r.stderr, /does not exist/);
  });

  it('finds the config through GENESYS_INGEST_CONFIG', async (t) => {
    const ws = await makeWorkspace();
    t.after(() => ws.cleanup());
    const r = await runCli(['cursor', 'get', '--json'], {
      env: baseEnv({ GENESYS_INGEST_CONFIG: ws.configPath }),
      cwd: ws.dir,
    });
    assert.equal(r.code, 0, r.stderr);
    assert.equal((JSON.parse(r.stdout) as { file: string }).file, ws.cursorFile);
  });

  it('an invalid configuration exits 2 naming the key and the file, and changes nothing', async (t) => {
    const ws = await makeWorkspace({ codec: 'FLAC' });
    t.after(() => ws.cleanup());
    const r = await runCli(['cursor', 'get', '--config', ws.configPath]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /"codec" must be one of/);
    assert.ok(r.stderr.includes(ws.configPath));
  });

  it('run and catchup refuse bad arguments with exit 2 before touching anything', async (t) => {
    const ws = await makeWorkspace();
    t.after(() => ws.cleanup());
    const cases: [string[], RegExp][] = [
      [['run', '--max-minutes', '0'], /--max-minutes/],
      [['run', '--max-minutes', 'soon'], /--max-minutes/],
      [['catchup', '--until', 'yesterday'], /--until "yesterday"/],
      [['catchup', '--availability-delay', '-5'], /--availability-delay/],
      [['catchup', '--availability-delay', '1'], /--availability-delay.*at least 2/],
    ];
    for (const [args, pattern] of cases) {
      const r = await runCli([...args, '--config', ws.configPath]);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, pattern);
    }
    await assert.rejects(fs.stat(ws.stateDir), { code: 'ENOENT' });
  });
});
