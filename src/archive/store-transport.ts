/**
 * How an object store is reached (SPEC §7 Transport): through `proxy` unless the target says
 * `useProxy: false`, with `tls.trustList` trusted in addition to the system roots. The same proxy
 * (hpagent, Basic credentials) and trust list as the Genesys client (`genesys/http.ts`,
 * `genesys/tls.ts`); the client certificate is Genesys', never presented to a store.
 */
import http from 'node:http';
import https from 'node:https';
import tls from 'node:tls';
import { HttpProxyAgent, HttpsProxyAgent } from 'hpagent';
import type { Config } from '../config/types.js';
import { proxyUrlOf } from '../genesys/http.js';
import { loadTlsMaterial } from '../genesys/tls.js';

export interface StoreAgents {
  readonly httpAgent: http.Agent;
  readonly httpsAgent: https.Agent;
  /** `host:port` of the proxy in use, for messages; undefined when the store is reached directly. */
  readonly proxy: string | undefined;
  destroy(): void;
}

export function storeAgents(config: Config, useProxy: boolean): StoreAgents {
  const ca = loadTlsMaterial(config).certificateAuthority;
  const secureContext = tls.createSecureContext(ca === undefined ? {} : { ca });
  const common = { keepAlive: true, maxSockets: 32, maxFreeSockets: 8, scheduling: 'lifo' as const };
  const proxy = useProxy ? config.proxy : undefined;
  let httpAgent: http.Agent;
  let httpsAgent: https.Agent;
  if (proxy === undefined) {
    httpAgent = new http.Agent(common);
    httpsAgent = new https.Agent({ ...common, secureContext });
  } else {
    const url = proxyUrlOf(proxy);
    httpAgent = new HttpProxyAgent({ ...common, proxy: url });
    httpsAgent = new HttpsProxyAgent({ ...common, secureContext, proxy: url });
  }
  return {
    httpAgent,
    httpsAgent,
    proxy: proxy === undefined ? undefined : `${proxy.host}:${proxy.port}`,
    destroy() {
      httpAgent.destroy();
      httpsAgent.destroy();
    },
  };
}
