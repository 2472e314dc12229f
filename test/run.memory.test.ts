/**
 * SPEC §5: memory stays flat with no `NODE_OPTIONS` set by the operator. The figures (peak RSS per
 * scenario) are the bench's job (`npm run bench -- --only memory`); this checks the mechanism that
 * keeps them down, end to end through the built CLI: V8's young generation stays near its start-up
 * size (1–2 MB) for the whole run instead of doubling its way to 2 × 16 MB under the allocation of
 * many recordings. A probe loaded with `--import` (before the bin) reads its size at start and exit.
 */
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { tuneHeap } from '../src/cli/heap.js';
import { ingest } from './helpers/run.js';
import { QUIET_MIX, startSimWorkspace } from './helpers/sim.js';

const HOUR = 3_600_000;

const PROBE = `import v8 from 'node:v8';
import { writeFileSync } from 'node:fs';
const youngBytes = () => v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size;
const atStart = youngBytes();
process.on('exit', () => writeFileSync(process.env.PROBE_OUT, JSON.stringify({ atStart, atExit: youngBytes() })));
`;

describe('memory (SPEC §5)', () => {
  it('a catchup keeps the young generation near its start-up size, without NODE_OPTIONS heap flags', async (t) => {
    const now = Date.now();
    const setup = await startSimWorkspace({
      spec: {
        seed: 'memory',
        conversations: 120,
        fromMs: now - 2 * 24 * HOUR,
        toMs: now - HOUR,
        mix: QUIET_MIX,
      },
    });
    t.after(() => setup.cleanup());
    const probe = path.join(setup.ws.dir, 'probe.mjs');
    const out = path.join(setup.ws.dir, 'probe.json');
    await fs.writeFile(probe, PROBE);
    const { result, report } = await ingest(setup.ws, ['catchup'], {
      NODE_OPTIONS: `--import ${pathToFileURL(probe).href}`,
      PROBE_OUT: out,
    });
    assert.equal(result.code, 0, result.stderr);
    assert.ok(report.counts.ingested >= 120, `ingested ${report.counts.ingested}`);
    const young = JSON.parse(await fs.readFile(out, 'utf8')) as { atStart: number; atExit: number };
    // Within one doubling of the start: V8 may set up its second semi-space before the bin runs.
    assert.ok(
      young.atExit <= 2 * young.atStart,
      `the young generation grew from ${young.atStart} to ${young.atExit} bytes during the run`,
    );
  });

  it("leaves the heap alone when the operator's NODE_OPTIONS or node flags size it", () => {
    assert.equal(tuneHeap('--max-semi-space-size=8', []), false);
    assert.equal(tuneHeap('', ['--heap-growing-percent=50']), false);
    assert.equal(tuneHeap('--max_semi_space_size=8', []), false);
  });
});
