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
import { Tables } from '../../../shared/storage/tables';
import { TenantStore } from '../../../shared/tenants/tenant-store';
import { systemClock } from '../../../shared/time/clock';
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

  it('a renamed export restores to its original OneDrive after files were deleted and changed', async () => {
    const tenant = await stack.simulator.control.tenant(stack.tenantId);
    const user = tenant.users.find((u) => u.driveId)!;
    const resource = await stack.protect('onedrive', user.id, user.userPrincipalName);
    const snapshot = await stack.snapshot(resource.resourceId);
    const before = await simulatorDrive(stack.simulator, stack.tenantId, user.driveId!);

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
      snapshotId: snapshot.snapshotId,
      scope: { kind: 'all' },
      includeAttachments: true,
      requestedBy: 'test',
    });
    await new QueueClient(stack.azurite.connectionString, QueueNames.exportJobs).clearMessages();
    const exported = await runExportJob(exportDeps, { tenantId: stack.tenantId, jobId: created.jobId });
    const link = await exportDownloadLink(exportDeps, exported);
    const zipPath = join(dir, 'my old backup.zip');
    writeFileSync(zipPath, Buffer.from(await (await fetch(link.url)).arrayBuffer()));

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
});
