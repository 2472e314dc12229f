/**
 * The simulator's restores (genesys-api.md §7, §10): a PUT with `archiveDate` on an ARCHIVED
 * recording starts one (the restore permission required), RESTORING for `restoreMs`, then RESTORED
 * with media until the archiveDate passes; an archiveDate on an available recording restores nothing.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  addConversation,
  ALL_PERMISSIONS,
  generateOrg,
  generatePki,
  startSimulator,
  type Simulator,
} from '../sim/src/index.js';
import { simApi, simLogin } from '../sim/src/test-client.js';

const HOUR = 3_600_000;
const NOW = Date.now();
const clock = { t: NOW };
const org = generateOrg({ conversations: 0, seed: 'sim-restore', toMs: NOW });
const archived = addConversation(org, { startMs: NOW - 2 * HOUR, fileState: 'ARCHIVED' });
const other = addConversation(org, { startMs: NOW - 2 * HOUR, fileState: 'ARCHIVED' });
const available = addConversation(org, { startMs: NOW - 2 * HOUR });

interface RecordingBody {
  fileState: string;
  archiveDate?: string;
  restoreExpirationTime?: string;
  mediaUris?: Record<string, { mediaUri: string }>;
}

let sim: Simulator;
let token: string;

const path = (c: typeof archived) => `/api/v2/conversations/${c.id}/recordings/${c.recordings[0]!.id}`;

describe('simulator: restores of archived recordings', () => {
  before(async () => {
    sim = await startSimulator({
      pki: generatePki(),
      org,
      now: () => clock.t,
      restoreMs: HOUR,
      rateLimitPerMinute: 0,
      clients: [
        { clientId: 'sim-client', clientSecret: 'sim-secret' },
        {
          clientId: 'no-restore',
          clientSecret: 'no-restore-secret',
          permissions: ALL_PERMISSIONS.filter((p) => p !== 'recording:recording:restore'),
        },
      ],
    });
    token = await simLogin(sim);
  });
  after(() => sim.close());

  it('RESTORING for restoreMs, then RESTORED with media until the archiveDate', async () => {
    const until = new Date(clock.t + 7 * 24 * HOUR).toISOString();
    const put = await simApi(sim, token, 'PUT', path(archived), { archiveDate: until });
    assert.equal(put.status, 200);
    assert.equal(put.json<RecordingBody>().fileState, 'RESTORING');
    assert.equal(put.json<RecordingBody>().restoreExpirationTime, until);
    let got = await simApi(sim, token, 'GET', `${path(archived)}?formatId=WAV`);
    assert.equal(got.json<RecordingBody>().fileState, 'RESTORING');
    assert.equal(got.json<RecordingBody>().mediaUris, undefined);
    clock.t += HOUR;
    got = await simApi(sim, token, 'GET', `${path(archived)}?formatId=WAV`);
    assert.equal(got.json<RecordingBody>().fileState, 'RESTORED');
    assert.ok(got.json<RecordingBody>().mediaUris?.S?.mediaUri.startsWith('https://'));
    // (Seven days on, the token has expired: the simulator's own view is asked.)
    const rec = archived.recordings[0]!;
    assert.equal(sim.org.effectiveFileState(rec, Date.parse(until) - 1), 'RESTORED');
    assert.equal(
      sim.org.effectiveFileState(rec, Date.parse(until)),
      'ARCHIVED',
      'archived again once the date passes',
    );
  });

  it('needs recording:recording:restore; an archiveDate on an available recording restores nothing', async () => {
    const limited = await simLogin(sim, 'no-restore', 'no-restore-secret');
    const until = new Date(clock.t + 24 * HOUR).toISOString();
    const refused = await simApi(sim, limited, 'PUT', path(other), { archiveDate: until });
    assert.equal(refused.status, 403);
    assert.equal(refused.json().code, 'missing.permissions');
    assert.equal(sim.org.effectiveFileState(other.recordings[0]!, clock.t), 'ARCHIVED');
    const moved = await simApi(sim, limited, 'PUT', path(available), { archiveDate: until });
    assert.equal(moved.status, 200);
    assert.equal(moved.json<RecordingBody>().fileState, 'AVAILABLE');
    assert.equal(moved.json<RecordingBody>().archiveDate, until);
  });
});
