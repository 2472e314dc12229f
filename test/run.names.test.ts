/**
 * SPEC §3.5 (issue 11 item 9), end to end against the simulator: queue and wrap-up code names beside
 * their ids in the CDR, looked up once and cached across runs like users; an id Genesys does not know
 * stays an id without an alert; without the two routing permissions every recording is still archived,
 * with ids only and one `namesUnavailable` alert (exit 1, as for any alert); `verify` warns, naming the
 * permission, and exits 0. `importSource` carries the tool's version and host.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { parseCdrXml, type ArchivedCdr } from '../src/archive/cdr.js';
import { ALL_PERMISSIONS, type SimConversation, type Simulator } from '../sim/src/index.js';
import { ROOT, runCli } from './helpers/cli.js';
import { ingest } from './helpers/run.js';
import { archiveFiles, assertArchiveExact, QUIET_MIX, startSimWorkspace } from './helpers/sim.js';

const HOUR = 3_600_000;
const QUEUE_ROUTE = 'GET /api/v2/routing/queues/{queueId}';
const CODE_ROUTE = 'GET /api/v2/routing/wrapupcodes/{codeId}';
const ROUTING_PERMISSIONS = ['routing:queue:view', 'routing:wrapupCode:view'];

async function archivedCdrs(archiveDir: string): Promise<ArchivedCdr[]> {
  const out: ArchivedCdr[] = [];
  for (const file of (await archiveFiles(archiveDir)).filter((f) => f.endsWith('.xml'))) {
    const parsed = parseCdrXml(await fs.readFile(path.join(archiveDir, file)));
    assert.equal(parsed.kind, 'archived', file);
    if (parsed.kind === 'archived') out.push(parsed.cdr);
  }
  return out;
}

/** Requests to a route so far, by the status answered. */
function routeCalls(sim: Simulator, route: string): number[] {
  return sim.log.filter((e) => e.route === route).map((e) => e.status);
}

function segmentIds(conv: SimConversation, field: 'queueId' | 'wrapUpCode'): string[] {
  const ids = new Set<string>();
  for (const p of conv.participants)
    for (const s of p.sessions) for (const g of s.segments) if (g[field] !== undefined) ids.add(g[field]);
  return [...ids];
}

describe('CDR names (queues, wrap-up codes) and importSource', () => {
  it('writes names beside ids, keeps an unknown queue as an id, and asks Genesys again for none within the lifetime', async (t) => {
    const now = Date.now();
    // One queue and one wrap-up code: every conversation shares them, so two runs can be compared.
    const setup = await startSimWorkspace({
      spec: {
        seed: 'names',
        conversations: 12,
        queues: 1,
        wrapUpCodes: 1,
        fromMs: now - 8 * HOUR,
        toMs: now - HOUR,
        mix: QUIET_MIX,
      },
      // The first run stops at --until, hours behind now: not a lag to alert about here.
      config: { maxLagMinutes: 1_000_000 },
    });
    t.after(() => setup.cleanup());
    const { sim, ws } = setup;
    const [queue] = sim.org.queues;
    const [code] = sim.org.wrapUpCodes;
    const convs = sim.org.conversations;
    const middle = convs[5]!.endMs! + 1000;
    // A queue Genesys no longer knows (404): the CDR keeps the id alone, and no alert is raised.
    const gone = randomUUID();
    for (const p of convs[1]!.participants)
      for (const s of p.sessions) for (const g of s.segments) if (g.queueId !== undefined) g.queueId = gone;
    assert.deepEqual(segmentIds(convs[1]!, 'queueId'), [gone], 'the scenario has the unknown queue');

    const first = await ingest(ws, ['catchup', '--until', new Date(middle).toISOString()]);
    assert.equal(first.result.code, 0, first.result.stderr);
    assert.deepEqual(first.report.alerts, []);
    assert.ok(first.report.counts.ingested >= 6);
    // Each id asked once, however many conversations settle at the same time.
    assert.deepEqual(routeCalls(sim, QUEUE_ROUTE).sort(), [200, 404]);
    assert.deepEqual(routeCalls(sim, CODE_ROUTE), [200]);

    let cdrs = await archivedCdrs(ws.archiveDir);
    assert.equal(cdrs.length, first.report.counts.ingested);
    const withGone = cdrs.filter((c) => c.conversationId === convs[1]!.id);
    assert.ok(withGone.length > 0);
    for (const cdr of withGone) assert.deepEqual(cdr.queues, [{ id: gone }]);
    for (const cdr of cdrs.filter((c) => c.conversationId !== convs[1]!.id)) {
      assert.deepEqual(cdr.queues, [{ id: queue!.id, name: queue!.name }], cdr.conversationId);
    }
    for (const cdr of cdrs) {
      for (const w of cdr.wrapUpCodes) assert.deepEqual(w, { id: code!.id, name: code!.name });
    }
    assert.ok(
      cdrs.some((c) => c.wrapUpCodes.length > 0),
      'the scenario has wrap-up codes',
    );
    const version = (
      JSON.parse(await fs.readFile(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }
    ).version;
    for (const cdr of cdrs) {
      assert.deepEqual(cdr.importSource, {
        name: 'Test source',
        policyId: 'pol1',
        importSourceId: 'src1',
        toolVersion: version,
        host: hostname(),
      });
    }
    const work = path.join(ws.stateDir, 'work', 'pol1_src1');
    for (const file of ['queues.json', 'wrapupcodes.json'])
      assert.equal((await fs.stat(path.join(work, file))).mode & 0o777, 0o600, file);

    // The second run archives the rest, with names, from the cache files: no lookup at all.
    const before = sim.log.length;
    const second = await ingest(ws);
    assert.equal(second.result.code, 0, second.result.stderr);
    assert.deepEqual(second.report.alerts, []);
    assert.ok(second.report.counts.ingested >= 6);
    const again = sim.log
      .slice(before)
      .filter((e) => e.route === QUEUE_ROUTE || e.route === CODE_ROUTE)
      .map((e) => e.path);
    assert.deepEqual(again, [], 'names came from the cache');
    cdrs = await archivedCdrs(ws.archiveDir);
    const late = cdrs.filter((c) => Date.parse(c.conversationStart) > middle);
    assert.ok(late.length > 0);
    for (const cdr of late) assert.deepEqual(cdr.queues, [{ id: queue!.id, name: queue!.name }]);
    await assertArchiveExact(setup);
  });

  it('without the routing permissions: ids only, one namesUnavailable alert, every recording archived, exit 1', async (t) => {
    const now = Date.now();
    const permissions = ALL_PERMISSIONS.filter((p) => !ROUTING_PERMISSIONS.includes(p));
    const setup = await startSimWorkspace({
      spec: { seed: 'no-names', conversations: 15, fromMs: now - 6 * HOUR, toMs: now - HOUR, mix: QUIET_MIX },
      sim: { clients: [{ clientId: 'limited', clientSecret: 'limited-secret-1234', permissions }] },
    });
    t.after(() => setup.cleanup());
    const { sim, ws } = setup;
    await ws.writeConfig({ clientId: 'limited', clientSecret: 'limited-secret-1234' });
    const { result, report } = await ingest(ws);
    assert.equal(result.code, 1, result.stderr);
    assert.equal(report.exitCode, 1);
    assert.deepEqual(
      report.alerts.map((a) => a.type),
      ['namesUnavailable'],
    );
    assert.equal(report.counts.alerts, 1);
    assert.match(report.alerts[0]!.message, /routing:(queue|wrapupCode):view/);
    assert.equal(report.counts.failed, 0);
    assert.deepEqual(report.retryBuffer, { size: 0, dead: 0 });
    assert.ok(routeCalls(sim, QUEUE_ROUTE).every((status) => status === 403));
    assert.ok(routeCalls(sim, QUEUE_ROUTE).length > 0, 'the queue lookup was tried');
    await assertArchiveExact(setup);
    const cdrs = await archivedCdrs(ws.archiveDir);
    assert.equal(cdrs.length, report.counts.ingested);
    assert.ok(cdrs.some((c) => c.queues.length > 0) && cdrs.some((c) => c.wrapUpCodes.length > 0));
    for (const cdr of cdrs) {
      for (const q of [...cdr.queues, ...cdr.wrapUpCodes]) assert.deepEqual(Object.keys(q), ['id']);
      const conv = sim.org.conversations.find((c) => c.id === cdr.conversationId)!;
      assert.deepEqual(cdr.queues.map((q) => q.id).sort(), segmentIds(conv, 'queueId').sort());
      assert.deepEqual(cdr.wrapUpCodes.map((w) => w.id).sort(), segmentIds(conv, 'wrapUpCode').sort());
    }
  });

  it('verify warns about a missing routing permission, names it, and exits 0', async (t) => {
    const permissions = ALL_PERMISSIONS.filter((p) => p !== 'routing:queue:view');
    const setup = await startSimWorkspace({
      spec: { conversations: 1 },
      sim: { clients: [{ clientId: 'limited', clientSecret: 'limited-secret-1234', permissions }] },
    });
    t.after(() => setup.cleanup());
    await setup.ws.writeConfig({ clientId: 'limited', clientSecret: 'limited-secret-1234' });
    const r = await runCli(['verify', '--json', '--config', setup.ws.configPath]);
    assert.equal(r.code, 0, r.stdout);
    const doc = JSON.parse(r.stdout) as {
      ok: boolean;
      checks: { name: string; ok: boolean; detail: string; hint?: string }[];
    };
    const queues = doc.checks.find((c) => c.name === 'permission: queue names');
    assert.ok(queues, doc.checks.map((c) => c.name).join(', '));
    assert.equal(queues.ok, true);
    assert.match(queues.detail, /^warning: .*403/);
    assert.match(queues.hint ?? '', /routing:queue:view/);
    const codes = doc.checks.find((c) => c.name === 'permission: wrap-up code names');
    assert.deepEqual(
      { ok: codes?.ok, detail: codes?.detail },
      { ok: true, detail: 'allowed (routing:wrapupCode:view)' },
    );
    const human = await runCli(['verify', '--config', setup.ws.configPath]);
    assert.equal(human.code, 0);
    assert.match(human.stdout, /queue names: warning: .*routing:queue:view/s);
  });
});
