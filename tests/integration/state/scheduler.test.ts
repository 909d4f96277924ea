import { QueueClient } from '@azure/storage-queue';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAzurite, type RunningAzurite } from '../../../dev/azurite';
import { backUpNow, startScheduledRun, tenantOffsetSeconds } from '../../../shared/backup/scheduler';
import { snapshotJobSchema } from '../../../shared/backup/snapshot-job';
import { testSettings } from '../../support/settings';
import { QueueNames, StorageJobQueue } from '../../../shared/queues/job-queues';
import type { Resource } from '../../../shared/resources/resource';
import { ResourceStore } from '../../../shared/resources/resource-store';
import { createStorageClients, type StorageClients } from '../../../shared/storage/storage-clients';
import { Tables } from '../../../shared/storage/tables';
import type { Tenant } from '../../../shared/tenants/tenant';
import { TenantStore } from '../../../shared/tenants/tenant-store';
import { ManualClock } from '../../../shared/time/clock';

describe('snapshot scheduling', () => {
  let azurite: RunningAzurite;
  let storage: StorageClients;
  let tenants: TenantStore;
  let resources: ResourceStore;

  const tenant = (tenantId: string, status: Tenant['status']): Tenant => ({
    tenantId,
    displayName: tenantId,
    plan: 'full',
    licences: 5,
    premiumSupport: false,
    adminContactEmail: 'admin@example.com',
    timeZone: 'UTC',
    status,
    autoProtect: { mailbox: false, onedrive: false, site: false, group: false },
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:00.000Z',
  });
  const resource = (tenantId: string, resourceId: string, fields: Partial<Resource> = {}): Resource => ({
    tenantId,
    resourceId,
    kind: 'mailbox',
    graphId: resourceId.split(':')[1]!,
    displayName: resourceId,
    address: `${resourceId}@example.com`,
    state: 'protected',
    protected: true,
    firstSeenAt: '2026-01-01T00:00:00.000Z',
    lastSeenAt: '2026-01-01T00:00:00.000Z',
    consecutiveFailures: 0,
    ...fields,
  });

  /** Every message on the queue, visible or not yet (peeking ignores delays, so read them raw). */
  async function drain(): Promise<unknown[]> {
    const queue = new QueueClient(azurite.connectionString, QueueNames.snapshotJobs);
    const messages: unknown[] = [];
    for (;;) {
      const batch = await queue.receiveMessages({ numberOfMessages: 32, visibilityTimeout: 60 });
      if (batch.receivedMessageItems.length === 0) break;
      for (const m of batch.receivedMessageItems) {
        messages.push(JSON.parse(Buffer.from(m.messageText, 'base64').toString('utf8')));
        await queue.deleteMessage(m.messageId, m.popReceipt);
      }
    }
    return messages;
  }

  beforeAll(async () => {
    azurite = await startAzurite();
    storage = createStorageClients(testSettings({ AzureWebJobsStorage: azurite.connectionString }));
    const tables = new Tables(storage);
    tenants = new TenantStore(tables);
    resources = new ResourceStore(tables);
    await tenants.put(tenant('active-a', 'active'));
    await tenants.put(tenant('active-b', 'active'));
    await tenants.put(tenant('suspended', 'suspended'));
    await resources.put(resource('active-a', 'mailbox:a1'));
    await resources.put(resource('active-a', 'onedrive:a1', { kind: 'onedrive' }));
    await resources.put(resource('active-a', 'mailbox:a2', { protected: false, state: 'discovered' }));
    await resources.put(resource('active-a', 'mailbox:a3', { state: 'gone' }));
    await resources.put(resource('active-b', 'mailbox:b1'));
    await resources.put(resource('suspended', 'mailbox:s1'));
  });
  afterAll(async () => {
    await azurite?.stop();
  });

  it('enqueues one job per protected, present resource of every active tenant, and nothing for suspended ones', async () => {
    const clock = new ManualClock(new Date('2026-11-22T06:00:00Z'));
    // No spread, so every message is visible at once for the assertion.
    const run = await startScheduledRun({
      tenants,
      resources,
      queue: new StorageJobQueue(storage.queues),
      clock,
      spreadSeconds: 0,
      staggerSeconds: 0,
    });
    expect(run).toMatchObject({ tenants: 2, jobs: 3 });
    const jobs = (await drain()).map((m) => snapshotJobSchema.parse(m));
    expect(jobs.map((j) => `${j.tenantId}/${j.resourceId}`).sort()).toEqual([
      'active-a/mailbox:a1',
      'active-a/onedrive:a1',
      'active-b/mailbox:b1',
    ]);
    expect(new Set(jobs.map((j) => j.runId))).toEqual(new Set(['schedule-2026-11-22T06:00:00.000Z']));
    expect(jobs.every((j) => j.reason === 'schedule')).toBe(true);
  });

  it('spreads tenants over the window, the same way every run', () => {
    const offsets = ['t1', 't2', 't3', 't4', 't5', 't6'].map((t) => tenantOffsetSeconds(t, 300));
    expect(offsets.every((o) => o >= 0 && o < 300)).toBe(true);
    expect(new Set(offsets).size).toBeGreaterThan(3);
    expect(tenantOffsetSeconds('t1', 300)).toBe(offsets[0]);
  });

  it('"back up now" queues one resource at once, and refuses unprotected resources and suspended tenants', async () => {
    const deps = { tenants, resources, queue: new StorageJobQueue(storage.queues), clock: new ManualClock() };
    const run = await backUpNow(deps, 'active-a', 'mailbox:a1');
    expect(run.jobs).toBe(1);
    const [job] = (await drain()).map((m) => snapshotJobSchema.parse(m));
    expect(job).toMatchObject({ tenantId: 'active-a', resourceId: 'mailbox:a1', reason: 'manual' });

    await expect(backUpNow(deps, 'active-a', 'mailbox:a2')).rejects.toMatchObject({ code: 'conflict' });
    await expect(backUpNow(deps, 'suspended')).rejects.toMatchObject({ code: 'conflict' });
    await expect(backUpNow(deps, 'active-a', 'mailbox:nope')).rejects.toMatchObject({ code: 'not-found' });
    expect(await drain()).toEqual([]);

    const all = await backUpNow(deps, 'active-a');
    expect(all.jobs).toBe(2);
    expect((await drain()).length).toBe(2);
  });
});
