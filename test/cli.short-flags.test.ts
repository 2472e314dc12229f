/** Issue 11 item 7: the short flags `-q` (--quiet), `-v` (--verbose) and `-V` (--version). */
import assert from 'node:assert/strict';
import { promises as fs, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { ROOT, runCli, tempDir } from './helpers/cli.js';
import { makeWorkspace } from './helpers/workspace.js';

const version = (JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string })
  .version;

describe('short flags', () => {
  it('-V prints the version and exits 0, like --version', async () => {
    const r = await runCli(['-V']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), version);
  });

  it('-q hides information lines like --quiet, before or after the command', async (t) => {
    const ws = await makeWorkspace();
    t.after(() => ws.cleanup());
    const info = /no cursor file yet/;
    const plain = await runCli(['cursor', 'get', '--config', ws.configPath]);
    assert.equal(plain.code, 0, plain.stderr);
    assert.match(plain.stderr, info, 'the line -q should hide is printed without it');
    for (const args of [
      ['-q', 'cursor', 'get'],
      ['cursor', 'get', '-q'],
      ['cursor', 'get', '--quiet'],
    ]) {
      const r = await runCli([...args, '--config', ws.configPath]);
      assert.equal(r.code, 0, r.stderr);
      assert.doesNotMatch(r.stderr, info, args.join(' '));
      // The lag line counts minutes from now: it may tick between two invocations.
      const steady = (text: string): string => text.replace(/^lag .*$/m, 'lag …');
      assert.equal(steady(r.stdout), steady(plain.stdout), 'the result itself is still printed');
      assert.match(r.stdout, /^lag\s+\d+ minutes/m);
    }
  });

  it('-v shows the detail --verbose shows', async (t) => {
    const dir = await tempDir();
    t.after(() => fs.rm(dir, { recursive: true, force: true }));
    // A folder given as the configuration file: the error's cause is a detail for --verbose.
    const plain = await runCli(['cursor', 'get', '--config', dir]);
    assert.equal(plain.code, 2);
    assert.doesNotMatch(plain.stderr, /cause: EISDIR/);
    for (const args of [
      ['-v', 'cursor', 'get'],
      ['cursor', 'get', '-v'],
      ['cursor', 'get', '--verbose'],
    ]) {
      const r = await runCli([...args, '--config', dir]);
      assert.equal(r.code, 2, args.join(' '));
      assert.match(r.stderr, /cause: EISDIR/, args.join(' '));
    }
  });

  it('--help lists the short forms', async () => {
    const r = await runCli(['--help']);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /-V, --version/);
    assert.match(r.stdout, /-q, --quiet/);
    assert.match(r.stdout, /-v, --verbose/);
  });
});
