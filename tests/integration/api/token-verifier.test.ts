import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TokenVerifier } from '../../../shared/auth/token-verifier';
import { AppError } from '../../../shared/errors/app-error';
import { TEST_AUDIENCE, TestIdentityProvider } from '../../support/tokens';

const TENANT = '11111111-1111-4111-8111-111111111111';
let idp: TestIdentityProvider;

beforeAll(async () => {
  idp = await TestIdentityProvider.start();
});

afterAll(async () => {
  await idp?.stop();
});

describe('token verification against the authority’s JWKS', () => {
  it('fetches the key set once, serves later tokens from the cache, and picks up a rotated key on an unknown kid', async () => {
    const verifier = new TokenVerifier({
      authorityHost: idp.authorityHost,
      audience: TEST_AUDIENCE,
      jwksCooldownMs: 0,
    });
    const before = idp.fetches.count;
    for (let i = 0; i < 3; i++) {
      const token = await idp.token({ tenantId: TENANT, roles: ['Backup.Reader'], name: `User ${i}` });
      expect((await verifier.verify(`Bearer ${token}`)).userName).toBe(`User ${i}`);
    }
    expect(idp.fetches.count - before).toBe(1);

    const rotatedToken = await idp.token({ tenantId: TENANT, roles: ['Backup.Admin'], key: 'unpublished' });
    await expect(verifier.verify(`Bearer ${rotatedToken}`)).rejects.toBeInstanceOf(AppError);
    idp.rotate();
    const verified = await verifier.verify(`Bearer ${rotatedToken}`);
    expect(verified).toMatchObject({ tenantId: TENANT, roles: ['Backup.Admin'] });
  });

  it('accepts a token a little past its expiry (clock skew) but not one well past it', async () => {
    const verifier = new TokenVerifier({ authorityHost: idp.authorityHost, audience: TEST_AUDIENCE });
    const skewed = await idp.token({ tenantId: TENANT, roles: ['Backup.Reader'], expiresIn: -30 });
    await expect(verifier.verify(`Bearer ${skewed}`)).resolves.toMatchObject({ tenantId: TENANT });
    const expired = await idp.token({ tenantId: TENANT, roles: ['Backup.Reader'], expiresIn: -120 });
    await expect(verifier.verify(`Bearer ${expired}`)).rejects.toMatchObject({ code: 'unauthenticated' });
  });

  it('refuses headers that are not a bearer JWT without contacting the authority', async () => {
    const verifier = new TokenVerifier({ authorityHost: idp.authorityHost, audience: TEST_AUDIENCE });
    const before = idp.fetches.count;
    for (const header of [null, '', 'Basic dXNlcjpwYXNz', 'Bearer', 'Bearer a.b', 'Bearer not a token']) {
      await expect(verifier.verify(header)).rejects.toMatchObject({ code: 'unauthenticated' });
    }
    expect(idp.fetches.count).toBe(before);
  });
});
