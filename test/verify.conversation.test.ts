/**
 * `verify --conversation ID` (SPEC §8.2) end to end against the simulator: the story of one call
 * from the ledger, the archive (re-hashed), the retry buffer and its folders, the reports, the
 * frontier and Genesys; `missing` exits 5, an unknown id says so and exits 0, a non-id exits 2.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { DateTime } from 'luxon';
import { addConversation, generateOrg, type SimConversation } from '../sim/src/index.js';
import { baseEnv, runCli, type CliResult } from './helpers/cli.js';
import { ingest } from './helpers/run.js';
import { startSimWorkspace, type SimSetup } from './helpers/sim.js';
import { holdLock } from './helpers/workspace.js';

const MINUTE = 60_000;

interface Story {
  ok: boolean;
  conversationId: string;
  status: string;
  detail: string;
  ledger: { type: string; status?: string; recordingId?: string }[];
  files: {
    file: string;
    kind: string;
    ok: boolean;
    sizeBytes?: number;
    sha256?: string;
    expectedSha256?: string;
  }[];
  altered: string[];
  retry: { place: string; file: string; attempts?: number }[];
  reports: { report: string; kind: string; entry: { status?: string; type?: string } }[];
  frontier: { pending: boolean };
  genesys: { known: boolean; recordings: { id: string; fileState?: string }[] } | null;
}

async function story(
  setup: SimSetup,
  id: string,
  ...args: string[]
): Promise<{ result: CliResult; doc: Story }> {
  const result = await runCli(
    ['verify', '--conversation', id, '--json', ...args, '--config', setup.ws.configPath],
    {
      env: baseEnv(),
    },
  );
  try {
    return { result, doc: JSON.parse(result.stdout) as Story };
  } catch {
    throw new Error(`no JSON document (exit ${result.code}):\n${result.stderr}\n${result.stdout}`);
  }
}

function media(setup: SimSetup, conv: SimConversation): string {
  const day = DateTime.fromMillis(conv.startMs, { zone: 'Europe/Dublin' }).toFormat('yyyy/MM/dd');
  return path.join(setup.ws.archiveDir, day, conv.id, `${conv.recordings[0]!.id}.wav`);
}

describe('verify --conversation', () => {
  it('tells the story of a call from every record, and Genesys', async (t) => {
    const now = Date.now();
    const org = generateOrg({ seed: 'story', conversations: 0 });
    const at = (
      minutesAgo: number,
      more: Partial<Parameters<typeof addConversation>[1]> = {},
    ): SimConversation =>
      addConversation(org, {
        startMs: now - minutesAgo * MINUTE,
        durationMs: MINUTE,
        sizeBytes: 1024,
        ...more,
      });
    const archived = at(60);
    const damaged = at(50);
    const retried = at(40, { fileState: 'ARCHIVED' });
    const dead = at(30, { fileState: 'ARCHIVED' });
    const setup = await startSimWorkspace({ sim: { org }, config: { reconcileAfterHours: 0 } });
    t.after(() => setup.cleanup());
    const run = await ingest(setup.ws);
    assert.equal(run.result.code, 1, run.result.stderr);

    const a = await story(setup, archived.id.toUpperCase());
    assert.equal(a.result.code, 0, a.result.stderr);
    assert.equal(a.doc.conversationId, archived.id);
    assert.equal(a.doc.status, 'archived');
    assert.deepEqual(
      a.doc.ledger.map((l) => l.type),
      ['recording', 'conversation'],
    );
    assert.deepEqual(a.doc.files.map((f) => [f.kind, f.ok]).sort(), [
      ['cdr', true],
      ['media', true],
    ]);
    const mediaEntry = a.doc.files.find((f) => f.kind === 'media')!;
    assert.equal(mediaEntry.sizeBytes, 1024);
    assert.equal(mediaEntry.sha256, mediaEntry.expectedSha256);
    assert.deepEqual(a.doc.altered, []);
    assert.deepEqual(
      a.doc.reports.map((r) => [r.kind, r.entry.status]),
      [['item', 'ingested']],
    );
    assert.equal(a.doc.frontier.pending, false);
    assert.deepEqual(
      a.doc.genesys?.recordings.map((r) => r.id),
      [archived.recordings[0]!.id],
    );

    // Offline: the records alone; Genesys not asked.
    const offline = await story(setup, archived.id, '--offline');
    assert.equal(offline.result.code, 0, offline.result.stderr);
    assert.equal(offline.doc.status, 'archived');
    assert.equal(offline.doc.genesys, null);

    // A file changed in place (same size): re-hashed, it no longer matches.
    const bytes = await fs.readFile(media(setup, archived));
    bytes[0] = bytes[0]! ^ 0xff;
    await fs.writeFile(media(setup, archived), bytes);
    const altered = await story(setup, archived.id);
    assert.equal(altered.doc.files.find((f) => f.kind === 'media')!.ok, false);
    assert.equal(altered.doc.altered.length, 2); // against its CDR, and against the ledger

    // A deleted media file: missing, exit 5.
    await fs.rm(media(setup, damaged));
    const d = await story(setup, damaged.id);
    assert.equal(d.result.code, 5, d.result.stderr);
    assert.equal(d.doc.status, 'missing');
    assert.equal(d.doc.ok, false);
    assert.match(d.doc.detail, /is gone/);

    // In the retry buffer, asked while another run holds the lock.
    await holdLock(setup.ws);
    const r = await story(setup, retried.id);
    assert.equal(r.result.code, 0, r.result.stderr);
    assert.equal(r.doc.status, 'retry');
    assert.deepEqual(
      r.doc.retry.map((e) => [e.place, e.attempts]),
      [['buffer', 1]],
    );
    assert.deepEqual(r.doc.reports.map((m) => [m.kind, m.entry.status ?? m.entry.type]).sort(), [
      ['alert', 'archivedInGenesys'],
      ['item', 'failed'],
    ]);
    assert.equal(r.doc.genesys?.recordings[0]?.fileState, 'ARCHIVED');

    // Moved to dead/.
    const deadDir = path.join(setup.ws.retryDir, 'dead');
    await fs.mkdir(deadDir, { recursive: true });
    const entry = (await fs.readdir(setup.ws.retryDir)).find((n) => n.startsWith(dead.id))!;
    await fs.rename(path.join(setup.ws.retryDir, entry), path.join(deadDir, entry));
    const gone = await story(setup, dead.id);
    assert.equal(gone.doc.status, 'dead');
    assert.deepEqual(
      gone.doc.retry.map((e) => e.place),
      ['dead'],
    );

    // Nobody knows it: unknown, exit 0.
    const nobody = await story(setup, randomUUID());
    assert.equal(nobody.result.code, 0, nobody.result.stderr);
    assert.equal(nobody.doc.status, 'unknown');
    assert.equal(nobody.doc.genesys?.known, false);
  });

  it('an id that is not a Genesys id exits 2 before anything is read', async () => {
    const result = await runCli(
      ['verify', '--conversation', '../../etc/passwd', '--config', '/nonexistent/genesys-ingest.json'],
      { env: baseEnv() },
    );
    assert.equal(result.code, 2);
    assert.match(result.stderr, /not a Genesys conversation id/);
    assert.doesNotMatch(result.stderr, /nonexistent/);
  });
});
