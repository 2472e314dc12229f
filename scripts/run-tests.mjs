#!/usr/bin/env node
// Runs test files by name. On Node 20, `node --test` given a folder silently finds no .ts files and
// reports success with zero tests, so the files are listed here explicitly.
//
//   node scripts/run-tests.mjs [files…]   every test file, or the files named
//   node scripts/run-tests.mjs --unit     the unit tests (scripts/test-kinds.mjs), under unit-guard.mjs
//   node scripts/run-tests.mjs --smoke    the end-to-end smoke set CI runs on every supported Node
//   --list                                print the chosen files instead of running them
//
// The files run on the Node that runs this script (process.execPath), and so does every CLI they
// start: `/path/to/node24 scripts/run-tests.mjs --smoke` tests the product on Node 24.
import { spawnSync } from 'node:child_process';
import { allTests, SMOKE_TESTS, unitTests } from './test-kinds.mjs';

const args = process.argv.slice(2);
const flags = new Set(args.filter((arg) => arg.startsWith('--')));
const named = args.filter((arg) => !arg.startsWith('--'));
for (const flag of flags) {
  if (!['--unit', '--smoke', '--list'].includes(flag)) {
    console.error(`unknown option ${flag} (expected --unit, --smoke or --list)`);
    process.exit(2);
  }
}
if (flags.has('--unit') && flags.has('--smoke')) {
  console.error('--unit and --smoke run apart: the unit guard would refuse the smoke tests');
  process.exit(2);
}
const files =
  named.length > 0
    ? named
    : flags.has('--unit')
      ? unitTests()
      : flags.has('--smoke')
        ? SMOKE_TESTS
        : allTests();
if (files.length === 0) {
  console.error('no test files found under test/');
  process.exit(1);
}
if (flags.has('--list')) {
  console.log(files.join('\n'));
  process.exit(0);
}
const guard = flags.has('--unit') ? ['--import', new URL('./unit-guard.mjs', import.meta.url).href] : [];
const result = spawnSync(
  process.execPath,
  ['--import', 'tsx', ...guard, '--test', '--test-concurrency=2', ...files],
  { stdio: 'inherit' },
);
process.exit(result.status ?? 1);
