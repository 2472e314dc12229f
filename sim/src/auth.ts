/**
 * OAuth for the simulator: the client-credentials token endpoint (`POST /oauth/token`) and the
 * store of issued bearer tokens that the API listener checks (genesys-api.md §2).
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { ResolvedOptions } from './options.js';

/** An issued access token. */
export interface TokenInfo {
  readonly token: string;
  readonly clientId: string;
  readonly permissions: ReadonlySet<string>;
  readonly issuedAt: number;
  readonly expiresAt: number;
  revoked: boolean;
}

/** Issues, finds and revokes bearer tokens. */
export class TokenStore {
  private readonly tokens = new Map<string, TokenInfo>();

  constructor(private readonly options: ResolvedOptions) {}

  issue(clientId: string): TokenInfo {
    const client = this.options.clients.find((c) => c.clientId === clientId);
    if (!client) throw new Error(`unknown client ${clientId}`);
    const now = this.options.now();
    const info: TokenInfo = {
      token: randomBytes(36).toString('base64url'),
      clientId,
      permissions: new Set(client.permissions),
      issuedAt: now,
      expiresAt: now + this.options.tokenLifetimeSeconds * 1000,
      revoked: false,
    };
    this.tokens.set(info.token, info);
    return info;
  }

  /** The token's record, or undefined when it was never issued. */
  lookup(token: string): TokenInfo | undefined {
    return this.tokens.get(token);
  }

  /** True when the token exists, is not revoked and has not expired. */
  isValid(info: TokenInfo): boolean {
    return !info.revoked && info.expiresAt > this.options.now();
  }

  revoke(token: string): void {
    const info = this.tokens.get(token);
    if (info) info.revoked = true;
  }

  /** Revokes every token issued so far (a client must log in again). */
  revokeAll(): void {
    for (const info of this.tokens.values()) info.revoked = true;
  }

  /** Every access token issued so far, for tests that scan output for them. */
  issuedTokens(): string[] {
    return [...this.tokens.keys()];
  }

  /** Number of tokens issued so far. */
  get issued(): number {
    return this.tokens.size;
  }
}

/** A response of the token endpoint: OAuth-style JSON, not Genesys' ErrorBody. */
export interface TokenEndpointResult {
  status: number;
  body: Record<string, unknown>;
}

function oauthError(status: number, error: string, description: string): TokenEndpointResult {
  return { status, body: { error, description, error_description: description } };
}

function basicCredentials(header: string | undefined): { id: string; secret: string } | undefined {
  const match = /^basic\s+(\S+)\s*$/i.exec(header ?? '');
  if (!match?.[1]) return undefined;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  return { id: decoded.slice(0, colon), secret: decoded.slice(colon + 1) };
}

/**
 * `POST /oauth/token`: Basic client authentication, form body `grant_type=client_credentials`.
 * Unknown client → 401 "client not found"; wrong secret → 401 "authentication failed"; missing or
 * other grant → 400 `unsupported_grant_type`.
 */
export function handleTokenRequest(
  req: IncomingMessage,
  body: Buffer,
  store: TokenStore,
  options: ResolvedOptions,
): TokenEndpointResult {
  const credentials = basicCredentials(req.headers.authorization);
  if (!credentials) return oauthError(401, 'invalid_client', 'client authentication required');
  const client = options.clients.find((c) => c.clientId === credentials.id);
  if (!client) return oauthError(401, 'invalid_client', 'client not found');
  if (client.clientSecret !== credentials.secret)
    return oauthError(401, 'invalid_client', 'authentication failed');
  const grant = new URLSearchParams(body.toString('utf8')).get('grant_type');
  if (grant !== 'client_credentials') {
    return oauthError(400, 'unsupported_grant_type', `unsupported grant type ${grant ?? '(none)'}`);
  }
  const info = store.issue(client.clientId);
  return {
    status: 200,
    body: { access_token: info.token, token_type: 'bearer', expires_in: options.tokenLifetimeSeconds },
  };
}

/** The bearer token of an `Authorization` header (scheme matched case-insensitively). */
export function bearerToken(header: string | undefined): string | undefined {
  const match = /^bearer\s+(\S+)\s*$/i.exec(header ?? '');
  return match?.[1];
}
