import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sampleRestoreRequest, sampleSettings } from './fixture';
import { ApiHarness, TENANT_B } from './harness';

/** Issue 6: POST /v1/protection, GET/PUT /v1/settings, POST /v1/notifications/read-all. */

let h: ApiHarness;
const tenant = (n: number) => `55555555-5555-4555-8555-${String(n).padStart(12, '0')}`;
const FULL = tenant(1);
const SMALL = tenant(2); // full plan, one licence
const EXCHANGE_ONLY = tenant(3);
const SETTINGS = tenant(4);
const BELL = tenant(5);

const admins = new Map<string, string>();
const admin = (tenantId: string) => admins.get(tenantId)!;

beforeAll(async () => {
  h = await ApiHarness.start();
  await h.seedTenant(FULL);
  await h.seedTenant(SMALL, { licences: 1 });
  await h.seedTenant(EXCHANGE_ONLY, { plan: 'exchange-only' });
  await h.seedTenant(SETTINGS);
  await h.seedTenant(BELL);
  await h.seedTenant(TENANT_B);
  const unprotected = { protected: false, state: 'discovered' as const };
  for (const t of [FULL, SMALL, EXCHANGE_ONLY]) {
    for (const user of ['amy', 'ben']) {
      await h.seedResource(t, 'mailbox', user, unprotected);
      await h.seedResource(t, 'onedrive', user, unprotected);
    }
    await h.seedResource(t, 'group', 'team-1', { ...unprotected, displayName: 'Team One' });
    await h.seedResource(t, 'site', 'contoso.sharepoint.com,sc-1,web-1', {
      ...unprotected,
      displayName: 'Team One site',
      groupId: 'team-1',
    });
  }
  await h.seedResource(TENANT_B, 'mailbox', 'bob');
  for (const t of [FULL, SMALL, EXCHANGE_ONLY, SETTINGS, BELL, TENANT_B]) {
    admins.set(t, await h.token({ tenantId: t, roles: ['Backup.Admin'], userId: 'ada', name: 'Ada Admin' }));
  }
}, 60_000);

afterAll(async () => {
  await h?.stop();
});

async function protectedIds(tenantId: string): Promise<string[]> {
  const ids: string[] = [];
  for await (const r of h.runtime.deps.resources.list(tenantId, { protectedOnly: true }))
    ids.push(r.resourceId);
  return ids.sort();
}

const licences = async (tenantId: string) =>
  (await h.call('getLicences', { token: admin(tenantId) })).json as { used: number; free: number };

describe('POST /v1/protection', () => {
  it("protects a user's mailbox and OneDrive for one licence, and a group, in one request", async () => {
    const result = await h.call('setProtection', {
      token: admin(FULL),
      body: { resourceIds: ['mailbox:amy', 'onedrive:amy', 'group:team-1'], enabled: true },
    });
    expect(result.status, result.text).toBe(200);
    expect(result.json.resources.map((r: { id: string; protected: boolean }) => [r.id, r.protected])).toEqual(
      [
        ['mailbox:amy', true],
        ['onedrive:amy', true],
        ['group:team-1', true],
      ],
    );
    expect(result.json.changed.sort()).toEqual(['group:team-1', 'mailbox:amy', 'onedrive:amy']);
    expect(result.json.licensed).toEqual(['amy']);
    expect(result.json.licences).toEqual({ plan: 'full', total: 100, used: 1, free: 99 });
    expect(await protectedIds(FULL)).toEqual(['group:team-1', 'mailbox:amy', 'onedrive:amy']);
    const dashboard = await h.call('getDashboard', { token: admin(FULL) });
    expect(dashboard.json.workloads.exchange.protected).toBe(1);
    expect(dashboard.json.workloads.onedrive.protected).toBe(1);
    expect(dashboard.json.workloads.groups.protected).toBe(1);

    // Again: nothing changes, no second licence.
    const again = await h.call('setProtection', {
      token: admin(FULL),
      body: { resourceIds: ['onedrive:amy'], enabled: true },
    });
    expect(again.json).toMatchObject({ changed: [], licensed: [], licences: { used: 1 } });
  });

  it('stops protecting a user (both resources) and frees the licence; backups are kept', async () => {
    const result = await h.call('setProtection', {
      token: admin(FULL),
      body: { resourceIds: ['mailbox:amy'], enabled: false },
    });
    expect(result.status, result.text).toBe(200);
    expect(result.json.changed.sort()).toEqual(['mailbox:amy', 'onedrive:amy']);
    expect(result.json.licences).toMatchObject({ used: 0, free: 100 });
    expect(await protectedIds(FULL)).toEqual(['group:team-1']);
  });

  it('refuses more users than free licences with 409 naming asked and free, changing nothing', async () => {
    const result = await h.call('setProtection', {
      token: admin(SMALL),
      body: { resourceIds: ['group:team-1', 'mailbox:amy', 'onedrive:ben'], enabled: true },
    });
    expect(result.status, result.text).toBe(409);
    expect(result.json.detail).toMatch(/2 user\(s\) asked, 1 of 1 free; nothing was enabled/);
    expect(result.json.errors).toEqual([{ field: 'body.resourceIds', message: '2 asked, 1 free' }]);
    expect(await protectedIds(SMALL)).toEqual([]);
    expect(await licences(SMALL)).toMatchObject({ used: 0, free: 1 });
  });

  it("refuses a mix with an unknown id or another tenant's id with 404 naming the field, changing nothing", async () => {
    const unknown = await h.call('setProtection', {
      token: admin(SMALL),
      body: { resourceIds: ['mailbox:amy', 'group:team-1', 'mailbox:nobody'], enabled: true },
    });
    const foreign = await h.call('setProtection', {
      token: admin(SMALL),
      body: { resourceIds: ['mailbox:amy', 'group:team-1', 'mailbox:bob'], enabled: true },
    });
    expect(unknown.status).toBe(404);
    expect(unknown.json.errors).toEqual([
      { field: 'body.resourceIds.2', message: 'mailbox:nobody: not found' },
    ]);
    expect(foreign.status).toBe(404);
    expect(foreign.text.replace('mailbox:bob', '<id>')).toBe(unknown.text.replace('mailbox:nobody', '<id>'));
    expect(await protectedIds(SMALL)).toEqual([]);
    expect(await licences(SMALL)).toMatchObject({ used: 0 });
    // Disabling a mix with an unknown id changes nothing either.
    await h.call('setProtection', {
      token: admin(SMALL),
      body: { resourceIds: ['group:team-1'], enabled: true },
    });
    const disable = await h.call('setProtection', {
      token: admin(SMALL),
      body: { resourceIds: ['group:team-1', 'site:nope'], enabled: false },
    });
    expect(disable.status).toBe(404);
    expect(disable.json.errors[0].field).toBe('body.resourceIds.1');
    expect(await protectedIds(SMALL)).toEqual(['group:team-1']);
  });

  it('on exchange-only refuses sites and groups with 409 (nothing changed) and protects mailboxes only', async () => {
    const refused = await h.call('setProtection', {
      token: admin(EXCHANGE_ONLY),
      body: { resourceIds: ['mailbox:amy', 'site:contoso.sharepoint.com,sc-1,web-1'], enabled: true },
    });
    expect(refused.status, refused.text).toBe(409);
    expect(refused.json.detail).toMatch(/not part of the exchange-only plan; nothing was changed/);
    expect(refused.json.errors.map((e: { field: string }) => e.field)).toEqual(['body.resourceIds.1']);
    expect(await protectedIds(EXCHANGE_ONLY)).toEqual([]);
    expect(await licences(EXCHANGE_ONLY)).toMatchObject({ used: 0 });

    const mailbox = await h.call('setProtection', {
      token: admin(EXCHANGE_ONLY),
      body: { resourceIds: ['onedrive:ben'], enabled: true },
    });
    expect(mailbox.status, mailbox.text).toBe(200);
    expect(mailbox.json.resources.map((r: { id: string }) => r.id)).toEqual(['mailbox:ben']);
    expect(mailbox.json.licences).toMatchObject({ plan: 'exchange-only', used: 1 });
    expect(await protectedIds(EXCHANGE_ONLY)).toEqual(['mailbox:ben']);
  });

  it('answers 400 naming the field for a malformed id or a missing `enabled`', async () => {
    const result = await h.call('setProtection', {
      token: admin(FULL),
      body: { resourceIds: ['mailbox:amy', 'not an id'] },
    });
    expect(result.status).toBe(400);
    expect(result.json.errors.map((e: { field: string }) => e.field).sort()).toEqual([
      'body.enabled',
      'body.resourceIds.1',
    ]);
  });
});

describe('GET/PUT /v1/settings', () => {
  it('round-trips the whole settings object, audits old and new contact, and codes go to the new contact', async () => {
    const reader = await h.token({ tenantId: SETTINGS, roles: ['Backup.Reader'] });
    const before = await h.call('getSettings', { token: reader });
    expect(before.json).toEqual(sampleSettings());

    const wanted = {
      autoProtect: { mailbox: true, onedrive: false, site: true, group: false },
      adminContactEmail: 'backup-admins@contoso.example',
      timeZone: 'America/New_York',
    };
    const put = await h.call('replaceSettings', { token: admin(SETTINGS), body: wanted });
    expect(put.status, put.text).toBe(200);
    expect(put.json).toEqual(wanted);
    expect((await h.call('getSettings', { token: reader })).json).toEqual(wanted);
    // Plan and licences are the operator's: untouched.
    expect(await h.runtime.deps.tenants.get(SETTINGS)).toMatchObject({
      plan: 'full',
      licences: 100,
      ...wanted,
    });

    const audit = await h.call('listAudit', {
      token: admin(SETTINGS),
      query: { action: 'settings.replace' },
    });
    expect(audit.json.items[0]).toMatchObject({
      action: 'settings.replace',
      outcome: 'succeeded',
      details: {
        oldAdminContactEmail: 'admin@example.com',
        newAdminContactEmail: 'backup-admins@contoso.example',
      },
    });

    // PATCH /v1/settings/auto-protect keeps working, and GET shows it.
    const patched = await h.call('updateAutoProtect', { token: admin(SETTINGS), body: { group: true } });
    expect(patched.status).toBe(200);
    expect((await h.call('getSettings', { token: reader })).json.autoProtect).toEqual({
      mailbox: true,
      onedrive: false,
      site: true,
      group: true,
    });

    // The next restore's verification code goes to the new contact.
    const resource = await h.seedResource(SETTINGS, 'mailbox', 'carol');
    const snapshot = await h.seedSnapshot(SETTINGS, resource.resourceId);
    const restore = await h.call('requestRestore', {
      token: admin(SETTINGS),
      body: sampleRestoreRequest(snapshot.snapshotId),
    });
    expect(restore.status, restore.text).toBe(202);
    expect(h.mailedCodes[h.mailedCodes.length - 1]!.to).toBe('backup-admins@contoso.example');
  });

  it('refuses a bad time zone, a bad email and a partial object with 400 naming each field, changing nothing', async () => {
    const before = await h.call('getSettings', { token: admin(SETTINGS) });
    const bad = await h.call('replaceSettings', {
      token: admin(SETTINGS),
      body: {
        autoProtect: { mailbox: true, onedrive: true, site: true },
        adminContactEmail: 'not-an-address',
        timeZone: 'Mars/Olympus_Mons',
      },
    });
    expect(bad.status).toBe(400);
    expect(bad.json.errors).toEqual(
      expect.arrayContaining([
        { field: 'body.autoProtect.group', message: expect.any(String) },
        { field: 'body.adminContactEmail', message: 'expected an email address' },
        { field: 'body.timeZone', message: 'expected an IANA time zone, e.g. Europe/Amsterdam' },
      ]),
    );
    const partial = await h.call('replaceSettings', {
      token: admin(SETTINGS),
      body: { timeZone: 'Europe/Paris' },
    });
    expect(partial.status).toBe(400);
    expect(partial.json.errors.map((e: { field: string }) => e.field).sort()).toEqual([
      'body.adminContactEmail',
      'body.autoProtect',
    ]);
    expect((await h.call('getSettings', { token: admin(SETTINGS) })).json).toEqual(before.json);
  });
});

describe('POST /v1/notifications/read-all', () => {
  it('marks every unread notification read (or one severity) and the dashboard counts drop to 0', async () => {
    const store = h.runtime.deps.notificationStore;
    await store.raise({
      tenantId: BELL,
      severity: 'red',
      category: 'resource-gone',
      resourceId: 'mailbox:amy',
      message: 'The protected mailbox amy is gone.',
    });
    await store.raise({
      tenantId: BELL,
      severity: 'yellow',
      category: 'available-to-add',
      resourceId: 'mailbox:ben',
      message: 'A new mailbox ben is available to add.',
    });
    // More than one transaction's worth (100) of information.
    for (let i = 0; i < 130; i++) {
      await store.inform({
        tenantId: BELL,
        severity: 'blue',
        category: 'protection-added',
        message: `Mailbox ${i} was added to the subscription.`,
      });
    }
    await store.inform({ tenantId: TENANT_B, severity: 'blue', category: 'protection-added', message: 'B' });
    const unread = async (t: string) =>
      (await h.call('getDashboard', { token: admin(t) })).json.unreadNotifications;
    expect(await unread(BELL)).toEqual({ red: 1, yellow: 1, blue: 130, green: 0 });

    const blue = await h.call('markAllNotificationsRead', {
      token: admin(BELL),
      query: { severity: 'blue' },
    });
    expect(blue.status, blue.text).toBe(200);
    expect(blue.json).toEqual({ marked: 130 });
    expect(await unread(BELL)).toEqual({ red: 1, yellow: 1, blue: 0, green: 0 });

    const all = await h.call('markAllNotificationsRead', { token: admin(BELL) });
    expect(all.json).toEqual({ marked: 2 });
    expect(await unread(BELL)).toEqual({ red: 0, yellow: 0, blue: 0, green: 0 });
    const list = await h.call('listNotifications', { token: admin(BELL), query: { unread: 'true' } });
    expect(list.json.items).toEqual([]);
    // Read is not resolved: the red alert stays open until its condition clears.
    const open = await h.call('listNotifications', { token: admin(BELL), query: { open: 'true' } });
    expect(open.json.items.map((n: { severity: string; read: boolean }) => [n.severity, n.read])).toEqual(
      expect.arrayContaining([['red', true]]),
    );

    expect((await h.call('markAllNotificationsRead', { token: admin(BELL) })).json).toEqual({ marked: 0 });
    // Another tenant's bell is its own.
    expect(await unread(TENANT_B)).toMatchObject({ blue: 1 });
    const reader = await h.token({ tenantId: BELL, roles: ['Backup.Reader'] });
    expect((await h.call('markAllNotificationsRead', { token: reader })).status).toBe(403);
  });
});
