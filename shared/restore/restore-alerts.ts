import type { AuditLog } from '../audit/audit-log';
import type { Notifier } from '../notifications/notifier';
import type { Logger } from '../observability/logger';
import type { Clock } from '../time/clock';
import type { RestoreNotifier } from './restore-engine';
import type { VerificationLockoutReporter } from './restore-requests';

/** What restores report to: the notifications (the bell, red ones mailed) and the audit trail. */
export interface RestoreAlertParts {
  notifier(log: Logger): Notifier;
  audit: AuditLog;
  clock: Clock;
}

/**
 * The restore engine's hooks as the app wires them. A notification that cannot be written is
 * logged and never fails or redelivers a restore that already ended; the lockout's audit record
 * is written first and must succeed (the caller sees the error).
 */
export function restoreAlertHooks(
  parts: RestoreAlertParts,
  log: Logger,
): { notifier: RestoreNotifier; lockouts: VerificationLockoutReporter } {
  const notifier = parts.notifier(log);
  const guarded = async (what: string, tenantId: string, jobId: string, work: () => Promise<void>) => {
    try {
      await work();
    } catch (error) {
      log.warn(`${what} could not be recorded`, {
        tenantId,
        jobId,
        reason: error instanceof Error ? error.message : String(error),
      });
    }
  };
  return {
    notifier: {
      restoreEnded: (job) =>
        guarded('restore notification', job.tenantId, job.jobId, () => notifier.restoreEnded(job)),
    },
    lockouts: {
      async lockedOut(job) {
        await parts.audit.write(
          {
            at: parts.clock.now().toISOString(),
            actor: { tenantId: job.tenantId, userId: job.requestedBy, userName: job.requestedBy },
            address: '',
            action: 'restore.verification.lockout',
            target: job.jobId,
            outcome: 'denied',
            status: 403,
            details: { resourceId: job.resourceId, snapshotId: job.snapshotId, wrongCodes: 5 },
          },
          [job.tenantId],
        );
        await guarded('lockout notification', job.tenantId, job.jobId, () => notifier.restoreLockedOut(job));
      },
    },
  };
}
