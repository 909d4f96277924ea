import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BackupStack } from '../../support/backup-stack';
import { simulatorDrive, simulatorMailbox, snapshotContents } from './expected-state';

/**
 * Full and incremental snapshots of a generated tenant: every item read back from the repository
 * equals the simulator's bytes, folder trees included; after the simulator's activity the next
 * snapshot holds exactly the new state while the earlier one still reads back as it was.
 */
describe('backup round trip against the simulator', () => {
  let stack: BackupStack;
  beforeAll(async () => {
    stack = await BackupStack.start({
      shape: {
        users: 2,
        usersWithoutMailbox: 0,
        guests: 0,
        messagesPerMailbox: 40,
        customFoldersPerMailbox: 3,
        filesPerDrive: 12,
        sites: 1,
        librariesPerSite: 2,
        filesPerLibrary: 6,
        groups: 1,
        filesPerGroupLibrary: 4,
        threadsPerGroup: 3,
        maxFileBytes: 3 * 1024 * 1024,
        duplicateFileShare: 0.2,
      },
    });
    await stack.onboard();
  });
  afterAll(async () => {
    await stack?.stop();
  });

  async function firstUser() {
    const tenant = await stack.simulator.control.tenant(stack.tenantId);
    return tenant.users.find((u) => u.hasMailbox && u.driveId)!;
  }

  it('backs up a mailbox: every folder and message, MIME byte for byte; then exactly the new state', async () => {
    const user = await firstUser();
    const resource = await stack.protect('mailbox', user.id, user.userPrincipalName);
    const first = await stack.snapshot(resource.resourceId);
    expect(first.status).toBe('completed');
    const repository = await stack.deps.repositoryFor(stack.tenantId);
    const expectedFirst = await simulatorMailbox(stack.simulator, stack.tenantId, user.id);
    expect(expectedFirst.size).toBeGreaterThan(20);
    expect(await snapshotContents(repository, first.manifestRoot!)).toEqual(expectedFirst);
    expect(first).toMatchObject({ items: expectedFirst.size, added: expectedFirst.size, removed: 0 });

    // New mail, a move, a read-state change and a deletion.
    const tree = await stack.simulator.control.mailbox(stack.tenantId, user.id);
    const inbox = tree.folders.find((f) => f.wellKnownName === 'inbox')!;
    const [toMove, toRead, toDelete] = inbox.messages;
    await stack.simulator.control.moveMessage(stack.tenantId, user.id, toMove!.immutableId, 'archive');
    await stack.simulator.control.updateMessage(stack.tenantId, user.id, toRead!.immutableId, {
      isRead: !toRead!.isRead,
    });
    await stack.simulator.control.deleteMessage(stack.tenantId, user.id, toDelete!.immutableId);
    const mime = Buffer.from(
      'From: Ngozi Okafor <ngozi@example.org>\r\nTo: someone@example.com\r\nSubject: =?UTF-8?Q?Gr=C3=BC=C3=9Fe?=\r\n' +
        'Date: Sun, 22 Nov 2026 06:00:00 +0000\r\nMessage-ID: <new-1@example.org>\r\nMIME-Version: 1.0\r\n' +
        'Content-Type: text/plain; charset=utf-8\r\n\r\nHallo!\r\n',
    );
    await stack.simulator.control.deliverMessage(stack.tenantId, user.id, mime, { folder: 'inbox' });

    const second = await stack.snapshot(resource.resourceId);
    expect(second.status).toBe('completed');
    const expectedSecond = await simulatorMailbox(stack.simulator, stack.tenantId, user.id);
    expect(await snapshotContents(repository, second.manifestRoot!)).toEqual(expectedSecond);
    expect(second).toMatchObject({ added: 1, removed: 1, changed: 2 });
    // Metadata-only changes downloaded nothing again: one new message's worth of Graph reads.
    expect(second.graphRequests).toBeLessThan(first.graphRequests / 4);
    // The earlier snapshot still reads back as it was.
    expect(await snapshotContents(repository, first.manifestRoot!)).toEqual(expectedFirst);
  });

  it('backs up a OneDrive byte for byte, then only what changed', async () => {
    const user = await firstUser();
    const resource = await stack.protect('onedrive', user.id, user.userPrincipalName);
    const first = await stack.snapshot(resource.resourceId);
    expect(first.status).toBe('completed');
    const repository = await stack.deps.repositoryFor(stack.tenantId);
    const expectedFirst = await simulatorDrive(stack.simulator, stack.tenantId, user.driveId!);
    expect(await snapshotContents(repository, first.manifestRoot!)).toEqual(expectedFirst);

    const files = [...expectedFirst.keys()];
    await stack.simulator.control.editFile(stack.tenantId, user.driveId!, files[0]!);
    await stack.simulator.control.deleteFile(stack.tenantId, user.driveId!, files[1]!);
    await stack.simulator.control.moveFile(stack.tenantId, user.driveId!, files[2]!, {
      name: `renamed ${Date.now()}.txt`,
    });
    await stack.simulator.control.putFile(
      stack.tenantId,
      user.driveId!,
      'Neu/Überblick.txt',
      Buffer.from('neu\n'.repeat(1000)),
    );

    const second = await stack.snapshot(resource.resourceId);
    const expectedSecond = await simulatorDrive(stack.simulator, stack.tenantId, user.driveId!);
    expect(await snapshotContents(repository, second.manifestRoot!)).toEqual(expectedSecond);
    expect(second).toMatchObject({ added: 1, removed: 1, changed: 2 });
    expect(await snapshotContents(repository, first.manifestRoot!)).toEqual(expectedFirst);
  });

  it('backs up a site (every library as a folder) and a group (library and conversations)', async () => {
    const tenant = await stack.simulator.control.tenant(stack.tenantId);
    const site = tenant.sites.find((s) => s.driveIds.length >= 2)!;
    const siteResource = await stack.protect('site', site.id, site.displayName);
    const siteSnapshot = await stack.snapshot(siteResource.resourceId);
    expect(siteSnapshot.status).toBe('completed');
    const repository = await stack.deps.repositoryFor(stack.tenantId);
    const libraries = await repository.listFolder(siteSnapshot.manifestRoot!);
    expect(libraries.filter((e) => e.kind === 'folder')).toHaveLength(site.driveIds.length);
    const got = await snapshotContents(repository, siteSnapshot.manifestRoot!);
    let expectedFiles = 0;
    for (const library of libraries) {
      const driveId = library.metadata?.libraryDriveId as string;
      const expected = await simulatorDrive(stack.simulator, stack.tenantId, driveId, [library.name]);
      expectedFiles += expected.size;
      for (const [path, hash] of expected) expect(got.get(path)).toBe(hash);
    }
    expect(got.size).toBe(expectedFiles);

    const group = tenant.groups[0]!;
    const groupResource = await stack.protect('group', group.id, group.displayName);
    const groupSnapshot = await stack.snapshot(groupResource.resourceId);
    expect(groupSnapshot.status).toBe('completed');
    const top = await repository.listFolder(groupSnapshot.manifestRoot!);
    expect(top.map((e) => e.name)).toContain('Conversations');
    const threads = await repository.listFolder(groupSnapshot.manifestRoot!, ['Conversations']);
    expect(threads.length).toBe(3);
    const thread = JSON.parse(
      (
        await (async () => {
          const chunks: Buffer[] = [];
          for await (const c of repository.readContent(threads[0]!.content!)) chunks.push(c as Buffer);
          return Buffer.concat(chunks);
        })()
      ).toString('utf8'),
    ) as { posts: unknown[]; topic: string };
    expect(thread.posts.length).toBeGreaterThan(0);
    expect(thread.topic).toBe(threads[0]!.metadata?.topic);
  });

  it("counts each job's own Graph requests and stored bytes when jobs of one tenant run at once", async () => {
    const tenant = await stack.simulator.control.tenant(stack.tenantId);
    const second = tenant.users.filter((u) => u.hasMailbox && u.driveId)[1]!;
    const mailbox = await stack.protect('mailbox', second.id, second.userPrincipalName);
    const drive = await stack.protect('onedrive', second.id, second.userPrincipalName);
    await stack.simulator.control.resetCounters();
    const [mail, files] = await Promise.all([
      stack.snapshot(mailbox.resourceId),
      stack.snapshot(drive.resourceId),
    ]);
    const served = (await stack.simulator.control.counters()).total;
    expect(mail.graphRequests).toBeGreaterThan(mail.items);
    expect(files.graphRequests).toBeGreaterThan(1);
    expect(mail.graphRequests + files.graphRequests).toBeLessThanOrEqual(served);
    expect(mail.storedBytes).toBeGreaterThan(0);
    expect(mail.storedBytes).toBeLessThan(mail.logicalBytes);
  });
});
