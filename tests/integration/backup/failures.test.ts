import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BackupStack } from '../../support/backup-stack';
import { simulatorMailbox, snapshotContents } from './expected-state';

describe('backup failures a user sees', () => {
  let stack: BackupStack;
  beforeAll(async () => {
    stack = await BackupStack.start({
      seed: 23,
      shape: {
        users: 2,
        usersWithoutMailbox: 0,
        guests: 0,
        messagesPerMailbox: 15,
        customFoldersPerMailbox: 1,
        filesPerDrive: 5,
        sites: 0,
        groups: 0,
        maxFileBytes: 256 * 1024,
      },
    });
    await stack.onboard();
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('records an item deleted between listing and download as skipped, and completes with warnings', async () => {
    const user = (await stack.simulator.control.tenant(stack.tenantId)).users[0]!;
    const resource = await stack.protect('mailbox', user.id, user.userPrincipalName);
    await stack.simulator.control.addFault({ kind: 'vanish', path: '/messages/[^/]+/\\$value', count: 1 });
    const record = await stack.snapshot(resource.resourceId);
    expect(record.status).toBe('completed-with-warnings');
    expect(record.skippedCount).toBe(1);
    expect(record.skipped[0]!.reason).toBe('deleted before it could be read');
    const read = await stack.deps.snapshots.get(record.snapshotId);
    expect(read.skipped).toEqual(record.skipped);
    // Everything else is there, byte for byte; the vanished message is simply gone.
    const repository = await stack.deps.repositoryFor(stack.tenantId);
    const expected = await simulatorMailbox(stack.simulator, stack.tenantId, user.id);
    expect(await snapshotContents(repository, record.manifestRoot!)).toEqual(expected);
    const resourceAfter = await stack.deps.resources.get(stack.tenantId, resource.resourceId);
    expect(resourceAfter).toMatchObject({
      lastSnapshotStatus: 'completed-with-warnings',
      lastGoodSnapshotId: record.snapshotId,
    });
  });

  it('fails the snapshot with the reason when the mailbox is gone, and keeps the last good snapshot', async () => {
    const user = (await stack.simulator.control.tenant(stack.tenantId)).users[1]!;
    const resource = await stack.protect('mailbox', user.id, user.userPrincipalName);
    const good = await stack.snapshot(resource.resourceId);
    expect(good.status).toBe('completed');
    await stack.simulator.control.removeUser(stack.tenantId, user.id, true);
    const failed = await stack.snapshot(resource.resourceId);
    expect(failed.status).toBe('failed');
    expect(failed.failureCode).toBe('not-found');
    expect(failed.failureReason).toMatch(/404/);
    const again = await stack.snapshot(resource.resourceId);
    expect(again.status).toBe('failed');
    const after = await stack.deps.resources.get(stack.tenantId, resource.resourceId);
    expect(after).toMatchObject({
      lastGoodSnapshotId: good.snapshotId,
      lastSnapshotStatus: 'failed',
      consecutiveFailures: 2,
    });
    const totals = await stack.deps.totals.get(stack.tenantId);
    expect(totals.workloads.exchange.failing).toBe(1);
    // The last good snapshot still browses.
    const items = await stack.reader.search(stack.tenantId, good.snapshotId, {});
    expect(items.length).toBe(good.items);
  });
});
