import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { ArchivedIndex } from '../src/state/archived-index.js';
import { tempDir } from './helpers/cli.js';

const C1 = '11111111-1111-4111-8111-111111111111';
const R1 = 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa';
const R2 = 'bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb';

async function setup(t: { after: (fn: () => Promise<void>) => void }): Promise<string> {
  const dir = await tempDir();
  t.after(() => fs.rm(dir, { recursive: true, force: true }));
  return path.join(dir, 'archived');
}

describe('archived-recordings index', () => {
  it('is keyed by the UTC day of the conversation start, durable, 0600 files in a 0700 folder', async (t) => {
    const dir = await setup(t);
    // 23:30 in New York on 1 May is 03:30 UTC on 2 May: the UTC day is the key.
    const start = Date.parse('2024-05-02T03:30:00.000Z');
    const file = `2024/05/01/${C1}/${R1}.wav`;
    await new ArchivedIndex(dir).add(R1, start, file);
    assert.deepEqual(await fs.readdir(dir), ['2024-05-02.txt']);
    assert.equal((await fs.stat(dir)).mode & 0o777, 0o700);
    assert.equal((await fs.stat(path.join(dir, '2024-05-02.txt'))).mode & 0o777, 0o600);
    // A new run (fresh instance) finds it from disk, by recording id, case-insensitively.
    const fresh = new ArchivedIndex(dir);
    assert.equal(await fresh.get(R1.toUpperCase(), start + 3600_000), file);
    assert.equal(await fresh.get(R2, start), undefined);
    assert.equal(await fresh.get(R1, Date.parse('2024-05-01T23:59:59.999Z')), undefined);
  });

  it('the last line for a recording wins; torn lines and paths leaving the archive are ignored', async (t) => {
    const dir = await setup(t);
    await fs.mkdir(dir, { recursive: true });
    const day = path.join(dir, '2024-05-02.txt');
    await fs.writeFile(
      day,
      [
        `${R1} 2024/05/01/${C1}/${R1}.wav`,
        `${R1} 2024/05/02/${C1}/${R1}.wav`,
        `${R2} ../../etc/${R2}.wav`,
        `not-an-id 2024/05/02/${C1}/x.wav`,
        `${R2}`, // torn: a run stopped mid-line
      ].join('\n'),
    );
    const index = new ArchivedIndex(dir);
    const start = Date.parse('2024-05-02T10:00:00Z');
    assert.equal(await index.get(R1, start), `2024/05/02/${C1}/${R1}.wav`);
    assert.equal(await index.get(R2, start), undefined);
    await index.add(R2, start, `2024/05/02/${C1}/${R2}_1.ogg`);
    assert.equal(await new ArchivedIndex(dir).get(R2, start), `2024/05/02/${C1}/${R2}_1.ogg`);
  });

  it('finds days evicted from memory again on disk', async (t) => {
    const dir = await setup(t);
    const index = new ArchivedIndex(dir);
    const day0 = Date.parse('2024-01-01T12:00:00Z');
    await index.add(R1, day0, `2024/01/01/${C1}/${R1}.wav`);
    for (let d = 1; d <= 10; d += 1) assert.equal(await index.get(R1, day0 + d * 86_400_000), undefined);
    assert.equal(await index.get(R1, day0), `2024/01/01/${C1}/${R1}.wav`);
  });
});
