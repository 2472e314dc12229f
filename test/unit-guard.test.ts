/**
 * `npm run test:unit` promises no child process and no server: scripts/unit-guard.mjs makes either
 * throw inside a test file run with --unit. These tests keep that guard from going quietly inert.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { ROOT, tempDir } from './helpers/cli.js';

async function runTestFile(t: { after(fn: () => Promise<void>): void }, body: string, mode: string[]) {
  const dir = await tempDir();
  t.after(() => fs.rm(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'probe.test.mjs');
  await fs.writeFile(file, `import { test } from 'node:test';\n${body}\n`);
  // As an operator starts it: NODE_TEST_CONTEXT, inherited from this test's own runner, would make
  // node --test skip the files instead of running them.
  const { NODE_TEST_CONTEXT: _inherited, ...env } = process.env;
  return spawnSync(process.execPath, ['scripts/run-tests.mjs', ...mode, file], {
    cwd: ROOT,
    env,
    encoding: 'utf8',
  });
}

const SPAWNS = `import { spawnSync } from 'node:child_process';
test('starts a process', () => { spawnSync(process.execPath, ['-e', '0']); });`;
const LISTENS = `import http from 'node:http';
test('starts a server', async () => {
  const server = http.createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  server.close();
});`;

describe('the unit-test guard', () => {
  it('fails a test that starts a child process under --unit, and only under --unit', async (t) => {
    const unit = await runTestFile(t, SPAWNS, ['--unit']);
    assert.equal(unit.status, 1, unit.stdout);
    assert.match(unit.stdout, /a unit test started a child process \(child_process\.spawnSync\)/);
    const full = await runTestFile(t, SPAWNS, []);
    assert.equal(full.status, 0, full.stdout);
    assert.match(full.stdout, /^(# |ℹ )pass 1$/m, 'the probe test ran');
  });

  it('fails a test that listens on a socket under --unit', async (t) => {
    const unit = await runTestFile(t, LISTENS, ['--unit']);
    assert.equal(unit.status, 1, unit.stdout);
    assert.match(unit.stdout, /a unit test listened on a socket/);
    const full = await runTestFile(t, LISTENS, []);
    assert.equal(full.status, 0, full.stdout);
    assert.match(full.stdout, /^(# |ℹ )pass 1$/m, 'the probe test ran');
  });

  it('lets a test that does neither pass under --unit', async (t) => {
    const unit = await runTestFile(t, `test('adds', () => { if (1 + 1 !== 2) throw new Error('no'); });`, [
      '--unit',
    ]);
    assert.equal(unit.status, 0, unit.stdout);
    assert.match(unit.stdout, /^(# |ℹ )pass 1$/m, 'the probe test ran');
  });
});
