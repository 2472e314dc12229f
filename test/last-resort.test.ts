/**
 * The last resort (SPEC §4.6): an error no code handled never ends the process as Node's unhandled
 * rejection (exit 1): it is reported, a running pipeline is told, and the exit code is 70.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, it } from 'node:test';
import { ROOT } from './helpers/cli.js';

const MODULE = pathToFileURL(path.join(ROOT, 'src', 'util', 'last-resort.ts')).href;

function runScript(body: string): { code: number | null; stdout: string; stderr: string } {
  const script = `import { installLastResort, onEscapedError, withEscaped } from ${JSON.stringify(MODULE)};\n${body}`;
  const result = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('last-resort handler', () => {
  it('an unhandled rejection is reported and ends the process with 70, not 1', () => {
    const r = runScript(`
      installLastResort((e) => console.error('reported:', e.message));
      void Promise.reject(new Error('nobody awaited me'));
      setTimeout(() => console.log('still running'), 20);
    `);
    assert.equal(r.code, 70, r.stderr);
    assert.match(r.stderr, /reported: nobody awaited me/);
    assert.match(r.stdout, /still running/, 'the process goes on to end cleanly');
  });

  it('a listening pipeline is told (and reports it), and a decided 0 or 1 becomes 70', () => {
    const r = runScript(`
      installLastResort((e) => console.error('printed by the handler:', e.message));
      const stop = onEscapedError((e) => console.log('pipeline stops:', e.message));
      void Promise.reject(new Error('escaped'));
      setTimeout(() => {
        stop();
        console.log('exit', withEscaped(0), withEscaped(1), withEscaped(6));
        process.exitCode = withEscaped(0);
      }, 20);
    `);
    assert.equal(r.code, 70, r.stderr);
    assert.match(r.stdout, /pipeline stops: escaped/);
    assert.match(r.stdout, /exit 70 70 6/);
    assert.doesNotMatch(r.stderr, /printed by the handler/);
  });

  it('an uncaught exception ends the process with 70', () => {
    const r = runScript(`
      installLastResort((e) => console.error('reported:', e.message));
      setTimeout(() => { throw new Error('thrown in a callback'); }, 1);
    `);
    assert.equal(r.code, 70, r.stderr);
    assert.match(r.stderr, /reported: thrown in a callback/);
  });
});
