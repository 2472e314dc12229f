/**
 * A real forward proxy for tests (the `proxy` package, as hpagent's own tests use it) on
 * 127.0.0.1 with HTTP Basic authentication. It records every CONNECT target, so a test can prove
 * that auth, API and media traffic all went through it.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createProxy } from 'proxy';

export interface TestProxy {
  readonly host: string;
  readonly port: number;
  readonly username: string;
  readonly password: string;
  /** `host:port` of every CONNECT the proxy accepted, in order. */
  readonly connects: string[];
  /** CONNECTs refused for bad or missing credentials. */
  readonly refused: number;
  close(): Promise<void>;
}

/** Starts a proxy that accepts `username`/`password` (Basic) and nothing else. */
export async function startProxy(options: { username?: string; password?: string } = {}): Promise<TestProxy> {
  const username = options.username ?? 'proxy-user';
  const password = options.password ?? 'proxy-pass-0123456789';
  const server = createProxy(http.createServer());
  const connects: string[] = [];
  let refused = 0;
  const expected = `Basic ${Buffer.from(`${username}:${password}`, 'utf8').toString('base64')}`;
  server.authenticate = (req) => {
    const ok = req.headers['proxy-authorization'] === expected;
    if (ok) connects.push(req.url ?? '');
    else refused += 1;
    return ok;
  };
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    host: '127.0.0.1',
    port,
    username,
    password,
    connects,
    get refused() {
      return refused;
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
