// Loaded with --import by `run-tests.mjs --unit`: inside a test file's process, starting a child
// process or listening on a socket throws, so the unit subset's promise (no child process, no
// simulator, no server) is checked, not assumed. The test runner's own parent process, which does
// start one process per file, is left alone: only its children carry NODE_TEST_CONTEXT.
import childProcess from 'node:child_process';
import { syncBuiltinESMExports } from 'node:module';
import net from 'node:net';

function refuse(what) {
  return () => {
    throw new Error(
      `a unit test ${what}: unit tests start no child process, no simulator and no server. ` +
        'Add the helper that did this to STARTERS in scripts/test-kinds.mjs so the file runs with the end-to-end tests.',
    );
  };
}

if (process.env.NODE_TEST_CONTEXT !== undefined) {
  for (const name of ['spawn', 'spawnSync', 'exec', 'execSync', 'execFile', 'execFileSync', 'fork'])
    childProcess[name] = refuse(`started a child process (child_process.${name})`);
  // http, https and tls servers are all net.Servers.
  net.Server.prototype.listen = refuse('listened on a socket (a server)');
  // Named ESM imports of node:child_process see the replaced functions too.
  syncBuiltinESMExports();
}
