import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { generatePki, generateOrg, startSimulator, type SimulatorOptions } from '../sim/src/index.js';
import { simApi, simLogin, simRequest } from '../sim/src/test-client.js';

const pki = generatePki();
const org = generateOrg({ conversations: 5, seed: 'auth' });

async function withSim(
  options: SimulatorOptions,
  body: (sim: Awaited<ReturnType<typeof startSimulator>>) => Promise<void>,
) {
  const sim = await startSimulator({ pki, org, ...options });
  try {
    await body(sim);
  } finally {
    await sim.close();
  }
}

function tokenRequest(url: string, auth: string | undefined, form: string) {
  return simRequest(`${url}/oauth/token`, {
    method: 'POST',
    ca: pki.caCert,
    headers: {
      'Content-Type': 'application/x-www-form-urlencoded',
      ...(auth !== undefined ? { Authorization: `Basic ${Buffer.from(auth).toString('base64')}` } : {}),
    },
    body: form,
  });
}

describe('POST /oauth/token', () => {
  it('issues a bearer token for client credentials', () =>
    withSim({ tokenLifetimeSeconds: 600 }, async (sim) => {
      const res = await tokenRequest(sim.authUrl, 'sim-client:sim-secret', 'grant_type=client_credentials');
      assert.equal(res.status, 200);
      assert.match(String(res.headers['content-type']), /^application\/json/);
      const body = res.json();
      assert.equal(body.token_type, 'bearer');
      assert.equal(body.expires_in, 600);
      assert.equal(typeof body.access_token, 'string');
      assert.ok((body.access_token as string).length >= 32);
      assert.equal(sim.tokensIssued(), 1);
      assert.equal(sim.counts().auth, 1);
    }));

  it('answers the Genesys OAuth errors', () =>
    withSim({}, async (sim) => {
      const wrong = await tokenRequest(sim.authUrl, 'sim-client:nope', 'grant_type=client_credentials');
      assert.equal(wrong.status, 401);
      assert.deepEqual(wrong.json(), {
        error: 'invalid_client',
        description: 'authentication failed',
        error_description: 'authentication failed',
      });
      const unknown = await tokenRequest(sim.authUrl, 'someone:sim-secret', 'grant_type=client_credentials');
      assert.equal(unknown.status, 401);
      assert.equal(unknown.json().description, 'client not found');
      const grant = await tokenRequest(sim.authUrl, 'sim-client:sim-secret', 'grant_type=password');
      assert.equal(grant.status, 400);
      assert.equal(grant.json().error, 'unsupported_grant_type');
      const none = await tokenRequest(sim.authUrl, undefined, 'grant_type=client_credentials');
      assert.equal(none.status, 401);
      assert.equal(none.json().error, 'invalid_client');
      assert.equal(sim.tokensIssued(), 0);
    }));
});

describe('bearer tokens on the API', () => {
  it('requires a token, accepts any case of the scheme, refuses unknown tokens', () =>
    withSim({}, async (sim) => {
      const missing = await simRequest(`${sim.apiUrl}/api/v2/users`, { ca: pki.caCert });
      assert.equal(missing.status, 401);
      const body = missing.json();
      assert.equal(body.code, 'authentication.required');
      assert.equal(body.status, 401);
      assert.equal(typeof body.contextId, 'string');
      assert.deepEqual(body.details, []);
      assert.deepEqual(body.errors, []);
      // Refused before the limiter: the headers are there, nothing counted.
      assert.equal(missing.headers['inin-ratelimit-allowed'], '300');
      assert.equal(missing.headers['inin-ratelimit-count'], '0');
      const token = await simLogin(sim);
      for (const scheme of ['Bearer', 'bearer', 'BEARER']) {
        const res = await simRequest(`${sim.apiUrl}/api/v2/users`, {
          ca: pki.caCert,
          headers: { Authorization: `${scheme} ${token}` },
        });
        assert.equal(res.status, 200, scheme);
      }
      const forged = await simApi(sim, 'not-a-token', 'GET', '/api/v2/users');
      assert.equal(forged.status, 401);
      assert.equal(forged.json().code, 'bad.credentials');
    }));

  it('expires tokens after their lifetime and on revocation', async () => {
    const clock = { t: Date.now() };
    await withSim({ tokenLifetimeSeconds: 300, now: () => clock.t }, async (sim) => {
      const token = await simLogin(sim);
      assert.equal((await simApi(sim, token, 'GET', '/api/v2/users')).status, 200);
      clock.t += 301_000;
      const expired = await simApi(sim, token, 'GET', '/api/v2/users');
      assert.equal(expired.status, 401);
      assert.equal(expired.json().code, 'bad.credentials');
      const fresh = await simLogin(sim);
      assert.equal((await simApi(sim, fresh, 'GET', '/api/v2/users')).status, 200);
      sim.revokeAllTokens();
      assert.equal((await simApi(sim, fresh, 'GET', '/api/v2/users')).status, 401);
      assert.equal((await simApi(sim, await simLogin(sim), 'GET', '/api/v2/users')).status, 200);
    });
  });

  it('answers 403 missing.permissions naming the permission', () =>
    withSim(
      {
        clients: [
          { clientId: 'reader', clientSecret: 's1', permissions: ['recording:recording:view'] },
          {
            clientId: 'analyst',
            clientSecret: 's2',
            permissions: ['analytics:agentConversationDetail:view'],
          },
        ],
      },
      async (sim) => {
        const reader = await simLogin(sim, 'reader', 's1');
        const query = {
          interval: `${new Date(Date.now() - 3_600_000).toISOString()}/${new Date().toISOString()}`,
        };
        const denied = await simApi(
          sim,
          reader,
          'POST',
          '/api/v2/analytics/conversations/details/query',
          query,
        );
        assert.equal(denied.status, 403);
        assert.equal(denied.json().code, 'missing.permissions');
        assert.match(String(denied.json().message), /analytics:conversationDetail:view/);
        const conversation = sim.org.conversations[0];
        assert.ok(conversation);
        const put = await simApi(
          sim,
          reader,
          'PUT',
          `/api/v2/conversations/${conversation.id}/recordings/x`,
          {},
        );
        assert.equal(put.status, 403);
        assert.match(String(put.json().message), /recording:recording:editRetention/);
        // One permission of an "any of" list is enough.
        const analyst = await simLogin(sim, 'analyst', 's2');
        assert.equal(
          (await simApi(sim, analyst, 'POST', '/api/v2/analytics/conversations/details/query', query)).status,
          200,
        );
      },
    ));
});

describe('headers and rate limit', () => {
  it('sends JSON, a skewed Date and the inin-ratelimit headers on every API response', () =>
    withSim({ clockSkewMs: 3_600_000, rateLimitPerMinute: 50 }, async (sim) => {
      const token = await simLogin(sim);
      const ok = await simApi(sim, token, 'GET', '/api/v2/users');
      const notFound = await simApi(sim, token, 'GET', '/api/v2/nothing/here');
      assert.equal(notFound.status, 404);
      assert.equal(notFound.json().code, 'not.found');
      for (const [i, res] of [ok, notFound].entries()) {
        assert.match(String(res.headers['content-type']), /^application\/json/);
        assert.equal(res.headers['inin-ratelimit-allowed'], '50');
        assert.equal(res.headers['inin-ratelimit-count'], String(i + 1));
        const reset = Number(res.headers['inin-ratelimit-reset']);
        assert.ok(reset >= 1 && reset <= 60);
        const skew = Date.parse(String(res.headers.date)) - Date.now();
        assert.ok(Math.abs(skew - 3_600_000) < 5_000, `skew ${skew}`);
      }
    }));

  it('answers 429 with Retry-After past the limit, per token, until the window resets', async () => {
    const clock = { t: Date.now() };
    await withSim({ rateLimitPerMinute: 3, now: () => clock.t }, async (sim) => {
      const token = await simLogin(sim);
      for (let i = 0; i < 3; i++)
        assert.equal((await simApi(sim, token, 'GET', '/api/v2/users')).status, 200);
      clock.t += 20_000;
      const limited = await simApi(sim, token, 'GET', '/api/v2/users');
      assert.equal(limited.status, 429);
      assert.equal(limited.headers['retry-after'], '40');
      assert.equal(limited.json().code, 'too.many.requests.retry.after');
      assert.equal(
        limited.json().message,
        'Rate limit exceeded the maximum. Retry the request in [40] seconds',
      );
      assert.equal(limited.headers['inin-ratelimit-count'], '3');
      // An injected error before the limiter shows the token's window as it is.
      sim.faults.add({ listener: 'api', action: { kind: 'status', status: 500 } });
      const injected = await simApi(sim, token, 'GET', '/api/v2/users');
      assert.equal(injected.status, 500);
      assert.equal(injected.headers['inin-ratelimit-count'], '3');
      assert.equal(injected.headers['inin-ratelimit-reset'], '40');
      // Another token has its own window.
      assert.equal((await simApi(sim, await simLogin(sim), 'GET', '/api/v2/users')).status, 200);
      clock.t += 40_000;
      assert.equal((await simApi(sim, token, 'GET', '/api/v2/users')).status, 200);
      assert.equal(sim.counts().rateLimited, 1);
    });
  });

  it('does not limit when rateLimitPerMinute is 0', () =>
    withSim({ rateLimitPerMinute: 0 }, async (sim) => {
      const token = await simLogin(sim);
      const results = await Promise.all(
        Array.from({ length: 20 }, () => simApi(sim, token, 'GET', '/api/v2/users')),
      );
      assert.ok(results.every((r) => r.status === 200));
      assert.ok(Number(results[0]?.headers['inin-ratelimit-allowed']) >= 1_000_000);
    }));
});
