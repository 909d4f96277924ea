import { createRemoteJWKSet, decodeJwt, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import { AppError } from '../errors/app-error';

/** The claims of a verified Entra ID v2 access token that the API uses. */
export interface VerifiedToken {
  /** Tenant (Entra directory) the user signed in to. */
  tenantId: string;
  /** The user's object id in that tenant. */
  userId: string;
  /** Display name or sign-in name, for the audit trail. */
  userName: string;
  roles: string[];
}

export interface TokenVerifierOptions {
  /** e.g. https://login.microsoftonline.com (the simulator's locally). */
  authorityHost: string;
  /** The API's app id: tokens for anything else are refused. */
  audience: string;
  /** Accepted difference between our clock and the token's exp/nbf. */
  clockToleranceSeconds?: number;
  /** Key sets per tenant; default: the authority's JWKS, fetched and cached by jose. */
  keysFor?: (tenantId: string) => JWTVerifyGetKey;
  /** Least time between two JWKS fetches of a tenant (an unknown `kid` refetches after it); default 30 s. */
  jwksCooldownMs?: number;
  /** Tenants whose key sets are kept (an attacker may name any GUID). */
  maxCachedTenants?: number;
  now?: () => Date;
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function unauthenticated(): AppError {
  // One message for every failure: which check failed is logged, never told to the caller.
  return new AppError('unauthenticated', 'A valid bearer token is required.');
}

/**
 * Verifies Entra ID v2 bearer tokens: RS256 signature against the issuing tenant's JWKS (jose
 * caches it and refetches on an unknown `kid`, with a cooldown), `iss` = `{authority}/{tid}/v2.0`,
 * `aud`, `exp`/`nbf` with a small skew. `alg: none` and every other algorithm are refused.
 */
export class TokenVerifier {
  private readonly keySets = new Map<string, JWTVerifyGetKey>();
  private readonly authority: string;

  constructor(private readonly options: TokenVerifierOptions) {
    this.authority = options.authorityHost.replace(/\/+$/, '');
  }

  private keysFor(tenantId: string): JWTVerifyGetKey {
    let keys = this.keySets.get(tenantId);
    if (!keys) {
      keys =
        this.options.keysFor?.(tenantId) ??
        createRemoteJWKSet(new URL(`${this.authority}/${tenantId}/discovery/v2.0/keys`), {
          cacheMaxAge: 24 * 3600_000,
          cooldownDuration: this.options.jwksCooldownMs ?? 30_000,
          timeoutDuration: 5_000,
        });
      if (this.keySets.size >= (this.options.maxCachedTenants ?? 1000)) {
        const oldest = this.keySets.keys().next().value;
        if (oldest !== undefined) this.keySets.delete(oldest);
      }
      this.keySets.set(tenantId, keys);
    }
    return keys;
  }

  /** Verifies the `Authorization` header's bearer token; throws unauthenticated with a reason for logs. */
  async verify(authorization: string | null): Promise<VerifiedToken> {
    const match = /^Bearer ([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*)$/.exec(
      authorization?.trim() ?? '',
    );
    if (!match) throw withReason(unauthenticated(), 'no bearer token');
    const token = match[1]!;
    let unverified: JWTPayload;
    try {
      unverified = decodeJwt(token);
    } catch {
      throw withReason(unauthenticated(), 'malformed token');
    }
    const tid = unverified.tid;
    if (typeof tid !== 'string' || !GUID.test(tid)) throw withReason(unauthenticated(), 'no tenant id');
    const tenantId = tid.toLowerCase();
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, this.keysFor(tenantId), {
        algorithms: ['RS256'],
        issuer: `${this.authority}/${tid}/v2.0`,
        audience: this.options.audience,
        clockTolerance: this.options.clockToleranceSeconds ?? 60,
        requiredClaims: ['exp', 'iss', 'aud', 'tid', 'oid'],
        ...(this.options.now ? { currentDate: this.options.now() } : {}),
      }));
    } catch (error) {
      throw withReason(unauthenticated(), (error as { code?: string }).code ?? 'verification failed');
    }
    const roles = Array.isArray(payload.roles) ? payload.roles.filter((r) => typeof r === 'string') : [];
    const name = [payload.name, payload.preferred_username, payload.upn, payload.oid].find(
      (v): v is string => typeof v === 'string' && v.length > 0,
    );
    return {
      tenantId,
      userId: String(payload.oid),
      userName: name ?? String(payload.oid),
      roles: roles as string[],
    };
  }
}

function withReason(error: AppError, reason: string): AppError {
  return Object.assign(error, { reason });
}

/** Why a token was refused (for logs only). */
export function refusalReason(error: unknown): string | undefined {
  return (error as { reason?: string }).reason;
}
