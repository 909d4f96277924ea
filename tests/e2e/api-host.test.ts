import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot, startHost, type RunningHost } from '../support/host';
import { TEST_AUDIENCE } from '../support/tokens';
import { itemIdOf } from '../integration/api/fixture';
import { ApiHarness, PROVIDER, TENANT_A } from '../integration/api/harness';

// The real app (dist/functions/*.js) through the local host, with state in Azurite and tokens from
// a test identity provider the app's settings point at.
let h: ApiHarness;
let host: RunningHost;
let snapshotId: string;

beforeAll(async () => {
  h = await ApiHarness.start();
  await h.seedTenant(TENANT_A);
  const resource = await h.seedResource(TENANT_A, 'mailbox', 'alice');
  snapshotId = (await h.seedSnapshot(TENANT_A, resource.resourceId)).snapshotId;
  host = await startHost({
    scriptRoot: repoRoot,
    settingsFile: path.join(repoRoot, 'local.settings.sample.json'),
    env: {
      AzureWebJobsStorage: h.azurite.connectionString,
      ENTRA_AUTHORITY_HOST: h.idp.authorityHost,
      PORTAL_API_AUDIENCE: TEST_AUDIENCE,
      PROVIDER_TENANT_ID: PROVIDER,
    },
  });
}, 90_000);

afterAll(async () => {
  await host?.stop();
  await h?.stop();
});

/** `name: httpTrigger [GET] http://127.0.0.1:port/api/v1/...` lines the host prints at start. */
function hostRoutes(): string[] {
  return [...host.output().matchAll(/(\S+): httpTrigger \[([A-Z,]+)\] (\S+)/g)].flatMap(
    ([, , methods, url]) => methods!.split(',').map((m) => `${m} ${url!.slice(`${host.url}/api`.length)}`),
  );
}

describe('the portal API through the local host', () => {
  it('serves an OpenAPI document anonymously that lists exactly the HTTP routes the host registered', async () => {
    const response = await fetch(`${host.url}/api/openapi.json`);
    expect(response.status).toBe(200);
    const doc = (await response.json()) as {
      openapi: string;
      paths: Record<string, Record<string, unknown>>;
    };
    expect(doc.openapi).toBe('3.1.0');
    const documented = Object.entries(doc.paths).flatMap(([p, item]) =>
      Object.keys(item).map((m) => `${m.toUpperCase()} ${p}`),
    );
    // The health probe and the routes Microsoft calls (Graph's webhook, Entra's consent redirect) are not part of the API.
    const registered = hostRoutes().filter((r) => r !== 'GET /health' && !/^[A-Z]+ \/graph\//.test(r));
    expect(registered.length).toBeGreaterThan(20);
    expect(documented.sort()).toEqual(registered.sort());
  });

  it('answers a signed-in user, and 401 problem+json without a token', async () => {
    const token = await h.token({ tenantId: TENANT_A, roles: ['Backup.Reader'], name: 'Rex' });
    const me = await fetch(`${host.url}/api/v1/me`, { headers: { authorization: `Bearer ${token}` } });
    expect(me.status).toBe(200);
    expect(((await me.json()) as { user: { name: string } }).user.name).toBe('Rex');
    const anonymous = await fetch(`${host.url}/api/v1/me`);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('content-type')).toBe('application/problem+json');
    expect(anonymous.headers.get('www-authenticate')).toMatch(/^Bearer/);
  });

  it('streams a download with its name and type, and audits it with the client address', async () => {
    const token = await h.token({ tenantId: TENANT_A, roles: ['Backup.Admin'], name: 'Ada' });
    const url = `${host.url}/api/v1/snapshots/${snapshotId}/items/${itemIdOf('AAMkAD/1+x=', ['Inbox'])}/content`;
    const response = await fetch(url, {
      headers: { authorization: `Bearer ${token}`, 'x-forwarded-for': '198.51.100.4' },
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('message/rfc822');
    expect(response.headers.get('content-disposition')).toContain('Quarterly report.eml');
    expect(await response.text()).toContain('Subject: Quarterly report');
    const audit = await fetch(`${host.url}/api/v1/audit?action=snapshot.item.download`, {
      headers: { authorization: `Bearer ${token}` },
    });
    const records = (await audit.json()) as { items: { address: string; actor: { userName: string } }[] };
    expect(records.items[0]).toMatchObject({ address: '198.51.100.4', actor: { userName: 'Ada' } });
  });

  it('answers 400 naming the field for a bad query, through the real host', async () => {
    const token = await h.token({ tenantId: TENANT_A, roles: ['Backup.Reader'] });
    const response = await fetch(`${host.url}/api/v1/resources?limit=500`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(response.status).toBe(400);
    const problem = (await response.json()) as { errors: { field: string }[] };
    expect(problem.errors.map((e) => e.field)).toEqual(['query.limit']);
  });

  it('gives an admin an import upload link, and refuses what was uploaded with the reason, through the real app', async () => {
    const token = await h.token({ tenantId: TENANT_A, roles: ['Backup.Admin'] });
    const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    const link = await fetch(`${host.url}/api/v1/imports/uploads`, { method: 'POST', headers });
    expect(link.status).toBe(201);
    const upload = (await link.json()) as { uploadId: string; url: string; headers: Record<string, string> };
    const put = await fetch(upload.url, { method: 'PUT', headers: upload.headers, body: 'not a zip at all' });
    expect(put.status).toBe(201);
    const refused = await fetch(`${host.url}/api/v1/imports`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ uploadId: upload.uploadId }),
    });
    expect(refused.status).toBe(400);
    const problem = (await refused.json()) as { detail: string; errors: { field: string }[] };
    expect(problem.detail).toMatch(/not a readable zip/);
    expect(problem.errors.map((e) => e.field)).toEqual(['body.uploadId']);
    const restores = await fetch(`${host.url}/api/v1/restores`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(((await restores.json()) as { items: unknown[] }).items).toEqual([]);
  });
});
