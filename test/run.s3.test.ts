/**
 * The S3 archive target end to end (SPEC §7): the CLI against the Genesys simulator and s3rver, both
 * started here on 127.0.0.1, with the store reached through a real forward proxy. s3rver ignores
 * object lock, encryption and storage classes, so what the tool SENDS is read by the recording layer
 * in front of s3rver (test/helpers/s3.ts); the proxy proves the route (its CONNECTs to the store).
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { parseCdrXml } from '../src/archive/cdr.js';
import { addConversation, generateOrg } from '../sim/src/index.js';
import { baseEnv, runCli } from './helpers/cli.js';
import { startProxy, type TestProxy } from './helpers/proxy.js';
import { ingest, readCursorLine, TEST_ENV } from './helpers/run.js';
import { startS3, type TestStore } from './helpers/s3.js';
import { expectedArchive, QUIET_MIX, startSimWorkspace, type SimSetup } from './helpers/sim.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const PREFIX = 'genesys/';

interface S3Setup {
  setup: SimSetup;
  store: TestStore;
  proxy: TestProxy;
}

async function s3Workspace(
  t: { after(fn: () => Promise<void>): void },
  options: {
    conversations?: number;
    archive?: Record<string, unknown>;
    config?: Record<string, unknown>;
    /** The store over HTTPS with the simulator's server certificate (its CA is the workspace's trust list). */
    https?: boolean;
  } = {},
): Promise<S3Setup> {
  const now = Date.now();
  const setup = await startSimWorkspace({
    spec: {
      seed: 's3',
      conversations: options.conversations ?? 6,
      fromMs: now - 5 * HOUR,
      toMs: now - HOUR,
      mix: QUIET_MIX,
    },
  });
  const store = await startS3(
    options.https === true ? { tls: { cert: setup.sim.pki.serverCert, key: setup.sim.pki.serverKey } } : {},
  );
  const proxy = await startProxy();
  t.after(async () => {
    await proxy.close();
    await store.close();
    await setup.cleanup();
  });
  await setup.ws.writeConfig({
    archiveDir: undefined,
    archive: store.archive(options.archive),
    proxy: { host: proxy.host, port: proxy.port, username: proxy.username, password: proxy.password },
    ...options.config,
  });
  return { setup, store, proxy };
}

/** Requests that reached the store, as `METHOD path?query`. */
function storeRequests(store: TestStore): { line: string; headers: Record<string, unknown> }[] {
  return store.requests.map((r) => ({ line: `${r.method} ${r.url}`, headers: r.headers }));
}

const writes = (requests: { line: string }[]): string[] =>
  requests.map((r) => r.line).filter((l) => /^(PUT|POST|DELETE) /.test(l));

/** Every file under `dir`, read. */
async function allFiles(dir: string): Promise<{ file: string; text: string }[]> {
  const out: { file: string; text: string }[] = [];
  for (const entry of await fs.readdir(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    const file = path.join(entry.parentPath, entry.name);
    out.push({ file, text: await fs.readFile(file, 'latin1') });
  }
  return out;
}

describe('run: the S3 archive target (SPEC §7)', () => {
  it('archives exactly, CDR after media, through the proxy, sending lock, encryption and class; a second run writes nothing; verify --archive reads it back', async (t) => {
    const { setup, store, proxy } = await s3Workspace(t, {
      archive: {
        objectLock: { mode: 'GOVERNANCE', retainDays: 30 },
        serverSideEncryption: 'AES256',
        storageClass: 'STANDARD_IA',
      },
    });
    const env = store.env();
    const first = await ingest(setup.ws, [], env);
    assert.equal(first.result.code, 0, first.result.stderr);
    assert.equal(
      first.result.stderr.includes('Warning'),
      false,
      `no SDK warning on stderr:\n${first.result.stderr}`,
    );

    const expected = expectedArchive(setup.sim.org, 'WAV', 'wav', 'Europe/Dublin', Date.now(), 2);
    assert.ok(expected.size >= 6, 'the simulator has recordings to archive');
    assert.equal(first.report.counts.ingested, expected.size);
    const keys = await store.keys();
    const wanted = [...expected.values()].flatMap((e) => [
      `${PREFIX}${e.file}`,
      `${PREFIX}${e.file.replace(/\.wav$/, '.xml')}`,
    ]);
    assert.deepEqual(keys, wanted.sort(), 'exactly the media and CDRs, under the prefix, in the layout');
    for (const e of expected.values()) {
      const key = `${PREFIX}${e.file}`;
      const bytes = await store.get(key);
      assert.equal(createHash('sha256').update(bytes).digest('hex'), e.sha256, `${key} holds the recording`);
      const head = await store.head(key);
      assert.equal(head.metadata.sha256, e.sha256, `${key} carries its sha256 metadata`);
      assert.equal(head.contentType, 'audio/wav');
      const cdrKey = key.replace(/\.wav$/, '.xml');
      const cdr = parseCdrXml(await store.get(cdrKey));
      assert.equal(cdr.kind, 'archived');
      if (cdr.kind === 'archived') {
        assert.equal(cdr.cdr.media[0]!.sha256, e.sha256);
        assert.equal(cdr.cdr.media[0]!.sizeBytes, e.size);
      }
      assert.equal((await store.head(cdrKey)).contentType, 'application/xml');
    }

    const requests = storeRequests(store);
    assert.ok(requests.length > 0);
    const tunnels = proxy.connects.filter((c) => c === `127.0.0.1:${store.port}`).length;
    assert.ok(tunnels >= 1, `the store was reached through the proxy: ${proxy.connects.join(', ')}`);
    assert.equal(store.connections, tunnels, 'every connection to the store came through a proxy tunnel');
    const puts = requests.filter((r) => r.line.startsWith('PUT ') && !r.line.includes('partNumber='));
    assert.equal(puts.length, 2 * expected.size, 'one PUT per media object and per CDR');
    for (const put of puts) {
      assert.equal(put.headers['x-amz-object-lock-mode'], 'GOVERNANCE', `${put.line} sends the lock mode`);
      const until = Date.parse(String(put.headers['x-amz-object-lock-retain-until-date']));
      assert.ok(
        Math.abs(until - (Date.now() + 30 * 24 * HOUR)) < 10 * MIN,
        `${put.line} retains for 30 days`,
      );
      assert.ok(
        put.headers['x-amz-checksum-sha256'] !== undefined ||
          put.headers['x-amz-sdk-checksum-algorithm'] === 'SHA256',
        `${put.line} carries an integrity header`,
      );
      assert.equal(put.headers['x-amz-server-side-encryption'], 'AES256');
      assert.equal(put.headers['x-amz-storage-class'], 'STANDARD_IA');
    }
    // A CDR is written only after its media object was confirmed (HEAD).
    for (const e of expected.values()) {
      const lines = requests.map((r) => r.line);
      const media = `/${store.bucket}/${PREFIX}${e.file}`;
      const lastMediaHead = lines.lastIndexOf(`HEAD ${media}`);
      const cdrPut = lines.findIndex((l) => l.startsWith(`PUT ${media.replace(/\.wav$/, '.xml')}`));
      assert.ok(lastMediaHead >= 0 && cdrPut > lastMediaHead, `${e.file}: HEAD of the media before its CDR`);
    }

    const before = requests.length;
    const second = await ingest(setup.ws, [], env);
    assert.equal(second.result.code, 0, second.result.stderr);
    assert.equal(second.report.counts.ingested, 0);
    assert.deepEqual(writes(storeRequests(store).slice(before)), [], 'a second run writes nothing');

    const verify = await runCli(['verify', '--archive', '--json', '--config', setup.ws.configPath], {
      env: baseEnv({ ...TEST_ENV, ...env }),
    });
    const doc = JSON.parse(verify.stdout) as {
      ok: boolean;
      checks: { name: string; ok: boolean; detail: string }[];
    };
    const byName = new Map(doc.checks.map((c) => [c.name, c]));
    assert.equal(byName.get('archive files')?.ok, true, JSON.stringify(doc.checks));
    assert.match(byName.get('archive files')!.detail, new RegExp(`^${expected.size} recordings re-hashed`));
    assert.equal(byName.get('ledger cross-check')?.ok, true, JSON.stringify(doc.checks));
    assert.equal(byName.get('archive store')?.ok, true, JSON.stringify(doc.checks));
    assert.match(byName.get('archive write')!.detail, /not probed: object lock/);

    // No store secret anywhere: outputs, reports, state files.
    const outputs = [first, second].flatMap((r) => [r.result.stdout, r.result.stderr]);
    outputs.push(verify.stdout, verify.stderr);
    const signatures = store.requests
      .map((r) => /Signature=([0-9a-f]{64})/.exec(r.headers.authorization ?? '')?.[1])
      .filter((s): s is string => s !== undefined);
    assert.ok(signatures.length > 0, 'requests were signed');
    const secrets = [store.secretAccessKey, ...signatures.slice(0, 20)];
    const files = await allFiles(setup.ws.dir);
    for (const secret of secrets) {
      for (const text of outputs) assert.ok(!text.includes(secret), 'no store secret in any output');
      for (const f of files) assert.ok(!f.text.includes(secret), `no store secret in ${f.file}`);
    }
  });

  it('verify without object lock probes the store with a write under the prefix and removes it again', async (t) => {
    const { setup, store, proxy } = await s3Workspace(t, { conversations: 1 });
    const verify = await runCli(['verify', '--json', '--config', setup.ws.configPath], {
      env: baseEnv({ ...TEST_ENV, ...store.env() }),
    });
    const doc = JSON.parse(verify.stdout) as { checks: { name: string; ok: boolean; detail: string }[] };
    const byName = new Map(doc.checks.map((c) => [c.name, c]));
    assert.equal(byName.get('archive store')?.ok, true, JSON.stringify(doc.checks));
    assert.equal(byName.get('archive write')?.ok, true, JSON.stringify(doc.checks));
    assert.match(
      byName.get('archive write')!.detail,
      /written under genesys\/\.genesys-ingest-verify\/ and removed/,
    );
    const probeKey = new RegExp(
      `^(PUT|DELETE) /${store.bucket}/genesys/\\.genesys-ingest-verify/[0-9a-f-]{36}(\\?|$)`,
    );
    const probes = storeRequests(store).filter((r) => probeKey.test(r.line));
    assert.deepEqual(
      probes.map((r) => r.line.split(' ')[0]),
      ['PUT', 'DELETE'],
      'one probe object written, then removed',
    );
    assert.equal(probes[0]!.line.split(' ')[1]!.split('?')[0], probes[1]!.line.split(' ')[1]!.split('?')[0]);
    assert.deepEqual(await store.keys(`${PREFIX}.genesys-ingest-verify/`), [], 'no probe left behind');
    assert.ok(proxy.connects.length > 0, 'the probe went through the proxy');
  });

  it('reaches a store over HTTPS through the proxy, trusting its CA only through tls.trustList', async (t) => {
    const { setup, store, proxy } = await s3Workspace(t, { conversations: 3, https: true });
    assert.match(store.endpoint, /^https:/);
    const env = store.env();
    const first = await ingest(setup.ws, [], env);
    assert.equal(first.result.code, 0, first.result.stderr);
    const expected = expectedArchive(setup.sim.org, 'WAV', 'wav', 'Europe/Dublin', Date.now(), 2);
    assert.ok(expected.size >= 3, 'the simulator has recordings to archive');
    assert.equal(first.report.counts.ingested, expected.size);
    const keys = await store.keys(PREFIX);
    for (const e of expected.values()) {
      const media = await store.get(`${PREFIX}${e.file}`);
      assert.equal(createHash('sha256').update(media).digest('hex'), e.sha256, e.file);
      assert.ok(keys.includes(`${PREFIX}${e.file.replace(/\.wav$/, '.xml')}`), `${e.file}: its CDR`);
    }
    assert.ok(
      proxy.connects.some((c) => c === `127.0.0.1:${store.port}`),
      `the store was reached through the proxy: ${proxy.connects.join(', ')}`,
    );
  });

  it('the delete gate refuses an object altered in the store; verify --archive reports it', async (t) => {
    const now = Date.now();
    const org = generateOrg({ seed: 's3-delete', conversations: 0 });
    const a = addConversation(org, { startMs: now - 3 * HOUR, durationMs: MIN });
    const b = addConversation(org, { startMs: now - 4 * HOUR, durationMs: MIN });
    const setup = await startSimWorkspace({
      sim: { org },
      config: { deleteAfterIngest: true, recordingStartTimestamp: new Date(now - 6 * HOUR).toISOString() },
    });
    const store = await startS3();
    t.after(async () => {
      await store.close();
      await setup.cleanup();
    });
    await setup.ws.writeConfig({
      archiveDir: undefined,
      archive: { type: 's3', bucket: store.bucket, endpoint: store.endpoint, forcePathStyle: true },
    });
    const failing = setup.sim.faults.add({
      listener: 'api',
      method: 'PUT',
      action: { kind: 'status', status: 500 },
      times: Infinity,
    });
    const first = await ingest(setup.ws, [], store.env());
    assert.equal(first.result.code, 1, first.result.stderr);
    assert.equal(first.report.counts.ingested, 2);
    // b's media is replaced in the store by other bytes with the same sha256 metadata claim.
    const bKey = (await store.keys()).find((k) => k.includes(b.recordings[0]!.id) && k.endsWith('.wav'))!;
    const original = await store.head(bKey);
    await store.put(bKey, Buffer.from('tampered'), {
      sha256: createHash('sha256').update('x').digest('hex'),
    });
    failing.remove();
    const second = await ingest(setup.ws, [], store.env());
    assert.deepEqual(
      setup.sim.org.retentionLog.map((u) => u.recordingId),
      [a.recordings[0]!.id],
      'only the intact recording is deleted in Genesys',
    );
    assert.equal(second.report.counts.deleted, 1);
    assert.ok(
      second.report.alerts.some((x) => x.type === 'deleteFailed' && x.recordingId === b.recordings[0]!.id) ||
        first.report.alerts.some((x) => x.type === 'deleteFailed' && x.recordingId === b.recordings[0]!.id),
    );
    assert.ok(original.size > 8);
    const verify = await runCli(
      ['verify', '--archive', '--offline', '--json', '--config', setup.ws.configPath],
      {
        env: baseEnv({ ...TEST_ENV, ...store.env() }),
      },
    );
    assert.equal(verify.code, 5, verify.stderr + verify.stdout);
    const doc = JSON.parse(verify.stdout) as { findings: { kind: string; path: string }[] };
    assert.deepEqual(
      doc.findings.filter((f) => f.kind === 'altered').map((f) => f.path),
      [bKey],
      verify.stdout,
    );
  });

  it('a store outage stops the run with exit 6, the cursor at the durable prefix; the next run completes the archive', async (t) => {
    const { setup, store } = await s3Workspace(t, { conversations: 4, config: { proxy: undefined } });
    await store.stop();
    const down = await runCli(['run', '--config', setup.ws.configPath], {
      env: baseEnv({ ...TEST_ENV, ...store.env() }),
    });
    assert.equal(down.code, 6, down.stderr);
    assert.match(down.stderr, /store could not be reached/);
    const start = new Date(setup.ws.config.recordingStartTimestamp as string).getTime();
    const cursor = await readCursorLine(setup.ws).catch(() => undefined);
    assert.ok(
      cursor === undefined || cursor.includes(new Date(start).toISOString().slice(0, 10).replace(/-/g, '.')),
      `the cursor did not pass anything: ${cursor}`,
    );
    await store.start();
    const up = await ingest(setup.ws, [], store.env());
    assert.equal(up.result.code, 0, up.result.stderr);
    const expected = expectedArchive(setup.sim.org, 'WAV', 'wav', 'Europe/Dublin', Date.now(), 2);
    assert.equal((await store.keys()).length, 2 * expected.size);
  });

  it('refused credentials stop the run with exit 6', async (t) => {
    const { setup, store } = await s3Workspace(t, { conversations: 2, config: { proxy: undefined } });
    store.revoke();
    const refused = await runCli(['run', '--config', setup.ws.configPath], {
      env: baseEnv({ ...TEST_ENV, ...store.env() }),
    });
    assert.equal(refused.code, 6, refused.stderr);
    assert.match(refused.stderr, /store refused/);
    assert.ok(!(refused.stdout + refused.stderr).includes(store.secretAccessKey));
  });
});
