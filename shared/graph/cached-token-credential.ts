import type { AccessToken, GetTokenOptions, TokenCredential } from '@azure/identity';

/** A token is replaced this long before it expires, when it gives no refresh time of its own. */
export const TOKEN_REFRESH_MARGIN_MS = 5 * 60_000;

/**
 * Keeps a credential's last token per scope set and hands it out until it is due for refresh. The
 * Graph SDK asks its credential for a token on every request, and `@azure/identity` answers each ask
 * with a full MSAL cache lookup (about 30 KB of short-lived objects per request; in a backup
 * benchmark at half scale, 6% of everything the worker allocated). Asks that carry claims, a tenant
 * or proof-of-possession options (challenges) go to the credential as they are. Concurrent asks for
 * a due token share one refresh; a failed refresh is not cached.
 */
export class CachedTokenCredential implements TokenCredential {
  private readonly tokens = new Map<string, AccessToken>();
  private readonly refreshing = new Map<string, Promise<AccessToken | null>>();

  constructor(
    private readonly credential: TokenCredential,
    private readonly now: () => number = Date.now,
  ) {}

  async getToken(scopes: string | string[], options?: GetTokenOptions): Promise<AccessToken | null> {
    if (options?.claims || options?.tenantId || options?.proofOfPossessionOptions)
      return this.credential.getToken(scopes, options);
    const key = (Array.isArray(scopes) ? scopes : [scopes]).join(' ');
    const cached = this.tokens.get(key);
    if (cached && this.now() < refreshAt(cached)) return cached;
    let pending = this.refreshing.get(key);
    if (!pending) {
      pending = this.credential.getToken(scopes, options).then(
        (token) => {
          this.refreshing.delete(key);
          if (token) this.tokens.set(key, token);
          else this.tokens.delete(key);
          return token;
        },
        (error: unknown) => {
          this.refreshing.delete(key);
          throw error;
        },
      );
      this.refreshing.set(key, pending);
    }
    return pending;
  }
}

function refreshAt(token: AccessToken): number {
  return Math.min(
    token.refreshAfterTimestamp ?? Number.POSITIVE_INFINITY,
    token.expiresOnTimestamp - TOKEN_REFRESH_MARGIN_MS,
  );
}
