#!/usr/bin/env node
// Thin entry: colour decisions must be made before chalk (ora) and @colors/colors (cli-table3) are
// imported, because both read the environment once at import time and ignore NO_COLOR.
const argv = process.argv.slice(2);
if (
  (process.env.NO_COLOR ?? '') !== '' ||
  argv.includes('--no-color') ||
  argv.includes('--json') ||
  !process.stderr.isTTY
) {
  process.env.FORCE_COLOR = '0';
}
// Recordings are personal data: nothing this process creates is readable by others.
process.umask(0o077);
// Memory stays flat without NODE_OPTIONS (SPEC §5): V8's heap settings, before the modules below allocate.
const { tuneHeap } = await import('../dist/cli/heap.js');
tuneHeap();
const { main } = await import('../dist/cli/main.js');
process.exitCode = await main(argv);
