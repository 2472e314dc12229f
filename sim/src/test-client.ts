/**
 * A minimal HTTPS client for tests that talk to the simulator directly (node:https, trusting the
 * simulator's CA). It buffers bodies, so use it for small responses; a failed transfer rejects with
 * a `TransferError` that says how much arrived.
 */
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import https from 'node:https';

/** A buffered response. */
export interface SimResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
  text(): string;
  json<T = Record<string, unknown>>(): T;
}

/** Options of `simRequest`. */
export interface SimRequestOptions {
  method?: string;
  headers?: Record<string, string>;
  /** A string or Buffer is sent as is; anything else as JSON. */
  body?: unknown;
  /** CA certificate(s) to trust (PEM). */
  ca?: string | string[];
  cert?: string;
  key?: string;
  pfx?: Buffer;
  passphrase?: string;
  /** Abort after this long; default 10 s. */
  timeoutMs?: number;
}

/** A request that failed after (or before) the response started. */
export class TransferError extends Error {
  constructor(
    message: string,
    readonly code: string | undefined,
    /** Status of the response, when headers arrived. */
    readonly status: number | undefined,
    readonly headers: IncomingHttpHeaders | undefined,
    /** Body bytes received before the failure. */
    readonly received: number,
  ) {
    super(message);
  }
}

/** Sends one request and buffers the whole response. */
export function simRequest(url: string, options: SimRequestOptions = {}): Promise<SimResponse> {
  const headers: Record<string, string> = { ...options.headers };
  let payload: Buffer | undefined;
  if (options.body !== undefined) {
    if (typeof options.body === 'string' || Buffer.isBuffer(options.body)) {
      payload = Buffer.isBuffer(options.body) ? options.body : Buffer.from(options.body);
    } else {
      payload = Buffer.from(JSON.stringify(options.body));
      headers['Content-Type'] ??= 'application/json';
    }
    headers['Content-Length'] = String(payload.length);
  }
  return new Promise((resolve, reject) => {
    let received = 0;
    let response: IncomingMessage | undefined;
    const req = https.request(
      url,
      {
        method: options.method ?? 'GET',
        headers,
        agent: false,
        ...(options.ca !== undefined ? { ca: options.ca } : {}),
        ...(options.cert !== undefined ? { cert: options.cert } : {}),
        ...(options.key !== undefined ? { key: options.key } : {}),
        ...(options.pfx !== undefined ? { pfx: options.pfx } : {}),
        ...(options.passphrase !== undefined ? { passphrase: options.passphrase } : {}),
        timeout: options.timeoutMs ?? 10_000,
      },
      (res) => {
        response = res;
        const chunks: Buffer[] = [];
        let failed = false;
        const fail = (error: Error & { code?: string }): void => {
          if (failed) return;
          failed = true;
          reject(new TransferError(error.message, error.code, res.statusCode, res.headers, received));
        };
        res.on('data', (chunk: Buffer) => {
          received += chunk.length;
          chunks.push(chunk);
        });
        res.on('error', fail);
        res.on('aborted', () => fail(Object.assign(new Error('response aborted'), { code: 'ECONNRESET' })));
        res.on('end', () => {
          if (failed || !res.complete)
            return fail(Object.assign(new Error('response incomplete'), { code: 'EINCOMPLETE' }));
          const body = Buffer.concat(chunks);
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body,
            text: () => body.toString('utf8'),
            json: <T>() => JSON.parse(body.toString('utf8')) as T,
          });
        });
      },
    );
    req.on('timeout', () =>
      req.destroy(Object.assign(new Error('request timed out'), { code: 'ETIMEDOUT' })),
    );
    req.on('error', (error: Error & { code?: string }) => {
      reject(new TransferError(error.message, error.code, response?.statusCode, response?.headers, received));
    });
    req.end(payload);
  });
}

/** The parts of a simulator the helpers below need. */
export interface SimTarget {
  readonly authUrl: string;
  readonly apiUrl: string;
  readonly pki: { readonly caCert: string };
}

/** Logs in with client credentials; returns the access token. */
export async function simLogin(
  sim: SimTarget,
  clientId = 'sim-client',
  clientSecret = 'sim-secret',
): Promise<string> {
  const res = await simRequest(`${sim.authUrl}/oauth/token`, {
    method: 'POST',
    ca: sim.pki.caCert,
    headers: {
      Authorization: `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}`,
      'Content-Type': 'application/x-www-form-urlencoded',
    },
    body: 'grant_type=client_credentials',
  });
  if (res.status !== 200) throw new Error(`login failed: ${res.status} ${res.text()}`);
  return res.json<{ access_token: string }>().access_token;
}

/** Calls the API with a bearer token; `path` starts with `/api/v2/`. */
export function simApi(
  sim: SimTarget,
  token: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<SimResponse> {
  return simRequest(`${sim.apiUrl}${path}`, {
    method,
    ca: sim.pki.caCert,
    headers: { Authorization: `Bearer ${token}` },
    ...(body !== undefined ? { body } : {}),
  });
}
