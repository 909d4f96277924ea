import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../../shared/errors/app-error';
import { GraphClientFactory } from '../../../shared/graph/graph-client';
import type { RestoreJob } from '../../../shared/restore/restore-job';
import {
  requestRestore,
  verifyRestore,
  type RestoreRequestDependencies,
} from '../../../shared/restore/restore-requests';
import { Tables } from '../../../shared/storage/tables';
import { TenantStore } from '../../../shared/tenants/tenant-store';
import { ManualClock } from '../../../shared/time/clock';
import {
  GraphCodeMailer,
  VerificationCodes,
  maskEmail,
} from '../../../shared/verification/verification-codes';
import { BackupStack } from '../../support/backup-stack';
import { restoreDeps, takeRestoreMessages } from '../../support/restore-stack';

async function rejection(promise: Promise<unknown>): Promise<AppError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof AppError) return error;
    throw error;
  }
  throw new Error('expected a rejection');
}

/**
 * Restores need a one-time code mailed (Graph sendMail, delivered by the simulator) to the tenant's
 * registered admin contact: the right code starts the job once; wrong, expired and reused codes
 * are refused; the fifth wrong code cancels the job and is reported.
 */
describe('restore verification codes', () => {
  let stack: BackupStack;
  let deps: RestoreRequestDependencies;
  const clock = new ManualClock(new Date());
  const lockouts: RestoreJob[] = [];
  let admin: { id: string; userPrincipalName: string };
  let snapshotId: string;

  beforeAll(async () => {
    stack = await BackupStack.start({
      shape: {
        users: 3,
        usersWithoutMailbox: 0,
        guests: 0,
        messagesPerMailbox: 3,
        customFoldersPerMailbox: 0,
        filesPerDrive: 2,
        sites: 0,
        groups: 0,
      },
    });
    await stack.onboard();
    const tenant = await stack.simulator.control.tenant(stack.tenantId);
    const [first, sender, contact] = tenant.users.filter((u) => u.hasMailbox);
    admin = contact!;
    const tenants = new TenantStore(new Tables(stack.storage));
    await tenants.put({ ...(await tenants.get(stack.tenantId)), adminContactEmail: admin.userPrincipalName });
    const graph = new GraphClientFactory({
      baseUrl: stack.settings.GRAPH_BASE_URL,
      authorityHost: stack.settings.ENTRA_AUTHORITY_HOST,
      clientId: stack.settings.BACKUP_APP_CLIENT_ID,
      clientSecret: stack.settings.BACKUP_APP_CLIENT_SECRET,
    }).forTenant(stack.tenantId);
    const base = restoreDeps(stack, { clock });
    deps = {
      ...base,
      tenants,
      codes: new VerificationCodes(new Tables(stack.storage), new GraphCodeMailer(graph, sender!.id), clock),
      lockouts: { lockedOut: async (job) => void lockouts.push(job) },
    };
    const resource = await stack.protect('onedrive', first!.id, first!.userPrincipalName);
    snapshotId = (await stack.snapshot(resource.resourceId)).snapshotId;
  });
  afterAll(async () => {
    await stack?.stop();
  });

  /** The newest code in the admin contact's mailbox (the simulator delivered the sendMail). */
  async function codeInMailbox(): Promise<string> {
    const tree = await stack.simulator.control.mailbox(stack.tenantId, admin.id);
    const subjects = tree.folders
      .flatMap((f) => f.messages)
      .filter((m) => m.subject.startsWith('[M365 Backup] Verification code'))
      .sort((a, b) => b.receivedDateTime.localeCompare(a.receivedDateTime));
    const match = /(\d{6})/.exec(subjects[0]?.subject ?? '');
    if (!match) throw new Error('no code was delivered');
    return match[1]!;
  }

  async function request() {
    const sentBefore = (await stack.simulator.control.sentMail()).length;
    const requested = await requestRestore(deps, {
      tenantId: stack.tenantId,
      snapshotId,
      scope: { kind: 'all' },
      target: { kind: 'original' },
      conflict: 'skip',
      requestedBy: 'admin@test',
    });
    const sent = await stack.simulator.control.sentMail();
    expect(sent.length).toBe(sentBefore + 1);
    return requested;
  }

  it('mails a code to the masked admin contact, warns, and the right code queues the job exactly once', async () => {
    const { job, verification } = await request();
    expect(job.state).toBe('awaiting-verification');
    expect(verification.sentTo).toBe(maskEmail(admin.userPrincipalName));
    expect(verification.sentTo).not.toContain(admin.userPrincipalName.split('@')[0]);
    expect(verification.warning).toMatch(/cannot be undone/);
    const code = await codeInMailbox();
    await takeRestoreMessages(stack);
    const queued = await verifyRestore(deps, stack.tenantId, job.jobId, code);
    expect(queued.state).toBe('queued');
    expect(await takeRestoreMessages(stack)).toEqual([{ tenantId: stack.tenantId, jobId: job.jobId }]);
    // Reuse: the job no longer waits, and the code itself is spent.
    expect((await rejection(verifyRestore(deps, stack.tenantId, job.jobId, code))).code).toBe('conflict');
    expect(
      (await rejection(deps.codes.verify(stack.tenantId, { kind: 'restore', id: job.jobId }, code))).code,
    ).toBe('conflict');
  });

  it('refuses a wrong code with the attempts left, and an expired code', async () => {
    const { job } = await request();
    const code = await codeInMailbox();
    const wrong = code === '000000' ? '111111' : '000000';
    const error = await rejection(verifyRestore(deps, stack.tenantId, job.jobId, wrong));
    expect(error.code).toBe('invalid');
    expect(error.message).toMatch(/4 attempts left/);
    clock.advance(10 * 60 * 1000 + 1);
    expect((await rejection(verifyRestore(deps, stack.tenantId, job.jobId, code))).code).toBe('gone');
    expect((await deps.jobs.get(stack.tenantId, job.jobId)).state).toBe('awaiting-verification');
  });

  it('five wrong codes cancel the job and report it; the right code then does nothing', async () => {
    const { job } = await request();
    const code = await codeInMailbox();
    const wrong = code === '000000' ? '111111' : '000000';
    for (let i = 0; i < 4; i++) {
      expect((await rejection(verifyRestore(deps, stack.tenantId, job.jobId, wrong))).code).toBe('invalid');
    }
    expect((await rejection(verifyRestore(deps, stack.tenantId, job.jobId, wrong))).code).toBe('locked-out');
    const cancelled = await deps.jobs.get(stack.tenantId, job.jobId);
    expect(cancelled.state).toBe('cancelled');
    expect(lockouts.map((j) => j.jobId)).toContain(job.jobId);
    expect((await rejection(verifyRestore(deps, stack.tenantId, job.jobId, code))).code).toBe('conflict');
    expect(await takeRestoreMessages(stack)).toEqual([]);
  });

  it('stores only a hash of the code', async () => {
    await request();
    const code = await codeInMailbox();
    const table = await new Tables(stack.storage).client('verificationcodes');
    for await (const entity of table.listEntities()) {
      expect(JSON.stringify(entity)).not.toContain(code);
    }
  });
});
