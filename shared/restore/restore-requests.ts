import { AppError } from '../errors/app-error';
import type { TenantStore } from '../tenants/tenant-store';
import type { VerificationCodes } from '../verification/verification-codes';
import type { ExportManifest } from '../export/export-job';
import {
  cancelRestoreJob,
  createImportRestoreJob,
  createRestoreJob,
  queueRestoreJob,
  type RestoreEngineDependencies,
  type RestoreRequest,
} from './restore-engine';
import type { RestoreJob } from './restore-job';

export const RESTORE_WARNING =
  'A restore writes into live Microsoft 365 data (with the overwrite policy it replaces it) and cannot be undone.';

/** Where a lockout is reported: a red notification and an audit record (wired by the app). */
export interface VerificationLockoutReporter {
  lockedOut(job: RestoreJob): Promise<void>;
}

export interface RestoreRequestDependencies extends RestoreEngineDependencies {
  tenants: TenantStore;
  codes: VerificationCodes;
  lockouts?: VerificationLockoutReporter;
}

export interface RestoreRequested {
  job: RestoreJob;
  verification: { sentTo: string; expiresAt: string; warning: string };
}

/** A restore job awaiting verification, its code mailed to the tenant's registered admin contact. */
export async function requestRestore(
  deps: RestoreRequestDependencies,
  request: RestoreRequest,
): Promise<RestoreRequested> {
  const contact = await adminContact(deps, request.tenantId);
  const job = await createRestoreJob(deps, request);
  return mailCode(
    deps,
    job,
    contact,
    `a restore of ${job.resourceId} from the snapshot of ${job.snapshotId}`,
  );
}

/** An import's restore: the same verification code and path as a restore (`verifyRestore`). */
export async function requestImportRestore(
  deps: RestoreRequestDependencies,
  request: Omit<RestoreRequest, 'snapshotId' | 'scope'> & { importId: string; manifest: ExportManifest },
): Promise<RestoreRequested> {
  const contact = await adminContact(deps, request.tenantId);
  const job = await createImportRestoreJob(deps, request);
  return mailCode(
    deps,
    job,
    contact,
    `a restore of ${job.resourceId} from an uploaded backup (${request.manifest.snapshotTime})`,
  );
}

/** Where verification codes go: the tenant's registered admin contact (required). */
async function adminContact(deps: RestoreRequestDependencies, tenantId: string): Promise<string> {
  const tenant = await deps.tenants.get(tenantId);
  if (!tenant.adminContactEmail) {
    throw new AppError(
      'conflict',
      'the tenant has no registered admin contact to send the verification code to',
    );
  }
  return tenant.adminContactEmail;
}

async function mailCode(
  deps: RestoreRequestDependencies,
  job: RestoreJob,
  contact: string,
  what: string,
): Promise<RestoreRequested> {
  const issued = await deps.codes.issue(job.tenantId, { kind: 'restore', id: job.jobId }, contact, what);
  return { job, verification: { ...issued, warning: RESTORE_WARNING } };
}

/**
 * Starts a verified restore. A wrong code answers `invalid` with the attempts left; the fifth
 * cancels the job and is reported (red notification, audit).
 */
export async function verifyRestore(
  deps: RestoreRequestDependencies,
  tenantId: string,
  jobId: string,
  code: string,
): Promise<RestoreJob> {
  const job = await deps.jobs.get(tenantId, jobId);
  if (job.state !== 'awaiting-verification') throw new AppError('conflict', `the restore is ${job.state}`);
  const result = await deps.codes.verify(tenantId, { kind: 'restore', id: jobId }, code);
  if (result.kind === 'verified') return queueRestoreJob(deps, tenantId, jobId);
  if (result.kind === 'wrong') {
    throw new AppError('invalid', `wrong verification code: ${result.attemptsLeft} attempts left`, {
      details: [{ field: 'body.code', message: `wrong code (${result.attemptsLeft} attempts left)` }],
    });
  }
  const cancelled = await cancelRestoreJob(
    deps,
    tenantId,
    jobId,
    'cancelled after 5 wrong verification codes',
  );
  await deps.lockouts?.lockedOut(cancelled);
  throw new AppError('locked-out', 'too many wrong verification codes: the restore was cancelled');
}
