import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { QueueClient } from '@azure/storage-queue';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createExportJob, exportDownloadLink, runExportJob } from '../../../shared/export/export-engine';
import { ExportJobStore } from '../../../shared/export/export-store';
import { ZipImportSources } from '../../../shared/import/import-sources';
import { validateImportZip } from '../../../shared/import/import-validation';
import { silentLogger } from '../../../shared/observability/logger';
import { QueueNames, StorageJobQueue } from '../../../shared/queues/job-queues';
import { ResourceStore } from '../../../shared/resources/resource-store';
import {
  createImportRestoreJob,
  queueRestoreJob,
  runRestoreJob,
} from '../../../shared/restore/restore-engine';
import { restoreFolderName } from '../../../shared/restore/mail-restorer';
import { requestImportRestore, verifyRestore } from '../../../shared/restore/restore-requests';
import { Tables } from '../../../shared/storage/tables';
import { TenantStore } from '../../../shared/tenants/tenant-store';
import { systemClock } from '../../../shared/time/clock';
import { VerificationCodes, type CodeMailer } from '../../../shared/verification/verification-codes';
import { BackupStack } from '../../support/backup-stack';
import { restoreDeps, takeRestoreMessages } from '../../support/restore-stack';
import { simulatorDrive } from '../backup/expected-state';

/**
 * An export, renamed, uploaded again and restored: the files come back to the resource named in
 * its manifest, byte for byte, read from the zip (not the repository).
 */
describe('import restores an exported backup', () => {
  let stack: BackupStack;
  const dir = mkdtempSync(join(tmpdir(), 'import-restore-'));
  beforeAll(async () => {
    stack = await BackupStack.start({
      shape: {
        users: 1,
        usersWithoutMailbox: 0,
        guests: 0,
        messagesPerMailbox: 2,
        filesPerDrive: 8,
        sites: 0,
        groups: 0,
        maxFileBytes: 6 * 1024 * 1024,
      },
    });
    await stack.onboard();
  });
  afterAll(async () => {
    await stack?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Exports a snapshot and downloads the zip under the given name. */
  async function exportZip(snapshotId: string, name: string): Promise<string> {
    const tables = new Tables(stack.storage);
    const exportDeps = {
      jobs: new ExportJobStore(tables),
      tenants: new TenantStore(tables),
      resources: new ResourceStore(tables),
      reader: stack.reader,
      blobs: stack.storage.blobs,
      queue: new StorageJobQueue(stack.storage.queues),
      clock: systemClock,
      retentionDays: 7,
      log: silentLogger,
    };
    const created = await createExportJob(exportDeps, {
      tenantId: stack.tenantId,
      snapshotId: snapshotId,
      scope: { kind: 'all' },
      includeAttachments: true,
      requestedBy: 'test',
    });
    await new QueueClient(stack.azurite.connectionString, QueueNames.exportJobs).clearMessages();
    const exported = await runExportJob(exportDeps, { tenantId: stack.tenantId, jobId: created.jobId });
    const link = await exportDownloadLink(exportDeps, exported);
    const zipPath = join(dir, name);
    writeFileSync(zipPath, Buffer.from(await (await fetch(link.url)).arrayBuffer()));

    return zipPath;
  }

  it('a renamed export restores to its original OneDrive after files were deleted and changed', async () => {
    const tenant = await stack.simulator.control.tenant(stack.tenantId);
    const user = tenant.users.find((u) => u.driveId)!;
    const resource = await stack.protect('onedrive', user.id, user.userPrincipalName);
    const snapshot = await stack.snapshot(resource.resourceId);
    const before = await simulatorDrive(stack.simulator, stack.tenantId, user.driveId!);

    const zipPath = await exportZip(snapshot.snapshotId, 'my old backup.zip');

    const [first, second] = [...before.keys()];
    await stack.simulator.control.deleteFile(stack.tenantId, user.driveId!, first!);
    await stack.simulator.control.putFile(stack.tenantId, user.driveId!, second!, Buffer.from('changed'));

    const deps = { ...restoreDeps(stack), imports: new ZipImportSources(() => Promise.resolve(zipPath)) };
    const manifest = await validateImportZip(zipPath, stack.tenantId);
    const job = await createImportRestoreJob(deps, {
      tenantId: stack.tenantId,
      importId: 'upload-1',
      manifest,
      target: { kind: 'original' },
      conflict: 'overwrite',
      requestedBy: 'test',
    });
    expect(job.resourceId).toBe(resource.resourceId);
    await queueRestoreJob(deps, stack.tenantId, job.jobId);
    for (const message of await takeRestoreMessages(stack)) await runRestoreJob(deps, message);
    const done = await deps.jobs.get(stack.tenantId, job.jobId);
    expect(done.state).toBe('completed');
    expect(done.report.restored).toBe(before.size);
    expect(await simulatorDrive(stack.simulator, stack.tenantId, user.driveId!)).toEqual(before);
  });
  it('an exported mailbox, uploaded again, restores after its verification code: not drafts, same dates and read state', async () => {
    const tenant = await stack.simulator.control.tenant(stack.tenantId);
    const user = tenant.users.find((u) => u.hasMailbox)!;
    const resource = await stack.protect('mailbox', user.id, user.userPrincipalName);
    const snapshot = await stack.snapshot(resource.resourceId);
    const original = await stack.simulator.control.mailbox(stack.tenantId, user.id);
    const messages = original.folders.flatMap((f) => f.messages);
    const zipPath = await exportZip(snapshot.snapshotId, 'mail backup (renamed).zip');

    const codes: string[] = [];
    const mailer: CodeMailer = { sendCode: async (_to, code) => void codes.push(code) };
    const tables = new Tables(stack.storage);
    const deps = {
      ...restoreDeps(stack),
      imports: new ZipImportSources(() => Promise.resolve(zipPath)),
      tenants: new TenantStore(tables),
      codes: new VerificationCodes(tables, mailer, systemClock),
    };
    const manifest = await validateImportZip(zipPath, stack.tenantId);
    const { job, verification } = await requestImportRestore(deps, {
      tenantId: stack.tenantId,
      importId: 'upload-2',
      manifest,
      target: { kind: 'original' },
      conflict: 'skip',
      requestedBy: 'test',
    });
    expect(verification.warning).toMatch(/cannot be undone/);
    expect(job.resourceId).toBe(resource.resourceId);
    await verifyRestore(deps, stack.tenantId, job.jobId, codes[0]!);
    for (const message of await takeRestoreMessages(stack)) await runRestoreJob(deps, message);
    const done = await deps.jobs.get(stack.tenantId, job.jobId);
    expect(done.state).toBe('completed');
    expect(done.report.restored).toBe(messages.length);

    const after = await stack.simulator.control.mailbox(stack.tenantId, user.id);
    const restoredRoot = after.folders.find(
      (f) => f.displayName === restoreFolderName(manifest.snapshotTime),
    )!;
    const below = new Set([restoredRoot.id]);
    for (let changed = true; changed;) {
      changed = false;
      for (const f of after.folders) {
        if (f.parentId && below.has(f.parentId) && !below.has(f.id)) {
          below.add(f.id);
          changed = true;
        }
      }
    }
    const restored = after.folders.filter((f) => below.has(f.id)).flatMap((f) => f.messages);
    const key = (m: (typeof messages)[number]) =>
      `${m.internetMessageId}|${m.isRead}|${Date.parse(m.receivedDateTime)}|${m.flagStatus}`;
    expect(restored.map(key).sort()).toEqual(messages.map(key).sort());
    expect(restored.every((m) => !m.isDraft)).toBe(true);
  });
});
