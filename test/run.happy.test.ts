import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { parseCdrXml } from '../src/archive/cdr.js';
import { verifyChain } from '../src/state/ledger.js';
import { runCli } from './helpers/cli.js';
import { archiveFiles, expectedArchive, QUIET_MIX, startSimWorkspace } from './helpers/sim.js';

interface Report {
  command: string;
  exitCode: number;
  counts: Record<string, number>;
  items: { conversationId: string; recordingId: string; status: string; sha256: string }[];
  alerts: { type: string }[];
  apiRequests: number;
  cursor: { before: string; after: string };
}

const HOUR = 3_600_000;

describe('run: happy path', () => {
  it('archives every recording exactly once over several days, with verified bytes, CDRs and ledger', async (t) => {
    const now = Date.now();
    const setup = await startSimWorkspace({
      spec: {
        seed: 'happy',
        conversations: 60,
        fromMs: now - 5 * 24 * HOUR,
        toMs: now - HOUR,
        mix: QUIET_MIX,
      },
    });
    t.after(() => setup.cleanup());
    const { ws, sim } = setup;
    const r = await runCli(['run', '--json', '--config', ws.configPath]);
    assert.equal(r.code, 0, r.stderr);
    const report = JSON.parse(r.stdout) as Report;
    const expected = expectedArchive(sim.org, 'WAV', 'wav', 'Europe/Dublin', Date.now(), 2);
    assert.ok(expected.size >= 60, `generated ${expected.size} recordings`);
    assert.equal(report.counts.ingested, expected.size);
    assert.equal(report.counts.discovered, 60);
    assert.equal(report.counts.failed, 0);
    assert.deepEqual(report.alerts, []);

    // The archive holds exactly the expected media plus one CDR each, with the right bytes.
    const files = await archiveFiles(ws.archiveDir);
    const media = files.filter((f) => f.endsWith('.wav'));
    assert.deepEqual(media, [...expected.values()].map((e) => e.file).sort());
    assert.equal(files.filter((f) => f.endsWith('.xml')).length, expected.size);
    for (const e of expected.values()) {
      const data = await fs.readFile(path.join(ws.archiveDir, e.file));
      assert.equal(createHash('sha256').update(data).digest('hex'), e.sha256, e.file);
      const cdr = parseCdrXml(await fs.readFile(path.join(ws.archiveDir, e.file.replace(/\.wav$/, '.xml'))));
      assert.equal(cdr.kind, 'archived');
      if (cdr.kind !== 'archived') continue;
      assert.equal(cdr.cdr.conversationId, e.conversationId);
      assert.equal(cdr.cdr.recordingId, e.recordingId);
      assert.equal(cdr.cdr.media[0]!.sha256, e.sha256);
      assert.equal(cdr.cdr.media[0]!.sizeBytes, e.size);
      assert.equal(cdr.cdr.localStart.timezone, 'Europe/Dublin');
      assert.ok(cdr.cdr.participants.some((p) => p.purpose === 'agent' && p.name !== undefined));
      const mode = (await fs.stat(path.join(ws.archiveDir, e.file))).mode & 0o777;
      assert.equal(mode, 0o600);
    }
    const chain = await verifyChain(path.join(ws.stateDir, 'ledger', 'pol1_src1'));
    assert.ok(chain.ok, JSON.stringify(chain.firstBrokenLine));
    assert.equal(chain.lines, expected.size + 60);

    // status.json and the report on disk.
    const status = JSON.parse(
      await fs.readFile(path.join(ws.stateDir, 'reports', 'pol1_src1', 'status.json'), 'utf8'),
    ) as { lastExitCode: number; retryBuffer: { size: number } };
    assert.equal(status.lastExitCode, 0);
    assert.equal(status.retryBuffer.size, 0);

    // A second run downloads nothing and archives nothing twice.
    const mediaBefore = sim.counts().media;
    const again = await runCli(['run', '--json', '--config', ws.configPath]);
    assert.equal(again.code, 0, again.stderr);
    const second = JSON.parse(again.stdout) as Report;
    assert.equal(second.counts.ingested, 0);
    assert.equal(sim.counts().media, mediaBefore);
    assert.deepEqual(await archiveFiles(ws.archiveDir), files);

    // A rewind: re-listed conversations cost no recording request and no download.
    const rewind = await runCli([
      'cursor',
      'set',
      new Date(now - 6 * 24 * HOUR).toISOString(),
      '--config',
      ws.configPath,
    ]);
    assert.equal(rewind.code, 0, rewind.stderr);
    const third = await runCli(['run', '--json', '--config', ws.configPath]);
    assert.equal(third.code, 0, third.stderr);
    const rewound = JSON.parse(third.stdout) as Report;
    assert.equal(rewound.counts.ingested, 0);
    assert.equal(rewound.counts.alreadyArchived, expected.size);
    assert.equal(sim.counts().media, mediaBefore);
    assert.deepEqual(await archiveFiles(ws.archiveDir), files);
    // The encrypted token cache is reused across processes: one login for all these runs.
    assert.equal(sim.tokensIssued(), 1);
    const tokenFile = path.join(ws.stateDir, 'work', 'pol1_src1', 'token.enc');
    assert.equal((await fs.stat(tokenFile)).mode & 0o777, 0o600);
  });
});
