import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startTestSimulator, type TestSimulator } from '../../support/simulator';
import { startWebhook, type Webhook } from '../../support/simulator-webhook';

describe('simulator change notifications', () => {
  let t: TestSimulator;
  let hook: Webhook;
  let userId: string;
  let upn: string;
  const future = (minutes: number) => new Date(Date.now() + minutes * 60_000).toISOString();

  beforeAll(async () => {
    t = await startTestSimulator({
      limits: {
        notificationTimeoutMs: 300,
        notificationRetryDelaysMs: [50, 100],
        validationTimeoutMs: 500,
        lifecycleSweepMs: 50,
        subscriptionMaxMinutes: { message: 4230, directory: 41760, driveItem: 42300 },
      },
    });
    const tenant = await t.sim.control.tenant(t.tenantId);
    const user = tenant.users.find((u) => u.hasMailbox)!;
    userId = user.id;
    upn = user.userPrincipalName;
  });
  beforeEach(async () => {
    await hook?.close();
    hook = await startWebhook();
  });
  afterAll(async () => {
    await hook?.close();
    await t?.stop();
  });

  const mime = (subject: string) =>
    Buffer.from(
      `From: x@example.net\r\nTo: ${upn}\r\nSubject: ${subject}\r\nMIME-Version: 1.0\r\nContent-Type: text/plain\r\n\r\nhi\r\n`,
    );

  it('performs the validation handshake and delivers created-message notifications with clientState', async () => {
    const created = await t.graph('POST', '/subscriptions', {
      body: {
        changeType: 'created',
        notificationUrl: `${hook.url}?tenant=a`,
        resource: `users/${upn}/mailFolders('inbox')/messages`,
        expirationDateTime: future(60),
        clientState: 'abc',
      },
    });
    expect(created.status).toBe(201);
    expect(hook.validations).toHaveLength(1);
    expect(hook.validations[0]).toMatch(
      /^Validation: Testing client application reachability for subscription Request-Id: /,
    );
    const delivered = await t.sim.control.deliverMessage(t.tenantId, userId, mime('ping'));
    const [note] = await hook.waitFor((n) => n.length > 0);
    expect(note).toMatchObject({
      subscriptionId: created.body.id,
      clientState: 'abc',
      changeType: 'created',
      tenantId: t.tenantId,
      resource: `Users/${userId}/Messages/${delivered.id}`,
      resourceData: { '@odata.type': '#Microsoft.Graph.Message', id: delivered.id },
    });
    // A message in another folder is not reported to an inbox subscription.
    await t.sim.control.deliverMessage(t.tenantId, userId, mime('elsewhere'), { folder: 'archive' });
    await t.sim.control.deliverMessage(t.tenantId, userId, mime('pong'));
    await hook.waitFor((n) => n.length >= 2);
    expect(hook.notifications).toHaveLength(2);
    expect((await t.graph('DELETE', `/subscriptions/${created.body.id}`)).status).toBe(204);
  });

  it('fails the create when the endpoint does not echo the token, or answers too late', async () => {
    hook.validate = false;
    const bad = await t.graph('POST', '/subscriptions', {
      body: {
        changeType: 'created',
        notificationUrl: hook.url,
        resource: `users/${userId}/messages`,
        expirationDateTime: future(60),
      },
    });
    expect([bad.status, bad.body.error.code]).toEqual([400, 'ValidationError']);
    const unreachable = await t.graph('POST', '/subscriptions', {
      body: {
        changeType: 'created',
        notificationUrl: 'http://127.0.0.1:9/nothing',
        resource: `users/${userId}/messages`,
        expirationDateTime: future(60),
      },
    });
    expect(unreachable.status).toBe(400);
    expect((await t.graph('GET', '/subscriptions')).body.value).toHaveLength(0);
  });

  it('validates resources, change types and the maximum lifetime per resource type', async () => {
    const post = (body: Record<string, unknown>) =>
      t.graph('POST', '/subscriptions', {
        body: { notificationUrl: hook.url, expirationDateTime: future(60), ...body },
      });
    expect((await post({ resource: 'users', changeType: 'created' })).status).toBe(400);
    expect((await post({ resource: `drives/${'b!nope'}/root`, changeType: 'updated' })).status).toBe(404);
    expect((await post({ resource: 'me/messages', changeType: 'created' })).status).toBe(400);
    const tooLong = await post({
      resource: `users/${userId}/messages`,
      changeType: 'created',
      expirationDateTime: future(4231 + 5),
    });
    expect(tooLong.body.error.message).toMatch(/4230 minutes/);
    const https = await post({
      resource: 'users',
      changeType: 'updated',
      notificationUrl: 'http://example.com/hook',
    });
    expect(https.status).toBe(400);
    const users = await post({
      resource: 'users',
      changeType: 'updated,deleted',
      expirationDateTime: future(41_000),
    });
    expect(users.status).toBe(201);
    await t.sim.control.addUser(t.tenantId, { displayName: 'Notified Person', mailNickname: 'notified' });
    const [note] = await hook.waitFor((n) => n.length > 0);
    expect(note).toMatchObject({
      changeType: 'updated',
      resource: expect.stringMatching(/^Users\//),
      resourceData: { '@odata.type': '#Microsoft.Graph.User' },
    });
    const renewed = await t.graph('PATCH', `/subscriptions/${users.body.id}`, {
      body: { expirationDateTime: future(120) },
    });
    expect(renewed.status).toBe(200);
    expect(new Date(renewed.body.expirationDateTime).getTime()).toBeGreaterThan(Date.now() + 100 * 60_000);
    await t.graph('DELETE', `/subscriptions/${users.body.id}`);
  });

  it('retries a failing endpoint with back-off and treats a slow answer as a failure', async () => {
    const created = await t.graph('POST', '/subscriptions', {
      body: {
        changeType: 'updated',
        notificationUrl: hook.url,
        resource: `users/${userId}/drive/root`,
        expirationDateTime: future(60),
      },
    });
    expect(created.status).toBe(201);
    hook.status = 503;
    const tenant = await t.sim.control.tenant(t.tenantId);
    const driveId = tenant.users.find((u) => u.id === userId)!.driveId!;
    await t.sim.control.putFile(t.tenantId, driveId, 'retry.txt', Buffer.from('x'));
    const deadline = Date.now() + 5000;
    while (hook.posts < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(hook.posts).toBe(3); // first try + two retries (the configured delays)
    hook.status = 202;
    hook.delayMs = 500;
    await t.sim.control.putFile(t.tenantId, driveId, 'slow.txt', Buffer.from('y'));
    const deliveries = async () => (await t.sim.control.deliveries()).filter((d) => d.url === hook.url);
    while ((await deliveries()).filter((d) => d.slow).length < 1 && Date.now() < deadline + 5000)
      await new Promise((r) => setTimeout(r, 20));
    const slow = (await deliveries()).filter((d) => d.slow);
    expect(slow[0]).toMatchObject({ ok: false, slow: true });
    await t.graph('DELETE', `/subscriptions/${created.body.id}`);
  });

  it('sends lifecycle notifications: reauthorizationRequired before expiry, and subscriptionRemoved on demand', async () => {
    const created = await t.graph('POST', '/subscriptions', {
      body: {
        changeType: 'created',
        notificationUrl: hook.url,
        lifecycleNotificationUrl: hook.url,
        resource: `users/${userId}/messages`,
        expirationDateTime: future(1),
        clientState: 'lc',
      },
    });
    expect(created.status).toBe(201);
    expect(hook.validations).toHaveLength(2);
    // Less than an hour left: reauthorizationRequired comes at half the remaining time; the clock is advanced instead of waited for.
    await t.sim.control.advanceClock(40_000);
    const [reauth] = await hook.waitFor((n) =>
      n.some((i) => i['lifecycleEvent'] === 'reauthorizationRequired'),
    );
    expect(reauth).toMatchObject({
      subscriptionId: created.body.id,
      clientState: 'lc',
      tenantId: t.tenantId,
    });
    await t.sim.control.advanceClock(-40_000);
    await t.sim.control.lifecycle(created.body.id, 'subscriptionRemoved');
    await hook.waitFor((n) => n.some((i) => i['lifecycleEvent'] === 'subscriptionRemoved'));
    expect((await t.graph('GET', `/subscriptions/${created.body.id}`)).status).toBe(404);
  });
});
