/**
 * The checks `verify` makes over the network (SPEC §1): client certificate, proxy, TLS to the auth
 * and API hosts, OAuth login, one minimal call per API the configured features need, clock skew.
 * Nothing is written: the client runs without its token and user caches.
 */
import { randomUUID } from 'node:crypto';
import type { Config } from '../config/types.js';
import { ConfigError, RemoteError } from '../errors.js';
import { createGenesysClient, GenesysApiError, type GenesysClient, type NamesApi } from '../genesys/index.js';
import { CLOCK_SKEW_LIMIT_MS } from '../pipeline/settle/rules.js';
import type { StatePaths } from '../state/paths.js';
import { fail, pass, warning, type Check } from './check.js';
import { storeChecks } from './store.js';

export interface OnlineResult {
  checks: Check[];
  /** Genesys or the proxy could not be reached, or refused the credentials (exit 4). */
  unreachable: boolean;
}

function describeRemote(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

async function permissionCheck(
  name: string,
  permission: string,
  call: () => Promise<unknown>,
  notFoundPasses: boolean,
): Promise<Check> {
  try {
    await call();
    return pass(name, `allowed (${permission})`);
  } catch (error) {
    if (notFoundPasses && error instanceof GenesysApiError && error.status === 404)
      return pass(name, `allowed (${permission}); the probe id does not exist, as intended`);
    if (error instanceof RemoteError && error.code === 'api.missingPermissions') {
      return fail(name, describeRemote(error), `give the OAuth client's role the permission ${permission}`);
    }
    if (error instanceof GenesysApiError && error.status === 403)
      return fail(name, describeRemote(error), `give the OAuth client's role the permission ${permission}`);
    return fail(name, describeRemote(error));
  }
}

/**
 * Queue or wrap-up code names: probed with a random id (404 passes). Without the permission a run
 * still archives everything, with ids only in the CDRs and one `namesUnavailable` alert, so a
 * refusal is a warning that names the permission, not a failing check.
 */
async function namesCheck(names: NamesApi, label: string): Promise<Check> {
  const name = `permission: ${label} names`;
  const check = await permissionCheck(name, names.permission, () => names.getNames([randomUUID()]), true);
  if (check.ok) return check;
  return warning(
    name,
    `${check.detail}; runs archive everything but CDRs carry ${label} ids without names`,
    `give the OAuth client's role the permission ${names.permission} for ${label} names in the CDRs`,
  );
}

function certificateCheck(client: GenesysClient, now: number): Check | undefined {
  const cert = client.transport.tls.clientCertificate;
  if (cert === undefined) return undefined;
  const validTo = Date.parse(cert.validTo);
  const detail = `${cert.subject}, SHA-256 ${cert.sha256}, valid until ${cert.validTo}`;
  if (Number.isFinite(validTo) && validTo < now)
    return fail('client certificate', `expired: ${detail}`, 'renew the certificate in tls.certFile');
  if (Number.isFinite(validTo) && validTo - now < 30 * 86_400_000)
    return warning(
      'client certificate',
      `expires within 30 days: ${detail}`,
      'renew the certificate in tls.certFile',
    );
  return pass('client certificate', detail);
}

export async function onlineChecks(config: Config, paths: StatePaths, now: number): Promise<OnlineResult> {
  const checks: Check[] = [];
  let client: GenesysClient;
  try {
    client = createGenesysClient(config, paths, { writeState: false, maxAttempts: 2 });
  } catch (error) {
    if (error instanceof ConfigError)
      return {
        checks: [fail('TLS settings', error.message, 'check the files named in "tls"')],
        unreachable: false,
      };
    throw error;
  }
  // The archive store is checked whatever Genesys answers: it is reached on its own path.
  checks.push(...(await storeChecks(config)));
  try {
    const cert = certificateCheck(client, now);
    if (cert !== undefined) checks.push(cert);
    for (const which of ['auth', 'api'] as const) {
      const host = new URL(which === 'auth' ? config.authUrl : config.apiUrl).host;
      try {
        await client.probe(which);
        checks.push(
          pass(
            `TLS to ${which} host`,
            `${host} reached${config.proxy === undefined ? '' : ` through the proxy ${config.proxy.host}:${config.proxy.port}`}, certificate trusted`,
          ),
        );
      } catch (error) {
        const code = error instanceof RemoteError ? error.code : 'error';
        const name = code.startsWith('proxy.') ? 'proxy' : `TLS to ${which} host`;
        const hint = code.startsWith('proxy.')
          ? 'check proxy.host, proxy.port, proxy.username and GENESYS_PROXY_PASSWORD'
          : code.startsWith('tls.')
            ? 'check tls.trustList (a PEM bundle of the CAs to trust) and that the URL names the host on the certificate'
            : `check that ${host} resolves and port 443 is open from here (or through the proxy)`;
        checks.push(fail(name, describeRemote(error), hint));
        return { checks, unreachable: true };
      }
    }
    if (config.proxy !== undefined)
      checks.push(
        pass(
          'proxy',
          `${config.proxy.host}:${config.proxy.port} accepted the connection${config.proxy.username === undefined ? '' : ' and the credentials'}`,
        ),
      );
    try {
      await client.login();
      checks.push(pass('OAuth login', `client ${config.clientId} logged in`));
    } catch (error) {
      checks.push(
        fail(
          'OAuth login',
          describeRemote(error),
          'check clientId and the client secret of an OAuth client with the Client Credentials grant',
        ),
      );
      return { checks, unreachable: true };
    }
    const minute = 60_000;
    const interval = `${new Date(now - 2 * minute).toISOString()}/${new Date(now - minute).toISOString()}`;
    checks.push(
      await permissionCheck(
        'permission: analytics',
        'analytics:conversationDetail:view',
        () => client.analytics.queryDetails({ interval, paging: { pageSize: 1, pageNumber: 1 } }),
        false,
      ),
    );
    checks.push(
      await permissionCheck(
        'permission: recordings',
        'recording:recording:view',
        () => client.recordings.getMetadata(randomUUID()),
        true,
      ),
    );
    checks.push(
      await permissionCheck(
        'permission: users',
        'none required (users)',
        () => client.users.getUsers([randomUUID()]),
        true,
      ),
    );
    checks.push(await namesCheck(client.queues, 'queue'));
    checks.push(await namesCheck(client.wrapUpCodes, 'wrap-up code'));
    if (config.deleteAfterIngest) {
      checks.push(
        await permissionCheck(
          'permission: delete',
          'recording:recording:editRetention',
          () => client.recordings.updateRetention(randomUUID(), randomUUID(), {}),
          true,
        ),
      );
    }
    if (config.restoreArchived) {
      // The same probe as for deletes (SPEC §8.3): an empty retention update of a random recording.
      // It cannot tell the restore permission apart from editRetention; the run's first restore can.
      checks.push(
        await permissionCheck(
          'permission: restore',
          'recording:recording:editRetention and recording:recording:restore',
          () => client.recordings.updateRetention(randomUUID(), randomUUID(), {}),
          true,
        ),
      );
    }
    const skew = client.clockSkewMs;
    if (skew === undefined) checks.push(warning('clock', 'the API sent no Date header to compare with'));
    else if (Math.abs(skew) > CLOCK_SKEW_LIMIT_MS)
      checks.push(
        warning(
          'clock',
          `the local clock is ${Math.round(skew / 1000)} s off Genesys' time; runs will use Genesys' time`,
          'fix the clock (NTP)',
        ),
      );
    else
      checks.push(
        pass('clock', `within ${Math.max(1, Math.round(Math.abs(skew) / 1000))} s of Genesys' time`),
      );
    return { checks, unreachable: false };
  } finally {
    client.close();
  }
}
