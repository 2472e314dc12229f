/**
 * Small frictions an operator met in the first weeks (issue 11, item 10): the hint for a retry CDR
 * without `version`, placeholders left from examples/, and `"ok": true` on successful documents.
 */
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { DateTime } from 'luxon';
import { runCli } from './helpers/cli.js';
import { ingest } from './helpers/run.js';
import { QUIET_MIX, startSimWorkspace } from './helpers/sim.js';
import { makeWorkspace } from './helpers/workspace.js';

const C1 = '11111111-1111-4111-8111-111111111111';

describe('operator frictions', () => {
  it('retry add of a CDR without version says to write version="1"; the minimal CDR is accepted', async (t) => {
    const ws = await makeWorkspace();
    t.after(() => ws.cleanup());
    const bare = path.join(ws.dir, 'bare.xml');
    await fs.writeFile(bare, `<cdr><conversationId>${C1}</conversationId></cdr>\n`);
    const refused = await runCli(['retry', 'add', bare, '--config', ws.configPath]);
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /write it as <cdr version="1">/);

    // The minimal retry CDR the README shows.
    const minimal = path.join(ws.dir, 'minimal.xml');
    await fs.writeFile(minimal, `<cdr version="1"><conversationId>${C1}</conversationId></cdr>\n`);
    const added = await runCli(['retry', 'add', minimal, '--json', '--config', ws.configPath]);
    assert.equal(added.code, 0, added.stderr);
    assert.deepEqual(JSON.parse(added.stdout), { ok: true, added: [`${C1}.xml`] });
  });

  it('verify --offline flags the placeholders of examples/ (a warning naming each key)', async (t) => {
    const ws = await makeWorkspace({
      clientId: 'your-oauth-client-id',
      proxy: { host: 'proxy.corp.example', port: 3128 },
      healthcheckUrl: 'https://hc-ping.example.com/your-check-id',
    });
    t.after(() => ws.cleanup());
    const r = await runCli(['verify', '--offline', '--json', '--config', ws.configPath]);
    const doc = JSON.parse(r.stdout) as { checks: { name: string; ok: boolean; detail: string }[] };
    const check = doc.checks.find((c) => c.name === 'placeholders');
    assert.ok(check !== undefined, r.stdout);
    assert.match(check.detail, /clientId "your-oauth-client-id"/);
    assert.match(check.detail, /proxy\.host "proxy\.corp\.example"/);
    assert.match(check.detail, /healthcheckUrl/);

    await ws.writeConfig({ clientId: 'a1b2c3d4-real-client', proxy: undefined, healthcheckUrl: undefined });
    const clean = await runCli(['verify', '--offline', '--json', '--config', ws.configPath]);
    const cleanDoc = JSON.parse(clean.stdout) as { checks: { name: string }[] };
    assert.ok(!cleanDoc.checks.some((c) => c.name === 'placeholders'), clean.stdout);
  });

  it('catchup --until reads a time without an offset in the configured timezone, like cursor set', async (t) => {
    const now = Date.now();
    const setup = await startSimWorkspace({
      spec: {
        seed: 'until-local',
        conversations: 3,
        fromMs: now - 8 * 3_600_000,
        toMs: now - 5 * 3_600_000,
        mix: QUIET_MIX,
      },
      config: {
        timezone: 'America/New_York',
        recordingStartTimestamp: new Date(now - 9 * 3_600_000).toISOString(),
      },
    });
    t.after(() => setup.cleanup());
    // Three hours ago on New York's wall clock, written without an offset.
    const local = DateTime.fromMillis(now - 3 * 3_600_000, { zone: 'America/New_York' }).startOf('second');
    const { result, report } = await ingest(setup.ws, [
      'catchup',
      '--until',
      local.toFormat("yyyy-MM-dd'T'HH:mm:ss"),
    ]);
    assert.equal(result.code, 0, result.stderr);
    const window = (report as unknown as { window: { to: string } }).window;
    assert.equal(Date.parse(window.to), local.toMillis(), `the window ends at ${local.toISO() ?? ''}`);
  });
});
