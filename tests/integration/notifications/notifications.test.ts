import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SnapshotRecord } from '../../../shared/backup/snapshot-record';
import { silentLogger } from '../../../shared/observability/logger';
import { resourceIdOf } from '../../../shared/resources/resource';
import { ManualClock } from '../../../shared/time/clock';
import { DiscoveryStack } from '../../support/discovery-stack';

/** Alerts raised by snapshots: one open alert per condition, resolved with a green notice. */
describe('snapshot notifications', () => {
  let stack: DiscoveryStack;
  let userId: string;
  let mailboxId: string;
  beforeAll(async () => {
    stack = await DiscoveryStack.start({
      seed: 57,
      shape: {
        users: 1,
        usersWithoutMailbox: 0,
        guests: 0,
        messagesPerMailbox: 3,
        customFoldersPerMailbox: 0,
        filesPerDrive: 1,
        sites: 0,
        groups: 0,
        maxFileBytes: 4096,
      },
    });
    await stack.onboard();
    await stack.discovery.reconcile(stack.tenantId);
    userId = (await stack.backup.simulator.control.tenant(stack.tenantId)).users[0]!.id;
    mailboxId = resourceIdOf('mailbox', userId);
    await stack.core.protection.enableUsers(stack.tenantId, [userId]);
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('a persistent snapshot failure raises one red alert, not one per run; a good run resolves it', async () => {
    await stack.backup.simulator.control.addFault({
      kind: 'status',
      status: 403,
      path: `/users/${userId}/mailFolders`,
      count: 1000,
    });
    const statuses: string[] = [];
    for (let run = 0; run < 4; run++) statuses.push((await stack.backup.snapshot(mailboxId)).status);
    expect(statuses).toEqual(['failed', 'failed', 'failed', 'failed']);
    const red = (await stack.notifications()).filter((n) => n.category === 'snapshot-failing');
    expect(red).toHaveLength(1);
    expect(red[0]).toMatchObject({ severity: 'red', resourceId: mailboxId, resolved: false });
    expect(red[0]!.message).toMatch(/keep failing \(2 in a row\)/);

    await stack.backup.simulator.control.clearFaults();
    expect((await stack.backup.snapshot(mailboxId)).status).toBe('completed');
    const bell = await stack.notifications();
    expect(bell.find((n) => n.notificationId === red[0]!.notificationId)!.resolved).toBe(true);
    const green = bell.filter((n) => n.severity === 'green' && n.resourceId === mailboxId);
    expect(green.map((n) => n.message)).toEqual([expect.stringMatching(/succeed again/)]);

    // The dashboard's bell counts unread ones; reading the alert clears its count.
    expect((await stack.core.notifications.unreadBySeverity(stack.tenantId)).red).toBe(1);
    await stack.core.notifications.markRead(stack.tenantId, red[0]!.notificationId);
    expect((await stack.core.notifications.unreadBySeverity(stack.tenantId)).red).toBe(0);
  });

  it('completed with warnings is yellow and lists the skipped items', async () => {
    const notifier = stack.core.notifier(silentLogger);
    const resource = await stack.backup.deps.resources.get(stack.tenantId, mailboxId);
    const record = {
      status: 'completed-with-warnings',
      skippedCount: 2,
      skipped: [
        { item: 'Inbox/Quarterly report', reason: 'the message is larger than 150 MB' },
        { item: 'Inbox/Broken', reason: 'Graph answered 500 five times' },
      ],
    } as unknown as SnapshotRecord;
    await notifier.snapshotFinished(record, resource);
    await notifier.snapshotFinished(record, resource);
    const yellow = (await stack.notifications()).filter((n) => n.category === 'snapshot-warnings');
    expect(yellow).toHaveLength(1);
    expect(yellow[0]!.severity).toBe('yellow');
    expect(yellow[0]!.message).toMatch(
      /skipped 2 item\(s\): Inbox\/Quarterly report \(the message is larger/,
    );
  });

  it('no good snapshot for more than 24 hours is red once; the next good snapshot resolves it', async () => {
    const clock = new ManualClock(new Date(Date.now() + 25 * 3600 * 1000));
    const later = stack.coreWith({}, { clock }).notifier(silentLogger);
    // The OneDrive was protected but never backed up; the mailbox's last good snapshot is now.
    expect(await later.checkStaleSnapshots()).toBe(2);
    expect(await later.checkStaleSnapshots()).toBe(0);
    const stale = (await stack.notifications()).filter((n) => n.category === 'snapshot-stale' && !n.resolved);
    expect(stale.map((n) => n.resourceId).sort()).toEqual(
      [mailboxId, resourceIdOf('onedrive', userId)].sort(),
    );
    expect(stale.every((n) => n.severity === 'red')).toBe(true);

    expect((await stack.backup.snapshot(resourceIdOf('onedrive', userId))).status).toBe('completed');
    const open = (await stack.notifications()).filter((n) => n.category === 'snapshot-stale' && !n.resolved);
    expect(open.map((n) => n.resourceId)).toEqual([mailboxId]);
  });
});
