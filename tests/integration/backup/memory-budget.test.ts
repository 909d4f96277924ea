import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BackupStack } from '../../support/backup-stack';
import { simulatorDrive, simulatorMailbox, snapshotContents } from './expected-state';

/**
 * The worker's memory budget is shared by every job it runs. At the smallest settings (16 MB of
 * downloads, one pack upload, no read cache) and with mailboxes and drives backed up at once, each
 * download waits for its share instead of failing, and every snapshot is whole.
 */
describe('backup within the smallest memory budget', () => {
  let stack: BackupStack;
  beforeAll(async () => {
    stack = await BackupStack.start({
      seed: 11,
      settings: { BACKUP_BUFFER_MB: '16', BACKUP_PACK_UPLOADS: '1', BACKUP_READ_CACHE_MB: '0' },
      shape: {
        users: 2,
        usersWithoutMailbox: 0,
        guests: 0,
        messagesPerMailbox: 60,
        customFoldersPerMailbox: 3,
        filesPerDrive: 30,
        sites: 0,
        librariesPerSite: 1,
        filesPerLibrary: 0,
        groups: 0,
        filesPerGroupLibrary: 0,
        threadsPerGroup: 0,
        maxFileBytes: 12 * 1024 * 1024,
        duplicateFileShare: 0,
      },
    });
    await stack.onboard();
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('backs up two mailboxes and two OneDrives at once, byte for byte', async () => {
    const tenant = await stack.simulator.control.tenant(stack.tenantId);
    const users = tenant.users.filter((u) => u.hasMailbox && u.driveId);
    expect(users).toHaveLength(2);
    const jobs = users.flatMap((user) => [
      { kind: 'mailbox' as const, user },
      { kind: 'onedrive' as const, user },
    ]);
    const resources = await Promise.all(
      jobs.map(({ kind, user }) => stack.protect(kind, user.id, user.userPrincipalName)),
    );
    const records = await Promise.all(resources.map((resource) => stack.snapshot(resource.resourceId)));
    const repository = await stack.deps.repositoryFor(stack.tenantId);
    for (const [index, { kind, user }] of jobs.entries()) {
      const record = records[index]!;
      expect(record.status).toBe('completed');
      const expected =
        kind === 'mailbox'
          ? await simulatorMailbox(stack.simulator, stack.tenantId, user.id)
          : await simulatorDrive(stack.simulator, stack.tenantId, user.driveId!);
      expect(expected.size).toBeGreaterThan(5);
      expect(await snapshotContents(repository, record.manifestRoot!)).toEqual(expected);
    }
    // Well over the whole budget went through it.
    const total = records.reduce((sum, r) => sum + r.logicalBytes, 0);
    expect(total).toBeGreaterThan(2 * 16 * 1024 * 1024);
  });
});
