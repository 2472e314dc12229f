/**
 * What the README promises about moving a working filesystem configuration to S3 (SPEC §7, issue
 * 12 "Done when"): only the `archive` block and the credentials in the environment change; `verify`
 * passes; nothing archived in the folder before the switch is downloaded or written again (the
 * ledger dedupes by recording id, for listed conversations and retry entries alike); the folder
 * archive is left as it was; and `verify --archive` on the new target reports the recordings that
 * stayed in the folder as missing until they are copied over. Against the simulator and s3rver,
 * both started here on 127.0.0.1.
 */
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { baseEnv, runCli } from './helpers/cli.js';
import { ingest, TEST_ENV } from './helpers/run.js';
import { startS3 } from './helpers/s3.js';
import { archiveFiles, QUIET_MIX, startSimWorkspace } from './helpers/sim.js';

const HOUR = 3_600_000;

interface VerifyDoc {
  ok: boolean;
  checks: { name: string; ok: boolean; detail: string }[];
  findings?: { kind: string; path: string }[];
}

async function snapshot(dir: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const file of await archiveFiles(dir)) {
    const stat = await fs.stat(path.join(dir, file));
    out.set(file, `${stat.size}:${stat.mtimeMs}`);
  }
  return out;
}

describe('switching a working filesystem configuration to S3', () => {
  it('needs only the archive block and the environment; archives nothing twice; the folder stays', async (t) => {
    const now = Date.now();
    const setup = await startSimWorkspace({
      spec: { seed: 'switch', conversations: 4, fromMs: now - 5 * HOUR, toMs: now - HOUR, mix: QUIET_MIX },
    });
    const store = await startS3();
    t.after(async () => {
      await store.close();
      await setup.cleanup();
    });
    const { ws } = setup;

    const first = await ingest(ws);
    assert.equal(first.result.code, 0, first.result.stderr);
    const archived = first.report.counts.ingested;
    assert.ok(archived >= 3, `recordings were archived in the folder: ${archived}`);
    const folderBefore = await snapshot(ws.archiveDir);
    assert.equal(folderBefore.size, 2 * archived, 'a media file and a CDR each');

    // The switch: `archiveDir` gives way to an `archive` block; nothing else in the file changes.
    const before = { ...ws.config };
    await ws.writeConfig({
      archiveDir: undefined,
      archive: store.archive({ useProxy: false }),
    });
    const changed = [...new Set([...Object.keys(before), ...Object.keys(ws.config)])].filter(
      (k) => JSON.stringify(before[k]) !== JSON.stringify(ws.config[k]),
    );
    assert.deepEqual(changed.sort(), ['archive', 'archiveDir']);
    const env = store.env();

    const verify = await runCli(['verify', '--json', '--config', ws.configPath], {
      env: baseEnv({ ...TEST_ENV, ...env }),
    });
    const checked = JSON.parse(verify.stdout) as VerifyDoc;
    assert.equal(verify.code, 0, verify.stdout + verify.stderr);
    const byName = new Map(checked.checks.map((c) => [c.name, c]));
    assert.match(
      byName.get('archive store')?.detail ?? '',
      /^s3:\/\/rec-archive\/genesys\/ exists and can be listed$/,
    );
    assert.match(
      byName.get('archive write')?.detail ?? '',
      /^an object was written under genesys\/\.genesys-ingest-verify\/ and removed again$/,
    );
    assert.deepEqual(await store.keys(), [], 'the probe was removed');

    // The cursor rewound: every conversation is listed again, and the ledger knows each one.
    const rewind = await runCli(
      ['cursor', 'set', new Date(now - 6 * HOUR).toISOString(), '--config', ws.configPath],
      { env: baseEnv(env) },
    );
    assert.equal(rewind.code, 0, rewind.stderr);
    const again = await ingest(ws, [], env);
    assert.equal(again.result.code, 0, again.result.stderr);
    assert.equal(again.report.counts.ingested, 0);
    assert.equal(again.report.counts.alreadyArchived, archived);

    // A retry entry for an archived conversation: its recordings are found in the ledger by id.
    const conversationId = first.report.items[0]!.conversationId;
    const add = await runCli(['retry', 'add', '--conversation', conversationId, '--config', ws.configPath], {
      env: baseEnv(env),
    });
    assert.equal(add.code, 0, add.stderr);
    const retried = await ingest(ws, [], env);
    assert.equal(retried.result.code, 0, retried.result.stderr);
    assert.equal(retried.report.counts.ingested, 0);
    const held = retried.report.items.filter((i) => i.conversationId === conversationId);
    assert.ok(held.length > 0, 'the retry entry was taken');
    for (const i of held) {
      assert.equal(i.status, 'alreadyArchived');
      assert.equal(i.reason, 'in the ledger, but its CDR is missing from the archive');
    }
    assert.equal(retried.report.bytesDownloaded, 0, 'nothing downloaded again');

    const writes = store.requests.filter((r) => /^(PUT|POST|DELETE)$/.test(r.method));
    assert.deepEqual(
      writes.map((r) => `${r.method} ${r.url}`).filter((l) => !l.includes('.genesys-ingest-verify/')),
      [],
      'nothing written to the bucket but the verify probe',
    );
    assert.deepEqual(await snapshot(ws.archiveDir), folderBefore, 'the folder archive is left as it was');

    // Until the folder is copied over, the new target lacks what the ledger says was archived.
    const audit = await runCli(['verify', '--archive', '--offline', '--json', '--config', ws.configPath], {
      env: baseEnv(env),
    });
    assert.equal(audit.code, 5, audit.stdout + audit.stderr);
    const doc = JSON.parse(audit.stdout) as VerifyDoc;
    const missing = (doc.findings ?? []).filter((f) => f.kind === 'missing').map((f) => f.path);
    assert.deepEqual(
      missing.sort(),
      [...folderBefore.keys()].filter((f) => !f.endsWith('.xml')).sort(),
      'each recording archived before the switch is reported missing on the new target',
    );
  });
});
