/**
 * Several import sources share one stateDir and one archive (SPEC §3): a run removes the `.partial`
 * leftovers of its own import source only, never another's (which may be writing them right now).
 */
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { ingest } from './helpers/run.js';
import { archiveFiles, QUIET_MIX, startSimWorkspace } from './helpers/sim.js';

const HOUR = 3_600_000;

async function plant(file: string): Promise<string> {
  await fs.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  await fs.writeFile(file, 'half of something', { mode: 0o600 });
  return file;
}

async function exists(file: string): Promise<boolean> {
  return fs.stat(file).then(
    () => true,
    () => false,
  );
}

describe('run: import sources sharing a stateDir and an archive', () => {
  it("removes its own leftover .partial files and leaves the other import source's alone", async (t) => {
    const now = Date.now();
    const setup = await startSimWorkspace({
      spec: { seed: 'shared', conversations: 3, fromMs: now - 5 * HOUR, toMs: now - HOUR, mix: QUIET_MIX },
    });
    t.after(() => setup.cleanup());
    const { ws } = setup;
    const first = await ingest(ws);
    assert.equal(first.result.code, 0, first.result.stderr);
    const media = (await archiveFiles(ws.archiveDir)).find((f) => f.endsWith('.wav'))!;
    const folder = path.join(ws.archiveDir, path.dirname(media));
    const ours = path.basename(media, '.wav');

    const state = ws.stateDir;
    const other = 'pol1_src2';
    const theirs = [
      path.join(state, 'work', other, '.frontier.json.0123456789ab.partial'),
      path.join(state, 'work', other, 'settled', '.2026-12-01.txt.0123456789ab.partial'),
      path.join(state, 'laststate', other, `.${other}.cursor.0123456789ab.partial`),
      path.join(state, 'retryBuffer', other, '.c.xml.0123456789ab.partial'),
      path.join(state, 'retryBuffer', other, 'dead', '.d.xml.0123456789ab.partial'),
      path.join(state, 'ledger', other, '.2026-12.jsonl.torn.0123456789ab.partial'),
      path.join(state, 'reports', other, '.status.json.0123456789ab.partial'),
      // Another import source downloading into the same conversation folder (another recording).
      path.join(folder, '.7d1c9a52-0000-4000-8000-000000000001.wav.0123456789ab.partial'),
      // Outside every import source's folders: not ours to judge either.
      path.join(state, '.someone-else.0123456789ab.partial'),
    ];
    const mine = [
      path.join(state, 'work', 'pol1_src1', '.frontier.json.0123456789ab.partial'),
      path.join(state, 'laststate', 'pol1_src1', '.pol1_src1.cursor.0123456789ab.partial'),
      path.join(state, 'retryBuffer', 'pol1_src1', 'rejected', '.r.xml.0123456789ab.partial'),
      path.join(state, 'ledger', 'pol1_src1', '.x.jsonl.0123456789ab.partial'),
      path.join(state, 'reports', 'pol1_src1', '.status.json.0123456789ab.partial'),
      // A download of ours the previous run did not finish (its journal names this recording).
      path.join(folder, `.${ours}.wav.0123456789ab.partial`),
      path.join(folder, `.${ours}.xml.0123456789ab.partial`),
    ];
    for (const file of [...theirs, ...mine]) await plant(file);

    const second = await ingest(ws);
    assert.equal(second.result.code, 0, second.result.stderr);
    for (const file of theirs) assert.ok(await exists(file), `${path.relative(ws.dir, file)} survives`);
    for (const file of mine) assert.ok(!(await exists(file)), `${path.relative(ws.dir, file)} is removed`);
  });
});
