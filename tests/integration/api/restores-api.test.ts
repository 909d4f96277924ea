import { randomBytes } from 'node:crypto';
import { BlockBlobClient } from '@azure/storage-blob';
import { QueueClient } from '@azure/storage-queue';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ZipFile } from 'yazl';
import { runExportJob } from '../../../shared/export/export-engine';
import type { ExportJobMessage } from '../../../shared/export/export-job';
import { silentLogger } from '../../../shared/observability/logger';
import { QueueNames } from '../../../shared/queues/job-queues';
import type { Resource } from '../../../shared/resources/resource';
import { expireUnverifiedRestores, runRestoreJob } from '../../../shared/restore/restore-engine';
import { ManualClock } from '../../../shared/time/clock';
import { CODE_LIFETIME_MS, maskEmail } from '../../../shared/verification/verification-codes';
import { BackupStack } from '../../support/backup-stack';
import { takeRestoreMessages } from '../../support/restore-stack';
import { simulatorDrive } from '../backup/expected-state';
import { unzipEntries } from '../../support/unzip';
import { ApiHarness, TENANT_B } from './harness';

const IMPORT_MAX_BYTES = 512 * 1024;

/** Every entry of a zip, by name (read with yauzl). */
async function unzip(zip: Buffer): Promise<Map<string, Buffer>> {
  const entries = await unzipEntries(zip);
  return new Map([...entries].map(([name, entry]) => [name, entry.data]));
}

function zipOf(entries: Map<string, Buffer>): Promise<Buffer> {
  const zip = new ZipFile();
  for (const [name, data] of entries) zip.addBuffer(data, name);
  zip.end();
  const parts: Buffer[] = [];
  return new Promise((resolve, reject) => {
    zip.outputStream.on('data', (c: Buffer) => parts.push(c));
    zip.outputStream.on('end', () => resolve(Buffer.concat(parts)));
    zip.outputStream.on('error', reject);
  });
}

/**
 * The portal API over the real cores, Azurite and the Microsoft 365 simulator: a restore's code is
 * mailed by Graph sendMail and read from the admin's mailbox; jobs run in-process (the test plays
 * the queue triggers).
 */
describe('restores, exports and imports through the portal API', () => {
  let stack: BackupStack;
  let h: ApiHarness;
  const clock = new ManualClock(new Date());
  let admin: string;
  let reader: string;
  let otherAdmin: string;
  let contact: { id: string; userPrincipalName: string };
  let owner: { id: string; driveId: string | null };
  let resource: Resource;
  let snapshotId: string;

  beforeAll(async () => {
    stack = await BackupStack.start({
      shape: {
        users: 3,
        usersWithoutMailbox: 0,
        guests: 0,
        messagesPerMailbox: 2,
        customFoldersPerMailbox: 0,
        filesPerDrive: 4,
        sites: 0,
        groups: 0,
        maxFileBytes: 64 * 1024,
      },
    });
    await stack.onboard();
    const tenant = await stack.simulator.control.tenant(stack.tenantId);
    const [first, sender, second] = tenant.users.filter((u) => u.hasMailbox && u.driveId);
    owner = first!;
    contact = second!;
    h = await ApiHarness.start({
      stack,
      clock,
      settings: {
        NOTIFICATION_MAIL_SENDER: sender!.id,
        NOTIFICATION_MAIL_TENANT_ID: stack.tenantId,
        IMPORT_MAX_BYTES: String(IMPORT_MAX_BYTES),
      },
    });
    const tenants = h.runtime.deps.tenants;
    await tenants.put({
      ...(await tenants.get(stack.tenantId)),
      adminContactEmail: contact.userPrincipalName,
    });
    await h.seedTenant(TENANT_B);
    admin = await h.token({ tenantId: stack.tenantId, roles: ['Backup.Admin'], name: 'Ada Admin' });
    reader = await h.token({ tenantId: stack.tenantId, roles: ['Backup.Reader'] });
    otherAdmin = await h.token({ tenantId: TENANT_B, roles: ['Backup.Admin'] });
    resource = await stack.protect('onedrive', owner.id, 'OneDrive of the first user');
    snapshotId = (await stack.snapshot(resource.resourceId)).snapshotId;
  }, 120_000);

  afterAll(async () => {
    await h?.stop();
    await stack?.stop();
  });

  /**
   * The newest code mailed to the admin contact: the simulator delivered the sendMail to that
   * mailbox; the sent-mail log says which message is the newest (received times tie within a second).
   */
  async function mailedCode(): Promise<string> {
    const sent = (await stack.simulator.control.sentMail()).filter((m) =>
      m.deliveredTo.some((a) => a.toLowerCase() === contact.userPrincipalName.toLowerCase()),
    );
    const subject = sent[sent.length - 1]?.subject ?? '';
    const tree = await stack.simulator.control.mailbox(stack.tenantId, contact.id);
    const delivered = tree.folders.flatMap((f) => f.messages).some((m) => m.subject === subject);
    const match = /^\[M365 Backup\] Verification code (\d{6})$/.exec(subject);
    if (!match || !delivered) throw new Error('no code was delivered');
    return match[1]!;
  }

  const sentCount = async () => (await stack.simulator.control.sentMail()).length;

  async function runRestores(): Promise<void> {
    for (let round = 0; round < 50; round++) {
      const messages = await takeRestoreMessages(stack);
      if (messages.length === 0) return;
      for (const m of messages) await runRestoreJob(h.restoreCore.restore(silentLogger), m);
    }
  }

  async function runExports(): Promise<void> {
    const queue = new QueueClient(stack.azurite.connectionString, QueueNames.exportJobs);
    await queue.createIfNotExists();
    for (;;) {
      const { receivedMessageItems } = await queue.receiveMessages({ numberOfMessages: 32 });
      if (receivedMessageItems.length === 0) return;
      for (const m of receivedMessageItems) {
        await queue.deleteMessage(m.messageId, m.popReceipt);
        const message = JSON.parse(Buffer.from(m.messageText, 'base64').toString('utf8')) as ExportJobMessage;
        await runExportJob(h.restoreCore.export(silentLogger), message);
      }
    }
  }

  async function requestRestore(conflict: 'skip' | 'overwrite') {
    const result = await h.call('requestRestore', {
      token: admin,
      body: { snapshotId, scope: { kind: 'all' }, target: { kind: 'original' }, conflict },
    });
    expect(result.status, result.text).toBe(202);
    return result.json;
  }

  /** Exports the snapshot through the API and downloads the zip with the admin's link. */
  async function exportZip(): Promise<{
    zip: Buffer;
    exportId: string;
    link: { url: string; expiresAt: string };
  }> {
    const requested = await h.call('requestExport', {
      token: admin,
      body: { snapshotId, scope: { kind: 'all' } },
    });
    expect(requested.status, requested.text).toBe(202);
    await runExports();
    const ready = await h.call('getExport', { token: admin, params: { id: requested.json.id } });
    expect(ready.json.state).toBe('completed');
    const response = await fetch(ready.json.download.url);
    expect(response.status).toBe(200);
    return {
      zip: Buffer.from(await response.arrayBuffer()),
      exportId: requested.json.id,
      link: ready.json.download,
    };
  }

  async function upload(zip: Buffer): Promise<string> {
    const link = await h.call('createImportUpload', { token: admin });
    expect(link.status, link.text).toBe(201);
    await new BlockBlobClient(link.json.url).uploadData(zip);
    return link.json.uploadId;
  }

  it('a restore: the code is mailed, verified, the job runs, and GET shows its progress and report', async () => {
    const before = await simulatorDrive(stack.simulator, stack.tenantId, owner.driveId!);
    const [first, second] = [...before.keys()];
    await stack.simulator.control.deleteFile(stack.tenantId, owner.driveId!, first!);
    await stack.simulator.control.putFile(stack.tenantId, owner.driveId!, second!, Buffer.from('changed'));

    const sent = await sentCount();
    const requested = await requestRestore('overwrite');
    expect(await sentCount()).toBe(sent + 1);
    expect(requested.job).toMatchObject({
      state: 'awaiting-verification',
      resourceId: resource.resourceId,
      snapshotId,
      scope: { kind: 'all' },
      target: { kind: 'original' },
      conflict: 'overwrite',
      requestedBy: 'Ada Admin',
    });
    expect(requested.verification.sentTo).toBe(maskEmail(contact.userPrincipalName));
    expect(requested.verification.warning).toMatch(/overwrite.*cannot be undone|cannot be undone/);
    const id = requested.job.id as string;

    // Readers see it but cannot start it.
    expect((await h.call('getRestore', { token: reader, params: { id } })).json.state).toBe(
      'awaiting-verification',
    );
    const code = await mailedCode();
    expect((await h.call('verifyRestore', { token: reader, params: { id }, body: { code } })).status).toBe(
      403,
    );

    const verified = await h.call('verifyRestore', { token: admin, params: { id }, body: { code } });
    expect(verified.status, verified.text).toBe(202);
    expect(verified.json.state).toBe('queued');
    await runRestores();

    const done = await h.call('getRestore', { token: reader, params: { id } });
    expect(done.json.state).toBe('completed');
    expect(done.json.progress.itemsTotal).toBe(before.size);
    expect(done.json.progress).toMatchObject({
      itemsDone: before.size,
      bytesDone: done.json.progress.bytesTotal,
    });
    expect(done.json.progress.bytesTotal).toBeGreaterThan(0);
    expect(done.json.report).toMatchObject({ restored: before.size, skippedCount: 0, failedCount: 0 });
    expect(done.json.finishedAt).not.toBeNull();
    expect(await simulatorDrive(stack.simulator, stack.tenantId, owner.driveId!)).toEqual(before);

    // The code worked once.
    const reused = await h.call('verifyRestore', { token: admin, params: { id }, body: { code } });
    expect(reused.status).toBe(409);
    expect(reused.json.detail).toMatch(/already verified.*works once/);

    const listed = await h.call('listRestores', { token: reader, query: { state: 'completed' } });
    expect(listed.json.items.map((j: { id: string }) => j.id)).toContain(id);

    const audit = await h.call('listAudit', { token: admin, query: { limit: '50' } });
    const actions = audit.json.items
      .filter((r: { target: string }) => r.target === id)
      .map((r: { action: string; outcome: string; details: { result?: string } }) =>
        [r.action, r.outcome, r.details.result ?? ''].join(' '),
      );
    expect(actions).toEqual(
      expect.arrayContaining([
        'restore.request succeeded ',
        'restore.verify denied ', // the reader's attempt
        'restore.verify succeeded verified',
        'restore.verify failed not-awaiting-verification',
      ]),
    );
  });

  it('a restore with skip reports the files that exist as skipped, with the reason', async () => {
    const requested = await requestRestore('skip');
    const id = requested.job.id as string;
    const verified = await h.call('verifyRestore', {
      token: admin,
      params: { id },
      body: { code: await mailedCode() },
    });
    expect(verified.status, verified.text).toBe(202);
    await runRestores();
    const done = await h.call('getRestore', { token: admin, params: { id } });
    expect(done.json.state).toBe('completed');
    expect(done.json.report.restored).toBe(0);
    expect(done.json.report.skippedCount).toBe(done.json.progress.itemsTotal);
    expect(done.json.report.skipped[0]).toEqual({ item: expect.any(String), reason: expect.any(String) });
  });

  it('a wrong code answers 400 with the attempts left; an expired code 410; the fifth wrong code cancels the restore (403), audited', async () => {
    const expiring = await requestRestore('skip');
    const code = await mailedCode();
    const wrong = code === '000000' ? '111111' : '000000';
    const first = await h.call('verifyRestore', {
      token: admin,
      params: { id: expiring.job.id },
      body: { code: wrong },
    });
    expect(first.status).toBe(400);
    expect(first.headers['content-type']).toBe('application/problem+json');
    expect(first.json.errors).toEqual([{ field: 'body.code', message: 'wrong code (4 attempts left)' }]);
    clock.advance(10 * 60 * 1000 + 1);
    try {
      const expired = await h.call('verifyRestore', {
        token: admin,
        params: { id: expiring.job.id },
        body: { code },
      });
      expect(expired.status).toBe(410);
      expect(expired.json.detail).toMatch(/expired .*this restore was cancelled; request it again/);
      const gone = await h.call('getRestore', { token: admin, params: { id: expiring.job.id } });
      expect(gone.json).toMatchObject({ state: 'cancelled', failureReason: 'the verification code expired' });
    } finally {
      clock.advance(-(10 * 60 * 1000 + 1));
    }

    const locked = await requestRestore('skip');
    const id = locked.job.id as string;
    const right = await mailedCode();
    const bad = right === '000000' ? '111111' : '000000';
    const answers: string[] = [];
    const codes: string[] = [];
    for (let i = 0; i < 5; i++) {
      const r = await h.call('verifyRestore', { token: admin, params: { id }, body: { code: bad } });
      answers.push(`${r.status} ${r.json.detail}`);
      codes.push(r.json.code);
    }
    expect(answers.slice(0, 4)).toEqual(
      [4, 3, 2, 1].map((n) => `400 wrong verification code: ${n} attempts left`),
    );
    expect(answers[4]).toBe('403 too many wrong verification codes: the restore was cancelled');
    // Its own problem code: a client can tell a lockout from a missing role (`forbidden`).
    expect(codes).toEqual(['invalid', 'invalid', 'invalid', 'invalid', 'locked-out']);
    const after = await h.call('getRestore', { token: admin, params: { id } });
    expect(after.json.state).toBe('cancelled');
    const late = await h.call('verifyRestore', { token: admin, params: { id }, body: { code: right } });
    expect(late.status).toBe(409);
    expect(late.json.detail).toMatch(/cancelled after 5 wrong verification codes/);
    expect(await takeRestoreMessages(stack)).toEqual([]);

    const audit = await h.call('listAudit', {
      token: admin,
      query: { action: 'restore.verify', limit: '50' },
    });
    const results = audit.json.items
      .filter((r: { target: string }) => r.target === id)
      .map((r: { outcome: string; details: { result: string } }) => `${r.outcome} ${r.details.result}`);
    expect(results.sort()).toEqual(
      ['denied locked-out', 'failed not-awaiting-verification', ...Array(4).fill('failed wrong-code')].sort(),
    );
  });

  it('a restore can be cancelled while it awaits its code; a reader cannot cancel', async () => {
    const requested = await requestRestore('skip');
    const id = requested.job.id as string;
    expect((await h.call('cancelRestore', { token: reader, params: { id } })).status).toBe(403);
    const cancelled = await h.call('cancelRestore', { token: admin, params: { id } });
    expect(cancelled.status).toBe(200);
    expect(cancelled.json).toMatchObject({ state: 'cancelled', failureReason: 'cancelled by Ada Admin' });
    const again = await h.call('cancelRestore', { token: admin, params: { id } });
    expect(again.status).toBe(409);
  });

  it('a restore whose code is never entered is cancelled by the cleanup once the code has expired, saying why', async () => {
    const forgotten = await requestRestore('skip');
    const deps = h.runtime.deps.restores();
    await expireUnverifiedRestores(deps, CODE_LIFETIME_MS);
    const waiting = await h.call('getRestore', { token: admin, params: { id: forgotten.job.id } });
    expect(waiting.json.state).toBe('awaiting-verification');
    clock.advance(CODE_LIFETIME_MS + 6 * 60 * 1000);
    try {
      expect(await expireUnverifiedRestores(deps, CODE_LIFETIME_MS)).toBeGreaterThanOrEqual(1);
      const after = await h.call('getRestore', { token: admin, params: { id: forgotten.job.id } });
      expect(after.json).toMatchObject({
        state: 'cancelled',
        failureReason: 'the verification code expired before it was entered',
      });
    } finally {
      clock.advance(-(CODE_LIFETIME_MS + 6 * 60 * 1000));
    }
  });

  it('an export: queued without a code, ready with a 15-minute link to that one zip (audited), which opens', async () => {
    const sent = await sentCount();
    const { zip, exportId, link } = await exportZip();
    expect(await sentCount()).toBe(sent);
    expect(Date.parse(link.expiresAt) - clock.now().getTime()).toBe(15 * 60 * 1000);

    const entries = await unzip(zip);
    const manifest = JSON.parse(entries.get('manifest.json')!.toString('utf8'));
    expect(manifest).toMatchObject({ tenantId: stack.tenantId, resourceId: resource.resourceId, snapshotId });
    expect(manifest.items.length).toBeGreaterThan(0);
    for (const item of manifest.items) expect(entries.get(item.path)?.length).toBe(item.size);

    const asReader = await h.call('getExport', { token: reader, params: { id: exportId } });
    expect(asReader.json).toMatchObject({ state: 'completed', download: null });
    expect(asReader.json.progress.itemsDone).toBe(manifest.items.length);
    expect(asReader.json.zipBytes).toBe(zip.length);
    // The link reads that one blob only: another name under the same signature is refused.
    const elsewhere = link.url.replace(/\/([^/?]+)\.zip\?/, '/other.zip?');
    expect((await fetch(elsewhere)).status).toBe(403);

    expect(
      (await h.call('requestExport', { token: reader, body: { snapshotId, scope: { kind: 'all' } } })).status,
    ).toBe(403);
    const audit = await h.call('listAudit', { token: admin, query: { limit: '100' } });
    const actions = audit.json.items
      .filter((r: { target: string }) => r.target === exportId)
      .map((r: { action: string }) => r.action);
    expect(actions.sort()).toEqual(['export.download', 'export.request']);
  });

  it('an import: the zip goes up through a write-only link, is validated, and restores after its code', async () => {
    const { zip } = await exportZip();
    expect(zip.length).toBeLessThan(IMPORT_MAX_BYTES);
    const link = await h.call('createImportUpload', { token: admin });
    expect(link.json).toMatchObject({ method: 'PUT', maxBytes: IMPORT_MAX_BYTES });
    expect(Date.parse(link.json.expiresAt) - clock.now().getTime()).toBe(30 * 60 * 1000);
    await new BlockBlobClient(link.json.url).uploadData(zip);
    // Write-only: the link cannot read back what it wrote.
    expect((await fetch(link.json.url)).status).toBe(403);

    const before = await simulatorDrive(stack.simulator, stack.tenantId, owner.driveId!);
    const [first] = [...before.keys()];
    await stack.simulator.control.deleteFile(stack.tenantId, owner.driveId!, first!);

    const sent = await sentCount();
    const requested = await h.call('requestImport', {
      token: admin,
      body: { uploadId: link.json.uploadId, conflict: 'overwrite' },
    });
    expect(requested.status, requested.text).toBe(202);
    expect(await sentCount()).toBe(sent + 1);
    expect(requested.json.job).toMatchObject({
      state: 'awaiting-verification',
      importId: link.json.uploadId,
      resourceId: resource.resourceId,
    });
    expect(requested.json.backup).toMatchObject({ resourceName: 'OneDrive of the first user' });
    expect(requested.json.verification.warning).toMatch(/cannot be undone/);
    const id = requested.json.job.id as string;
    const verified = await h.call('verifyRestore', {
      token: admin,
      params: { id },
      body: { code: await mailedCode() },
    });
    expect(verified.status, verified.text).toBe(202);
    await runRestores();
    const done = await h.call('getRestore', { token: admin, params: { id } });
    expect(done.json.state).toBe('completed');
    expect(done.json.report.restored).toBe(before.size);
    expect(await simulatorDrive(stack.simulator, stack.tenantId, owner.driveId!)).toEqual(before);
  });

  it('imports refuse an oversized upload (413, before reading it) and a changed or foreign zip (400 with the reason), writing nothing', async () => {
    const { zip } = await exportZip();
    const jobs = async () =>
      (await h.call('listRestores', { token: admin, query: { limit: '200' } })).json.items.length;
    const jobsBefore = await jobs();
    const sent = await sentCount();

    const oversized = await upload(randomBytes(IMPORT_MAX_BYTES + 1));
    const tooLarge = await h.call('requestImport', { token: admin, body: { uploadId: oversized } });
    expect(tooLarge.status).toBe(413);
    expect(tooLarge.json).toMatchObject({ code: 'too-large' });
    expect(tooLarge.json.detail).toContain(`at most ${IMPORT_MAX_BYTES} bytes`);

    const entries = await unzip(zip);
    const manifest = JSON.parse(entries.get('manifest.json')!.toString('utf8'));
    const changed = new Map(entries);
    changed.set(manifest.items[0].path, Buffer.from('not what was exported'));
    const tampered = await upload(await zipOf(changed));
    const refused = await h.call('requestImport', { token: admin, body: { uploadId: tampered } });
    expect(refused.status).toBe(400);
    expect(refused.headers['content-type']).toBe('application/problem+json');
    expect(refused.json.errors[0].field).toBe('body.uploadId');
    expect(refused.json.detail).toMatch(/does not match its SHA-256/);
    // A refused upload is not kept.
    expect((await h.call('requestImport', { token: admin, body: { uploadId: tampered } })).status).toBe(404);

    const foreign = new Map(entries);
    foreign.set('manifest.json', Buffer.from(JSON.stringify({ ...manifest, tenantId: TENANT_B })));
    const other = await h.call('requestImport', {
      token: admin,
      body: { uploadId: await upload(await zipOf(foreign)) },
    });
    expect(other.status).toBe(400);
    expect(other.json.detail).toMatch(/another organisation/);

    expect(await jobs()).toBe(jobsBefore);
    expect(await sentCount()).toBe(sent);
    expect((await h.call('createImportUpload', { token: reader })).status).toBe(403);
    expect((await h.call('requestImport', { token: reader, body: { uploadId: oversized } })).status).toBe(
      403,
    );
  });

  it("another tenant's admin gets 404 for this tenant's snapshot, restore, export and upload ids", async () => {
    const restore = await requestRestore('skip');
    const { exportId } = await exportZip();
    const uploadId = await upload(Buffer.from('PK'));
    const answers = await Promise.all([
      h.call('requestRestore', {
        token: otherAdmin,
        body: { snapshotId, scope: { kind: 'all' }, target: { kind: 'original' }, conflict: 'skip' },
      }),
      h.call('getRestore', { token: otherAdmin, params: { id: restore.job.id } }),
      h.call('verifyRestore', {
        token: otherAdmin,
        params: { id: restore.job.id },
        body: { code: '123456' },
      }),
      h.call('cancelRestore', { token: otherAdmin, params: { id: restore.job.id } }),
      h.call('requestExport', { token: otherAdmin, body: { snapshotId, scope: { kind: 'all' } } }),
      h.call('getExport', { token: otherAdmin, params: { id: exportId } }),
      h.call('requestImport', { token: otherAdmin, body: { uploadId } }),
    ]);
    expect(answers.map((a) => a.status)).toEqual([404, 404, 404, 404, 404, 404, 404]);
    const mine = await h.call('getRestore', { token: admin, params: { id: restore.job.id } });
    expect(mine.json.state).toBe('awaiting-verification');
    const theirs = await h.call('listRestores', { token: otherAdmin });
    expect(theirs.json.items).toEqual([]);
  });

  it('the cleanup deletes uploads older than the retention, so an old upload can no longer be imported', async () => {
    const { zip } = await exportZip();
    const uploadId = await upload(zip);
    const uploads = h.restoreCore.uploads;
    expect(await uploads.deleteOlderThan(new Date(Date.now() - 24 * 3600 * 1000))).toBe(0);
    expect(await uploads.deleteOlderThan(new Date(Date.now() + 60 * 1000))).toBeGreaterThan(0);
    const late = await h.call('requestImport', { token: admin, body: { uploadId } });
    expect(late.status).toBe(404);
    expect(late.json.errors).toEqual([
      { field: 'body.uploadId', message: 'no upload with this id (upload the zip first)' },
    ]);
  });
});
