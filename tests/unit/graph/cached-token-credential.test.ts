import type { AccessToken, GetTokenOptions, TokenCredential } from '@azure/identity';
import { describe, expect, it } from 'vitest';
import {
  CachedTokenCredential,
  TOKEN_REFRESH_MARGIN_MS,
} from '../../../shared/graph/cached-token-credential';

const HOUR = 3600_000;

/** An identity provider that issues numbered tokens valid for an hour from its clock's time. */
function identityProvider(clock: { now: number }) {
  const asks: { scopes: string | string[]; options?: GetTokenOptions }[] = [];
  let failNext = false;
  const credential: TokenCredential = {
    async getToken(scopes, options) {
      asks.push({ scopes, ...(options ? { options } : {}) });
      if (failNext) {
        failNext = false;
        throw new Error('AADSTS7000215: invalid client secret');
      }
      return { token: `token-${asks.length}`, expiresOnTimestamp: clock.now + HOUR } satisfies AccessToken;
    },
  };
  return {
    credential,
    asks,
    failOnce: () => {
      failNext = true;
    },
  };
}

describe('CachedTokenCredential', () => {
  it('asks the identity provider once per token lifetime, not once per Graph request', async () => {
    const clock = { now: 1_000_000 };
    const idp = identityProvider(clock);
    const cached = new CachedTokenCredential(idp.credential, () => clock.now);
    const scopes = ['https://graph.microsoft.com/.default'];

    const first = await cached.getToken(scopes);
    clock.now += HOUR - TOKEN_REFRESH_MARGIN_MS - 1;
    const stillFirst = await cached.getToken(scopes);
    expect(first?.token).toBe('token-1');
    expect(stillFirst?.token).toBe('token-1');
    expect(idp.asks).toHaveLength(1);

    clock.now += 1; // five minutes before expiry: replaced
    expect((await cached.getToken(scopes))?.token).toBe('token-2');
    expect(idp.asks).toHaveLength(2);
  });

  it('refreshes at the token’s own refresh time when it gives one', async () => {
    const clock = { now: 0 };
    const credential: TokenCredential = {
      getToken: async () => ({
        token: `t${clock.now}`,
        expiresOnTimestamp: clock.now + HOUR,
        refreshAfterTimestamp: clock.now + 60_000,
      }),
    };
    const cached = new CachedTokenCredential(credential, () => clock.now);
    expect((await cached.getToken('scope'))?.token).toBe('t0');
    clock.now = 60_000;
    expect((await cached.getToken('scope'))?.token).toBe('t60000');
  });

  it('shares one refresh among concurrent requests, and does not keep a failure', async () => {
    const clock = { now: 0 };
    const idp = identityProvider(clock);
    const cached = new CachedTokenCredential(idp.credential, () => clock.now);

    idp.failOnce();
    const failed = await Promise.allSettled([
      cached.getToken('s'),
      cached.getToken('s'),
      cached.getToken('s'),
    ]);
    expect(failed.map((r) => r.status)).toEqual(['rejected', 'rejected', 'rejected']);
    expect(idp.asks).toHaveLength(1);

    const tokens = await Promise.all([cached.getToken('s'), cached.getToken('s')]);
    expect(tokens.map((t) => t?.token)).toEqual(['token-2', 'token-2']);
    expect(idp.asks).toHaveLength(2);
  });

  it('passes claims challenges and other scopes through to the identity provider', async () => {
    const clock = { now: 0 };
    const idp = identityProvider(clock);
    const cached = new CachedTokenCredential(idp.credential, () => clock.now);

    await cached.getToken('a');
    expect((await cached.getToken('a', { claims: 'eyJhY2Nlc3NfdG9rZW4iOnt9fQ==' }))?.token).toBe('token-2');
    expect((await cached.getToken('b'))?.token).toBe('token-3');
    expect((await cached.getToken('a'))?.token).toBe('token-1');
    expect(idp.asks.map((a) => a.scopes)).toEqual(['a', 'a', 'b']);
  });
});
