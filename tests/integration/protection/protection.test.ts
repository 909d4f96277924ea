import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../../shared/errors/app-error';
import { resourceIdOf } from '../../../shared/resources/resource';
import { DiscoveryStack } from '../../support/discovery-stack';

/** Licences and protection against discovered resources (Azurite + the simulator). */
describe('licences and protection', () => {
  let stack: DiscoveryStack;
  let users: string[];
  beforeAll(async () => {
    stack = await DiscoveryStack.start({
      seed: 53,
      shape: {
        users: 8,
        usersWithoutMailbox: 0,
        guests: 0,
        messagesPerMailbox: 2,
        customFoldersPerMailbox: 0,
        filesPerDrive: 1,
        sites: 1,
        librariesPerSite: 1,
        filesPerLibrary: 1,
        groups: 1,
        filesPerGroupLibrary: 1,
        threadsPerGroup: 1,
        maxFileBytes: 4096,
      },
    });
    await stack.onboard({ licences: 5 });
    await stack.discovery.reconcile(stack.tenantId);
    users = (await stack.backup.simulator.control.tenant(stack.tenantId)).users.map((u) => u.id);
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('concurrent requests never assign more licences than the tenant has', async () => {
    const outcomes = await Promise.allSettled(
      users.map((userId) => stack.core.protection.enableUsers(stack.tenantId, [userId])),
    );
    const ok = outcomes.filter((o) => o.status === 'fulfilled');
    const refused = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
    expect(ok).toHaveLength(5);
    expect(refused).toHaveLength(3);
    for (const r of refused) {
      expect(r.reason).toBeInstanceOf(AppError);
      expect((r.reason as AppError).code).toBe('conflict');
      expect((r.reason as AppError).message).toMatch(/1 user\(s\) asked, 0 of 5 free/);
    }
    expect(await stack.core.protection.licenceSummary(stack.tenantId)).toEqual({
      plan: 'full',
      total: 5,
      used: 5,
      free: 0,
    });
    let protectedMailboxes = 0;
    for await (const r of stack.backup.deps.resources.list(stack.tenantId, { protectedOnly: true })) {
      expect(r.state).toBe('protected');
      if (r.kind === 'mailbox') protectedMailboxes += 1;
    }
    expect(protectedMailboxes).toBe(5);
  });

  it('asking for more users than free licences protects none and says how many were asked and free', async () => {
    const licensed = await stack.core.licences.holders(stack.tenantId);
    const first = [...licensed][0]!;
    await stack.core.protection.disableUsers(stack.tenantId, [first]);
    const unlicensed = users.filter((u) => !licensed.has(u));
    await expect(stack.core.protection.enableUsers(stack.tenantId, unlicensed)).rejects.toThrow(
      /not enough licences: 3 user\(s\) asked, 1 of 5 free; nothing was enabled/,
    );
    for (const userId of unlicensed) {
      const mailbox = await stack.backup.deps.resources.get(stack.tenantId, resourceIdOf('mailbox', userId));
      expect(mailbox.protected).toBe(false);
    }
    // Re-enabling a licensed user takes no second licence.
    await stack.core.protection.enableUsers(stack.tenantId, [unlicensed[0]!]);
    await stack.core.protection.enableUsers(stack.tenantId, [unlicensed[0]!]);
    expect((await stack.core.protection.licenceSummary(stack.tenantId)).used).toBe(5);
  });

  it('disabling frees the licence and keeps the backups', async () => {
    const userId = [...(await stack.core.licences.holders(stack.tenantId))][0]!;
    const mailboxId = resourceIdOf('mailbox', userId);
    const record = await stack.backup.snapshot(mailboxId);
    expect(record.status).toBe('completed');
    const before = (await stack.core.protection.licenceSummary(stack.tenantId)).used;
    await stack.core.protection.disableUsers(stack.tenantId, [userId]);
    expect((await stack.core.protection.licenceSummary(stack.tenantId)).used).toBe(before - 1);
    const mailbox = await stack.backup.deps.resources.get(stack.tenantId, mailboxId);
    expect(mailbox).toMatchObject({
      protected: false,
      state: 'discovered',
      lastGoodSnapshotId: record.snapshotId,
    });
    expect((await stack.backup.deps.snapshots.get(record.snapshotId)).status).toBe('completed');
  });

  it('exchange-only protects mailboxes only and refuses sites and groups', async () => {
    await stack.onboard({ plan: 'exchange-only', licences: 100 });
    const userId = users[0]!;
    await stack.core.protection.disableUsers(stack.tenantId, [userId]);
    const result = await stack.core.protection.enableUsers(stack.tenantId, [userId]);
    expect(result.protected).toEqual([resourceIdOf('mailbox', userId)]);
    const drive = await stack.backup.deps.resources.get(stack.tenantId, resourceIdOf('onedrive', userId));
    expect(drive.protected).toBe(false);
    const site = (await stack.backup.deps.resources.page(stack.tenantId, { kind: 'site' }, { limit: 1 }))
      .items[0]!;
    await expect(
      stack.core.protection.enableCollaboration(stack.tenantId, [site.resourceId]),
    ).rejects.toMatchObject({
      code: 'conflict',
      message: expect.stringMatching(/not part of the exchange-only plan/),
    });
    expect((await stack.backup.deps.resources.get(stack.tenantId, site.resourceId)).protected).toBe(false);

    // On full, sites and groups are enabled separately and take no licence.
    await stack.onboard({ plan: 'full', licences: 100 });
    const used = (await stack.core.protection.licenceSummary(stack.tenantId)).used;
    await stack.core.protection.enableCollaboration(stack.tenantId, [site.resourceId]);
    expect((await stack.backup.deps.resources.get(stack.tenantId, site.resourceId)).protected).toBe(true);
    expect((await stack.core.protection.licenceSummary(stack.tenantId)).used).toBe(used);
  });
});
