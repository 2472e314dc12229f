#!/usr/bin/env node
// Runs every test file by name. On Node 20, `node --test` given a folder silently finds no .ts
// files and reports success with zero tests, so the files are listed here explicitly.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';

const only = process.argv.slice(2);
const files =
  only.length > 0
    ? only
    : readdirSync('test')
        .filter((name) => name.endsWith('.test.ts'))
        .sort()
        .map((name) => `test/${name}`);
if (files.length === 0) {
  console.error('no test files found under test/');
  process.exit(1);
}
const result = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=2', ...files], {
  stdio: 'inherit',
});
process.exit(result.status ?? 1);
