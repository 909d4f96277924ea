import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allEndpoints } from '../../../shared/api/endpoints/openapi-document';
import type { Endpoint } from '../../../shared/api/endpoint';
import { ApiHarness, PROVIDER, STRANGER, TENANT_A, TENANT_B } from './harness';
import { foreignIds, seedFixture, validRequests, type ApiFixture } from './fixture';

type Case =
  | 'no token'
  | 'expired'
  | 'wrong audience'
  | 'wrong issuer'
  | 'bad signature'
  | 'unknown kid'
  | 'alg none'
  | 'not yet valid'
  | 'reader'
  | 'admin'
  | 'operator'
  | "another tenant's admin"
  | 'not a customer'
  | 'no role';

const cases: Case[] = [
  'no token',
  'expired',
  'wrong audience',
  'wrong issuer',
  'bad signature',
  'unknown kid',
  'alg none',
  'not yet valid',
  'reader',
  'admin',
  'operator',
  "another tenant's admin",
  'not a customer',
  'no role',
];

/** What each caller gets, derived from the endpoint's declared access. */
function expected(endpoint: Endpoint, c: Case): number {
  const ok = 'schema' in endpoint.response ? endpoint.response.status : 200;
  if (endpoint.access === 'public') return ok;
  switch (c) {
    case 'no token':
    case 'expired':
    case 'wrong audience':
    case 'wrong issuer':
    case 'bad signature':
    case 'unknown kid':
    case 'alg none':
    case 'not yet valid':
      return 401;
    case 'not a customer':
    case 'no role':
      return 403;
    case 'reader':
      return endpoint.access === 'reader' || endpoint.access === 'signed-in' ? ok : 403;
    case 'admin':
      return endpoint.access === 'operator' ? 403 : ok;
    case 'operator':
      return endpoint.access === 'operator' || endpoint.access === 'signed-in' ? ok : 403;
    case "another tenant's admin":
      if (endpoint.access === 'operator') return 403;
      return foreignIds(endpoint.operationId, fixture) ? 404 : ok;
  }
}

let h: ApiHarness;
let fixture: ApiFixture;
const tokens = new Map<Case, string | undefined>();

beforeAll(async () => {
  h = await ApiHarness.start();
  fixture = await seedFixture(h);
  const t = (o: Parameters<ApiHarness['token']>[0]) => h.token(o);
  tokens.set('no token', undefined);
  tokens.set('expired', await t({ tenantId: TENANT_A, roles: ['Backup.Admin'], expiresIn: -600 }));
  tokens.set(
    'wrong audience',
    await t({ tenantId: TENANT_A, roles: ['Backup.Admin'], audience: 'api://someone-else' }),
  );
  tokens.set(
    'wrong issuer',
    await t({
      tenantId: TENANT_A,
      roles: ['Backup.Admin'],
      issuer: `${h.idp.authorityHost}/${TENANT_B}/v2.0`,
    }),
  );
  tokens.set('bad signature', await t({ tenantId: TENANT_A, roles: ['Backup.Admin'], key: 'forged' }));
  tokens.set('unknown kid', await t({ tenantId: TENANT_A, roles: ['Backup.Admin'], key: 'unpublished' }));
  tokens.set('alg none', h.idp.unsignedToken({ tenantId: TENANT_A, roles: ['Backup.Admin'] }));
  tokens.set('not yet valid', await t({ tenantId: TENANT_A, roles: ['Backup.Admin'], notBeforeIn: 600 }));
  tokens.set('reader', await t({ tenantId: TENANT_A, roles: ['Backup.Reader'] }));
  tokens.set('admin', await t({ tenantId: TENANT_A, roles: ['Backup.Admin'] }));
  tokens.set('operator', await t({ tenantId: PROVIDER, roles: ['Backup.Operator'] }));
  tokens.set(
    "another tenant's admin",
    await t({ tenantId: TENANT_B, roles: ['Backup.Admin'], userId: 'b-admin' }),
  );
  tokens.set('not a customer', await t({ tenantId: STRANGER, roles: ['Backup.Admin', 'Backup.Operator'] }));
  tokens.set('no role', await t({ tenantId: TENANT_A, roles: ['Something.Else'] }));
}, 60_000);

afterAll(async () => {
  await h?.stop();
});

describe('authorisation matrix (generated from the endpoint registry)', () => {
  it('has a valid sample request for every registered endpoint', () => {
    expect(allEndpoints.map((e) => e.operationId).sort()).toEqual(Object.keys(validRequests).sort());
  });

  for (const endpoint of allEndpoints) {
    it(`${endpoint.method} /${endpoint.route} (${endpoint.access})`, async () => {
      const rows: string[] = [];
      for (const c of cases) {
        const request = validRequests[endpoint.operationId]!(fixture);
        const result = await h.call(endpoint.operationId, { ...request, token: tokens.get(c) });
        const want = expected(endpoint, c);
        rows.push(
          `${c}: ${result.status}${result.status === want ? '' : ` (expected ${want}) ${result.text.slice(0, 200)}`}`,
        );
        if (result.status >= 400) {
          expect(result.headers['content-type']).toBe('application/problem+json');
          expect(result.json.status).toBe(result.status);
          expect(result.text).not.toMatch(/at \w+ \(|node_modules|\.ts:\d+/);
        }
        if (result.status === 401) expect(result.headers['www-authenticate']).toMatch(/^Bearer/);
      }
      expect(rows.filter((r) => r.includes('expected'))).toEqual([]);
    });
  }
});

describe("another tenant's ids", () => {
  const missing: Record<string, string> = {};

  for (const endpoint of allEndpoints) {
    it(`${endpoint.operationId}: a foreign id answers exactly like a missing one`, async () => {
      const foreign = foreignIds(endpoint.operationId, fixture);
      if (!foreign) return;
      const token = tokens.get("another tenant's admin");
      const request = validRequests[endpoint.operationId]!(fixture);
      const foreignResult = await h.call(endpoint.operationId, { ...request, params: foreign, token });
      // The same kind of id that exists nowhere: tenant B's own id shape with another value.
      const nowhere = Object.fromEntries(
        Object.entries(foreign).map(([k, v]) => {
          missing[v] ??= k === 'id' && v.startsWith('mailbox:') ? 'mailbox:nobody' : swapTenant(v);
          return [k, missing[v]!];
        }),
      );
      const missingResult = await h.call(endpoint.operationId, { ...request, params: nowhere, token });
      expect(foreignResult.status).toBe(404);
      expect(missingResult.status).toBe(404);
      const normalise = (text: string, ids: Record<string, string>) =>
        Object.values(ids).reduce(
          (t, id) => t.split(encodeURIComponent(id)).join('<id>').split(id).join('<id>'),
          text,
        );
      expect(normalise(foreignResult.text, foreign)).toBe(normalise(missingResult.text, nowhere));
      // Nothing of tenant A's (names, addresses) leaks; only the id the caller sent is echoed.
      expect(foreignResult.text).not.toMatch(/alice@example\.com|mailbox alice|Quarterly/);
    });
  }
});

/** An opaque id of tenant B's that does not exist (same encoding, B's tenant, a new row). */
function swapTenant(id: string): string {
  const text = Buffer.from(id, 'base64url').toString('utf8');
  if (text.startsWith(`${TENANT_A}\n`)) {
    return Buffer.from(text.replace(TENANT_A, TENANT_B).replace(/\|[0-9a-f]+$/, '|000000'), 'utf8').toString(
      'base64url',
    );
  }
  return Buffer.from('no-such-item', 'utf8').toString('base64url');
}
