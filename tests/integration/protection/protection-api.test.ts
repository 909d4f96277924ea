import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NotificationStore } from '../../../shared/notifications/notification-store';
import { ApiHarness, PROVIDER, TENANT_A } from '../api/harness';

/** Licences, protection and the bell through the portal API's real HTTP handlers. */
describe('protection and notifications API', () => {
  let h: ApiHarness;
  let admin: string;
  let reader: string;
  beforeAll(async () => {
    h = await ApiHarness.start();
    await h.seedTenant(TENANT_A, { licences: 1 });
    for (const user of ['u1', 'u2']) {
      await h.seedResource(TENANT_A, 'mailbox', user, { state: 'discovered', protected: false });
      await h.seedResource(TENANT_A, 'onedrive', user, { state: 'discovered', protected: false });
    }
    admin = await h.token({ tenantId: TENANT_A, roles: ['Backup.Admin'] });
    reader = await h.token({ tenantId: TENANT_A, roles: ['Backup.Reader'] });
  }, 60_000);
  afterAll(async () => {
    await h?.stop();
  });

  it('more users than free licences: 409 saying how many were asked and free, nothing enabled', async () => {
    const refused = await h.call('enableUserProtection', { token: admin, body: { userIds: ['u1', 'u2'] } });
    expect(refused.status).toBe(409);
    expect(refused.headers['content-type']).toBe('application/problem+json');
    expect(refused.json.detail).toMatch(/2 user\(s\) asked, 1 of 1 free; nothing was enabled/);
    expect((await h.call('getLicences', { token: reader })).json).toEqual({
      plan: 'full',
      total: 1,
      used: 0,
      free: 1,
    });
  });

  it('an admin protects a user (mailbox and OneDrive, one licence); a reader cannot', async () => {
    expect((await h.call('enableUserProtection', { token: reader, body: { userIds: ['u1'] } })).status).toBe(
      403,
    );
    const enabled = await h.call('enableUserProtection', { token: admin, body: { userIds: ['u1'] } });
    expect(enabled.status).toBe(200);
    expect(enabled.json.protected.sort()).toEqual(['mailbox:u1', 'onedrive:u1']);
    expect((await h.call('getLicences', { token: reader })).json).toMatchObject({ used: 1, free: 0 });
    const resource = await h.call('getResource', { token: reader, params: { id: 'mailbox:u1' } });
    expect(resource.json).toMatchObject({ protected: true, state: 'protected' });

    const disabled = await h.call('disableUserProtection', { token: admin, body: { userIds: ['u1'] } });
    expect(disabled.json.unprotected.sort()).toEqual(['mailbox:u1', 'onedrive:u1']);
    expect((await h.call('getLicences', { token: reader })).json).toMatchObject({ used: 0, free: 1 });
  });

  it('the bell lists open alerts for readers', async () => {
    const store = new NotificationStore(h.tables, () => new Date());
    await store.raise({
      tenantId: TENANT_A,
      severity: 'red',
      category: 'resource-gone',
      resourceId: 'mailbox:u2',
      message: 'Backed-up mailbox not found: u2',
    });
    await store.inform({
      tenantId: TENANT_A,
      severity: 'blue',
      category: 'protection-added',
      message: 'Added',
    });
    const open = await h.call('listNotifications', { token: reader, query: { open: 'true' } });
    expect(open.status).toBe(200);
    expect(open.json.items).toHaveLength(1);
    expect(open.json.items[0]).toMatchObject({
      severity: 'red',
      resourceId: 'mailbox:u2',
      read: false,
      resolved: false,
      message: 'Backed-up mailbox not found: u2',
    });
    const id = open.json.items[0].id as string;
    expect((await h.call('markNotificationRead', { token: reader, params: { id } })).status).toBe(403);
    expect((await h.call('markNotificationRead', { token: admin, params: { id } })).status).toBe(200);
    const unread = await h.call('listNotifications', { token: reader, query: { unread: 'true' } });
    expect(unread.json.items.map((n: { id: string }) => n.id)).not.toContain(id);
    const all = await h.call('listNotifications', { token: reader, query: {} });
    expect(all.json.items.map((n: { severity: string }) => n.severity).sort()).toEqual(['blue', 'red']);
  });

  it('an admin turns auto-protect on per kind; the rest stays as it was', async () => {
    const changed = await h.call('updateAutoProtect', { token: admin, body: { mailbox: true } });
    expect(changed.status).toBe(200);
    expect(changed.json).toEqual({ mailbox: true, onedrive: false, site: false, group: false });
    expect((await h.runtime.deps.tenants.get(TENANT_A)).autoProtect.mailbox).toBe(true);
    expect((await h.call('updateAutoProtect', { token: reader, body: { site: true } })).status).toBe(403);
  });

  it('"rescan now" queues one full discovery pass; clicks while it is pending fold into it', async () => {
    const first = await h.call('startDiscovery', { token: admin });
    expect(first.status).toBe(202);
    expect(first.json).toEqual({ queued: true });
    expect((await h.call('startDiscovery', { token: admin })).json).toEqual({ queued: false });
    expect((await h.call('startDiscovery', { token: reader })).status).toBe(403);
  });

  it("an operator gets a tenant's admin-consent link pointing back at the app's consent callback", async () => {
    const operator = await h.token({ tenantId: PROVIDER, roles: ['Backup.Operator'] });
    const answer = await h.call('createConsentLink', { token: operator, params: { id: TENANT_A } });
    expect(answer.status).toBe(200);
    const url = new URL(answer.json.url);
    expect(url.pathname).toBe(`/${TENANT_A}/v2.0/adminconsent`);
    expect(url.searchParams.get('redirect_uri')).toBe('http://127.0.0.1:7071/api/graph/admin-consent');
    expect(url.searchParams.get('state')).toMatch(/^[\w-]{43}$/);
    const again = await h.call('createConsentLink', { token: operator, params: { id: TENANT_A } });
    expect(new URL(again.json.url).searchParams.get('state')).not.toBe(url.searchParams.get('state'));
    expect((await h.call('createConsentLink', { token: admin, params: { id: TENANT_A } })).status).toBe(403);
  });
});
