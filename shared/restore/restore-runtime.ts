import { services } from '../runtime/services';
import { createRestoreCore, type RestoreCore } from './restore-core';

let core: RestoreCore | undefined;

/** The app's restore and export collaborators, built on first use from the composition root's parts. */
export function restoreCore(): RestoreCore {
  core ??= createRestoreCore({
    settings: services.settings,
    storage: services.storage,
    clock: services.clock,
    tenants: services.tenants,
    resources: services.resources,
    reader: services.api.deps.reader,
    queue: services.queue,
    graph: services.graph,
    // The fifth wrong code is recorded in the tenant's audit trail (the red notification is still to wire).
    lockouts: {
      lockedOut: (job) =>
        services.api.deps.audit.write(
          {
            at: services.clock.now().toISOString(),
            actor: { tenantId: job.tenantId, userId: job.requestedBy, userName: job.requestedBy },
            address: '',
            action: 'restore.verification.lockout',
            target: job.jobId,
            outcome: 'denied',
            status: 403,
            details: { resourceId: job.resourceId, snapshotId: job.snapshotId, wrongCodes: 5 },
          },
          [job.tenantId],
        ),
    },
  });
  return core;
}
