import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditLog } from '../../../shared/audit/audit-log';
import { AppError } from '../../../shared/errors/app-error';
import { GraphClientFactory } from '../../../shared/graph/graph-client';
import { silentLogger } from '../../../shared/observability/logger';
import { StorageJobQueue } from '../../../shared/queues/job-queues';
import { resourceIdOf } from '../../../shared/resources/resource';
import { createRestoreCore } from '../../../shared/restore/restore-core';
import {
  requestRestore,
  verifyRestore,
  type RestoreRequestDependencies,
} from '../../../shared/restore/restore-requests';
import { Tables } from '../../../shared/storage/tables';
import { systemClock } from '../../../shared/time/clock';
import { DiscoveryStack } from '../../support/discovery-stack';
import { restoreToEnd } from '../../support/restore-stack';

/**
 * Restores tell the admin how they ended, through the same notifications as backups (the bell; red
 * ones mailed to the registered admin contact): wired as the app's composition root wires them.
 */
describe('restore notifications', () => {
  let stack: DiscoveryStack;
  let deps: RestoreRequestDependencies;
  let audit: AuditLog;
  let users: { id: string; userPrincipalName: string }[];
  let admin: { id: string; userPrincipalName: string };

  beforeAll(async () => {
    stack = await DiscoveryStack.start({
      seed: 71,
      shape: {
        users: 4,
        usersWithoutMailbox: 0,
        guests: 0,
        messagesPerMailbox: 6,
        customFoldersPerMailbox: 1,
        filesPerDrive: 2,
        sites: 0,
        groups: 0,
        maxFileBytes: 64 * 1024,
      },
    });
    const sim = await stack.backup.simulator.control.tenant(stack.tenantId);
    users = sim.users.filter((u) => u.hasMailbox);
    const sender = users[1]!;
    admin = users[2]!;
    // The provider's service mailbox is a simulator mailbox here; the admin contact another one.
    await stack.onboard({ adminContactEmail: admin.userPrincipalName });
    const overrides = {
      NOTIFICATION_MAIL_SENDER: sender.userPrincipalName,
      NOTIFICATION_MAIL_TENANT_ID: stack.tenantId,
    };
    const settings = { ...stack.backup.settings, ...overrides };
    const discovery = stack.coreWith(overrides);
    const tables = new Tables(stack.backup.storage);
    audit = new AuditLog(tables);
    const core = createRestoreCore({
      settings,
      storage: stack.backup.storage,
      clock: systemClock,
      tenants: stack.backup.deps.tenants,
      resources: stack.backup.deps.resources,
      reader: stack.backup.reader,
      queue: new StorageJobQueue(stack.backup.storage.queues),
      graph: new GraphClientFactory({
        baseUrl: settings.GRAPH_BASE_URL,
        authorityHost: settings.ENTRA_AUTHORITY_HOST,
        clientId: settings.BACKUP_APP_CLIENT_ID,
        clientSecret: settings.BACKUP_APP_CLIENT_SECRET,
      }),
      alerts: { notifier: discovery.notifier, audit, clock: systemClock },
    });
    deps = { ...core.restore(silentLogger), leaseRetrySeconds: 1 };
  });
  afterAll(async () => {
    await stack?.stop();
  });

  const alertMails = async (subject: RegExp) =>
    (await stack.backup.simulator.control.sentMail()).filter((m) => subject.test(m.subject));

  it('a finished restore is green with its restored, skipped and failed counts', async () => {
    const user = users[0]!;
    const resource = await stack.backup.protect('mailbox', user.id, user.userPrincipalName);
    const snapshot = await stack.backup.snapshot(resource.resourceId);
    const { job } = await restoreToEnd(deps, stack.backup, {
      snapshotId: snapshot.snapshotId,
      scope: { kind: 'all' },
      target: { kind: 'original' },
      conflict: 'skip',
    });
    expect(job.state).toBe('completed');
    const green = (await stack.notifications()).filter((n) => n.category === 'restore-finished');
    expect(green).toHaveLength(1);
    expect(green[0]).toMatchObject({ severity: 'green', resourceId: resource.resourceId, resolved: true });
    expect(green[0]!.message).toBe(
      `The restore of the mailbox ${user.userPrincipalName} into "${job.destination}" finished: ` +
        `${job.report.restored} restored, 0 skipped, 0 failed.`,
    );
    expect(job.report.restored).toBeGreaterThan(0);
  });

  it('a failed restore is red and mailed to the admin contact; the next finished restore clears it', async () => {
    const source = users[0]!;
    const gone = users[3]!;
    const resource = await stack.backup.protect('mailbox', source.id, source.userPrincipalName);
    const target = await stack.backup.protect('mailbox', gone.id, gone.userPrincipalName);
    const snapshot = await stack.backup.snapshot(resource.resourceId);
    // The target mailbox disappears between the request and the run: Graph answers 404.
    await stack.backup.simulator.control.removeUser(stack.tenantId, gone.id);
    const { job } = await restoreToEnd(deps, stack.backup, {
      snapshotId: snapshot.snapshotId,
      scope: { kind: 'all' },
      target: { kind: 'resource', resourceId: target.resourceId, folderPath: ['From Ana'] },
      conflict: 'skip',
    });
    expect(job.state).toBe('failed');
    const red = (await stack.notifications()).filter((n) => n.category === 'restore-failed');
    expect(red).toHaveLength(1);
    expect(red[0]).toMatchObject({ severity: 'red', resourceId: resource.resourceId, resolved: false });
    expect(red[0]!.message).toMatch(
      new RegExp(
        `^The restore of the mailbox ${source.userPrincipalName} to the mailbox ${gone.userPrincipalName} \\(From Ana\\) failed: `,
      ),
    );
    const mails = await alertMails(/^\[M365 Backup\] Critical: The restore of /);
    expect(mails).toHaveLength(1);
    expect(mails[0]!.deliveredTo.map((a) => a.toLowerCase())).toContain(
      admin.userPrincipalName.toLowerCase(),
    );

    const again = await restoreToEnd(deps, stack.backup, {
      snapshotId: snapshot.snapshotId,
      scope: { kind: 'all' },
      target: { kind: 'original' },
      conflict: 'skip',
    });
    expect(again.job.state).toBe('completed');
    const bell = await stack.notifications();
    expect(bell.find((n) => n.notificationId === red[0]!.notificationId)!.resolved).toBe(true);
    expect(
      bell.some((n) => n.severity === 'green' && /^Restores of .* succeed again\.$/.test(n.message)),
    ).toBe(true);
  });

  it('five wrong verification codes cancel the restore: red, mailed, and in the audit trail', async () => {
    const user = users[0]!;
    const resource = await stack.backup.protect('onedrive', user.id, user.userPrincipalName);
    const snapshot = await stack.backup.snapshot(resource.resourceId);
    const { job } = await requestRestore(deps, {
      tenantId: stack.tenantId,
      snapshotId: snapshot.snapshotId,
      scope: { kind: 'all' },
      target: { kind: 'original' },
      conflict: 'overwrite',
      requestedBy: 'mallory@contoso.test',
    });
    const codes: string[] = [];
    for (let attempt = 0; attempt < 5; attempt++) {
      try {
        // Never a valid code: six digits are required.
        await verifyRestore(deps, stack.tenantId, job.jobId, '12345x');
      } catch (error) {
        codes.push(error instanceof AppError ? error.code : String(error));
      }
    }
    expect(codes).toEqual(['invalid', 'invalid', 'invalid', 'invalid', 'locked-out']);
    expect((await deps.jobs.get(stack.tenantId, job.jobId)).state).toBe('cancelled');

    const red = (await stack.notifications()).filter((n) => n.category === 'restore-lockout');
    expect(red).toHaveLength(1);
    expect(red[0]).toMatchObject({
      severity: 'red',
      resourceId: resourceIdOf('onedrive', user.id),
      resolved: false,
      message: `A restore of the OneDrive ${user.userPrincipalName} requested by mallory@contoso.test was cancelled after 5 wrong verification codes.`,
    });
    expect(await alertMails(/^\[M365 Backup\] Critical: A restore of the OneDrive /)).toHaveLength(1);
    const trail = await audit.page(stack.tenantId, { action: 'restore.verification.lockout' }, { limit: 10 });
    expect(trail.items).toHaveLength(1);
    expect(trail.items[0]).toMatchObject({
      target: job.jobId,
      outcome: 'denied',
      actor: { userId: 'mallory@contoso.test' },
      details: { resourceId: resource.resourceId, wrongCodes: 5 },
    });
  });
});
