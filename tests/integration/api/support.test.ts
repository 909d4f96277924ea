import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SupportRequest } from '../../../shared/support/support-request';
import { ManualClock } from '../../../shared/time/clock';
import { sampleSupportRequest } from './fixture';
import { ApiHarness, PROVIDER, TENANT_A, TENANT_B } from './harness';

// Monday 2026-11-23 10:00 in Amsterdam (CET = UTC+1).
const MONDAY_10 = new Date('2026-11-23T09:00:00Z');
const clock = new ManualClock(MONDAY_10);
let h: ApiHarness;
const alerts: SupportRequest[] = [];

beforeAll(async () => {
  h = await ApiHarness.start({ clock });
  // Operator alerts go to the notifications module (issue 5); here we watch the seam.
  (h.runtime.deps.support as unknown as { deps: { alerts: unknown } }).deps.alerts = {
    initialResponseMissed: (r: SupportRequest) => {
      alerts.push(r);
      return Promise.resolve();
    },
  };
  await h.seedTenant(TENANT_A, { premiumSupport: false, timeZone: 'Europe/Amsterdam' });
  await h.seedTenant(TENANT_B, { premiumSupport: true, timeZone: 'America/New_York' });
}, 60_000);

afterAll(async () => {
  await h?.stop();
});

const admin = (tenantId = TENANT_A) => h.token({ tenantId, roles: ['Backup.Admin'], name: 'Ada Admin' });
const operator = () => h.token({ tenantId: PROVIDER, roles: ['Backup.Operator'], name: 'Oscar Operator' });

async function file(overrides: Record<string, unknown> = {}, tenantId = TENANT_A) {
  return h.call('fileSupportRequest', {
    token: await admin(tenantId),
    body: sampleSupportRequest(overrides),
  });
}

describe('filing support requests', () => {
  it('only admins file; readers see', async () => {
    const reader = await h.token({ tenantId: TENANT_A, roles: ['Backup.Reader'] });
    const denied = await h.call('fileSupportRequest', { token: reader, body: sampleSupportRequest() });
    expect(denied.status).toBe(403);
    const filed = await file();
    expect(filed.status).toBe(201);
    const list = await h.call('listSupportRequests', { token: reader });
    expect(list.json.items.map((r: { id: string }) => r.id)).toContain(filed.json.id);
  });

  it('refuses severity A without premium support and billing above B, naming body.severity', async () => {
    const a = await file({ severity: 'A' });
    expect(a.status).toBe(400);
    expect(a.json.errors).toEqual([
      { field: 'body.severity', message: 'severity A needs a premium support contract' },
    ]);
    const billing = await file({ category: 'billing', severity: 'A' }, TENANT_B);
    expect(billing.status).toBe(400);
    expect(billing.json.errors[0].message).toBe('billing requests are at most severity B');
    const premium = await file({ severity: 'A' }, TENANT_B);
    expect(premium.status).toBe(201);
    expect(premium.json.initialResponseDueAt).toBe('2026-11-23T10:00:00.000Z');
  });

  it('carries its target in the tenant’s time zone: B filed Monday 10:00 Amsterdam is due Tuesday 10:00', async () => {
    const filed = await file({ severity: 'B' });
    expect(filed.json).toMatchObject({
      status: 'new',
      severity: 'B',
      initialResponseDueAt: '2026-11-24T09:00:00.000Z',
      slaState: 'pending',
      filedBy: { userName: 'Ada Admin' },
      history: [{ event: 'filed', to: 'B', by: 'Ada Admin' }],
    });
  });
});

describe('the support workflow', () => {
  it('drops one severity level after 3 business days awaiting the customer, recorded in the history', async () => {
    clock.set(MONDAY_10);
    const filed = await file({ severity: 'B', title: 'Downgrade me' });
    const id = filed.json.id as string;
    const answered = await h.call('respondToSupportRequest', {
      token: await operator(),
      params: { id },
      body: { message: 'Can you send the logs?', status: 'awaiting-customer' },
    });
    expect(answered.status).toBe(200);
    expect(answered.json).toMatchObject({ status: 'awaiting-customer', slaState: 'met' });

    // Mon 10-17 (7 h) + Tue (8 h) + Wed (8 h) = 23 business hours: not yet.
    clock.set(new Date('2026-11-26T08:59:00Z')); // Thursday 09:59 CET
    await h.runtime.deps.support.runTimers();
    let request = await h.call('getSupportRequest', { token: await admin(), params: { id } });
    expect(request.json.severity).toBe('B');

    clock.set(new Date('2026-11-26T09:00:00Z')); // Thursday 10:00 CET: 24 business hours
    await h.runtime.deps.support.runTimers();
    request = await h.call('getSupportRequest', { token: await admin(), params: { id } });
    expect(request.json.severity).toBe('C');
    expect(request.json.filedSeverity).toBe('B');
    expect(request.json.history.at(-1)).toEqual({
      at: '2026-11-26T09:00:00.000Z',
      by: 'system',
      event: 'severity',
      from: 'B',
      to: 'C',
      note: 'awaiting the customer for 3 business days',
    });

    // Running again changes nothing; C is the lowest level.
    await h.runtime.deps.support.runTimers();
    clock.set(new Date('2026-12-10T09:00:00Z'));
    await h.runtime.deps.support.runTimers();
    request = await h.call('getSupportRequest', { token: await admin(), params: { id } });
    expect(request.json.severity).toBe('C');
    expect(request.json.history.filter((e: { event: string }) => e.event === 'severity')).toHaveLength(1);
  });

  it('a customer answer puts an awaiting request back in progress and stops the clock', async () => {
    clock.set(MONDAY_10);
    const id = (await file({ severity: 'B', title: 'Answer me' })).json.id as string;
    await h.call('respondToSupportRequest', {
      token: await operator(),
      params: { id },
      body: { status: 'awaiting-customer', message: 'Which mailbox?' },
    });
    clock.advance(60_000);
    const comment = await h.call('addSupportComment', {
      token: await admin(),
      params: { id },
      body: { text: 'The CEO’s mailbox.' },
    });
    expect(comment.status).toBe(201);
    clock.set(new Date('2026-12-01T09:00:00Z'));
    await h.runtime.deps.support.runTimers();
    const request = await h.call('getSupportRequest', { token: await admin(), params: { id } });
    expect(request.json).toMatchObject({ status: 'in-progress', severity: 'B', awaitingCustomerSince: null });
    const comments = await h.call('listSupportComments', { token: await admin(), params: { id } });
    expect(
      comments.json.items.map((c: { author: { role: string }; text: string }) => [c.author.role, c.text]),
    ).toEqual([
      ['operator', 'Which mailbox?'],
      ['customer', 'The CEO’s mailbox.'],
    ]);
  });

  it('flags a missed initial response once, alerts operators once, and shows it in the operator list', async () => {
    clock.set(MONDAY_10);
    const filed = await file({ severity: 'C', title: 'Nobody answers' });
    // Three business days from Monday 10:00: Thursday 10:00 CET.
    expect(filed.json.initialResponseDueAt).toBe('2026-11-26T09:00:00.000Z');
    const id = filed.json.id as string;
    clock.set(new Date('2026-11-26T09:00:00Z'));
    await h.runtime.deps.support.runTimers();
    expect(alerts.filter((a) => a.requestId === id)).toHaveLength(0);
    clock.set(new Date('2026-11-26T10:00:00Z'));
    await h.runtime.deps.support.runTimers();
    await h.runtime.deps.support.runTimers();
    expect(alerts.filter((a) => a.requestId === id)).toHaveLength(1);
    const list = await h.call('listAllSupportRequests', {
      token: await operator(),
      query: { open: 'true', limit: '200' },
    });
    const row = list.json.items.find((r: { id: string }) => r.id === id);
    expect(row).toMatchObject({ slaState: 'missed', initialResponseMissedAt: '2026-11-26T10:00:00.000Z' });
    // The customer sees the state too, not the internal flag.
    const own = await h.call('getSupportRequest', { token: await admin(), params: { id } });
    expect(own.json.slaState).toBe('missed');
    expect(own.json.initialResponseMissedAt).toBeUndefined();
  });

  it('a closed request takes no more comments or responses (409)', async () => {
    clock.set(MONDAY_10);
    const id = (await file({ title: 'Close me' })).json.id as string;
    const closed = await h.call('respondToSupportRequest', {
      token: await operator(),
      params: { id },
      body: { status: 'closed' },
    });
    expect(closed.json.status).toBe('closed');
    clock.advance(60_000);
    const comment = await h.call('addSupportComment', {
      token: await admin(),
      params: { id },
      body: { text: 'Hello?' },
    });
    expect(comment.status).toBe(409);
    const again = await h.call('respondToSupportRequest', {
      token: await operator(),
      params: { id },
      body: { message: 'Hi' },
    });
    expect(again.status).toBe(409);
  });
});
