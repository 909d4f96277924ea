import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NotificationStore } from '../../shared/notifications/notification-store';
import { resourceIdOf, type Resource } from '../../shared/resources/resource';
import { Tables } from '../../shared/storage/tables';
import { BackupStack } from '../support/backup-stack';
import { eventually, repoRoot, sampleSettings, startHost, type RunningHost } from '../support/host';

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/**
 * The whole discovery path through the real app in the local host: subscriptions created (the
 * simulator's handshake reaches the host's webhook), a user added in the simulator is delivered as a
 * real change notification, the queued pass discovers and auto-protects them, and the next
 * scheduled run backs them up.
 */
describe('discovery through Graph change notifications in the local host', () => {
  let stack: BackupStack;
  let host: RunningHost;
  const fire = async (name: string) => {
    const answer = await fetch(`${host.url}/admin/functions/${name}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(answer.status).toBe(202);
  };
  const resource = async (resourceId: string): Promise<Resource | undefined> => {
    try {
      return await stack.deps.resources.get(stack.tenantId, resourceId);
    } catch {
      return undefined;
    }
  };

  beforeAll(async () => {
    stack = await BackupStack.start({
      seed: 61,
      shape: {
        users: 1,
        usersWithoutMailbox: 0,
        guests: 0,
        messagesPerMailbox: 3,
        customFoldersPerMailbox: 0,
        filesPerDrive: 2,
        sites: 0,
        groups: 0,
        maxFileBytes: 4096,
      },
    });
    await stack.onboard();
    const tenant = await stack.deps.tenants.get(stack.tenantId);
    await stack.deps.tenants.put({
      ...tenant,
      licences: 10,
      autoProtect: { mailbox: true, onedrive: true, site: false, group: false },
    });
    const port = await freePort();
    host = await startHost({
      scriptRoot: repoRoot,
      settingsFile: sampleSettings,
      port,
      env: {
        AzureWebJobsStorage: stack.azurite.connectionString,
        GRAPH_BASE_URL: stack.simulator.graphBaseUrl,
        ENTRA_AUTHORITY_HOST: stack.simulator.authorityHost,
        BACKUP_APP_CLIENT_ID: stack.simulator.app.clientId,
        BACKUP_APP_CLIENT_SECRET: stack.simulator.app.clientSecret,
        SNAPSHOT_SPREAD_SECONDS: '0',
        NOTIFICATION_BASE_URL: `http://127.0.0.1:${port}`,
      },
    });
  });
  afterAll(async () => {
    await host?.stop();
    await stack?.stop();
  });

  it('a new user is discovered from a real notification, auto-protected and backed up in the next run', async () => {
    const existing = (await stack.simulator.control.tenant(stack.tenantId)).users[0]!;
    await fire('discovery-reconcile');
    await eventually(async () => (await resource(resourceIdOf('mailbox', existing.id)))?.protected, {
      timeoutMs: 60_000,
      what: 'the first reconciliation',
    });
    await fire('discovery-subscriptions');
    await eventually(async () => (await stack.simulator.control.subscriptions()).length === 2, {
      timeoutMs: 30_000,
      what: 'users and groups subscriptions (handshake through the host)',
    });

    const added = await stack.simulator.control.addUser(stack.tenantId, { displayName: 'Nia Newhire' });
    const mailboxId = resourceIdOf('mailbox', added.id);
    const mailbox = await eventually(
      async () => {
        const r = await resource(mailboxId);
        return r?.protected ? r : undefined;
      },
      { timeoutMs: 60_000, what: 'the new user discovered and protected' },
    );
    expect(mailbox).toMatchObject({ state: 'protected', displayName: 'Nia Newhire' });
    const deliveries = await stack.simulator.control.deliveries();
    expect(deliveries.some((d) => d.url.startsWith(host.url) && d.kind !== 'lifecycle' && d.ok)).toBe(true);
    // The blue notification is raised right after the resource is protected (not in the same write).
    const notifications = new NotificationStore(new Tables(stack.storage), () => new Date());
    const notice = await eventually(
      async () => (await notifications.all(stack.tenantId)).find((n) => n.resourceId === mailboxId),
      { timeoutMs: 15_000, what: 'the protection-added notification' },
    );
    expect(notice).toMatchObject({
      severity: 'blue',
      category: 'protection-added',
    });

    await fire('snapshot-scheduler');
    const backedUp = await eventually(
      async () => {
        const r = await resource(mailboxId);
        return r?.lastSnapshotStatus === 'completed' ? r : undefined;
      },
      { timeoutMs: 90_000, intervalMs: 250, what: "the new user's mailbox backed up" },
    );
    const record = await stack.deps.snapshots.get(backedUp.lastGoodSnapshotId!);
    expect(record.reason).toBe('schedule');
    expect(host.output()).toMatch(/discovery job finished/);

    // Entra's consent redirect reaches the app; a state it did not issue is refused.
    const forged = await fetch(`${host.url}/api/graph/admin-consent?state=forged&admin_consent=True`);
    expect(forged.status).toBe(403);
    expect(await forged.text()).toMatch(/unknown or was already used/);
  });
});
