/**
 * Issue 11 item 7: what each level prints. `--verbose` logs each window listed (its interval and
 * how many conversations) and each recording settled (conversation, recording, outcome, size);
 * `--debug` adds every HTTP request the Genesys client makes (method, host, path, status, duration,
 * attempt), never a secret, token or signed query, in any encoding.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { addConversation, generateOrg } from '../sim/src/index.js';
import { assertNoSecretShown } from './helpers/genesys.js';
import { ingest } from './helpers/run.js';
import { startSimWorkspace, type SimSetup } from './helpers/sim.js';

const MIN = 60_000;
const HOUR = 60 * MIN;

async function setupWith(seed: string, count: number): Promise<SimSetup> {
  const now = Date.now();
  const org = generateOrg({ seed, conversations: 0 });
  for (let i = 0; i < count; i += 1)
    addConversation(org, { startMs: now - 3 * HOUR + i * 10 * MIN, durationMs: MIN, sizeBytes: 4096 });
  return startSimWorkspace({
    sim: { org },
    config: { recordingStartTimestamp: new Date(now - 4 * HOUR).toISOString() },
  });
}

const WINDOW = /^window listed: (\S+) to (\S+) \((sync|async|frontier|reconcile)\): (\d+) conversations?$/gm;
const RECORDING =
  /^recording settled: conversation ([0-9a-f-]{36}), recording ([0-9a-f-]{36}): (\w+), (\d+) bytes(?: \(.*\))?$/gm;
const REQUEST = /^http (GET|POST|PUT|DELETE) (\S+) (\/\S*): (\d{3}|[\w.]+) in (\d+) ms \(attempt (\d+)\)$/gm;

describe('verbosity levels of run', () => {
  it('--verbose lists each window and each recording settled; without it, neither', async (t) => {
    const setup = await setupWith('verbose-run', 4);
    t.after(() => setup.cleanup());
    const plain = await ingest(setup.ws);
    assert.equal(plain.result.code, 0, plain.result.stderr);
    assert.doesNotMatch(plain.result.stderr, /window listed|recording settled|^http /m);

    // The same org again, fresh, under --verbose.
    const setup2 = await setupWith('verbose-run', 4);
    t.after(() => setup2.cleanup());
    const { result, report } = await ingest(setup2.ws, ['--verbose']);
    assert.equal(result.code, 0, result.stderr);
    const windows = [...result.stderr.matchAll(WINDOW)];
    assert.ok(windows.length >= 1, result.stderr);
    for (const w of windows) assert.ok(Date.parse(w[1]!) < Date.parse(w[2]!), w[0]);
    assert.equal(
      windows.filter((w) => w[3] !== 'reconcile').reduce((n, w) => n + Number(w[4]), 0),
      report.counts.discovered,
      'the windows account for every conversation listed',
    );
    const settled = [...result.stderr.matchAll(RECORDING)];
    assert.equal(settled.length, report.items.length, result.stderr);
    for (const it of report.items) {
      const line = settled.find((m) => m[2] === it.recordingId);
      assert.ok(line, `a line for ${it.recordingId}`);
      assert.equal(line[1], it.conversationId);
      assert.equal(line[3], it.status);
      assert.equal(line[3], 'ingested');
      const size = (it as unknown as { sizeBytes: number }).sizeBytes;
      assert.ok(size > 0);
      assert.equal(Number(line[4]), size, 'the size archived');
    }
    // --verbose alone does not list HTTP requests.
    assert.doesNotMatch(result.stderr, /^http /m);
  });

  it('--debug adds every HTTP request (login, analytics, recordings, media) and shows no secret', async (t) => {
    const setup = await setupWith('debug-run', 3);
    t.after(() => setup.cleanup());
    // One 503 on listing and one expired media URL: the lines show the retry attempt numbers.
    setup.sim.faults.add({
      listener: 'api',
      path: /analytics\/conversations\/details\/query/,
      action: { kind: 'status', status: 503 },
    });
    setup.sim.faults.add({ listener: 'media', action: { kind: 'expireUrl' } });
    const { result, report } = await ingest(setup.ws, ['--debug']);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(report.counts.ingested, 3);
    const requests = [...result.stderr.matchAll(REQUEST)];
    const find = (method: string, host: string, path: RegExp, status: string, attempt?: number) =>
      requests.find(
        (m) =>
          m[1] === method &&
          m[2] === host &&
          path.test(m[3]!) &&
          m[4] === status &&
          (attempt === undefined || Number(m[6]) === attempt),
      );
    const host = (url: string): string => new URL(url).host;
    const sim = setup.sim;
    assert.ok(find('POST', host(sim.authUrl), /^\/oauth\/token$/, '200'), result.stderr);
    const analytics = /^\/api\/v2\/analytics\/conversations\/details\/query$/;
    assert.ok(find('POST', host(sim.apiUrl), analytics, '503', 1), result.stderr);
    assert.ok(find('POST', host(sim.apiUrl), analytics, '200', 2), result.stderr);
    assert.ok(find('GET', host(sim.apiUrl), /^\/api\/v2\/conversations\/[0-9a-f-]{36}\/recordings$/, '200'));
    const media = /^\/recordings\/[0-9a-f]{32}$/;
    assert.ok(find('GET', host(sim.mediaUrl), media, '403', 1), result.stderr);
    assert.ok(find('GET', host(sim.mediaUrl), media, '200', 2), result.stderr);
    assert.equal(
      requests.filter((m) => m[2] === host(sim.mediaUrl) && m[4] === '200').length,
      3,
      'one line per successful download',
    );
    // --debug includes --verbose.
    assert.match(result.stderr, /^recording settled: /m);
    assert.match(result.stderr, /^window listed: /m);
    // No request line carries a query string, and nothing had to be redacted from one.
    for (const line of result.stderr.split('\n').filter((l) => l.startsWith('http ')))
      assert.doesNotMatch(line, /\?|redacted|X-Amz|Signature|Bearer/i, line);
    const secrets = [sim.clients[0]!.clientSecret, ...sim.issuedSecrets()];
    assert.ok(secrets.length >= 1 + 1 + 4, 'a token and the media signatures are among the secrets');
    assertNoSecretShown([result.stdout, result.stderr], secrets, ['base64', 'base64url', 'hex']);
  });
});
