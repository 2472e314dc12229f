/**
 * The package as users get it: `npm pack` the project, install the tarball into an empty project,
 * and run the installed `genesys-ingest` bin. A file missing from package.json `files`, a broken
 * `bin`, a package packed without its build (no prepack), or a runtime import of a development
 * dependency fails here. The pack starts from a copy of the project's files as a fresh clone has
 * them (no dist/); dependencies come from the npm cache (--prefer-offline).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { constants, existsSync, lstatSync, promises as fs, readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { ROOT, baseEnv, tempDir, type CliResult } from './helpers/cli.js';

const PKG = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
  name: string;
  version: string;
};
const WINDOWS = process.platform === 'win32';

/**
 * The environment for npm: ours, minus what `npm test` exports about this project. npm passes its
 * configuration to scripts as npm_config_* variables, among them `local_prefix` (this folder):
 * inherited, the install would land in the project instead of the temp folder. Settings that say how
 * to reach the registry (cache, proxy, CA) are kept.
 */
function npmEnv(): NodeJS.ProcessEnv {
  const keep =
    /^npm_config_(cache|userconfig|globalconfig|registry|cafile|ca|strict_ssl|proxy|https_proxy|noproxy|fetch_.*)$/i;
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (/^npm_/i.test(key) && !keep.test(key)) continue;
    if (key === 'INIT_CWD') continue;
    env[key] = value;
  }
  return { ...env, npm_config_update_notifier: 'false' };
}

/** npm itself: the npm that runs `npm test` when there is one, else `npm` from PATH. */
function npmCommand(): { file: string; prefix: string[]; shell: boolean } {
  const execPath = process.env.npm_execpath;
  if (execPath !== undefined && /npm-cli\.c?js$/.test(execPath) && existsSync(execPath))
    return { file: process.execPath, prefix: [execPath], shell: false };
  return WINDOWS ? { file: 'npm.cmd', prefix: [], shell: true } : { file: 'npm', prefix: [], shell: false };
}

function run(
  file: string,
  args: string[],
  options: { cwd: string; env: NodeJS.ProcessEnv; shell?: boolean; timeoutMs: number },
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, {
      cwd: options.cwd,
      env: options.env,
      shell: options.shell ?? false,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

function npm(args: string[], cwd: string, timeoutMs = 120_000): Promise<CliResult> {
  const { file, prefix, shell } = npmCommand();
  return run(file, [...prefix, ...args], { cwd, env: npmEnv(), shell, timeoutMs });
}

/** Names of the regular files in a .tgz (ustar, with pax `path` records honoured). */
function tarFiles(gz: Buffer): string[] {
  const data = gunzipSync(gz);
  const names: string[] = [];
  let paxPath: string | undefined;
  let offset = 0;
  while (offset + 512 <= data.length) {
    const header = data.subarray(offset, offset + 512);
    if (header.every((byte) => byte === 0)) break;
    const text = (start: number, end: number): string =>
      header
        .subarray(start, end)
        .toString('utf8')
        .replace(/\0[\s\S]*$/, '');
    const size = parseInt(text(124, 136).trim() || '0', 8);
    const type = text(156, 157);
    const body = data.subarray(offset + 512, offset + 512 + size);
    const prefix = text(345, 500);
    const name = prefix === '' ? text(0, 100) : `${prefix}/${text(0, 100)}`;
    if (type === 'x') {
      paxPath = /(?:^|\n)\d+ path=([^\n]*)\n/.exec(body.toString('utf8'))?.[1];
    } else {
      if (type === '0' || type === '') names.push(paxPath ?? name);
      paxPath = undefined;
    }
    offset += 512 + Math.ceil(size / 512) * 512;
  }
  return names;
}

describe('the npm package', { timeout: 240_000 }, () => {
  let work: string;
  let tarball: string;

  before(async () => {
    work = await tempDir('gi-package-');
    // A fresh clone has no dist/: the package is made from the project's files alone (tracked, or
    // new and not ignored), so `npm pack` must build it itself (prepack).
    const clone = path.join(work, 'clone');
    const listed = await run('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], {
      cwd: ROOT,
      env: baseEnv(),
      timeoutMs: 30_000,
    });
    assert.equal(listed.code, 0, `git ls-files\n${listed.stderr}`);
    const files = listed.stdout
      .split('\0')
      .filter((f) => f !== '' && existsSync(path.join(ROOT, f)) && lstatSync(path.join(ROOT, f)).isFile());
    assert.ok(
      files.includes('package.json') && !files.some((f) => f.startsWith('dist/')),
      'a clean file list',
    );
    for (const file of files) {
      await fs.mkdir(path.dirname(path.join(clone, file)), { recursive: true });
      await fs.copyFile(path.join(ROOT, file), path.join(clone, file));
    }
    // The build tools come from the project's install (a clone runs `npm ci` first).
    await fs.symlink(path.join(ROOT, 'node_modules'), path.join(clone, 'node_modules'), 'junction');
    assert.equal(existsSync(path.join(clone, 'dist')), false, 'the clone starts without a build');
    const packed = await npm(['pack', '--json', '--pack-destination', work], clone, 180_000);
    assert.equal(packed.code, 0, `npm pack\n${packed.stdout}\n${packed.stderr}`);
    // npm prints the prepack script's output before the JSON document.
    const info = JSON.parse(packed.stdout.slice(packed.stdout.indexOf('['))) as { filename: string }[];
    assert.equal(info.length, 1);
    tarball = path.join(work, path.basename(info[0]!.filename));
    assert.ok(existsSync(tarball), `${tarball} was written`);
  });

  after(async () => {
    if (work !== undefined) await fs.rm(work, { recursive: true, force: true });
  });

  it('holds the CLI and its build, and no sources, tests, simulator or source maps', async () => {
    const files = tarFiles(await fs.readFile(tarball));
    assert.ok(
      files.every((f) => f.startsWith('package/')),
      'every file under package/',
    );
    const relative = files.map((f) => f.slice('package/'.length));
    for (const needed of ['package.json', 'README.md', 'bin/genesys-ingest.js', 'dist/cli/main.js'])
      assert.ok(relative.includes(needed), `the package holds ${needed}`);
    for (const f of relative) {
      assert.ok(!f.startsWith('src/'), `no sources: ${f}`);
      assert.ok(!f.startsWith('test/'), `no tests: ${f}`);
      assert.ok(!f.startsWith('dist/simulator/'), `no simulator: ${f}`);
      assert.ok(!f.startsWith('sim/'), `no simulator workspace: ${f}`);
      assert.ok(!f.endsWith('.map'), `no source maps: ${f}`);
      assert.ok(!f.startsWith('node_modules/'), `no node_modules: ${f}`);
    }
  });

  it('installs into an empty project; its bin answers --help, --version and verify --offline', async () => {
    const consumer = path.join(work, 'consumer');
    await fs.mkdir(consumer);
    await fs.writeFile(
      path.join(consumer, 'package.json'),
      JSON.stringify({ name: 'genesys-ingest-consumer', version: '1.0.0', private: true }, null, 2),
    );
    const installed = await npm(
      [
        'install',
        tarball,
        '--prefix',
        consumer,
        '--prefer-offline',
        '--no-audit',
        '--no-fund',
        '--ignore-scripts',
        '--no-package-lock',
        '--loglevel=error',
      ],
      consumer,
      180_000,
    );
    assert.equal(installed.code, 0, `npm install\n${installed.stdout}\n${installed.stderr}`);
    assert.ok(
      existsSync(path.join(consumer, 'node_modules', PKG.name, 'package.json')),
      'installed in the temp project, not elsewhere',
    );

    const bin = path.join(
      consumer,
      'node_modules',
      '.bin',
      WINDOWS ? 'genesys-ingest.cmd' : 'genesys-ingest',
    );
    await fs.access(bin, WINDOWS ? constants.F_OK : constants.X_OK);
    // The bin's `#!/usr/bin/env node` needs node on PATH.
    const env = baseEnv({
      PATH: `${path.dirname(process.execPath)}${path.delimiter}${process.env.PATH ?? ''}`,
    });
    const cli = (args: string[]): Promise<CliResult> =>
      run(bin, args, { cwd: consumer, env, shell: WINDOWS, timeoutMs: 30_000 });

    const help = await cli(['--help']);
    assert.equal(help.code, 0, `--help\n${help.stdout}\n${help.stderr}`);
    for (const command of ['run', 'catchup', 'cursor', 'retry', 'verify'])
      assert.match(help.stdout, new RegExp(`^\\s+${command}\\b`, 'm'), `--help lists ${command}`);

    const version = await cli(['--version']);
    assert.equal(version.code, 0, version.stderr);
    assert.equal(version.stdout.trim(), PKG.version);

    const config = {
      name: 'Package test',
      policyId: 'pkg',
      importSourceId: 'test',
      clientId: 'package-test-client',
      authUrl: 'https://login.mypurecloud.ie',
      apiUrl: 'https://api.mypurecloud.ie',
      codec: 'WAV',
      timezone: 'Europe/Dublin',
      recordingStartTimestamp: '2026-01-01T00:00:00Z',
      maxRecordingLengthMinutes: 240,
      availabilityDelayMinutes: 30,
      userCacheLifetimeMinutes: 60,
      minFreeDiskMb: 0,
    };
    const configPath = path.join(consumer, 'genesys-ingest.json');
    await fs.writeFile(configPath, JSON.stringify(config, null, 2));
    const verify = await cli(['verify', '--offline', '--json', '--config', configPath]);
    assert.equal(verify.code, 0, `verify --offline\n${verify.stdout}\n${verify.stderr}`);
    const doc = JSON.parse(verify.stdout) as { ok: boolean; checks: { name: string; ok: boolean }[] };
    assert.equal(doc.ok, true, verify.stdout);
    assert.ok(doc.checks.some((c) => c.name === 'config' && c.ok));
    assert.equal(existsSync(path.join(consumer, 'state')), false, 'verify created nothing');
  });
});
