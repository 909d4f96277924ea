import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';

/**
 * A stand-in Entra ID for API tests: serves a JWKS at `{authority}/{tenant}/discovery/v2.0/keys`
 * (any tenant) on 127.0.0.1, and mints good and deliberately bad v2 access tokens.
 *
 *   const idp = await TestIdentityProvider.start();
 *   settings ENTRA_AUTHORITY_HOST = idp.authorityHost
 *   const token = await idp.token({ tenantId, roles: ['Backup.Admin'] });
 */
export interface TokenOptions {
  tenantId: string;
  roles?: string[];
  userId?: string;
  name?: string;
  audience?: string;
  /** Override the issuer (default `{authority}/{tenantId}/v2.0`). */
  issuer?: string;
  /** Seconds from now; negative: already expired. */
  expiresIn?: number;
  notBeforeIn?: number;
  /** `published` (default): the JWKS key; `unpublished`: a key the JWKS lacks, under its own kid;
   * `forged`: the unpublished key under the published kid (a bad signature). */
  key?: 'published' | 'unpublished' | 'forged';
  /** The token's notion of now (tests with a manual clock); default the real time. */
  now?: Date;
}

export const TEST_AUDIENCE = 'api://m365-backup-portal-test';

export class TestIdentityProvider {
  private constructor(
    private readonly server: Server,
    readonly authorityHost: string,
    private readonly published: { key: CryptoKey; kid: string },
    private readonly unpublished: { key: CryptoKey; kid: string },
    /** How many times the JWKS was fetched (the verifier caches it). */
    readonly fetches: { count: number },
    private readonly rotated: { value: boolean },
  ) {}

  static async start(): Promise<TestIdentityProvider> {
    const a = await generateKeyPair('RS256', { extractable: true });
    const b = await generateKeyPair('RS256', { extractable: true });
    const jwk: JWK = { ...(await exportJWK(a.publicKey)), kid: 'test-key-1', alg: 'RS256', use: 'sig' };
    const next: JWK = { ...(await exportJWK(b.publicKey)), kid: 'test-key-2', alg: 'RS256', use: 'sig' };
    const fetches = { count: 0 };
    const rotated = { value: false };
    const server = createServer((req, res) => {
      if (req.method === 'GET' && /^\/[^/]+\/discovery\/v2\.0\/keys$/.test(req.url ?? '')) {
        fetches.count++;
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ keys: rotated.value ? [jwk, next] : [jwk] }));
        return;
      }
      res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    return new TestIdentityProvider(
      server,
      `http://127.0.0.1:${port}`,
      { key: a.privateKey, kid: 'test-key-1' },
      { key: b.privateKey, kid: 'test-key-2' },
      fetches,
      rotated,
    );
  }

  async token(options: TokenOptions): Promise<string> {
    const now = Math.floor((options.now?.getTime() ?? Date.now()) / 1000);
    const signer =
      options.key === 'unpublished' || options.key === 'forged' ? this.unpublished.key : this.published.key;
    const kid = options.key === 'unpublished' ? this.unpublished.kid : this.published.kid;
    const jwt = new SignJWT({
      tid: options.tenantId,
      oid: options.userId ?? `user-${options.tenantId.slice(0, 8)}`,
      name: options.name ?? 'Test User',
      roles: options.roles ?? [],
      ver: '2.0',
    })
      .setProtectedHeader({ alg: 'RS256', kid, typ: 'JWT' })
      .setIssuer(options.issuer ?? `${this.authorityHost}/${options.tenantId}/v2.0`)
      .setAudience(options.audience ?? TEST_AUDIENCE)
      .setIssuedAt(now - 300)
      .setExpirationTime(now + (options.expiresIn ?? 3600));
    if (options.notBeforeIn !== undefined) jwt.setNotBefore(now + options.notBeforeIn);
    return jwt.sign(signer);
  }

  /** A token with `alg: none` and no signature. */
  unsignedToken(options: TokenOptions): string {
    const now = Math.floor(Date.now() / 1000);
    const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
    return `${part({ alg: 'none', typ: 'JWT' })}.${part({
      tid: options.tenantId,
      oid: options.userId ?? 'user',
      roles: options.roles ?? [],
      iss: `${this.authorityHost}/${options.tenantId}/v2.0`,
      aud: options.audience ?? TEST_AUDIENCE,
      iat: now,
      exp: now + 3600,
    })}.`;
  }

  /** Key rotation: from now on the JWKS also publishes the second key (tokens signed `unpublished` verify). */
  rotate(): void {
    this.rotated.value = true;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
