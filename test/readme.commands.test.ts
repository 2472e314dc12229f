/**
 * The commands the README and the demo suggest work as written (issue: `genesys-ingest: command not
 * found` after the demo). In a clone the tool is not on PATH: the suggestions say `npx genesys-ingest`,
 * which npm resolves to this project's own bin, offline.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { toolCommand } from '../sim/src/demo-summary.js';
import { BIN, ROOT, baseEnv, type CliResult } from './helpers/cli.js';

const README = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
const VERSION = (JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string })
  .version;

function npx(args: string[]): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('npx', ['--offline', ...args], {
      cwd: ROOT,
      env: baseEnv({ PATH: `${path.dirname(process.execPath)}${path.delimiter}${process.env.PATH ?? ''}` }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

describe('commands as the README and the demo suggest them', () => {
  it('the quick start suggests `npx genesys-ingest`, never the bare name', () => {
    const quickStart = README.slice(README.indexOf('## Quick start'), README.indexOf('## Commands'));
    assert.ok(quickStart.length > 0, 'the README has a quick start before its commands');
    const suggested = [
      ...quickStart.matchAll(/`([^`]*genesys-ingest (?:run|catchup|cursor|retry|verify|status)[^`]*)`/g),
    ].map((m) => m[1]!);
    assert.ok(suggested.length > 0, 'the quick start suggests a command to try next');
    for (const command of suggested) assert.match(command, /^npx genesys-ingest /, command);
  });

  it('`npx genesys-ingest` in the clone runs this project’s own bin, offline', async () => {
    const version = await npx(['genesys-ingest', '--version']);
    assert.equal(version.code, 0, version.stderr);
    assert.equal(version.stdout.trim(), VERSION);
    const help = await npx(['genesys-ingest', 'cursor', '--help']);
    assert.equal(help.code, 0, help.stderr);
    assert.match(help.stdout, /\bget\b/);
  });

  it('the demo suggests `npx genesys-ingest` in the package folder, and the bin’s path elsewhere', () => {
    assert.equal(toolCommand(ROOT, ROOT, BIN), 'npx genesys-ingest');
    assert.equal(toolCommand(path.join(ROOT, '.'), ROOT, BIN), 'npx genesys-ingest');
    const elsewhere = toolCommand('/tmp/somewhere-else', ROOT, BIN);
    assert.match(elsewhere, /^node /);
    assert.ok(elsewhere.endsWith(BIN) || elsewhere.endsWith(JSON.stringify(BIN)), elsewhere);
    assert.equal(
      toolCommand(path.dirname(ROOT), ROOT, BIN),
      `node ${path.relative(path.dirname(ROOT), BIN)}`,
    );
  });
});
