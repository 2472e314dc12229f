/**
 * Starts the project's Genesys simulator for a test and builds an import source pointing at it
 * over HTTPS, its generated CA trusted through `tls.trustList`. Also computes what the archive
 * must hold afterwards, from the simulator's own data.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { DateTime } from 'luxon';
import {
  expectedMedia,
  generateOrg,
  startSimulator,
  type OrgSpec,
  type SimulatorOptions,
  type Simulator,
} from '../../sim/src/index.js';
import type { MediaFormat, SimConversation, SimOrg } from '../../sim/src/index.js';
import { partialFiles } from './run.js';
import { makeWorkspace, type Workspace } from './workspace.js';

export const QUIET_MIX = {
  nonVoice: 0,
  inProgress: 0,
  notRecorded: 0,
  screen: 0,
  outbound: 0.3,
  external: 0,
  protected: 0,
  late: 0,
  sameStart: 0,
  uploading: 0,
  archived: 0,
  deleted: 0,
  error: 0,
};

export interface SimSetup {
  sim: Simulator;
  ws: Workspace;
  cleanup(): Promise<void>;
}

/** A simulator with `org` (or one generated from `spec`) and a workspace configured for it. */
export async function startSimWorkspace(
  options: { spec?: OrgSpec; sim?: SimulatorOptions; config?: Record<string, unknown> } = {},
): Promise<SimSetup> {
  const org = options.sim?.org ?? generateOrg(options.spec ?? {});
  // A generous rate limit unless a test is about pacing: the suite should not wait on 300/min.
  const sim = await startSimulator({ rateLimitPerMinute: 100_000, ...options.sim, org });
  const client = sim.clients[0]!;
  const startMs = Math.min(...org.conversations.map((c) => c.startMs)) - 60_000;
  const ws = await makeWorkspace({
    authUrl: sim.authUrl,
    apiUrl: sim.apiUrl,
    clientId: client.clientId,
    clientSecret: client.clientSecret,
    tls: { trustList: './ca.pem' },
    recordingStartTimestamp: new Date(
      Number.isFinite(startMs) ? startMs : Date.now() - 86_400_000,
    ).toISOString(),
    // The smallest delay allowed (SPEC §2): conversations a test wants ingested at once end earlier.
    availabilityDelayMinutes: 2,
    minFreeDiskMb: 1,
    ...options.config,
  });
  await fs.writeFile(path.join(ws.dir, 'ca.pem'), sim.pki.caCert);
  return {
    sim,
    ws,
    async cleanup() {
      await sim.close();
      await ws.cleanup();
    },
  };
}

export interface ExpectedRecording {
  conversationId: string;
  recordingId: string;
  /** Archive-relative media path. */
  file: string;
  sha256: string;
  size: number;
}

function isDue(conv: SimConversation): boolean {
  return conv.participants.some((p) =>
    p.sessions.some((s) => s.mediaType === 'voice' && s.recording === true),
  );
}

/** The recordings a complete ingest at `nowMs` must have archived. */
export function expectedArchive(
  org: SimOrg,
  format: MediaFormat,
  ext: string,
  timezone: string,
  nowMs: number,
  delayMinutes: number,
): Map<string, ExpectedRecording> {
  const out = new Map<string, ExpectedRecording>();
  for (const conv of org.conversations) {
    if (!conv.participants.some((p) => p.sessions.some((s) => s.mediaType === 'voice'))) continue;
    if (
      conv.endMs === undefined ||
      nowMs - conv.endMs < delayMinutes * 60_000 ||
      !org.isVisible(conv, nowMs) ||
      !isDue(conv)
    )
      continue;
    const day = DateTime.fromMillis(conv.startMs, { zone: timezone }).toFormat('yyyy/MM/dd');
    for (const rec of conv.recordings) {
      if (rec.media !== 'audio') continue;
      const state = org.effectiveFileState(rec, nowMs);
      if (state !== 'AVAILABLE' && state !== 'RESTORED') continue;
      const media = expectedMedia(rec, format);
      out.set(rec.id, {
        conversationId: conv.id,
        recordingId: rec.id,
        file: `${day}/${conv.id}/${rec.id}.${ext}`,
        sha256: media.sha256,
        size: media.size,
      });
    }
  }
  return out;
}

/** Every file under the archive, relative, with `/` separators. */
export async function archiveFiles(archiveDir: string): Promise<string[]> {
  const out: string[] = [];
  async function walk(dir: string): Promise<void> {
    let entries: import('node:fs').Dirent[];
    try {
      entries = await fs.readdir(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const full = path.join(dir, e.name);
      if (e.isDirectory()) await walk(full);
      else out.push(path.relative(archiveDir, full).split(path.sep).join('/'));
    }
  }
  await walk(archiveDir);
  return out.sort();
}

/** The archive holds exactly the simulator's available recordings, byte for byte, and no leftovers. */
export async function assertArchiveExact(setup: SimSetup): Promise<void> {
  const delayMinutes = setup.ws.config.availabilityDelayMinutes as number;
  const expected = expectedArchive(setup.sim.org, 'WAV', 'wav', 'Europe/Dublin', Date.now(), delayMinutes);
  const files = await archiveFiles(setup.ws.archiveDir);
  assert.deepEqual(
    files.filter((f) => f.endsWith('.wav')),
    [...expected.values()].map((e) => e.file).sort(),
  );
  assert.equal(files.filter((f) => f.endsWith('.xml')).length, expected.size);
  for (const e of expected.values()) {
    const data = await fs.readFile(path.join(setup.ws.archiveDir, e.file));
    assert.equal(
      createHash('sha256').update(data).digest('hex'),
      e.sha256,
      `${e.file} holds exactly the recording's bytes`,
    );
  }
  assert.deepEqual(await partialFiles(setup.ws.dir), []);
}
