import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startScheduledRun } from '../../../shared/backup/scheduler';
import type { SnapshotJob } from '../../../shared/backup/snapshot-job';
import { QueueNames } from '../../../shared/queues/job-queues';
import { ApiHarness, TENANT_A, TENANT_B } from '../api/harness';

const SITE = 'site:contoso.sharepoint.com,sc-10,web-10';
const TEAM_SITE = 'site:contoso.sharepoint.com,sc-20,web-20';
const GROUP = 'group:g-20';

/** Collaboration (sites and groups) through the portal API's real HTTP handlers. */
describe('collaboration API: sites and groups', () => {
  let h: ApiHarness;
  let admin: string;
  let reader: string;
  let adminB: string;

  const resource = async (id: string) =>
    (await h.call('getResource', { token: reader, params: { id } })).json;

  /** The snapshot jobs queued so far, for one tenant. */
  async function queuedJobs(tenantId: string): Promise<SnapshotJob[]> {
    const queue = h.storage.queues.getQueueClient(QueueNames.snapshotJobs);
    const jobs: SnapshotJob[] = [];
    // Scheduled jobs are queued with a delay: receive is blind to them, so read every message.
    for (let i = 0; i < 10; i++) {
      const batch = await queue.receiveMessages({ numberOfMessages: 32, visibilityTimeout: 60 });
      if (batch.receivedMessageItems.length === 0) break;
      for (const m of batch.receivedMessageItems) {
        jobs.push(JSON.parse(Buffer.from(m.messageText, 'base64').toString('utf8')) as SnapshotJob);
      }
    }
    return jobs.filter((j) => j.tenantId === tenantId);
  }

  beforeAll(async () => {
    h = await ApiHarness.start();
    await h.seedTenant(TENANT_A, { licences: 1 });
    await h.seedTenant(TENANT_B, { plan: 'exchange-only' });
    const unprotected = { state: 'discovered' as const, protected: false };
    await h.seedResource(TENANT_A, 'mailbox', 'u1', unprotected);
    await h.seedResource(TENANT_A, 'site', 'contoso.sharepoint.com,sc-10,web-10', {
      ...unprotected,
      displayName: 'Finance',
      address: 'https://contoso.sharepoint.com/sites/finance',
    });
    await h.seedResource(TENANT_A, 'site', 'contoso.sharepoint.com,sc-20,web-20', {
      ...unprotected,
      displayName: 'Marketing',
      address: 'https://contoso.sharepoint.com/sites/marketing',
      groupId: 'g-20',
    });
    await h.seedResource(TENANT_A, 'group', 'g-20', {
      ...unprotected,
      displayName: 'Marketing',
      address: 'marketing@contoso.example',
    });
    await h.seedResource(TENANT_B, 'site', 'fabrikam.sharepoint.com,sc-1,web-1', unprotected);
    admin = await h.token({ tenantId: TENANT_A, roles: ['Backup.Admin'] });
    reader = await h.token({ tenantId: TENANT_A, roles: ['Backup.Reader'] });
    adminB = await h.token({ tenantId: TENANT_B, roles: ['Backup.Admin'], userId: 'b-admin' });
  }, 60_000);
  afterAll(async () => {
    await h?.stop();
  });

  it('lists only sites and groups, with the team site naming its group; filters by kind, protection and text', async () => {
    const all = await h.call('listCollaboration', { token: reader, query: { limit: '200' } });
    expect(all.status).toBe(200);
    expect(all.json.items.map((r: { id: string }) => r.id).sort()).toEqual([GROUP, SITE, TEAM_SITE]);
    const team = all.json.items.find((r: { id: string }) => r.id === TEAM_SITE);
    expect(team).toMatchObject({ kind: 'site', workload: 'sharepoint', teamSiteOf: GROUP, protected: false });
    expect(all.json.items.find((r: { id: string }) => r.id === SITE).teamSiteOf).toBeNull();

    const groups = await h.call('listCollaboration', { token: reader, query: { kind: 'group' } });
    expect(groups.json.items.map((r: { id: string }) => r.id)).toEqual([GROUP]);
    const found = await h.call('listCollaboration', { token: reader, query: { q: 'FINANCE' } });
    expect(found.json.items.map((r: { id: string }) => r.id)).toEqual([SITE]);

    // Paging: one item a page, every item once.
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await h.call('listCollaboration', {
        token: reader,
        query: { limit: '1', ...(cursor ? { cursor } : {}) },
      });
      seen.push(...page.json.items.map((r: { id: string }) => r.id));
      cursor = page.json.nextCursor ?? undefined;
    } while (cursor);
    expect(seen.sort()).toEqual([GROUP, SITE, TEAM_SITE]);

    const mailboxKind = await h.call('listCollaboration', { token: reader, query: { kind: 'mailbox' } });
    expect(mailboxKind.status).toBe(400);
  });

  it('an admin enables and disables a site; it takes no licence; a reader cannot', async () => {
    const denied = await h.call('enableCollaborationProtection', {
      token: reader,
      body: { resourceIds: [SITE] },
    });
    expect(denied.status).toBe(403);
    expect((await resource(SITE)).protected).toBe(false);

    const enabled = await h.call('enableCollaborationProtection', {
      token: admin,
      body: { resourceIds: [SITE] },
    });
    expect(enabled.status).toBe(200);
    expect(enabled.json).toEqual({ protected: [SITE], overlaps: [] });
    expect(await resource(SITE)).toMatchObject({ protected: true, state: 'protected' });
    expect((await h.call('getLicences', { token: reader })).json).toMatchObject({ used: 0, free: 1 });
    const dashboard = await h.call('getDashboard', { token: reader });
    expect(dashboard.json.workloads.sharepoint.protected).toBe(1);
    const protectedOnes = await h.call('listCollaboration', {
      token: reader,
      query: { protection: 'protected' },
    });
    expect(protectedOnes.json.items.map((r: { id: string }) => r.id)).toEqual([SITE]);

    const again = await h.call('enableCollaborationProtection', {
      token: admin,
      body: { resourceIds: [SITE] },
    });
    expect(again.json.protected).toEqual([]);

    const disabled = await h.call('disableCollaborationProtection', {
      token: admin,
      body: { resourceIds: [SITE] },
    });
    expect(disabled.json).toEqual({ unprotected: [SITE] });
    expect(await resource(SITE)).toMatchObject({ protected: false, state: 'discovered' });
    const after = await h.call('getDashboard', { token: reader });
    expect(after.json.workloads.sharepoint.protected).toBe(0);

    const audit = await h.call('listAudit', {
      token: admin,
      query: { action: 'protection.enable-collaboration' },
    });
    expect(audit.json.items.length).toBeGreaterThanOrEqual(2);
  });

  it('protecting a group and its team site says that the default library is in both', async () => {
    const enabled = await h.call('enableCollaborationProtection', {
      token: admin,
      body: { resourceIds: [GROUP, TEAM_SITE] },
    });
    expect(enabled.status).toBe(200);
    expect(enabled.json.protected.sort()).toEqual([GROUP, TEAM_SITE]);
    expect(enabled.json.overlaps).toEqual([
      {
        siteId: TEAM_SITE,
        groupId: GROUP,
        message: expect.stringMatching(/Marketing is the team site of Marketing: its default library/),
      },
    ]);
    await h.call('disableCollaborationProtection', {
      token: admin,
      body: { resourceIds: [GROUP, TEAM_SITE] },
    });
  });

  it('a mailbox id is refused with 400, an unknown or foreign id with 404, each naming the field; nothing changes', async () => {
    const mixed = await h.call('enableCollaborationProtection', {
      token: admin,
      body: { resourceIds: [SITE, 'mailbox:u1'] },
    });
    expect(mixed.status).toBe(400);
    expect(mixed.headers['content-type']).toBe('application/problem+json');
    expect(mixed.json.errors).toEqual([
      {
        field: 'body.resourceIds.1',
        message: expect.stringMatching(/mailbox:u1: a mailbox, not a site or group/),
      },
    ]);
    expect((await resource(SITE)).protected).toBe(false);

    const foreign = 'site:fabrikam.sharepoint.com,sc-1,web-1';
    const unknown = await h.call('enableCollaborationProtection', {
      token: admin,
      body: { resourceIds: [SITE, foreign] },
    });
    expect(unknown.status).toBe(404);
    expect(unknown.json.errors).toEqual([{ field: 'body.resourceIds.1', message: `${foreign}: not found` }]);
    expect((await resource(SITE)).protected).toBe(false);

    const badShape = await h.call('enableCollaborationProtection', {
      token: admin,
      body: { resourceIds: [] },
    });
    expect(badShape.status).toBe(400);
  });

  it('on exchange-only: 409 saying the plan lacks sites and groups, nothing enabled; disabling still works', async () => {
    const refused = await h.call('enableCollaborationProtection', {
      token: adminB,
      body: { resourceIds: ['site:fabrikam.sharepoint.com,sc-1,web-1'] },
    });
    expect(refused.status).toBe(409);
    expect(refused.headers['content-type']).toBe('application/problem+json');
    expect(refused.json.detail).toMatch(/not part of the exchange-only plan; nothing was enabled/);
    const site = await h.call('getResource', {
      token: adminB,
      params: { id: 'site:fabrikam.sharepoint.com,sc-1,web-1' },
    });
    expect(site.json.protected).toBe(false);
    const audit = await h.call('listAudit', {
      token: adminB,
      query: { action: 'protection.enable-collaboration' },
    });
    expect(audit.json.items[0]).toMatchObject({ outcome: 'failed', status: 409 });

    const disabled = await h.call('disableCollaborationProtection', {
      token: adminB,
      body: { resourceIds: ['site:fabrikam.sharepoint.com,sc-1,web-1'] },
    });
    expect(disabled.status).toBe(200);
  });

  it('an enabled group is backed up now on request and in the next scheduled run', async () => {
    await h.call('enableCollaborationProtection', { token: admin, body: { resourceIds: [GROUP] } });
    const now = await h.call('startResourceSnapshot', { token: admin, params: { id: GROUP } });
    expect(now.status).toBe(202);
    await startScheduledRun({
      tenants: h.runtime.deps.tenants,
      resources: h.runtime.deps.resources,
      queue: h.runtime.deps.queue,
      clock: h.clock,
      spreadSeconds: 0,
      staggerSeconds: 0,
    });
    const jobs = await queuedJobs(TENANT_A);
    expect(
      jobs
        .filter((j) => j.resourceId === GROUP)
        .map((j) => j.reason)
        .sort(),
    ).toEqual(['manual', 'schedule']);
    expect(jobs.some((j) => j.resourceId === SITE)).toBe(false);
  });
});
