import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { validateImportZip } from '../../../shared/import/import-validation';
import { simpleParser } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createExportJob,
  deleteExpiredExports,
  exportDownloadLink,
  runExportJob,
  type ExportEngineDependencies,
} from '../../../shared/export/export-engine';
import type { ExportJobMessage, ExportManifest } from '../../../shared/export/export-job';
import { ExportJobStore } from '../../../shared/export/export-store';
import { containerNameForTenant } from '../../../shared/repository';
import { packBlobName } from '../../../shared/repository/pack';
import { silentLogger } from '../../../shared/observability/logger';
import { QueueNames, StorageJobQueue } from '../../../shared/queues/job-queues';
import { ResourceStore } from '../../../shared/resources/resource-store';
import { Tables } from '../../../shared/storage/tables';
import { TenantStore } from '../../../shared/tenants/tenant-store';
import { ManualClock } from '../../../shared/time/clock';
import { QueueClient } from '@azure/storage-queue';
import { BackupStack } from '../../support/backup-stack';
import { unzipEntries } from '../../support/unzip';
import { snapshotContents } from '../backup/expected-state';

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

/** How each entry of a zip is stored: 0 stored, 8 deflated. */
const methods = new Map<string, number>();

/** Every entry of a zip, read with yauzl (a real unzip); how each is stored goes into `methods`. */
async function unzip(zipBytes: Buffer): Promise<Map<string, Buffer>> {
  const entries = await unzipEntries(zipBytes);
  for (const [name, entry] of entries) methods.set(name, entry.method);
  return new Map([...entries].map(([name, entry]) => [name, entry.data]));
}

/**
 * Exports stream a zip into Blob Storage; the zip downloaded through its 15-minute link opens with
 * real parsers and matches the snapshot byte for byte, as the manifest's hashes say.
 */
describe('export to a zip download', () => {
  let stack: BackupStack;
  let deps: ExportEngineDependencies;
  const clock = new ManualClock(new Date());
  beforeAll(async () => {
    stack = await BackupStack.start({
      shape: {
        users: 1,
        usersWithoutMailbox: 0,
        guests: 0,
        messagesPerMailbox: 15,
        customFoldersPerMailbox: 2,
        filesPerDrive: 8,
        sites: 0,
        groups: 0,
        maxFileBytes: 2 * 1024 * 1024,
      },
    });
    await stack.onboard();
    const tables = new Tables(stack.storage);
    deps = {
      jobs: new ExportJobStore(tables),
      tenants: new TenantStore(tables),
      resources: new ResourceStore(tables),
      reader: stack.reader,
      blobs: stack.storage.blobs,
      queue: new StorageJobQueue(stack.storage.queues),
      clock,
      retentionDays: 7,
      log: silentLogger,
    };
  });
  afterAll(async () => {
    await stack?.stop();
  });

  async function exportToEnd(snapshotId: string, includeAttachments?: boolean) {
    const created = await createExportJob(deps, {
      tenantId: stack.tenantId,
      snapshotId,
      scope: { kind: 'all' },
      ...(includeAttachments === undefined ? {} : { includeAttachments }),
      requestedBy: 'test',
    });
    expect(created.state).toBe('queued');
    const queue = new QueueClient(stack.azurite.connectionString, QueueNames.exportJobs);
    const { receivedMessageItems } = await queue.receiveMessages({ numberOfMessages: 32 });
    const messages = receivedMessageItems.map(
      (m) => JSON.parse(Buffer.from(m.messageText, 'base64').toString('utf8')) as ExportJobMessage,
    );
    expect(messages).toContainEqual({ tenantId: stack.tenantId, jobId: created.jobId });
    for (const m of receivedMessageItems) await queue.deleteMessage(m.messageId, m.popReceipt);
    const job = await runExportJob(deps, { tenantId: stack.tenantId, jobId: created.jobId });
    expect(job.state).toBe('completed');
    const link = await exportDownloadLink(deps, job);
    const response = await fetch(link.url);
    expect(response.status).toBe(200);
    const bytes = Buffer.from(await response.arrayBuffer());
    expect(bytes.length).toBe(job.zipBytes);
    return { job, link, bytes };
  }

  it('exports a mailbox: every message as .eml in its folder, byte for byte, manifest hashes holding', async () => {
    const tenant = await stack.simulator.control.tenant(stack.tenantId);
    const user = tenant.users.find((u) => u.hasMailbox)!;
    const resource = await stack.protect('mailbox', user.id, 'Anna: "Sales" <EU>');
    const snapshot = await stack.snapshot(resource.resourceId);
    const { job, link, bytes } = await exportToEnd(snapshot.snapshotId);
    expect(job.includeAttachments).toBe(true);

    const when = `${snapshot.startedAt.slice(0, 10)} ${snapshot.startedAt.slice(11, 13)}${snapshot.startedAt.slice(14, 16)}`;
    expect(job.fileName).toBe(`${tenant.displayName} - Anna_ _Sales_ _EU_ - ${when} - Backup.zip`);
    expect(Date.parse(link.expiresAt) - clock.now().getTime()).toBe(15 * 60 * 1000);
    expect(new URL(link.url).pathname).toContain(job.blobName);
    expect(job.expiresAt).toBe(new Date(Date.parse(job.finishedAt!) + 7 * 24 * 3600 * 1000).toISOString());

    const entries = await unzip(bytes);
    const manifest = JSON.parse(entries.get('manifest.json')!.toString('utf8')) as ExportManifest;
    expect(manifest).toMatchObject({
      formatVersion: 1,
      tenantId: stack.tenantId,
      resourceId: resource.resourceId,
      resourceKind: 'mailbox',
      snapshotId: snapshot.snapshotId,
    });
    const repository = await stack.deps.repositoryFor(stack.tenantId);
    const expected = await snapshotContents(repository, snapshot.manifestRoot!);
    expect(manifest.items).toHaveLength(expected.size);
    expect(entries.size).toBe(expected.size + 1);
    for (const item of manifest.items) {
      const data = entries.get(item.path)!;
      expect(item.path).toMatch(/^content\/.+\.eml$/);
      expect(item.path.split('/').slice(1, -1)).toEqual(item.source.slice(0, -1));
      expect(sha256(data)).toBe(item.sha256);
      expect(data.length).toBe(item.size);
      expect(item.sha256).toBe(expected.get(item.source.join('/')));
      const parsed = await simpleParser(data);
      expect(parsed.messageId).toBeTruthy();
      // What an import restores with: the snapshot's read state, dates and flags travel in the manifest.
      expect(item.metadata).toMatchObject({
        isRead: expect.any(Boolean),
        receivedDateTime: expect.any(String),
      });
      expect(parsed.messageId).toBe(item.metadata!.internetMessageId);
    }
    // The default export is the backed-up MIME, untouched.
    expect(manifest.items.every((i) => i.attachmentsOmitted === undefined && i.original === undefined)).toBe(
      true,
    );
    expect(manifest.folders!.length).toBeGreaterThan(0);
    expect(manifest.folders!.every((f) => typeof f.metadata.folderId === 'string')).toBe(true);

    // The same zip, renamed, passes import validation for this tenant and no other.
    const dir = mkdtempSync(join(tmpdir(), 'export-import-'));
    try {
      const file = join(dir, 'whatever I called it.zip');
      writeFileSync(file, bytes);
      const imported = await validateImportZip(file, stack.tenantId);
      expect(imported).toMatchObject({ resourceId: resource.resourceId, snapshotId: snapshot.snapshotId });
      await expect(validateImportZip(file, '00000000-0000-4000-8000-000000000001')).rejects.toThrow(
        /another organisation/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('exports a mailbox without attachments: same headers and bodies, each omitted attachment named in the message and the manifest', async () => {
    const tenant = await stack.simulator.control.tenant(stack.tenantId);
    const user = tenant.users.find((u) => u.hasMailbox)!;
    const resource = await stack.protect('mailbox', user.id, user.userPrincipalName);
    const snapshot = await stack.snapshot(resource.resourceId);
    const { job, bytes } = await exportToEnd(snapshot.snapshotId, false);
    expect(job.includeAttachments).toBe(false);
    const entries = await unzip(bytes);
    const manifest = JSON.parse(entries.get('manifest.json')!.toString('utf8')) as ExportManifest;
    expect(manifest.includeAttachments).toBe(false);

    const repository = await stack.deps.repositoryFor(stack.tenantId);
    const originals = new Map<string, Buffer>();
    for await (const { path, entry } of repository.walk(snapshot.manifestRoot!)) {
      if (entry.kind !== 'message' || !entry.content) continue;
      const parts: Buffer[] = [];
      for await (const c of repository.readContent(entry.content)) parts.push(c as Buffer);
      originals.set([...path, entry.name].join('/'), Buffer.concat(parts));
    }
    expect(manifest.items).toHaveLength(originals.size);
    let stripped = 0;
    for (const item of manifest.items) {
      const data = entries.get(item.path)!;
      const original = originals.get(item.source.join('/'))!;
      expect({ path: item.path, size: data.length, sha256: sha256(data) }).toEqual({
        path: item.path,
        size: item.size,
        sha256: item.sha256,
      });
      const want = await simpleParser(original, { skipImageLinks: true });
      const got = await simpleParser(data, { skipImageLinks: true });
      expect(got.attachments).toEqual([]);
      expect({
        subject: got.subject,
        messageId: got.messageId,
        date: got.date,
        text: got.text,
        html: got.html,
      }).toEqual({
        subject: want.subject,
        messageId: want.messageId,
        date: want.date,
        text: want.text,
        html: want.html,
      });
      // The original header block, byte for byte, after the added lines naming what was left out.
      const headerEnd =
        original.indexOf('\r\n\r\n') >= 0 ? original.indexOf('\r\n\r\n') : original.indexOf('\n\n');
      expect(data.includes(original.subarray(0, headerEnd))).toBe(true);
      // Named in the manifest and in the message itself, one header per attachment.
      const expected = want.attachments.map((a) => ({ name: a.filename ?? '(no name)', size: a.size }));
      expect(item.attachmentsOmitted!.map((a) => ({ name: a.name, size: a.size }))).toEqual(expected);
      const headers = got.headerLines.filter((h) => h.key === 'x-m365-backup-omitted-attachment');
      expect(headers).toHaveLength(expected.length);
      expected.forEach((a, i) => expect(headers[i]!.line).toContain(`(${a.size} bytes, `));
      if (expected.length === 0) {
        // Nothing to leave out: the original MIME, byte for byte.
        expect(data.equals(original)).toBe(true);
        expect(item.original).toBeUndefined();
      } else {
        stripped += 1;
        expect(data.length).toBeLessThan(original.length);
        expect(item.original).toEqual({ size: original.length, sha256: sha256(original) });
      }
    }
    expect(stripped).toBeGreaterThan(0);
    expect(job.zipBytes).toBeLessThan(
      manifest.items.reduce((sum, i) => sum + (i.original?.size ?? i.size), 0),
    );
  });

  it('exports a OneDrive with files as themselves; expired exports are deleted', async () => {
    const tenant = await stack.simulator.control.tenant(stack.tenantId);
    const user = tenant.users.find((u) => u.driveId)!;
    await stack.simulator.control.putFile(
      stack.tenantId,
      user.driveId!,
      'Photos/holiday.jpg',
      randomBytes(70_000),
    );
    await stack.simulator.control.putFile(
      stack.tenantId,
      user.driveId!,
      'Notes/readme.txt',
      Buffer.from('plain text compresses well. '.repeat(2000)),
    );
    // Random-looking bytes under a name that says nothing (the backup found they do not compress).
    await stack.simulator.control.putFile(
      stack.tenantId,
      user.driveId!,
      'Tools/installer.bin',
      randomBytes(300_000),
    );
    const resource = await stack.protect('onedrive', user.id, user.userPrincipalName);
    const snapshot = await stack.snapshot(resource.resourceId);
    const { job, bytes } = await exportToEnd(snapshot.snapshotId);
    const entries = await unzip(bytes);
    // Compressed formats, and content that did not compress in the backup, are stored as they
    // are; everything else is deflated.
    expect(methods.get('content/Photos/holiday.jpg')).toBe(0);
    expect(methods.get('content/Tools/installer.bin')).toBe(0);
    expect(methods.get('content/Notes/readme.txt')).toBe(8);
    const repository = await stack.deps.repositoryFor(stack.tenantId);
    const expected = await snapshotContents(repository, snapshot.manifestRoot!);
    const got = new Map(
      [...entries]
        .filter(([p]) => p !== 'manifest.json')
        .map(([p, b]) => [p.slice('content/'.length), sha256(b)]),
    );
    expect(got).toEqual(expected);

    expect(await deleteExpiredExports(deps)).toBe(0);
    clock.advance(7 * 24 * 3600 * 1000 + 1);
    expect(await deleteExpiredExports(deps)).toBeGreaterThanOrEqual(1);
    expect((await deps.jobs.get(stack.tenantId, job.jobId)).state).toBe('expired');
    const exists = await stack.storage.blobs
      .getContainerClient('exports')
      .getBlockBlobClient(job.blobName)
      .exists();
    expect(exists).toBe(false);
  });

  it('fails the export clearly when a stored chunk was corrupted, and writes no download', async () => {
    const tenant = await stack.simulator.control.tenant(stack.tenantId);
    const user = tenant.users.find((u) => u.driveId)!;
    const content = randomBytes(1_500_000);
    await stack.simulator.control.putFile(stack.tenantId, user.driveId!, 'Reports/q3.bin', content);
    const resource = await stack.protect('onedrive', user.id, user.userPrincipalName);
    const snapshot = await stack.snapshot(resource.resourceId);
    const repository = await stack.deps.repositoryFor(stack.tenantId);
    const item = (await repository.listFolder(snapshot.manifestRoot!, ['Reports'])).find(
      (e) => e.name === 'q3.bin',
    )!;
    const where = repository.locate(item.content!.chunks[0]!)!;
    // One byte in the middle of the file's first stored chunk.
    const container = stack.storage.blobs.getContainerClient(containerNameForTenant(stack.tenantId));
    const packName = packBlobName(where.packId);
    const pack = await container.getBlobClient(packName).downloadToBuffer();
    const at = where.offset + 1000;
    pack[at] = pack[at]! ^ 0x01;
    await container.getBlockBlobClient(packName).upload(pack, pack.length);

    const created = await createExportJob(deps, {
      tenantId: stack.tenantId,
      snapshotId: snapshot.snapshotId,
      scope: { kind: 'all' },
      requestedBy: 'test',
    });
    await expect(
      runExportJob(deps, { tenantId: stack.tenantId, jobId: created.jobId }),
    ).rejects.toMatchObject({
      code: 'permanent',
      message: expect.stringMatching(
        /integrity check failed: data chunk [0-9a-f]{64} in pack [0-9a-f]{32} does not authenticate/,
      ),
    });
    expect((await deps.jobs.get(stack.tenantId, created.jobId)).state).not.toBe('completed');
    const blob = stack.storage.blobs.getContainerClient('exports').getBlockBlobClient(created.blobName);
    expect(await blob.exists()).toBe(false);
  });

  it("answers not-found for another tenant's snapshot", async () => {
    const tenant = await stack.simulator.control.tenant(stack.tenantId);
    const user = tenant.users.find((u) => u.driveId)!;
    const resource = await stack.protect('onedrive', user.id, user.userPrincipalName);
    const snapshot = await stack.snapshot(resource.resourceId);
    await expect(
      createExportJob(deps, {
        tenantId: '00000000-0000-4000-8000-000000000001',
        snapshotId: snapshot.snapshotId,
        scope: { kind: 'all' },
        includeAttachments: true,
        requestedBy: 'test',
      }),
    ).rejects.toMatchObject({ code: 'not-found' });
  });
});
