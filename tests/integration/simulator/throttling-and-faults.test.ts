import { afterEach, describe, expect, it } from 'vitest';
import { followPages, startTestSimulator, type TestSimulator } from '../../support/simulator';

describe('simulator throttling, $batch and fault injection', () => {
  let t: TestSimulator | undefined;
  afterEach(async () => {
    await t?.stop();
    t = undefined;
  });

  const mailboxes = async (s: TestSimulator) =>
    (await s.sim.control.tenant(s.tenantId)).users.filter((u) => u.hasMailbox);

  it('limits requests per app per mailbox and answers 429 with Retry-After, other mailboxes unaffected', async () => {
    t = await startTestSimulator({ limits: { mailboxRequests: 5, mailboxWindowMs: 10_000 } });
    const [a, b] = await mailboxes(t);
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++)
      statuses.push((await t.graph('GET', `/users/${a!.id}/mailFolders/inbox`)).status);
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
    const throttled = await t.graph('GET', `/users/${a!.id}/mailFolders/inbox`);
    expect(throttled.status).toBe(429);
    expect(throttled.body.error).toMatchObject({
      code: 'ApplicationThrottled',
      innerError: { code: '429', status: '429' },
    });
    const retryAfter = Number(throttled.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(2);
    expect((await t.graph('GET', `/users/${b!.id}/mailFolders/inbox`)).status).toBe(200);
    expect((await t.sim.control.counters()).throttled).toBe(2);
  });

  it('allows at most the configured concurrent requests per mailbox', async () => {
    t = await startTestSimulator({ limits: { mailboxConcurrency: 2, latencyMs: 300 } });
    const [a, b] = await mailboxes(t);
    await t.token();
    const results = await Promise.all([
      ...Array.from({ length: 4 }, () => t!.graph('GET', `/users/${a!.id}/mailFolders/inbox`)),
      t.graph('GET', `/users/${b!.id}/mailFolders/inbox`),
    ]);
    const statuses = results.map((r) => r.status);
    expect(statuses.slice(0, 4).filter((s) => s === 200)).toHaveLength(2);
    expect(statuses.slice(0, 4).filter((s) => s === 429)).toHaveLength(2);
    expect(statuses[4]).toBe(200);
  });

  it('limits upload bytes per mailbox', async () => {
    t = await startTestSimulator({ limits: { mailboxUploadBytes: 3000, mailboxUploadWindowMs: 60_000 } });
    const [a] = await mailboxes(t);
    const body = { subject: 'x'.repeat(1200), body: { contentType: 'text', content: 'y' } };
    expect((await t.graph('POST', `/users/${a!.id}/messages`, { body })).status).toBe(201);
    expect((await t.graph('POST', `/users/${a!.id}/messages`, { body })).status).toBe(201);
    const third = await t.graph('POST', `/users/${a!.id}/messages`, { body });
    expect(third.status).toBe(429);
    expect(Number(third.headers.get('retry-after'))).toBeGreaterThan(0);
  });

  it('charges SharePoint resource units per tenant and answers 429 or 503 with Retry-After when spent', async () => {
    t = await startTestSimulator({
      limits: { sharePointUnits: 10, sharePointWindowMs: 60_000, sharePoint503Share: 0.5 },
    });
    const driveId = (await t.sim.control.tenant(t.tenantId)).users.find((u) => u.driveId)!.driveId!;
    const statuses: number[] = [];
    const headers: Headers[] = [];
    for (let i = 0; i < 7; i++) {
      const r = await t.graph('GET', `/drives/${driveId}/root/children`);
      statuses.push(r.status);
      headers.push(r.headers);
    }
    // Listing costs 2 units: five listings spend the 10.
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429, 503]);
    expect(headers[4]!.get('ratelimit-remaining')).toBe('0');
    expect(Number(headers[5]!.get('retry-after'))).toBeGreaterThan(0);
    expect(headers[6]!.get('retry-after')).not.toBeNull();
  });

  it('runs $batch with dependsOn (424 after a failure), relative urls and per-item 429s', async () => {
    t = await startTestSimulator({ limits: { mailboxRequests: 3, mailboxWindowMs: 60_000 } });
    const [a] = await mailboxes(t);
    const batch = await t.graph('POST', '/$batch', {
      body: {
        requests: [
          { id: '1', method: 'GET', url: '/users?$top=1' },
          { id: '2', method: 'GET', url: 'drives/b!missing/root' },
          { id: '3', method: 'GET', url: '/users?$top=1', dependsOn: ['2'] },
          {
            id: '4',
            method: 'POST',
            url: `/users/${a!.id}/mailFolders`,
            headers: { 'Content-Type': 'application/json' },
            body: { displayName: 'From batch' },
          },
          ...Array.from({ length: 4 }, (_, i) => ({
            id: String(5 + i),
            method: 'GET',
            url: `/users/${a!.id}/mailFolders/inbox`,
          })),
        ],
      },
    });
    expect(batch.status).toBe(200);
    const byId = new Map<
      string,
      { status: number; headers: Record<string, string>; body: { error?: { code: string } } }
    >(batch.body.responses.map((r: { id: string }) => [r.id, r]));
    expect(byId.size).toBe(8);
    expect(byId.get('1')!.status).toBe(200);
    expect(byId.get('1')!.headers['Content-Type']).toMatch(/^application\/json/);
    expect(byId.get('2')!.status).toBe(404);
    expect(byId.get('3')!.status).toBe(424);
    expect(byId.get('4')!.status).toBe(201);
    const mailStatuses = ['5', '6', '7', '8'].map((id) => byId.get(id)!.status).sort();
    expect(mailStatuses).toEqual([200, 200, 429, 429]);
    const throttled = ['5', '6', '7', '8'].map((id) => byId.get(id)!).find((r) => r.status === 429)!;
    expect(throttled.headers['Retry-After']).toEqual(expect.any(String));
    const tooMany = await t.graph('POST', '/$batch', {
      body: {
        requests: Array.from({ length: 21 }, (_, i) => ({ id: String(i), method: 'GET', url: '/users' })),
      },
    });
    expect(tooMany.status).toBe(400);
    const duplicate = await t.graph('POST', '/$batch', {
      body: {
        requests: [
          { id: '1', method: 'GET', url: '/users' },
          { id: '1', method: 'GET', url: '/groups' },
        ],
      },
    });
    expect(duplicate.status).toBe(400);
  });

  it('injects status faults with Retry-After for the next N matching requests only', async () => {
    t = await startTestSimulator();
    await t.sim.control.addFault({
      kind: 'status',
      method: 'GET',
      path: '^/v1\\.0/groups',
      status: 503,
      retryAfter: 7,
      count: 2,
    });
    const first = await t.graph('GET', '/groups');
    expect([first.status, first.headers.get('retry-after'), first.body.error.code]).toEqual([
      503,
      '7',
      'serviceNotAvailable',
    ]);
    expect((await t.graph('GET', '/groups')).status).toBe(503);
    expect((await t.graph('GET', '/groups')).status).toBe(200);
    expect((await t.graph('GET', '/users')).status).toBe(200);
    const [rule] = await t.sim.control.faults();
    expect(rule).toMatchObject({ hits: 2, remaining: 0 });
  });

  it('resets connections and stalls requests on demand', async () => {
    t = await startTestSimulator();
    await t.token();
    await t.sim.control.addFault({ kind: 'reset', path: '/v1\\.0/users$', count: 1 });
    await expect(t.graph('GET', '/users')).rejects.toThrow();
    expect((await t.graph('GET', '/users')).status).toBe(200);
    await t.sim.control.addFault({ kind: 'stall', path: '/v1\\.0/groups', stallMs: 400, count: 1 });
    const started = Date.now();
    const stalled = await t.graph('GET', '/groups');
    expect(stalled.status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(390);
  });

  it('makes an item vanish between listing and download', async () => {
    t = await startTestSimulator();
    const tenant = await t.sim.control.tenant(t.tenantId);
    const user = tenant.users.find((u) => u.hasMailbox && u.driveId)!;
    const { items, deltaLink } = await followPages(t, `/drives/${user.driveId}/root/delta`);
    const file = items.find((i) => i.file)!;
    await t.sim.control.addFault({ kind: 'vanish', path: `/items/${file.id}/content`, count: 1 });
    const download = await t.graph('GET', `/drives/${user.driveId}/items/${file.id}/content`);
    expect([download.status, download.body.error.code]).toEqual([404, 'itemNotFound']);
    const next = await followPages(t, deltaLink!);
    expect(next.items.find((i) => i.id === file.id)).toMatchObject({ deleted: { state: 'deleted' } });
    // The same works for a pre-authenticated URL and for a message's MIME.
    const other = items.filter((i) => i.file)[1]!;
    await t.sim.control.addFault({ kind: 'vanish', path: '^/_dl/', count: 1 });
    expect((await fetch(other['@microsoft.graph.downloadUrl'])).status).toBe(404);
    const message = (await t.sim.control.mailbox(t.tenantId, user.id)).folders.flatMap((f) => f.messages)[0]!;
    await t.sim.control.addFault({ kind: 'vanish', path: '/\\$value$', count: 1 });
    expect((await t.graph('GET', `/users/${user.id}/messages/${message.id}/$value`)).status).toBe(404);
    expect((await t.graph('GET', `/users/${user.id}/messages/${message.id}`)).status).toBe(404);
    const counters = await t.sim.control.counters();
    expect(counters.byEndpoint['GET /drives/{id}/root/delta']).toBeGreaterThan(0);
  });
});
