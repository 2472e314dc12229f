/**
 * Classifies what went wrong below HTTP — DNS, connect, TLS, proxy — into a run-level RemoteError
 * (exit 4) with a message that names the host and the configuration key to check, and says whether
 * repeating the request may help. got and hpagent errors never leave this module as they are: they
 * carry the request options (Authorization header, signed URLs), so only a safe summary is kept.
 */
import { RemoteError } from '../errors.js';
import { redact } from '../util/redact.js';

/** What a transport failure means, and whether the request may be repeated. */
export interface TransportFailure {
  readonly retryable: boolean;
  readonly error: RemoteError;
  /** Network code or status (for tests and logs). */
  readonly kind: string;
}

const TLS_UNTRUSTED = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'CERT_UNTRUSTED',
  'CERT_SIGNATURE_FAILURE',
  'CERT_REJECTED',
  'INVALID_CA',
]);
const TLS_EXPIRED = new Set(['CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID', 'CRL_HAS_EXPIRED']);
const RETRYABLE_NET = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'EAI_AGAIN',
  'ENOTFOUND',
  'ERR_STREAM_PREMATURE_CLOSE',
  'UND_ERR_SOCKET',
]);

/**
 * A stand-in for a got/Node error that is safe to keep as `cause`: its code and redacted message
 * only. got's errors carry the request options (the Authorization header, the signed media URL),
 * which a logger printing the cause chain would otherwise reveal.
 */
export function safeCause(error: unknown): Error | undefined {
  if (!(error instanceof Error)) return undefined;
  const codes = chain(error)
    .map((e) => e.code)
    .filter((c): c is string => typeof c === 'string');
  const inner = chain(error).at(-1) ?? error;
  const safe = new Error(redact(inner.message));
  safe.name = inner.name;
  if (codes.length > 0) Object.assign(safe, { code: codes[codes.length - 1] });
  return safe;
}

/** Walks `cause` links and returns every error in the chain (got wraps Node's errors). */
function chain(error: unknown): Array<Error & { code?: string; address?: string; port?: number }> {
  const out: Array<Error & { code?: string; address?: string; port?: number }> = [];
  let current: unknown = error;
  for (let i = 0; i < 6 && current instanceof Error; i += 1) {
    out.push(current);
    current = (current as { cause?: unknown }).cause;
  }
  return out;
}

export interface ClassifyContext {
  /** host:port the request was for. */
  readonly host: string;
  /** host:port of the forward proxy, when one is configured. */
  readonly proxy: string | undefined;
  /** The config file, for hints that name a key. */
  readonly configFile: string;
  /** Which config key names this host (`authUrl`, `apiUrl`), or undefined for media hosts. */
  readonly hostKey: string | undefined;
  /** A client certificate is configured (a reset right after the handshake may be its refusal). */
  readonly clientCert?: boolean;
}

/** Turns a got/Node network or TLS failure into a run-level error and says whether a retry may help. */
export function classifyTransportError(error: unknown, ctx: ClassifyContext): TransportFailure {
  const errors = chain(error);
  const codes = errors.map((e) => e.code).filter((c): c is string => typeof c === 'string');
  const messages = errors.map((e) => e.message);
  const has = (set: Set<string>): string | undefined => codes.find((c) => set.has(c));
  const where = ctx.hostKey ? `"${ctx.hostKey}"` : 'the media host';
  const make = (code: string, text: string, retryable: boolean, kind: string): TransportFailure => ({
    retryable,
    kind,
    error: new RemoteError(code, redact(text), { cause: safeCause(error), retryable }),
  });

  // hpagent reports a refused CONNECT as "Bad response: <status>".
  const proxyStatus = messages.map((m) => /^Bad response: (\d{3})/.exec(m)?.[1]).find((s) => s !== undefined);
  if (proxyStatus !== undefined && ctx.proxy !== undefined) {
    const status = Number(proxyStatus);
    if (status === 407) {
      return make(
        'proxy.authRequired',
        `the proxy ${ctx.proxy} refused the credentials (407 Proxy Authentication Required) while connecting to ${ctx.host}; check "proxy.username" and "proxy.password" (or GENESYS_PROXY_PASSWORD) in ${ctx.configFile}`,
        false,
        'proxy407',
      );
    }
    return make(
      'proxy.refused',
      `the proxy ${ctx.proxy} refused to connect to ${ctx.host} (${status}); check that the proxy allows CONNECT to this host and port`,
      status >= 500,
      `proxy${status}`,
    );
  }
  if (messages.includes('Proxy timeout') && ctx.proxy !== undefined) {
    return make(
      'proxy.timeout',
      `the proxy ${ctx.proxy} did not answer in time while connecting to ${ctx.host}`,
      true,
      'proxyTimeout',
    );
  }

  const tlsUntrusted = has(TLS_UNTRUSTED);
  if (tlsUntrusted !== undefined) {
    return make(
      'tls.untrusted',
      `TLS to ${ctx.host} failed: the server certificate is not trusted (${tlsUntrusted}); if a TLS-inspecting proxy or private CA is in the way, add its CA certificate to the PEM bundle named by "tls.trustList" in ${ctx.configFile}`,
      false,
      tlsUntrusted,
    );
  }
  if (codes.includes('ERR_TLS_CERT_ALTNAME_INVALID')) {
    return make(
      'tls.hostnameMismatch',
      `TLS to ${ctx.host} failed: the server certificate is not issued for this host name (ERR_TLS_CERT_ALTNAME_INVALID); check ${where} in ${ctx.configFile}`,
      false,
      'ERR_TLS_CERT_ALTNAME_INVALID',
    );
  }
  const expired = has(TLS_EXPIRED);
  if (expired !== undefined) {
    return make(
      'tls.expired',
      `TLS to ${ctx.host} failed: the server certificate is expired or not yet valid (${expired}); check this machine's clock`,
      false,
      expired,
    );
  }
  const sslAlert = codes.find((c) => c.startsWith('ERR_SSL_') || c.startsWith('ERR_TLS_'));
  if (sslAlert !== undefined) {
    const clientCert =
      /CERTIFICATE_REQUIRED|BAD_CERTIFICATE|UNKNOWN_CA|CERTIFICATE_UNKNOWN|HANDSHAKE_FAILURE/.test(sslAlert);
    return make(
      clientCert ? 'tls.clientCertRejected' : 'tls.handshake',
      clientCert
        ? `TLS to ${ctx.host} failed: the server did not accept a client certificate (${sslAlert}); check "tls.certFile" (and "tls.keyFile") in ${ctx.configFile}`
        : `TLS to ${ctx.host} failed (${sslAlert}); check ${where} and "tls" in ${ctx.configFile}`,
      false,
      sslAlert,
    );
  }

  const viaProxy = (e: { address?: string; port?: number }): boolean =>
    ctx.proxy !== undefined && e.port !== undefined && ctx.proxy.endsWith(`:${e.port}`);
  const net = codes.find((c) => RETRYABLE_NET.has(c));
  if (net === 'ECONNREFUSED' && ctx.proxy !== undefined && errors.some(viaProxy)) {
    return make(
      'proxy.unreachable',
      `the proxy ${ctx.proxy} refused the connection (ECONNREFUSED); check "proxy.host" and "proxy.port" in ${ctx.configFile}`,
      true,
      'proxyRefused',
    );
  }
  if (net === 'ENOTFOUND' || net === 'EAI_AGAIN') {
    const proxyDns =
      ctx.proxy !== undefined && messages.some((m) => m.includes(ctx.proxy!.replace(/:\d+$/, '')));
    return make(
      proxyDns ? 'proxy.unreachable' : 'network.dns',
      proxyDns
        ? `cannot resolve the proxy host ${ctx.proxy} (${net}); check "proxy.host" in ${ctx.configFile}`
        : `cannot resolve ${ctx.host} (${net}); check ${where} in ${ctx.configFile} and this machine's DNS`,
      true,
      net,
    );
  }
  if (net === 'ECONNREFUSED') {
    return make(
      'network.refused',
      `${ctx.host} refused the connection (ECONNREFUSED); check ${where} in ${ctx.configFile} and any firewall`,
      true,
      net,
    );
  }
  if (net === 'ETIMEDOUT' || errors.some((e) => e.name === 'TimeoutError')) {
    return make(
      'network.timeout',
      `${ctx.host} did not answer in time; check the network path (and proxy) to it`,
      true,
      'ETIMEDOUT',
    );
  }
  if (net !== undefined || messages.some((m) => /socket hang up|aborted|premature close/i.test(m))) {
    return make(
      'network.reset',
      `the connection to ${ctx.host} broke off (${net ?? 'reset'}); check the network path to it` +
        (ctx.clientCert && ctx.hostKey !== undefined
          ? `, and that the server accepts the client certificate in "tls.certFile" (${ctx.configFile})`
          : ''),
      true,
      net ?? 'reset',
    );
  }
  const first = codes[0] ?? errors[0]?.name ?? 'error';
  return make(
    'network.failed',
    `request to ${ctx.host} failed (${first}): ${messages[messages.length - 1] ?? ''}`,
    false,
    first,
  );
}
