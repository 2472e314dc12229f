// Which test files make up the fast subsets, computed from the files themselves so that no second
// list has to be kept by hand beside test/.
//
// A unit test starts no child process, no simulator and no server: it imports none of the Node
// modules that do, and none of the helpers below that do. scripts/unit-guard.mjs checks the same
// promise at run time, so a file this scan lets through by mistake fails loudly under --unit.
import { readdirSync, readFileSync } from 'node:fs';

/** Node modules through which a test could start a process or listen on a socket. */
const PROCESS_OR_SERVER_MODULES = new Set([
  'child_process',
  'cluster',
  'dgram',
  'http',
  'http2',
  'https',
  'net',
  'tls',
]);

/** Test helpers (and the simulator's entry) that start the CLI, the simulator, a proxy or a mount. */
const STARTERS = new Set([
  'runCli',
  'spawnCli',
  'ingest',
  'startSimulator',
  'startSimWorkspace',
  'startProxy',
  'mountTmpfs',
  'openClientEnv',
  'startAzurite',
]);

/**
 * The end-to-end smoke set CI runs on every supported Node version (.ci/run): cheap files covering
 * the CLI's main paths (parsing, a real run, catchup, verify, no runtime warning) and TLS, the part
 * most likely to change with the Node version (each bundles its own OpenSSL).
 */
export const SMOKE_TESTS = [
  'test/cli.basics.test.ts',
  'test/run.happy.test.ts',
  'test/runtime.warnings.test.ts',
  'test/genesys.tls.test.ts',
  // Not the product: the guard behind --unit, which CI relies on for each Node it runs --unit on.
  'test/unit-guard.test.ts',
];

export function allTests() {
  return readdirSync('test')
    .filter((name) => name.endsWith('.test.ts'))
    .sort()
    .map((name) => `test/${name}`);
}

/** The names a file imports and the modules it imports them from (static and dynamic imports). */
function imports(source) {
  const modules = [];
  const names = [];
  for (const m of source.matchAll(/\bimport\s+(?:type\s+)?([\w*\s{},$]*?)\s*from\s*['"]([^'"]+)['"]/g)) {
    modules.push(m[2]);
    for (const part of m[1].replace(/[{}]/g, ',').split(',')) {
      const name = part
        .trim()
        .replace(/^type\s+/, '')
        .split(/\s+as\s+/)[0];
      if (name) names.push(name);
    }
  }
  for (const m of source.matchAll(/\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g)) modules.push(m[1]);
  return { modules, names };
}

export function isUnitTest(file) {
  const { modules, names } = imports(readFileSync(file, 'utf8'));
  return (
    !modules.some((m) => PROCESS_OR_SERVER_MODULES.has(m.replace(/^node:/, '').split('/')[0])) &&
    !names.some((name) => STARTERS.has(name))
  );
}

export function unitTests() {
  return allTests().filter(isUnitTest);
}
