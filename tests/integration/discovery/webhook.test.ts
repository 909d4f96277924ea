import { QueueClient } from '@azure/storage-queue';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditLog } from '../../../shared/audit/audit-log';
import type { DiscoveryCore } from '../../../shared/discovery/discovery-core';
import type { DiscoveryJob } from '../../../shared/discovery/discovery-service';
import { silentLogger } from '../../../shared/observability/logger';
import { QueueNames } from '../../../shared/queues/job-queues';
import { resourceIdOf } from '../../../shared/resources/resource';
import { Tables } from '../../../shared/storage/tables';
import { ManualClock } from '../../../shared/time/clock';
import { DiscoveryStack, startWebhookServer, type WebhookServer } from '../../support/discovery-stack';

async function poll<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The webhook with the simulator's real deliveries, subscriptions and lifecycle events. */
describe('Graph webhook and subscriptions', () => {
  let stack: DiscoveryStack;
  let server: WebhookServer;
  let managing: DiscoveryCore;
  let queue: QueueClient;

  const queued = async (): Promise<DiscoveryJob[]> =>
    (await queue.peekMessages({ numberOfMessages: 32 })).peekedMessageItems.map(
      (m) => JSON.parse(Buffer.from(m.messageText, 'base64').toString('utf8')) as DiscoveryJob,
    );
  const drain = async (): Promise<DiscoveryJob[]> => {
    const jobs: DiscoveryJob[] = [];
    for (;;) {
      const { receivedMessageItems } = await queue.receiveMessages({ numberOfMessages: 32 });
      if (receivedMessageItems.length === 0) return jobs;
      for (const m of receivedMessageItems) {
        jobs.push(JSON.parse(Buffer.from(m.messageText, 'base64').toString('utf8')) as DiscoveryJob);
        await queue.deleteMessage(m.messageId, m.popReceipt);
      }
    }
  };
  const post = (body: string, query = '') =>
    fetch(`${server.url}/api/graph/notifications${query}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    });

  beforeAll(async () => {
    stack = await DiscoveryStack.start(
      {
        seed: 59,
        shape: {
          users: 2,
          usersWithoutMailbox: 0,
          guests: 0,
          messagesPerMailbox: 1,
          customFoldersPerMailbox: 0,
          filesPerDrive: 1,
          sites: 0,
          groups: 1,
          filesPerGroupLibrary: 1,
          threadsPerGroup: 1,
          maxFileBytes: 4096,
        },
      },
      { collapseSeconds: 0 },
    );
    await stack.onboard();
    await stack.discovery.reconcile(stack.tenantId);
    server = await startWebhookServer(stack.core);
    managing = stack.coreWith({ NOTIFICATION_BASE_URL: server.url }, { collapseSeconds: 0 });
    queue = new QueueClient(stack.backup.azurite.connectionString, QueueNames.discoveryJobs);
    await queue.createIfNotExists();
  });
  afterAll(async () => {
    await server?.close();
    await stack?.stop();
  });

  it('answers the validation handshake with the decoded token as text/plain; subscriptions are created through it', async () => {
    const token = 'Validation: Token+/= é';
    const answer = await post('', `?validationToken=${encodeURIComponent(token)}`);
    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(await answer.text()).toBe(token);

    const created = await managing.subscriptions(silentLogger).ensure(stack.tenantId);
    expect(created.map((s) => s.resource).sort()).toEqual(['groups', 'users']);
    const atGraph = await stack.backup.simulator.control.subscriptions();
    expect(atGraph.map((s) => s.id).sort()).toEqual(created.map((s) => s.subscriptionId).sort());
    // Asking again creates nothing.
    expect(await managing.subscriptions(silentLogger).ensure(stack.tenantId)).toEqual([]);
  });

  it('malformed bodies are 400 and nothing is queued', async () => {
    await drain();
    for (const body of ['not json', '{}', '{"value":[]}', '{"value":[{"clientState":"x"}]}', '[1,2]']) {
      const answer = await post(body);
      expect(answer.status, body).toBe(400);
      expect(answer.headers.get('content-type')).toBe('application/problem+json');
    }
    expect(await queued()).toEqual([]);
    expect(await stack.core.state.takePass(stack.tenantId)).toBeUndefined();
  });

  it('a forged clientState is ignored and audited, never acted on', async () => {
    const [users] = (await stack.core.subscriptionStore.list(stack.tenantId)).filter(
      (s) => s.resource === 'users',
    );
    const forged = {
      value: [
        {
          subscriptionId: users!.subscriptionId,
          clientState: 'guessed',
          tenantId: stack.tenantId,
          changeType: 'updated',
          resource: 'Users/00000000-0000-0000-0000-000000000001',
        },
      ],
    };
    expect((await post(JSON.stringify(forged))).status).toBe(202);
    const unknown = { value: [{ ...forged.value[0]!, subscriptionId: 'not-ours' }] };
    expect((await post(JSON.stringify(unknown))).status).toBe(202);
    expect(await queued()).toEqual([]);
    expect(await stack.core.state.takePass(stack.tenantId)).toBeUndefined();
    const audit = new AuditLog(new Tables(stack.backup.storage));
    const trail = await audit.page(stack.tenantId, { action: 'graph.notification.rejected' }, { limit: 10 });
    expect(trail.items).toHaveLength(1);
    expect(trail.items[0]).toMatchObject({ outcome: 'denied', target: users!.subscriptionId });
    expect(trail.items[0]!.details.reason).toBe('clientState mismatch');
  });

  it('real deliveries for a burst of new users queue one discovery pass, which finds them', async () => {
    await drain();
    const added = [];
    for (const name of ['Ada Burst', 'Bo Burst', 'Cy Burst']) {
      added.push(await stack.backup.simulator.control.addUser(stack.tenantId, { displayName: name }));
    }
    await poll('three delivered notifications', async () => {
      const delivered = (await stack.backup.simulator.control.deliveries()).filter(
        (d) => d.url.startsWith(server.url) && d.kind !== 'lifecycle' && d.ok,
      );
      return delivered.reduce((n, d) => n + d.count, 0) >= 3 ? true : undefined;
    });
    const jobs = await drain();
    expect(jobs).toEqual([{ kind: 'pass', tenantId: stack.tenantId }]);
    const result = await stack.core.runJob(jobs[0]!, silentLogger);
    expect(result).toMatchObject({ mode: 'incremental', added: 6 });
    for (const user of added) {
      const mailbox = await stack.backup.deps.resources.get(stack.tenantId, resourceIdOf('mailbox', user.id));
      expect(mailbox.state).toBe('discovered');
    }
  });

  it('reauthorizationRequired renews, subscriptionRemoved recreates, missed runs a full reconciliation', async () => {
    const control = stack.backup.simulator.control;
    const usersSub = async () =>
      (await managing.subscriptionStore.list(stack.tenantId)).find((s) => s.resource === 'users')!;
    const lifecycleJob = () =>
      poll('a lifecycle job', async () => {
        const jobs = await drain();
        return jobs.find((j) => j.kind === 'lifecycle');
      });
    await drain();

    const before = await usersSub();
    await control.lifecycle(before.subscriptionId, 'reauthorizationRequired');
    const reauth = await lifecycleJob();
    expect(reauth).toMatchObject({ event: 'reauthorizationRequired', subscriptionId: before.subscriptionId });
    await managing.runJob(reauth, silentLogger);
    const renewed = (await control.subscriptions()).find((s) => s.id === before.subscriptionId)!;
    expect(Date.parse(renewed.expirationDateTime)).toBeGreaterThan(Date.parse(before.expiresAt));

    await control.lifecycle(before.subscriptionId, 'subscriptionRemoved');
    const removed = await lifecycleJob();
    await managing.runJob(removed, silentLogger);
    const replacement = await usersSub();
    expect(replacement.subscriptionId).not.toBe(before.subscriptionId);
    const atGraph = (await control.subscriptions()).map((s) => s.id);
    expect(atGraph).toContain(replacement.subscriptionId);
    expect(atGraph).not.toContain(before.subscriptionId);
    await drain();
    await stack.core.state.takePass(stack.tenantId); // the catch-up pass; not run here

    await control.lifecycle(replacement.subscriptionId, 'missed');
    const missed = await lifecycleJob();
    await managing.runJob(missed, silentLogger);
    const [pass] = await drain();
    expect(pass).toEqual({ kind: 'pass', tenantId: stack.tenantId });
    expect(await managing.runJob(pass!, silentLogger)).toMatchObject({ mode: 'full' });
  });

  it('the upkeep timer renews subscriptions before they expire, not earlier', async () => {
    const control = stack.backup.simulator.control;
    const now = await managing.subscriptions(silentLogger).upkeep();
    expect(now).toEqual({ created: 0, renewed: 0, removed: 0 });
    const before = await control.subscriptions();
    // Two days later, one day of the three-day lifetime is left: under half, so renew.
    const clock = new ManualClock(new Date(Date.now() + 2 * 24 * 3600 * 1000));
    const later = stack.coreWith({ NOTIFICATION_BASE_URL: server.url }, { clock });
    expect(await later.subscriptions(silentLogger).upkeep()).toEqual({ created: 0, renewed: 2, removed: 0 });
    for (const sub of await control.subscriptions()) {
      const old = before.find((s) => s.id === sub.id)!;
      expect(Date.parse(sub.expirationDateTime) - Date.parse(old.expirationDateTime)).toBeGreaterThan(
        24 * 3600 * 1000,
      );
    }
  });
});
