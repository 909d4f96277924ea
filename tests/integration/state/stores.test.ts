import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAzurite, type RunningAzurite } from '../../../dev/azurite';
import { testSettings } from '../../support/settings';
import { ResourceStore } from '../../../shared/resources/resource-store';
import type { Resource } from '../../../shared/resources/resource';
import { ResourceLeases } from '../../../shared/storage/resource-lease';
import { createStorageClients, type StorageClients } from '../../../shared/storage/storage-clients';
import { Tables } from '../../../shared/storage/tables';
import { TenantStore } from '../../../shared/tenants/tenant-store';
import type { Tenant } from '../../../shared/tenants/tenant';

describe('state stores on Azurite', () => {
  let azurite: RunningAzurite;
  let storage: StorageClients;
  beforeAll(async () => {
    azurite = await startAzurite();
    storage = createStorageClients(testSettings({ AzureWebJobsStorage: azurite.connectionString }));
  });
  afterAll(async () => {
    await azurite?.stop();
  });

  const tenant = (id: string, status: Tenant['status']): Tenant => ({
    tenantId: id,
    displayName: `Customer ${id}`,
    plan: 'full',
    licences: 10,
    premiumSupport: false,
    adminContactEmail: 'admin@example.com',
    timeZone: 'Europe/Amsterdam',
    status,
    autoProtect: { mailbox: true, onedrive: true, site: false, group: false },
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:00.000Z',
  });

  it('stores tenants and lists them by status', async () => {
    const tenants = new TenantStore(new Tables(storage));
    await tenants.put(tenant('t-active', 'active'));
    await tenants.put(tenant('t-suspended', 'suspended'));
    const active = [];
    for await (const t of tenants.list('active')) active.push(t.tenantId);
    expect(active).toEqual(['t-active']);
    expect((await tenants.get('t-suspended')).autoProtect.mailbox).toBe(true);
    await expect(tenants.get('nope')).rejects.toMatchObject({ code: 'not-found' });
  });

  it('keeps every one of concurrent tenant changes to different fields, and a refused change writes nothing', async () => {
    const tenants = new TenantStore(new Tables(storage));
    await tenants.put(tenant('t-busy', 'active'));
    // An admin turning on auto-protect for sites and groups while an operator raises licences and
    // another admin request turns off OneDrive: with whole-record writes one of them was lost.
    await Promise.all([
      tenants.modify('t-busy', (t) => ({ ...t, autoProtect: { ...t.autoProtect, site: true } })),
      tenants.modify('t-busy', (t) => ({ ...t, autoProtect: { ...t.autoProtect, group: true } })),
      tenants.modify('t-busy', (t) => ({ ...t, autoProtect: { ...t.autoProtect, onedrive: false } })),
      tenants.modify('t-busy', (t) => ({ ...t, licences: 250 })),
    ]);
    const after = await tenants.get('t-busy');
    expect(after.autoProtect).toEqual({ mailbox: true, onedrive: false, site: true, group: true });
    expect(after.licences).toBe(250);

    await tenants.put(tenant('t-gone', 'offboarded'));
    await expect(
      tenants.modify('t-gone', (t) => {
        if (t.status === 'offboarded') throw new Error('offboarded');
        return { ...t, licences: 1 };
      }),
    ).rejects.toThrow('offboarded');
    expect((await tenants.get('t-gone')).licences).toBe(10);
    await expect(tenants.modify('nope', (t) => t)).rejects.toMatchObject({ code: 'not-found' });
  });

  it('stores resources per tenant, merges updates, and filters protected ones', async () => {
    const resources = new ResourceStore(new Tables(storage));
    const base: Resource = {
      tenantId: 't1',
      resourceId: 'mailbox:u1',
      kind: 'mailbox',
      graphId: 'u1',
      displayName: 'Zoë Müller',
      address: 'zoe@contoso.com',
      state: 'discovered',
      protected: false,
      firstSeenAt: '2026-01-01T00:00:00.000Z',
      lastSeenAt: '2026-01-01T00:00:00.000Z',
      consecutiveFailures: 0,
    };
    await resources.put(base);
    await resources.put({
      ...base,
      resourceId: 'onedrive:u1',
      kind: 'onedrive',
      protected: true,
      state: 'protected',
    });
    await resources.put({ ...base, tenantId: 't2', protected: true });
    await resources.update('t1', 'mailbox:u1', { protected: true, state: 'protected' });
    const protectedIds = [];
    for await (const r of resources.list('t1', { protectedOnly: true })) protectedIds.push(r.resourceId);
    expect(protectedIds.sort()).toEqual(['mailbox:u1', 'onedrive:u1']);
    const mailbox = await resources.get('t1', 'mailbox:u1');
    expect(mailbox).toMatchObject({ displayName: 'Zoë Müller', state: 'protected', consecutiveFailures: 0 });
  });

  it('gives a resource lease to one holder at a time', async () => {
    const leases = new ResourceLeases(storage.blobs, { durationSeconds: 15 });
    const first = await leases.tryAcquire('t1', 'site:contoso.sharepoint.com,a,b');
    expect(first).toBeDefined();
    expect(await leases.tryAcquire('t1', 'site:contoso.sharepoint.com,a,b')).toBeUndefined();
    // Another resource is independent.
    const other = await leases.tryAcquire('t1', 'mailbox:u1');
    expect(other).toBeDefined();
    await first!.release();
    const second = await leases.tryAcquire('t1', 'site:contoso.sharepoint.com,a,b');
    expect(second).toBeDefined();
    await second!.release();
    await other!.release();
  });
});
