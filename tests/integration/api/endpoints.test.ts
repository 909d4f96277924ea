import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QueueNames } from '../../../shared/queues/job-queues';
import { itemIdOf, seedFixture, type ApiFixture } from './fixture';
import { ApiHarness, PROVIDER, TENANT_A, TENANT_B } from './harness';

let h: ApiHarness;
let f: ApiFixture;
let admin: string;
let reader: string;
let operator: string;

beforeAll(async () => {
  h = await ApiHarness.start();
  f = await seedFixture(h);
  admin = await h.token({ tenantId: TENANT_A, roles: ['Backup.Admin'], userId: 'ada', name: 'Ada Admin' });
  reader = await h.token({ tenantId: TENANT_A, roles: ['Backup.Reader'], userId: 'rex', name: 'Rex Reader' });
  operator = await h.token({
    tenantId: PROVIDER,
    roles: ['Backup.Operator'],
    userId: 'oscar',
    name: 'Oscar',
  });
}, 60_000);

afterAll(async () => {
  await h?.stop();
});

describe('GET /v1/me', () => {
  it('tells a user who they are and what they may do', async () => {
    const me = await h.call('getMe', { token: reader });
    expect(me.json).toEqual({
      user: { id: 'rex', name: 'Rex Reader' },
      tenant: { id: TENANT_A, displayName: 'Tenant 1111', status: 'active', plan: 'full' },
      roles: ['Backup.Reader'],
      can: { see: true, change: false, operate: false },
    });
    const op = await h.call('getMe', { token: operator });
    expect(op.json.can).toEqual({ see: false, change: false, operate: true });
  });
});

describe('GET /v1/dashboard', () => {
  it('shows counts per workload, snapshot totals and unread notifications from point reads', async () => {
    await h.runtime.deps.resourceCounts.set(TENANT_A, {
      mailbox: { discovered: 120, protected: 100 },
      onedrive: { discovered: 110, protected: 90 },
      site: { discovered: 12, protected: 3 },
      group: { discovered: 7, protected: 0 },
    });
    await h.runtime.deps.resourceCounts.adjust(TENANT_A, { mailbox: { discovered: 1, protected: 1 } });
    await h.runtime.deps.totals.apply(TENANT_A, {
      kind: 'mailbox',
      previousStatus: undefined,
      status: 'completed',
      committed: true,
      previousGoodBytes: 0,
      logicalBytes: 5_000_000,
      finishedAt: '2026-11-20T06:00:00.000Z',
    });
    const dashboard = await h.call('getDashboard', { token: reader });
    expect(dashboard.status).toBe(200);
    expect(dashboard.json).toMatchObject({
      snapshotCount: 1,
      dataUnderProtectionBytes: 5_000_000,
      workloads: {
        exchange: {
          discovered: 121,
          protected: 101,
          healthy: 1,
          warning: 0,
          failing: 0,
          lastGoodSnapshotAt: '2026-11-20T06:00:00.000Z',
        },
        onedrive: { discovered: 110, protected: 90, healthy: 0, lastGoodSnapshotAt: null },
        sharepoint: { discovered: 12, protected: 3 },
        groups: { discovered: 7, protected: 0 },
      },
      // The fixture's one blue notice (the bell's counts come from the notification store).
      unreadNotifications: { red: 0, yellow: 0, blue: 1, green: 0 },
    });
    // Tenant B's dashboard is its own.
    const other = await h.call('getDashboard', {
      token: await h.token({ tenantId: TENANT_B, roles: ['Backup.Reader'] }),
    });
    expect(other.json.snapshotCount).toBe(0);
  });
});

describe('GET /v1/resources', () => {
  beforeAll(async () => {
    for (let i = 0; i < 25; i++) {
      await h.seedResource(TENANT_A, i % 2 ? 'onedrive' : 'mailbox', `user${String(i).padStart(2, '0')}`, {
        displayName: i === 7 ? 'Zoë Finance' : `User ${i}`,
        protected: i % 3 !== 0,
        state: i % 3 !== 0 ? 'protected' : 'discovered',
      });
    }
  });

  it('pages through every resource once with the cursor', async () => {
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await h.call('listResources', {
        token: reader,
        query: { limit: '7', ...(cursor ? { cursor } : {}) },
      });
      expect(page.status).toBe(200);
      expect(page.json.items.length).toBeLessThanOrEqual(7);
      seen.push(...page.json.items.map((r: { id: string }) => r.id));
      cursor = page.json.nextCursor ?? undefined;
      pages++;
    } while (cursor && pages < 20);
    expect(seen).toHaveLength(28); // 25 + the fixture's mailbox:alice, group:team-1 and its team site
    expect(new Set(seen).size).toBe(28);
  });

  it('filters by kind, protection and text, and refuses a cursor from another query', async () => {
    const mailboxes = await h.call('listResources', {
      token: reader,
      query: { kind: 'onedrive', limit: '200' },
    });
    expect(
      mailboxes.json.items.every(
        (r: { kind: string; workload: string }) => r.kind === 'onedrive' && r.workload === 'onedrive',
      ),
    ).toBe(true);
    expect(mailboxes.json.items).toHaveLength(12);
    const unprotected = await h.call('listResources', {
      token: reader,
      query: { protection: 'unprotected', limit: '200' },
    });
    expect(unprotected.json.items.every((r: { protected: boolean }) => !r.protected)).toBe(true);
    expect(unprotected.json.items).toHaveLength(9);
    const search = await h.call('listResources', { token: reader, query: { q: 'zoë fin' } });
    expect(search.json.items.map((r: { displayName: string }) => r.displayName)).toEqual(['Zoë Finance']);
    const first = await h.call('listResources', { token: reader, query: { kind: 'mailbox', limit: '2' } });
    const misuse = await h.call('listResources', {
      token: reader,
      query: { kind: 'onedrive', cursor: first.json.nextCursor },
    });
    expect(misuse.status).toBe(400);
    expect(misuse.json.errors[0].field).toBe('query.cursor');
  });

  it('shows one resource with its last snapshot', async () => {
    const resource = await h.call('getResource', { token: reader, params: { id: f.resourceId } });
    expect(resource.json).toMatchObject({
      id: 'mailbox:alice',
      kind: 'mailbox',
      workload: 'exchange',
      protected: true,
    });
  });
});

describe('snapshots', () => {
  it('back up now queues a job, answers 202 with the run id and audits who did it from where', async () => {
    const started = await h.call('startResourceSnapshot', { token: admin, params: { id: f.resourceId } });
    expect(started.status).toBe(202);
    expect(started.json.runId).toMatch(/^manual-/);
    const queue = h.storage.queues.getQueueClient(QueueNames.snapshotJobs);
    const peeked = await queue.peekMessages({ numberOfMessages: 32 });
    const jobs = peeked.peekedMessageItems.map(
      (m) =>
        JSON.parse(Buffer.from(m.messageText, 'base64').toString()) as { runId: string; resourceId: string },
    );
    expect(jobs).toContainEqual(
      expect.objectContaining({ runId: started.json.runId, resourceId: f.resourceId }),
    );

    const denied = await h.call('startResourceSnapshot', { token: reader, params: { id: f.resourceId } });
    expect(denied.status).toBe(403);

    const audit = await h.call('listAudit', { token: admin, query: { action: 'resource.back-up-now' } });
    expect(audit.json.items[0]).toMatchObject({
      actor: { tenantId: TENANT_A, userId: 'rex', userName: 'Rex Reader' },
      address: '203.0.113.7',
      target: f.resourceId,
      outcome: 'denied',
      status: 403,
    });
    expect(audit.json.items[1]).toMatchObject({
      actor: { userId: 'ada', userName: 'Ada Admin' },
      outcome: 'succeeded',
      status: 202,
      details: { runId: started.json.runId },
    });
    const byActor = await h.call('listAudit', {
      token: admin,
      query: { actor: 'Ada Admin', action: 'resource.back-up-now' },
    });
    expect(byActor.json.items).toHaveLength(1);
    const future = await h.call('listAudit', { token: admin, query: { from: '2099-01-01T00:00:00Z' } });
    expect(future.json.items).toEqual([]);
  });

  it('an unprotected resource cannot be backed up now (409)', async () => {
    await h.seedResource(TENANT_A, 'site', 'intranet', { protected: false, state: 'discovered' });
    const refused = await h.call('startResourceSnapshot', { token: admin, params: { id: 'site:intranet' } });
    expect(refused.status).toBe(409);
    expect(refused.json.detail).toMatch(/not protected/);
  });

  it('lists a resource’s snapshots and shows one with its skipped items', async () => {
    const list = await h.call('listResourceSnapshots', { token: reader, params: { id: f.resourceId } });
    expect(list.json.items.map((s: { id: string }) => s.id)).toEqual([f.snapshotId]);
    const snapshot = await h.call('getSnapshot', { token: reader, params: { id: f.snapshotId } });
    expect(snapshot.json).toMatchObject({
      status: 'completed-with-warnings',
      browsable: true,
      skippedCount: 1,
      skipped: [{ item: 'Inbox/huge.msg', reason: 'larger than 150 MB' }],
    });
    expect(snapshot.json.manifestRoot).toBeUndefined();
  });

  it('browses folders and searches by text and date', async () => {
    const root = await h.call('listSnapshotItems', { token: reader, params: { id: f.snapshotId } });
    expect(root.json.items.map((i: { name: string; kind: string }) => `${i.kind}:${i.name}`)).toEqual([
      'folder:Documents',
      'folder:Inbox',
    ]);
    const inbox = await h.call('listSnapshotItems', {
      token: reader,
      params: { id: f.snapshotId },
      query: { path: 'Inbox', limit: '1' },
    });
    expect(inbox.json.items).toHaveLength(1);
    const next = await h.call('listSnapshotItems', {
      token: reader,
      params: { id: f.snapshotId },
      query: { path: 'Inbox', limit: '1', cursor: inbox.json.nextCursor },
    });
    expect([inbox.json.items[0].metadata.subject, next.json.items[0].metadata.subject].sort()).toEqual([
      'Lunch on Friday',
      'Quarterly report',
    ]);
    expect(next.json.nextCursor).toBeNull();
    const search = await h.call('listSnapshotItems', {
      token: reader,
      params: { id: f.snapshotId },
      query: { q: 'QUARTERLY' },
    });
    expect(search.json.items.map((i: { id: string }) => i.id)).toEqual([itemIdOf('AAMkAD/1+x=', ['Inbox'])]);
    const april = await h.call('listSnapshotItems', {
      token: reader,
      params: { id: f.snapshotId },
      query: { from: '2026-03-15T00:00:00Z', to: '2026-04-30T00:00:00+02:00' },
    });
    expect(april.json.items.map((i: { metadata: { subject: string } }) => i.metadata.subject)).toEqual([
      'Lunch on Friday',
    ]);
    const missingFolder = await h.call('listSnapshotItems', {
      token: reader,
      params: { id: f.snapshotId },
      query: { path: 'Nope' },
    });
    expect(missingFolder.status).toBe(404);
  });

  it('shows an item’s metadata and streams its content as a download, audited', async () => {
    const item = await h.call('getSnapshotItem', {
      token: reader,
      params: { id: f.snapshotId, itemId: f.itemId },
    });
    expect(item.json).toMatchObject({
      id: f.itemId,
      kind: 'message',
      path: 'Inbox',
      metadata: { subject: 'Quarterly report' },
    });
    const download = await h.call('downloadSnapshotItem', {
      token: admin,
      params: { id: f.snapshotId, itemId: f.itemId },
    });
    expect(download.status).toBe(200);
    expect(download.headers['content-type']).toBe('message/rfc822');
    expect(download.headers['content-disposition']).toBe(
      `attachment; filename="Quarterly report.eml"; filename*=UTF-8''Quarterly%20report.eml`,
    );
    expect(download.text).toContain('Subject: Quarterly report');
    const file = await h.call('downloadSnapshotItem', {
      token: admin,
      params: { id: f.snapshotId, itemId: itemIdOf('file-1', ['Documents']) },
    });
    expect(file.headers['content-type']).toBe('text/plain');
    expect(file.headers['content-disposition']).toContain(`filename*=UTF-8''plan%20%C3%A9.txt`);
    expect(file.text).toBe('the plan');
    const audit = await h.call('listAudit', { token: admin, query: { action: 'snapshot.item.download' } });
    expect(audit.json.items).toHaveLength(2);
    expect(audit.json.items[1]).toMatchObject({ outcome: 'succeeded', details: { name: 'AAMkAD-1' } });
  });
});

describe('service health', () => {
  it('shows open incidents per service and moves resolved ones to the past', async () => {
    let health = await h.call('getServiceHealth', { token: reader });
    const exchange = health.json.services.find((s: { service: string }) => s.service === 'exchange-backup');
    expect(exchange).toEqual({
      service: 'exchange-backup',
      status: 'degraded',
      currentIncidentIds: [f.incidentId],
    });
    expect(health.json.services.find((s: { service: string }) => s.service === 'portal').status).toBe(
      'operational',
    );
    const resolved = await h.call('updateIncident', {
      token: operator,
      params: { id: f.incidentId },
      body: { status: 'resolved', message: 'Fixed.' },
    });
    expect(resolved.json.resolvedAt).not.toBeNull();
    health = await h.call('getServiceHealth', { token: reader });
    expect(health.json.current).toEqual([]);
    expect(health.json.past[0]).toMatchObject({ id: f.incidentId, status: 'resolved' });
    expect(health.json.past[0].updates.map((u: { message: string }) => u.message)).toEqual([
      'Looking into it',
      'Fixed.',
    ]);
  });
});

describe('operator: tenants', () => {
  const newTenant = '55555555-5555-4555-8555-555555555555';

  it('creates a tenant pending consent, refuses a duplicate, and audits in both trails', async () => {
    const body = {
      tenantId: newTenant.toUpperCase(),
      displayName: 'Fabrikam',
      plan: 'exchange-only',
      licences: 25,
      adminContactEmail: 'it@fabrikam.example',
      timeZone: 'America/New_York',
    };
    const created = await h.call('createTenant', { token: operator, body });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({ id: newTenant, status: 'pending-consent', premiumSupport: false });
    const again = await h.call('createTenant', { token: operator, body });
    expect(again.status).toBe(409);
    const badZone = await h.call('createTenant', {
      token: operator,
      body: { ...body, timeZone: 'Mars/Olympus' },
    });
    expect(badZone.json.errors).toEqual([
      { field: 'body.timeZone', message: 'expected an IANA time zone, e.g. Europe/Amsterdam' },
    ]);
    const providerTrail = await h.call('listAudit', { token: operator, query: { action: 'tenant.create' } });
    expect(providerTrail.json.items.map((a: { outcome: string }) => a.outcome)).toEqual([
      'failed',
      'failed',
      'succeeded',
    ]);
  });

  it('changes plan, licences and status; an offboarded tenant’s users are refused', async () => {
    const patched = await h.call('updateTenant', {
      token: operator,
      params: { id: TENANT_B },
      body: { plan: 'exchange-only', licences: 10, premiumSupport: true },
    });
    expect(patched.json).toMatchObject({ plan: 'exchange-only', licences: 10, premiumSupport: true });
    const customerTrail = await h.call('listAudit', {
      token: await h.token({ tenantId: TENANT_B, roles: ['Backup.Reader'] }),
      query: { action: 'tenant.update' },
    });
    expect(customerTrail.json.items[0]).toMatchObject({
      actor: { userName: 'Oscar', tenantId: PROVIDER },
      outcome: 'succeeded',
    });

    await h.call('updateTenant', {
      token: operator,
      params: { id: TENANT_B },
      body: { status: 'offboarded' },
    });
    const refused = await h.call('getDashboard', {
      token: await h.token({ tenantId: TENANT_B, roles: ['Backup.Admin'] }),
    });
    expect(refused.status).toBe(403);
    const list = await h.call('listTenants', { token: operator, query: { status: 'offboarded' } });
    expect(list.json.items.map((t: { id: string }) => t.id)).toEqual([TENANT_B]);
  });
});

describe('rate limit', () => {
  it('answers 429 with Retry-After once a tenant spends its burst, without touching other tenants', async () => {
    const limited = await ApiHarness.start({ rateLimit: { perMinute: 60, burst: 3 } });
    try {
      await limited.seedTenant(TENANT_A);
      await limited.seedTenant(TENANT_B);
      const a = await limited.token({ tenantId: TENANT_A, roles: ['Backup.Reader'] });
      const b = await limited.token({ tenantId: TENANT_B, roles: ['Backup.Reader'] });
      const statuses: number[] = [];
      for (let i = 0; i < 4; i++) statuses.push((await limited.call('getMe', { token: a })).status);
      expect(statuses).toEqual([200, 200, 200, 429]);
      const throttled = await limited.call('getMe', { token: a });
      expect(throttled.headers['retry-after']).toBe('1');
      expect(throttled.json).toMatchObject({ status: 429, code: 'throttled' });
      expect((await limited.call('getMe', { token: b })).status).toBe(200);
    } finally {
      await limited.stop();
    }
  });
});
