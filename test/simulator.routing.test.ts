import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  ALL_PERMISSIONS,
  generateOrg,
  generatePki,
  startSimulator,
  type Simulator,
} from '../sim/src/index.js';
import { simApi, simLogin } from '../sim/src/test-client.js';

const org = generateOrg({ conversations: 0, queues: 3, wrapUpCodes: 4, seed: 'routing' });
const unknown = '00000000-0000-4000-8000-000000000000';

describe('queues and wrap-up codes', () => {
  let sim: Simulator;
  let token: string;
  let limited: string;
  before(async () => {
    sim = await startSimulator({
      pki: generatePki(),
      org,
      rateLimitPerMinute: 0,
      clients: [
        { clientId: 'full', clientSecret: 'full-secret' },
        {
          clientId: 'limited',
          clientSecret: 'limited-secret',
          permissions: ALL_PERMISSIONS.filter((p) => !p.startsWith('routing:')),
        },
      ],
    });
    token = await simLogin(sim, 'full', 'full-secret');
    limited = await simLogin(sim, 'limited', 'limited-secret');
  });
  after(() => sim.close());

  it('answers a queue and a wrap-up code by id with its name', async () => {
    for (const q of org.queues) {
      const res = await simApi(sim, token, 'GET', `/api/v2/routing/queues/${q.id}`);
      assert.equal(res.status, 200, res.text());
      assert.deepEqual(res.json<{ id: string; name: string }>(), {
        id: q.id,
        name: q.name,
        selfUri: `/api/v2/routing/queues/${q.id}`,
      });
    }
    const code = org.wrapUpCodes[3]!;
    const res = await simApi(sim, token, 'GET', `/api/v2/routing/wrapupcodes/${code.id}`);
    assert.equal(res.status, 200, res.text());
    assert.equal(res.json<{ name: string }>().name, code.name);
  });

  it('answers 404 not.found for an id the organisation does not have', async () => {
    for (const path of [`/api/v2/routing/queues/${unknown}`, `/api/v2/routing/wrapupcodes/${unknown}`]) {
      const res = await simApi(sim, token, 'GET', path);
      assert.equal(res.status, 404, path);
      assert.equal(res.json<{ code: string }>().code, 'not.found');
    }
  });

  it('answers 403 missing.permissions, naming the permission, to a client without it', async () => {
    const cases = [
      [`/api/v2/routing/queues/${org.queues[0]!.id}`, 'routing:queue:view'],
      [`/api/v2/routing/wrapupcodes/${org.wrapUpCodes[0]!.id}`, 'routing:wrapupCode:view'],
    ] as const;
    for (const [path, permission] of cases) {
      const res = await simApi(sim, limited, 'GET', path);
      assert.equal(res.status, 403, path);
      const body = res.json<{ code: string; message: string }>();
      assert.equal(body.code, 'missing.permissions');
      assert.match(body.message, new RegExp(permission));
    }
  });
});
