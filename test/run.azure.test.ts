/**
 * The Azure Blob archive target end to end (SPEC §7): the CLI against the project's simulator,
 * writing into Azure's own emulator (azurite) started by the test on 127.0.0.1.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import type { ContainerClient } from '@azure/storage-blob';
import { parseCdrXml } from '../src/archive/cdr.js';
import { addConversation, generateOrg, type SimOrg } from '../sim/src/index.js';
import {
  AZURITE_KEY,
  blobBytes,
  emulatorContainer,
  emulatorSas,
  listBlobs,
  startAzurite,
  startRelay,
  type Azurite,
  type StoreRelay,
} from './helpers/azurite.js';
import { baseEnv, runCli, spawnCli, type CliResult } from './helpers/cli.js';
import { assertNoSecretShown } from './helpers/genesys.js';
import { startProxy } from './helpers/proxy.js';
import { cursorTime, ingest, ledgerLines, readCursorLine, retryEntries, TEST_ENV } from './helpers/run.js';
import { expectedArchive, QUIET_MIX, startSimWorkspace, type SimSetup } from './helpers/sim.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const PREFIX = 'genesys/';
/** How Node and SDKs print runtime warnings (as in runtime.warnings.test.ts). */
const WARNING = /^\(node:\d+\)|\b[A-Za-z]*Warning: /m;

interface AzureSetup extends SimSetup {
  az: Azurite;
  relay: StoreRelay;
  container: ContainerClient;
  /** Every CLI result, for the secret scan. */
  outputs: string[];
  env: NodeJS.ProcessEnv;
  run(args?: string[]): Promise<Awaited<ReturnType<typeof ingest>>>;
  cli(args: string[]): Promise<CliResult>;
}

async function azureSetup(
  t: TestContext,
  options: {
    org: SimOrg;
    config?: Record<string, unknown>;
    env?: 'connectionString' | 'sas';
    /** azurite over HTTPS with the simulator's server certificate, trusted through tls.trustList. */
    https?: boolean;
  },
): Promise<AzureSetup> {
  const setup = await startSimWorkspace({
    sim: { org: options.org },
    config: {
      archiveDir: undefined,
      recordingStartTimestamp: new Date(Date.now() - 12 * HOUR).toISOString(),
      ...options.config,
    },
  });
  t.after(() => setup.cleanup());
  let tls: { cert: string; key: string; ca: string } | undefined;
  if (options.https === true) {
    tls = {
      cert: path.join(setup.ws.dir, 'store-cert.pem'),
      key: path.join(setup.ws.dir, 'store-key.pem'),
      ca: setup.sim.pki.caCert,
    };
    await fs.writeFile(tls.cert, setup.sim.pki.serverCert);
    await fs.writeFile(tls.key, setup.sim.pki.serverKey, { mode: 0o600 });
  }
  const az = await startAzurite(tls ?? {});
  const container = await emulatorContainer(az, 'recordings', tls?.ca);
  const relay = await startRelay(az);
  await setup.ws.writeConfig({
    archive: { type: 'azure', url: relay.url, container: 'recordings', prefix: PREFIX, accessTier: 'Cool' },
  });
  const env: NodeJS.ProcessEnv =
    options.env === 'sas'
      ? { AZURE_STORAGE_SAS_TOKEN: (await emulatorSas()).token }
      : { AZURE_STORAGE_CONNECTION_STRING: az.connectionString.replace(az.url, relay.url) };
  const outputs: string[] = [];
  return {
    ...setup,
    az,
    relay,
    container,
    outputs,
    env,
    async run(args = []) {
      const out = await ingest(setup.ws, args, env);
      outputs.push(out.result.stdout, out.result.stderr);
      return out;
    },
    async cli(args) {
      const r = await runCli([...args, '--config', setup.ws.configPath], {
        env: baseEnv(env),
        timeoutMs: 120_000,
      });
      outputs.push(r.stdout, r.stderr);
      return r;
    },
  };
}

/** The container holds exactly the simulator's available recordings, with their CDRs, and nothing else. */
async function assertAzureArchiveExact(s: AzureSetup): Promise<void> {
  const expected = expectedArchive(s.sim.org, 'WAV', 'wav', 'Europe/Dublin', Date.now(), 2);
  const blobs = await listBlobs(s.container);
  const media = [...expected.values()].map((e) => `${PREFIX}${e.file}`).sort();
  const cdrs = media.map((m) => m.replace(/\.wav$/, '.xml'));
  assert.deepEqual([...blobs.keys()].sort(), [...media, ...cdrs].sort(), 'media and CDRs, nothing else');
  for (const e of expected.values()) {
    const name = `${PREFIX}${e.file}`;
    const blob = blobs.get(name)!;
    const bytes = await blobBytes(s.container, name);
    assert.equal(
      createHash('sha256').update(bytes).digest('hex'),
      e.sha256,
      `${name}: the recording's bytes`,
    );
    assert.equal(blob.size, e.size);
    assert.equal(blob.sha256Metadata, e.sha256, `${name}: sha256 metadata`);
    assert.equal(blob.accessTier, 'Cool');
    const cdrName = name.replace(/\.wav$/, '.xml');
    assert.equal(blobs.get(cdrName)!.contentType, 'application/xml');
    const cdr = parseCdrXml(await blobBytes(s.container, cdrName));
    assert.equal(cdr.kind, 'archived');
    if (cdr.kind !== 'archived') return;
    assert.equal(cdr.cdr.media[0]!.sha256, e.sha256);
    assert.equal(cdr.cdr.media[0]!.file, path.posix.basename(e.file));
    assert.equal(blob.contentType, cdr.cdr.media[0]!.contentType, 'the content type as served');
  }
}

/** Every file under the workspace (state, reports, ledger, config), as text. */
async function workspaceTexts(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await fs.readdir(dir, { recursive: true, withFileTypes: true }))
    if (entry.isFile()) out.push(await fs.readFile(path.join(entry.parentPath, entry.name), 'latin1'));
  return out;
}

async function assertNoStoreSecret(s: AzureSetup, secrets: string[]): Promise<void> {
  const seen = [...s.outputs, ...(await workspaceTexts(s.ws.dir))];
  assertNoSecretShown(seen, secrets, ['base64', 'base64url', 'hex']);
}

function smallOrg(seed: string, extra: (org: SimOrg, now: number) => void = () => {}): SimOrg {
  const now = Date.now();
  const org = generateOrg({
    seed,
    conversations: 5,
    fromMs: now - 10 * HOUR,
    toMs: now - 2 * HOUR,
    mix: QUIET_MIX,
  });
  extra(org, now);
  return org;
}

describe('run: Azure Blob archive (SPEC §7)', () => {
  it('an exact archive (a media blob of several staged blocks included); a second run writes nothing; verify --archive and verify check the container; an altered blob fails verify', async (t) => {
    const org = smallOrg('azure-exact', (o, now) => {
      // 20 MiB: three staged blocks of 8 MiB.
      addConversation(o, { startMs: now - 90 * MIN, durationMs: MIN, sizeBytes: 20 * 1024 * 1024 });
    });
    const s = await azureSetup(t, { org });
    const first = await s.run();
    assert.equal(first.result.code, 0, first.result.stderr);
    // Cron mails stderr: the SDK prints no warning of its own.
    assert.doesNotMatch(first.result.stderr, WARNING, first.result.stderr);
    assert.equal(
      first.report.counts.ingested,
      expectedArchive(org, 'WAV', 'wav', 'Europe/Dublin', Date.now(), 2).size,
    );
    await assertAzureArchiveExact(s);
    assert.deepEqual(await retryEntries(s.ws), []);

    const before = await listBlobs(s.container);
    const second = await s.run();
    assert.equal(second.result.code, 0, second.result.stderr);
    assert.equal(second.report.counts.ingested, 0);
    assert.deepEqual(await listBlobs(s.container), before, 'no blob written again (same etags)');

    const audit = await s.cli(['verify', '--archive', '--json']);
    assert.equal(audit.code, 0, audit.stdout + audit.stderr);

    const online = await s.cli(['verify', '--json']);
    assert.doesNotMatch(online.stderr, WARNING, online.stderr);
    const doc = JSON.parse(online.stdout) as { checks: { name: string; ok: boolean; detail: string }[] };
    const store = doc.checks.find((c) => c.name === 'archive store');
    const write = doc.checks.find((c) => c.name === 'archive write');
    assert.equal(store?.ok, true, online.stdout);
    assert.match(
      store.detail,
      /recordings\/genesys\/ exists and can be listed with AZURE_STORAGE_CONNECTION_STRING/,
    );
    assert.equal(write?.ok, true, online.stdout);
    assert.deepEqual(await listBlobs(s.container), before, 'the write probe was removed again');

    // Someone replaces a recording in the container (its metadata kept): re-hashing finds it.
    const victim = [...before.values()].find((b) => b.name.endsWith('.wav'))!;
    await s.container.getBlockBlobClient(victim.name).upload(Buffer.from('altered'), 7, {
      metadata: { sha256: victim.sha256Metadata! },
    });
    const altered = await s.cli(['verify', '--archive', '--json']);
    assert.equal(altered.code, 5, altered.stdout + altered.stderr);
    assert.ok(altered.stdout.includes(victim.name.slice(PREFIX.length)), altered.stdout);
    await assertNoStoreSecret(s, [AZURITE_KEY, s.env.AZURE_STORAGE_CONNECTION_STRING!]);
  });

  it('kill -9 while a large media blob is being staged: nothing of it is visible; the next run leaves an exact archive', async (t) => {
    let big!: ReturnType<typeof addConversation>;
    const org = smallOrg('azure-kill', (o, now) => {
      big = addConversation(o, { startMs: now - 90 * MIN, durationMs: MIN, sizeBytes: 24 * 1024 * 1024 });
    });
    const s = await azureSetup(t, { org });
    // The large recording trickles in (1 MiB every 100 ms), so the run is killed between its blocks.
    s.sim.faults.add({
      listener: 'media',
      path: big.recordings[0]!.id,
      action: { kind: 'trickle', bytesPerChunk: 1024 * 1024, intervalMs: 100 },
      times: 1,
    });
    const { child, done } = spawnCli(['run', '--config', s.ws.configPath], {
      env: baseEnv({ ...TEST_ENV, ...s.env }),
      timeoutMs: 120_000,
    });
    const blob = s.container.getBlockBlobClient(
      [...expectedArchive(org, 'WAV', 'wav', 'Europe/Dublin', Date.now(), 2).values()]
        .filter((e) => e.recordingId === big.recordings[0]!.id)
        .map((e) => `${PREFIX}${e.file}`)[0]!,
    );
    // Observable: the first 8 MiB block staged (uncommitted) on the large blob.
    for (;;) {
      const list = await blob.getBlockList('uncommitted').catch(() => undefined);
      if ((list?.uncommittedBlocks?.length ?? 0) >= 1) break;
      assert.equal(child.exitCode, null, 'the run is still going');
      await new Promise((r) => setTimeout(r, 50));
    }
    child.kill('SIGKILL');
    const killed = await done;
    assert.equal(killed.signal, 'SIGKILL');
    s.outputs.push(killed.stdout, killed.stderr);
    assert.equal(await blob.exists(), false, 'staged blocks are not a blob');
    for (const name of (await listBlobs(s.container)).keys())
      if (name.endsWith('.xml'))
        assert.ok(
          (await listBlobs(s.container)).has(name.replace(/\.xml$/, '.wav')),
          `${name} names a committed blob`,
        );
    const again = await s.run();
    assert.equal(again.result.code, 0, again.result.stderr);
    await assertAzureArchiveExact(s);
  });

  it('connections to the store broken mid-block are retried by the SDK: exit 0 and an exact archive', async (t) => {
    const org = smallOrg('azure-flaky', (o, now) => {
      addConversation(o, { startMs: now - 90 * MIN, durationMs: MIN, sizeBytes: 20 * 1024 * 1024 });
    });
    const s = await azureSetup(t, { org });
    // Three connections reset once they have carried 1 MiB: in the middle of an 8 MiB block.
    s.relay.breakNext(3, 1024 * 1024);
    const { result, report } = await s.run();
    assert.equal(result.code, 0, result.stderr);
    assert.equal(s.relay.resets, 3, 'the faults happened');
    assert.equal(report.counts.failed, 0);
    await assertAzureArchiveExact(s);
  });

  it('the delete gate reads the blob back: an altered blob is never deleted in Genesys', async (t) => {
    const org = generateOrg({ seed: 'azure-delete', conversations: 0 });
    const now = Date.now();
    const a = addConversation(org, { startMs: now - 5 * HOUR, durationMs: MIN });
    const b = addConversation(org, { startMs: now - 4 * HOUR, durationMs: MIN });
    const s = await azureSetup(t, { org, config: { deleteAfterIngest: true } });
    const failing = s.sim.faults.add({
      listener: 'api',
      method: 'PUT',
      action: { kind: 'status', status: 500 },
      times: Infinity,
    });
    const first = await s.run();
    assert.equal(first.result.code, 1, first.result.stderr);
    assert.equal(s.sim.org.retentionLog.length, 0);
    const bName = [...(await listBlobs(s.container)).keys()].find(
      (n) => n.includes(b.recordings[0]!.id) && n.endsWith('.wav'),
    )!;
    await s.container.getBlockBlobClient(bName).upload(Buffer.from('tampered'), 8);
    failing.remove();
    const second = await s.run();
    assert.deepEqual(
      s.sim.org.retentionLog.map((u) => u.recordingId),
      [a.recordings[0]!.id],
      'only the intact one is deleted',
    );
    assert.equal(second.report.counts.deleted, 1);
  });

  it('over HTTPS trusted through tls.trustList, through the proxy, with a SAS token scoped to the container (useProxy: false goes direct); neither the signature nor the key is shown anywhere', async (t) => {
    const proxy = await startProxy();
    t.after(() => proxy.close());
    const s = await azureSetup(t, {
      org: smallOrg('azure-proxy'),
      env: 'sas',
      https: true,
      config: {
        proxy: { host: proxy.host, port: proxy.port, username: proxy.username, password: proxy.password },
      },
    });
    const store = `127.0.0.1:${s.relay.port}`;
    const tunnels = (): number => proxy.connects.filter((c) => c === store).length;
    const { result } = await s.run();
    assert.equal(result.code, 0, result.stderr);
    await assertAzureArchiveExact(s);
    assert.ok(s.relay.connections >= 1);
    assert.equal(tunnels(), s.relay.connections, 'every connection to the store came through the proxy');
    assert.ok(
      proxy.connects.some((c) => c !== store),
      'and so did Genesys traffic',
    );

    const before = { tunnels: tunnels(), direct: s.relay.connections };
    await s.ws.writeConfig({ archive: { ...(s.ws.config.archive as object), useProxy: false } });
    const verify = await s.cli(['verify', '--json']);
    assert.match(verify.stdout, /exists and can be listed with the SAS token/);
    assert.equal(tunnels(), before.tunnels, 'useProxy: false: no tunnel to the store');
    assert.ok(s.relay.connections > before.direct, 'the store was reached directly');
    const sas = s.env.AZURE_STORAGE_SAS_TOKEN!;
    await assertNoStoreSecret(s, [AZURITE_KEY, sas, new URLSearchParams(sas).get('sig')!]);
  });

  it('a refused credential (403) stops the run before anything is archived: exit 6, the key shown nowhere', async (t) => {
    const s = await azureSetup(t, { org: smallOrg('azure-refused') });
    const wrongKey = Buffer.from('not-the-account-key-but-64-bytes-long-0123456789abcdef0123456789').toString(
      'base64',
    );
    s.env.AZURE_STORAGE_CONNECTION_STRING = s.env.AZURE_STORAGE_CONNECTION_STRING!.replace(
      AZURITE_KEY,
      wrongKey,
    );
    const { result, report } = await s.run();
    assert.equal(result.code, 6, result.stderr);
    assert.equal(report.exitCode, 6);
    assert.equal((report as unknown as { error: { code: string } }).error.code, 'store.refused');
    assert.match(result.stderr, /the store refused/);
    assert.match(result.stderr, /Storage Blob Data Contributor/);
    assert.match(result.stderr, /AuthenticationFailed|AuthorizationFailure/);
    assert.equal((await listBlobs(s.container)).size, 0);
    await assertNoStoreSecret(s, [wrongKey, s.env.AZURE_STORAGE_CONNECTION_STRING]);
  });

  it('the store goes down mid-run: exit 6, the cursor at the durable prefix, every recording before it in the ledger', async (t) => {
    const now = Date.now();
    const org = generateOrg({
      seed: 'azure-outage',
      conversations: 12,
      fromMs: now - 10 * HOUR,
      toMs: now - 2 * HOUR,
      mix: QUIET_MIX,
    });
    const s = await azureSetup(t, { org, config: { concurrency: 2 } });
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    s.sim.faults.add({ listener: 'media', action: { kind: 'hold', until: held }, times: Infinity, after: 4 });
    const running = s.run();
    // Wait for the first CDRs in the container, then take the store away and let the downloads go on.
    for (;;) {
      const cdrs = [...(await listBlobs(s.container)).keys()].filter((n) => n.endsWith('.xml'));
      if (cdrs.length >= 2) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    await s.az.stop();
    release();
    const { result, report } = await running;
    assert.equal(result.code, 6, result.stderr);
    assert.equal(report.exitCode, 6);
    assert.match(result.stderr, /could not be reached/);
    const cursor = cursorTime(await readCursorLine(s.ws));
    const archived = new Set(
      (await ledgerLines(s.ws.stateDir)).filter((l) => l.type === 'recording').map((l) => l.recordingId),
    );
    assert.ok(archived.size >= 2 && archived.size < 12, `${archived.size} archived`);
    for (const e of expectedArchive(org, 'WAV', 'wav', 'Europe/Dublin', Date.now(), 2).values())
      if (org.conversation(e.conversationId)!.startMs <= cursor)
        assert.ok(archived.has(e.recordingId), `${e.file} is before the cursor, so it is in the ledger`);
    assert.deepEqual(await retryEntries(s.ws), [], 'no retry entry for work the outage stopped');
  });
});
