import { createHash, randomBytes } from 'node:crypto';
import { simpleParser } from 'mailparser';
import MailComposer from 'nodemailer/lib/mail-composer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SnapshotRecord } from '../../../shared/backup/snapshot-record';
import { GraphClientFactory } from '../../../shared/graph/graph-client';
import { defaultRetryPolicy } from '../../../shared/graph/retry-middleware';
import { restoreFolderName } from '../../../shared/restore/mail-restorer';
import type { RestoreEngineDependencies } from '../../../shared/restore/restore-engine';
import { BackupStack } from '../../support/backup-stack';
import {
  restoreDeps,
  restoreToEnd,
  slicedRestoreDeps,
  takeRestoreMessages,
} from '../../support/restore-stack';
import {
  cancelRestoreJob,
  createRestoreJob,
  queueRestoreJob,
  runRestoreJob,
} from '../../../shared/restore/restore-engine';
import { simulatorDrive, snapshotContents, type ContentMap } from '../backup/expected-state';

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

/** What a restored message must keep: parsed from its MIME, so a re-composed MIME compares equal. */
async function mailEssence(mime: Buffer) {
  const p = await simpleParser(mime, { skipTextToHtml: true, skipImageLinks: true });
  const addr = (a: typeof p.to) =>
    (a ? (Array.isArray(a) ? a : [a]) : []).flatMap((x) => x.value.map((v) => v.address?.toLowerCase()));
  return {
    subject: p.subject ?? '',
    from: addr(p.from),
    to: addr(p.to),
    cc: addr(p.cc),
    messageId: p.messageId,
    body: (p.html || p.text || '').replace(/\s+/g, ' ').trim(),
    attachments: p.attachments.map((a) => `${a.filename ?? ''}:${a.size}:${sha256(a.content)}`).sort(),
  };
}

async function composeMime(options: ConstructorParameters<typeof MailComposer>[0]): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    new MailComposer(options).compile().build((err, message) => (err ? reject(err) : resolve(message))),
  );
}

/**
 * Back up, change the simulator's tenant, restore, and read the tenant back: every restored item
 * equals the snapshot (file bytes; mail content, folders, read state, flags, dates; not drafts),
 * for original and alternate targets and each conflict policy.
 */
describe('restore round trip against the simulator', () => {
  let stack: BackupStack;
  let deps: RestoreEngineDependencies;
  beforeAll(async () => {
    stack = await BackupStack.start({
      shape: {
        users: 2,
        usersWithoutMailbox: 0,
        guests: 0,
        messagesPerMailbox: 12,
        customFoldersPerMailbox: 2,
        filesPerDrive: 8,
        sites: 1,
        librariesPerSite: 2,
        filesPerLibrary: 4,
        groups: 1,
        filesPerGroupLibrary: 3,
        threadsPerGroup: 2,
        maxFileBytes: 512 * 1024,
        duplicateFileShare: 0,
      },
    });
    await stack.onboard();
    deps = restoreDeps(stack);
  });
  afterAll(async () => {
    await stack?.stop();
  });

  async function users() {
    const tenant = await stack.simulator.control.tenant(stack.tenantId);
    const withBoth = tenant.users.filter((u) => u.hasMailbox && u.driveId);
    return { first: withBoth[0]!, second: withBoth[1]!, tenant };
  }

  /** Both users' OneDrives protected, a snapshot of the first one and its contents by path. */
  async function firstOneDriveSnapshot() {
    const { first, second } = await users();
    const source = await stack.protect('onedrive', first.id, first.userPrincipalName);
    await stack.protect('onedrive', second.id, second.userPrincipalName);
    const snapshot = await stack.snapshot(source.resourceId);
    const repository = await stack.deps.repositoryFor(stack.tenantId);
    const expected = await snapshotContents(repository, snapshot.manifestRoot!);
    return { first, second, source, snapshot, expected };
  }

  /**
   * Runs the restore queue to the end, every message delivered twice (as the host redelivers after
   * a crash or a lost ack); returns how many slices ran.
   */
  async function runEveryMessageTwice(sliced: RestoreEngineDependencies): Promise<number> {
    let slices = 0;
    for (let round = 0; round < 500; round++) {
      const messages = await takeRestoreMessages(stack);
      if (messages.length === 0) break;
      for (const message of messages) {
        await runRestoreJob(sliced, message);
        await runRestoreJob(sliced, message);
        slices += 1;
      }
    }
    return slices;
  }

  /** What a drive holds under a folder now, by path below it. */
  async function liveUnder(driveId: string, folder: string): Promise<ContentMap> {
    const live = await simulatorDrive(stack.simulator, stack.tenantId, driveId);
    return new Map(
      [...live].filter(([p]) => p.startsWith(`${folder}/`)).map(([p, h]) => [p.slice(folder.length + 1), h]),
    );
  }

  /** Snapshot messages, keyed by `folder path|Message-ID`. */
  async function snapshotMail(snapshot: SnapshotRecord) {
    const repository = await stack.deps.repositoryFor(stack.tenantId);
    const out = new Map<string, { path: string; essence: unknown; meta: Record<string, unknown> }>();
    for await (const { path, entry } of repository.walk(snapshot.manifestRoot!)) {
      if (entry.kind !== 'message' || !entry.content) continue;
      const parts: Buffer[] = [];
      for await (const c of repository.readContent(entry.content)) parts.push(c as Buffer);
      const essence = await mailEssence(Buffer.concat(parts));
      out.set(`${path.join('/')}|${essence.messageId}`, {
        path: path.join('/'),
        essence,
        meta: entry.metadata ?? {},
      });
    }
    return out;
  }

  /** The target mailbox's messages under `root`, keyed by `folder path below root|Message-ID`. */
  async function restoredMail(userId: string, root: string[]) {
    const tree = await stack.simulator.control.mailbox(stack.tenantId, userId);
    const byId = new Map(tree.folders.map((f) => [f.id, f]));
    const pathOf = (id: string): string[] => {
      const f = byId.get(id)!;
      const parent = f.parentId ? byId.get(f.parentId) : undefined;
      if (!parent || parent.wellKnownName === 'msgfolderroot') return [f.displayName];
      return [...pathOf(parent.id), f.displayName];
    };
    const out = new Map<
      string,
      { path: string; essence: unknown; message: (typeof tree.folders)[number]['messages'][number] }
    >();
    for (const folder of tree.folders) {
      if (folder.wellKnownName === 'msgfolderroot') continue;
      const path = pathOf(folder.id);
      if (!root.every((name, i) => path[i] === name)) continue;
      for (const message of folder.messages) {
        const mime = await stack.simulator.control.messageMime(stack.tenantId, userId, message.immutableId);
        const essence = await mailEssence(mime);
        const relative = path.slice(root.length).join('/');
        out.set(`${relative}|${essence.messageId}`, { path: relative, essence, message });
      }
    }
    return out;
  }

  function expectSameMail(
    expected: Awaited<ReturnType<typeof snapshotMail>>,
    actual: Awaited<ReturnType<typeof restoredMail>>,
  ) {
    expect([...actual.keys()].sort()).toEqual([...expected.keys()].sort());
    for (const [id, want] of expected) {
      const got = actual.get(id)!;
      expect({ id, path: got.path, essence: got.essence }).toEqual({
        id,
        path: want.path,
        essence: want.essence,
      });
      expect(got.message.isDraft).toBe(false);
      expect(got.message.isRead).toBe(want.meta.isRead);
      expect(got.message.flagStatus).toBe(want.meta.flagStatus);
      expect(Date.parse(got.message.receivedDateTime)).toBe(Date.parse(want.meta.receivedDateTime as string));
      expect(Date.parse(got.message.sentDateTime!)).toBe(Date.parse(want.meta.sentDateTime as string));
    }
  }

  it('restores a mailbox into "Restored <snapshot time>" with its folders, dates, read state, flags and a large attachment', async () => {
    const { first } = await users();
    // A message too large for one request: its 4 MB attachment goes through an upload session.
    const big = randomBytes(4 * 1024 * 1024);
    const mime = await composeMime({
      from: { name: 'Ngozi Okafor', address: 'ngozi@example.org' },
      to: [{ name: 'Restore Test', address: first.userPrincipalName }],
      subject: 'Quarterly figures (large)',
      text: 'The figures are attached.',
      date: new Date('2026-03-04T10:20:30Z'),
      messageId: '<large-1@example.org>',
      attachments: [{ filename: 'figures.bin', content: big, contentType: 'application/octet-stream' }],
    });
    await stack.simulator.control.deliverMessage(stack.tenantId, first.id, mime, {
      folder: 'inbox',
      isRead: true,
      receivedDateTime: '2026-03-04T10:21:00Z',
    });
    const tree = await stack.simulator.control.mailbox(stack.tenantId, first.id);
    const inbox = tree.folders.find((f) => f.wellKnownName === 'inbox')!;
    await stack.simulator.control.updateMessage(stack.tenantId, first.id, inbox.messages[0]!.immutableId, {
      flagStatus: 'flagged',
    });
    const resource = await stack.protect('mailbox', first.id, first.userPrincipalName);
    const snapshot = await stack.snapshot(resource.resourceId);
    const expected = await snapshotMail(snapshot);
    expect(expected.size).toBeGreaterThan(10);

    // The live mailbox changes: a message deleted, another one's read state flipped.
    await stack.simulator.control.deleteMessage(stack.tenantId, first.id, inbox.messages[1]!.immutableId);

    const { job } = await restoreToEnd(deps, stack, {
      snapshotId: snapshot.snapshotId,
      scope: { kind: 'all' },
      target: { kind: 'original' },
      conflict: 'skip',
    });
    expect(job.state).toBe('completed');
    const folder = restoreFolderName(snapshot.startedAt);
    expect(job.destination).toBe(folder);
    expect(job.report).toMatchObject({ restored: expected.size, failedCount: 0, skippedCount: 0 });
    expect(job.progress).toMatchObject({ itemsDone: expected.size, itemsTotal: expected.size });
    expect(job.progress.bytesDone).toBe(job.progress.bytesTotal);
    expectSameMail(expected, await restoredMail(first.id, [folder]));
  });

  it('restores chosen mail folders into a chosen folder of another mailbox', async () => {
    const { first, second } = await users();
    const source = await stack.protect('mailbox', first.id, first.userPrincipalName);
    await stack.protect('mailbox', second.id, second.userPrincipalName);
    const snapshot = await stack.snapshot(source.resourceId);
    const all = await snapshotMail(snapshot);
    // The inbox under its display name (mailboxes are localised: "Skrzynka odbiorcza", …).
    const tree = await stack.simulator.control.mailbox(stack.tenantId, first.id);
    const inboxName = tree.folders.find((f) => f.wellKnownName === 'inbox')!.displayName;
    const expected = new Map([...all].filter(([, m]) => m.path.split('/')[0] === inboxName));
    expect(expected.size).toBeGreaterThan(0);

    const { job } = await restoreToEnd(deps, stack, {
      snapshotId: snapshot.snapshotId,
      scope: { kind: 'folders', paths: [[inboxName]] },
      target: { kind: 'resource', resourceId: `mailbox:${second.id}`, folderPath: ['From colleague'] },
      conflict: 'skip',
    });
    expect(job.state).toBe('completed');
    expect(job.report.restored).toBe(expected.size);
    expectSameMail(expected, await restoredMail(second.id, ['From colleague']));
  });

  it('restores a OneDrive to its original paths with each conflict policy, large files through upload sessions', async () => {
    const { first } = await users();
    const driveId = first.driveId!;
    await stack.simulator.control.putFile(
      stack.tenantId,
      driveId,
      'Large/video.bin',
      randomBytes(7 * 1024 * 1024 + 123),
    );
    const resource = await stack.protect('onedrive', first.id, first.userPrincipalName);
    const snapshot = await stack.snapshot(resource.resourceId);
    const repository = await stack.deps.repositoryFor(stack.tenantId);
    const expected = await snapshotContents(repository, snapshot.manifestRoot!);
    const files = [...expected.keys()].filter((p) => p !== 'Large/video.bin');
    const [edited, deleted] = [files[0]!, files[1]!];

    const change = async () => {
      await stack.simulator.control.putFile(
        stack.tenantId,
        driveId,
        edited,
        Buffer.from('changed after the backup'),
      );
      await stack.simulator.control.deleteFile(stack.tenantId, driveId, deleted);
      await stack.simulator.control.deleteFile(stack.tenantId, driveId, 'Large/video.bin');
    };
    const run = (conflict: 'skip' | 'rename' | 'overwrite') =>
      restoreToEnd(deps, stack, {
        snapshotId: snapshot.snapshotId,
        scope: { kind: 'all' },
        target: { kind: 'original' },
        conflict,
      });

    // skip: what is missing comes back, what exists stays as it is.
    await change();
    const skipped = await run('skip');
    expect(skipped.job.state).toBe('completed');
    expect(skipped.job.report.restored).toBe(2);
    expect(skipped.job.report.skippedCount).toBe(expected.size - 2);
    let live = await simulatorDrive(stack.simulator, stack.tenantId, driveId);
    expect(live.get(deleted)).toBe(expected.get(deleted));
    expect(live.get('Large/video.bin')).toBe(expected.get('Large/video.bin'));
    expect(live.get(edited)).toBe(sha256(Buffer.from('changed after the backup')));

    // rename: the snapshot's version lands next to the live one.
    await change();
    const renamed = await run('rename');
    expect(renamed.job.report.restored).toBe(expected.size);
    live = await simulatorDrive(stack.simulator, stack.tenantId, driveId);
    expect(live.get(edited)).toBe(sha256(Buffer.from('changed after the backup')));
    expect(live.get(deleted)).toBe(expected.get(deleted));
    const copies = [...live].filter(([p, h]) => p !== edited && h === expected.get(edited));
    expect(copies.length).toBeGreaterThanOrEqual(1);

    // overwrite: every file equals the snapshot again.
    await change();
    const overwritten = await run('overwrite');
    expect(overwritten.job.state).toBe('completed');
    live = await simulatorDrive(stack.simulator, stack.tenantId, driveId);
    for (const [path, hash] of expected) expect({ path, hash: live.get(path) }).toEqual({ path, hash });
  });

  it("restores a OneDrive under a folder of another user's drive, folder tree recreated", async () => {
    const { second, snapshot, expected } = await firstOneDriveSnapshot();
    const { job } = await restoreToEnd(deps, stack, {
      snapshotId: snapshot.snapshotId,
      scope: { kind: 'all' },
      target: { kind: 'resource', resourceId: `onedrive:${second.id}`, folderPath: ['Restored from Ana'] },
      conflict: 'rename',
    });
    expect(job.state).toBe('completed');
    expect(await liveUnder(second.driveId!, 'Restored from Ana')).toEqual(expected);
  });

  it('restores a site to its libraries and a group library; group conversations are reported as skipped', async () => {
    const { tenant } = await users();
    const site = tenant.sites.find((s) => s.driveIds.length >= 2)!;
    const siteResource = await stack.protect('site', site.id, site.displayName);
    const siteSnapshot = await stack.snapshot(siteResource.resourceId);
    const repository = await stack.deps.repositoryFor(stack.tenantId);
    const libraries = (await repository.listFolder(siteSnapshot.manifestRoot!)).filter(
      (e) => e.kind === 'folder',
    );
    const library = libraries[0]!;
    const libraryDrive = library.metadata!.libraryDriveId as string;
    const before = await simulatorDrive(stack.simulator, stack.tenantId, libraryDrive);
    const victim = [...before.keys()][0]!;
    await stack.simulator.control.deleteFile(stack.tenantId, libraryDrive, victim);

    const { job } = await restoreToEnd(deps, stack, {
      snapshotId: siteSnapshot.snapshotId,
      scope: { kind: 'folders', paths: [[library.name]] },
      target: { kind: 'original' },
      conflict: 'skip',
    });
    expect(job.state).toBe('completed');
    expect(job.report.restored).toBe(1);
    expect(await simulatorDrive(stack.simulator, stack.tenantId, libraryDrive)).toEqual(before);

    const group = tenant.groups[0]!;
    const groupResource = await stack.protect('group', group.id, group.displayName);
    const groupSnapshot = await stack.snapshot(groupResource.resourceId);
    const groupFiles = await simulatorDrive(stack.simulator, stack.tenantId, group.driveId);
    const groupVictim = [...groupFiles.keys()][0]!;
    await stack.simulator.control.deleteFile(stack.tenantId, group.driveId, groupVictim);
    const groupRestore = await restoreToEnd(deps, stack, {
      snapshotId: groupSnapshot.snapshotId,
      scope: { kind: 'all' },
      target: { kind: 'original' },
      conflict: 'overwrite',
    });
    expect(groupRestore.job.state).toBe('completed');
    expect(await simulatorDrive(stack.simulator, stack.tenantId, group.driveId)).toEqual(groupFiles);
    expect(groupRestore.job.report.skippedCount).toBeGreaterThan(0);
    expect(groupRestore.job.report.skipped[0]!.reason).toMatch(/conversations/);
  });
  it('a job out of time continues in slices, and redelivered messages never restore an item twice', async () => {
    const { second } = await users();
    const resource = await stack.protect('mailbox', second.id, second.userPrincipalName);
    const snapshot = await stack.snapshot(resource.resourceId);
    const expected = await snapshotMail(snapshot);
    // Every slice is out of time after one item.
    const sliced = slicedRestoreDeps(stack);
    const created = await createRestoreJob(sliced, {
      tenantId: stack.tenantId,
      snapshotId: snapshot.snapshotId,
      scope: { kind: 'all' },
      target: { kind: 'resource', resourceId: resource.resourceId, folderPath: ['Sliced restore'] },
      conflict: 'skip',
      requestedBy: 'test',
    });
    await queueRestoreJob(sliced, stack.tenantId, created.jobId);
    const slices = await runEveryMessageTwice(sliced);
    const job = await sliced.jobs.get(stack.tenantId, created.jobId);
    expect(job.state).toBe('completed');
    expect(slices).toBeGreaterThan(expected.size / 2);
    expect(job.report.restored).toBe(expected.size);
    expect(job.progress.itemsDone).toBe(expected.size);
    const restored = await restoredMail(second.id, ['Sliced restore']);
    const tree = await stack.simulator.control.mailbox(stack.tenantId, second.id);
    const count = tree.folders.reduce((sum, f) => sum + f.messages.length, 0);
    expect(restored.size).toBe(expected.size);
    expect(count).toBe(expected.size * 2);
    expectSameMail(expected, restored);
  });
  it('a drive restore taken in stored order, in slices with every message delivered twice, makes no renamed copies', async () => {
    const { second, snapshot, expected } = await firstOneDriveSnapshot();
    // Every slice is out of time after one item.
    const sliced = slicedRestoreDeps(stack);
    const created = await createRestoreJob(sliced, {
      tenantId: stack.tenantId,
      snapshotId: snapshot.snapshotId,
      scope: { kind: 'all' },
      target: { kind: 'resource', resourceId: `onedrive:${second.id}`, folderPath: ['Sliced files'] },
      // A file restored twice would show up as a renamed copy ("name 1.txt").
      conflict: 'rename',
      requestedBy: 'test',
    });
    await queueRestoreJob(sliced, stack.tenantId, created.jobId);
    await runEveryMessageTwice(sliced);
    const job = await sliced.jobs.get(stack.tenantId, created.jobId);
    expect(job.state).toBe('completed');
    expect(job.report.restored).toBe(expected.size);
    expect(job.progress.itemsDone).toBe(job.progress.itemsTotal);
    expect(await liveUnder(second.driveId!, 'Sliced files')).toEqual(expected);
  });
  it('items run a few at a time: one throttled mid-flight is restored by the redelivery, the others that finished are not repeated', async () => {
    const { first } = await users();
    const resource = await stack.protect('mailbox', first.id, first.userPrincipalName);
    const snapshot = await stack.snapshot(resource.resourceId);
    // The inbox: its messages come straight after it in the walk, so several are in flight at once.
    const tree0 = await stack.simulator.control.mailbox(stack.tenantId, first.id);
    const inboxName = tree0.folders.find((f) => f.wellKnownName === 'inbox')!.displayName;
    const expected = new Map(
      [...(await snapshotMail(snapshot))].filter(([, m]) => m.path.split('/')[0] === inboxName),
    );
    expect(expected.size).toBeGreaterThan(3);
    // Graph throttles the first message create; this client gives up at once instead of waiting.
    const impatient = new GraphClientFactory(
      {
        baseUrl: stack.settings.GRAPH_BASE_URL,
        authorityHost: stack.settings.ENTRA_AUTHORITY_HOST,
        clientId: stack.settings.BACKUP_APP_CLIENT_ID,
        clientSecret: stack.settings.BACKUP_APP_CLIENT_SECRET,
      },
      { retryPolicy: { ...defaultRetryPolicy, maxThrottleWaitMs: 0 } },
    );
    const throttling = {
      ...restoreDeps(stack),
      graphFor: (tenantId: string) => impatient.forTenant(tenantId),
    };
    const created = await createRestoreJob(throttling, {
      tenantId: stack.tenantId,
      snapshotId: snapshot.snapshotId,
      scope: { kind: 'folders', paths: [[inboxName]] },
      target: { kind: 'resource', resourceId: resource.resourceId, folderPath: ['Throttled restore'] },
      conflict: 'skip',
      requestedBy: 'test',
    });
    await queueRestoreJob(throttling, stack.tenantId, created.jobId);
    const [message] = await takeRestoreMessages(stack);
    await stack.simulator.control.addFault({
      kind: 'status',
      status: 429,
      retryAfter: 1,
      method: 'POST',
      path: '/mailFolders/[^/]+/messages$',
      count: 1,
    });
    // The host would redeliver the message after the throw.
    await expect(runRestoreJob(throttling, message!)).rejects.toMatchObject({ code: 'throttled' });
    const between = await restoredMail(first.id, ['Throttled restore']);
    expect(between.size).toBeGreaterThan(0);
    expect(between.size).toBeLessThan(expected.size);
    expect((await runRestoreJob(throttling, message!)).kind).toBe('finished');

    const job = await throttling.jobs.get(stack.tenantId, created.jobId);
    expect(job.state).toBe('completed');
    expect(job.report.restored).toBe(expected.size);
    const restored = await restoredMail(first.id, ['Throttled restore']);
    const tree = await stack.simulator.control.mailbox(stack.tenantId, first.id);
    const root = tree.folders.find((f) => f.displayName === 'Throttled restore')!;
    const below = (id: string): number =>
      tree.folders
        .filter((f) => f.parentId === id)
        .reduce((sum, f) => sum + f.messages.length + below(f.id), 0);
    // Every message once: nothing the first delivery finished was restored again.
    expect(below(root.id) + root.messages.length).toBe(expected.size);
    expectSameMail(expected, restored);
  });
  it('a cancelled job stops at its next slice and restores nothing more', async () => {
    const { first } = await users();
    const resource = await stack.protect('mailbox', first.id, first.userPrincipalName);
    const snapshot = await stack.snapshot(resource.resourceId);
    const sliced = slicedRestoreDeps(stack);
    const created = await createRestoreJob(sliced, {
      tenantId: stack.tenantId,
      snapshotId: snapshot.snapshotId,
      scope: { kind: 'all' },
      target: { kind: 'resource', resourceId: resource.resourceId, folderPath: ['Cancelled restore'] },
      conflict: 'skip',
      requestedBy: 'test',
    });
    await queueRestoreJob(sliced, stack.tenantId, created.jobId);
    const [message] = await takeRestoreMessages(stack);
    expect((await runRestoreJob(sliced, message!)).kind).toBe('continued');
    const cancelled = await cancelRestoreJob(sliced, stack.tenantId, created.jobId);
    expect(cancelled.state).toBe('cancelled');
    const [continuation] = await takeRestoreMessages(stack);
    expect(await runRestoreJob(sliced, continuation!)).toMatchObject({ kind: 'ignored' });
    const restored = await restoredMail(first.id, ['Cancelled restore']);
    expect(restored.size).toBeLessThanOrEqual(1);
    expect((await sliced.jobs.get(stack.tenantId, created.jobId)).state).toBe('cancelled');
  });
});
