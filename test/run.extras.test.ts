import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { describe, it } from 'node:test';
import { buildRetryCdrXml, parseCdrXml } from '../src/archive/cdr.js';
import { addConversation, expectedMedia, generateOrg } from '../sim/src/index.js';
import { startProxy } from './helpers/proxy.js';
import { runCli, snapshotTree } from './helpers/cli.js';
import { archiveFiles, QUIET_MIX, startSimWorkspace } from './helpers/sim.js';
import { ingest, retryEntries } from './helpers/run.js';

const MIN = 60_000;
const HOUR = 60 * MIN;

describe('run: more behaviour', () => {
  it('a recording with several media files: one file per key and one media element each', async (t) => {
    const now = Date.now();
    const org = generateOrg({ seed: 'keys', conversations: 0 });
    const conv = addConversation(org, { startMs: now - 2 * HOUR, durationMs: MIN, mediaKeys: ['A', 'B'] });
    const setup = await startSimWorkspace({
      sim: { org },
      config: { recordingStartTimestamp: new Date(now - 3 * HOUR).toISOString() },
    });
    t.after(() => setup.cleanup());
    const { result } = await ingest(setup.ws);
    assert.equal(result.code, 0, result.stderr);
    const rec = conv.recordings[0]!;
    const files = await archiveFiles(setup.ws.archiveDir);
    assert.deepEqual(files.map((f) => path.basename(f)).sort(), [
      `${rec.id}.xml`,
      `${rec.id}_A.wav`,
      `${rec.id}_B.wav`,
    ]);
    const cdr = parseCdrXml(
      await fs.readFile(
        path.join(
          setup.ws.archiveDir,
          files.find((f) => f.endsWith('.xml'))!,
        ),
      ),
    );
    assert.equal(cdr.kind, 'archived');
    if (cdr.kind !== 'archived') return;
    assert.deepEqual(
      cdr.cdr.media.map((m) => [m.key, m.file, m.sha256]),
      [
        ['A', `${rec.id}_A.wav`, expectedMedia(rec, 'WAV', 'A').sha256],
        ['B', `${rec.id}_B.wav`, expectedMedia(rec, 'WAV', 'B').sha256],
      ],
    );
  });

  it('all traffic, media included, goes through the forward proxy', async (t) => {
    const now = Date.now();
    const setup = await startSimWorkspace({
      spec: { seed: 'proxied', conversations: 5, fromMs: now - 5 * HOUR, toMs: now - HOUR, mix: QUIET_MIX },
    });
    const proxy = await startProxy();
    t.after(async () => {
      await proxy.close();
      await setup.cleanup();
    });
    await setup.ws.writeConfig({
      proxy: { host: proxy.host, port: proxy.port, username: proxy.username, password: proxy.password },
    });
    const { result, report } = await ingest(setup.ws);
    assert.equal(result.code, 0, result.stderr);
    assert.ok(report.counts.ingested >= 5);
    const ports = new Set(proxy.connects.map((c) => c.split(':').pop()));
    for (const url of [setup.sim.authUrl, setup.sim.apiUrl, setup.sim.mediaUrl])
      assert.ok(ports.has(new URL(url).port), `${url} was reached through the proxy`);
    assert.ok(!(result.stdout + result.stderr).includes(proxy.password));
  });

  it('pings healthcheckUrl at start and on success, and /fail on failure, without changing the exit code', async (t) => {
    const pings: string[] = [];
    const server = http.createServer((req, res) => {
      pings.push(req.url ?? '');
      res.end('ok');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const setup = await startSimWorkspace({ spec: { seed: 'hc', conversations: 2, mix: QUIET_MIX } });
    t.after(async () => {
      server.close();
      await setup.cleanup();
    });
    await setup.ws.writeConfig({
      healthcheckUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/ping/abc`,
    });
    const ok = await ingest(setup.ws);
    assert.equal(ok.result.code, 0, ok.result.stderr);
    assert.deepEqual(pings, ['/ping/abc/start', '/ping/abc']);
    await setup.ws.writeConfig({ clientSecret: 'wrong-secret-999' });
    const bad = await ingest(setup.ws);
    assert.equal(bad.result.code, 4);
    assert.deepEqual(pings.slice(2), ['/ping/abc/start', '/ping/abc/fail']);
    server.close();
    await setup.ws.writeConfig({ clientSecret: setup.sim.clients[0]!.clientSecret });
    const unreachable = await ingest(setup.ws);
    assert.equal(unreachable.result.code, 0, 'a failed ping never changes the exit code');
  });

  it('raises lagging when the cursor is held far behind', async (t) => {
    const now = Date.now();
    const org = generateOrg({ seed: 'lag', conversations: 0 });
    addConversation(org, { startMs: now - 3 * HOUR, inProgress: true });
    const setup = await startSimWorkspace({
      sim: { org },
      config: {
        maxLagMinutes: 60,
        maxRecordingLengthMinutes: 600,
        recordingStartTimestamp: new Date(now - 4 * HOUR).toISOString(),
      },
    });
    t.after(() => setup.cleanup());
    const { result, report } = await ingest(setup.ws);
    assert.equal(result.code, 1);
    assert.deepEqual(
      report.alerts.map((a) => a.type),
      ['lagging'],
    );
    const status = JSON.parse(
      await fs.readFile(path.join(setup.ws.stateDir, 'reports', 'pol1_src1', 'status.json'), 'utf8'),
    ) as { lagMinutes: number; pending: number; lastExitCode: number };
    // 3 hours behind now − the 2-minute availability delay.
    assert.ok(status.lagMinutes >= 178, String(status.lagMinutes));
    assert.equal(status.pending, 1);
    assert.equal(status.lastExitCode, 1);
  });

  it('a retry entry older than retryMaxAgeDays moves to dead/ with retryExhausted; an invalid file to rejected/', async (t) => {
    const setup = await startSimWorkspace({ spec: { seed: 'dead', conversations: 1, mix: QUIET_MIX } });
    t.after(() => setup.cleanup());
    const old = new Date(Date.now() - 40 * 86_400_000).toISOString();
    const id = '0b9a3c2e-5d4f-4e6a-9b8c-7d6e5f4a3b2c';
    await fs.mkdir(setup.ws.retryDir, { recursive: true });
    await fs.writeFile(
      path.join(setup.ws.retryDir, `${id}.xml`),
      buildRetryCdrXml({
        conversationId: id,
        retry: { attempts: 9, firstFailedAt: old, lastFailedAt: old, lastError: 'x' },
      }),
    );
    await fs.writeFile(path.join(setup.ws.retryDir, 'bogus.xml'), '<!DOCTYPE x><x/>');
    const { result, report } = await ingest(setup.ws);
    assert.equal(result.code, 1);
    assert.deepEqual(report.alerts.map((a) => a.type).sort(), ['rejectedRetryFile', 'retryExhausted']);
    assert.deepEqual(await retryEntries(setup.ws), []);
    await fs.stat(path.join(setup.ws.retryDir, 'dead', `${id}.xml`));
    await fs.stat(path.join(setup.ws.retryDir, 'rejected', 'bogus.xml'));
  });

  it('an unusable client certificate stops run with exit 2 before anything is written', async (t) => {
    const setup = await startSimWorkspace({ spec: { seed: 'badcert', conversations: 2, mix: QUIET_MIX } });
    t.after(() => setup.cleanup());
    // A PEM certificate without its key cannot present a client certificate.
    await fs.writeFile(path.join(setup.ws.dir, 'client.pem'), setup.sim.pki.caCert);
    await setup.ws.writeConfig({ tls: { trustList: './ca.pem', certFile: './client.pem' } });
    const before = await snapshotTree(setup.ws.dir);
    const r = await runCli(['run', '--json', '--config', setup.ws.configPath]);
    assert.equal(r.code, 2, r.stderr);
    assert.match((JSON.parse(r.stdout) as { error: { message: string } }).error.message, /tls\.keyFile/);
    assert.deepEqual(await snapshotTree(setup.ws.dir), before);
    assert.equal(setup.sim.counts().api, 0);
  });
});
