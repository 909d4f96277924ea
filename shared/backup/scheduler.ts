import { createHash, randomUUID } from 'node:crypto';
import { AppError } from '../errors/app-error';
import { QueueNames, type JobQueue } from '../queues/job-queues';
import type { ResourceStore } from '../resources/resource-store';
import type { TenantStore } from '../tenants/tenant-store';
import type { Clock } from '../time/clock';
import type { SnapshotJob } from './snapshot-job';

export interface SchedulerDependencies {
  tenants: TenantStore;
  resources: ResourceStore;
  queue: JobQueue;
  clock: Clock;
  /** Tenants start spread over this window, so they do not all hit Graph at once. */
  spreadSeconds?: number;
  /** Within a tenant, resources start this many seconds apart (cycling every minute). */
  staggerSeconds?: number;
}

export interface ScheduledRun {
  runId: string;
  tenants: number;
  jobs: number;
}

/** Stable offset of a tenant inside the spread window (the same every run). */
export function tenantOffsetSeconds(tenantId: string, spreadSeconds: number): number {
  if (spreadSeconds <= 0) return 0;
  return createHash('sha256').update(tenantId).digest().readUInt32BE(0) % spreadSeconds;
}

/**
 * The 6-hourly run: one `snapshot-jobs` message per protected resource of every active tenant.
 * Within a tenant, resources start a second apart, to ramp up rather than burst.
 */
export async function startScheduledRun(deps: SchedulerDependencies): Promise<ScheduledRun> {
  const now = deps.clock.now();
  const runId = `schedule-${now.toISOString()}`;
  const spread = deps.spreadSeconds ?? 300;
  const stagger = deps.staggerSeconds ?? 1;
  let tenants = 0;
  let jobs = 0;
  for await (const tenant of deps.tenants.list('active')) {
    tenants++;
    const offset = tenantOffsetSeconds(tenant.tenantId, spread);
    let index = 0;
    for await (const resource of deps.resources.list(tenant.tenantId, { protectedOnly: true })) {
      if (resource.state === 'gone') continue;
      const job: SnapshotJob = {
        tenantId: tenant.tenantId,
        resourceId: resource.resourceId,
        reason: 'schedule',
        runId,
        requestedAt: now.toISOString(),
      };
      await deps.queue.send(QueueNames.snapshotJobs, job, {
        delaySeconds: offset + ((index * stagger) % 60),
      });
      index++;
      jobs++;
    }
  }
  return { runId, tenants, jobs };
}

/** "Back up now" for one resource, or every protected resource of a tenant. */
export async function backUpNow(
  deps: Omit<SchedulerDependencies, 'spreadSeconds' | 'staggerSeconds'>,
  tenantId: string,
  resourceId?: string,
): Promise<ScheduledRun> {
  const tenant = await deps.tenants.get(tenantId);
  if (tenant.status !== 'active') {
    throw new AppError('conflict', `backups are not running for this tenant (status ${tenant.status})`);
  }
  const now = deps.clock.now();
  const runId = `manual-${randomUUID()}`;
  const targets: string[] = [];
  if (resourceId) {
    const resource = await deps.resources.get(tenantId, resourceId);
    if (!resource.protected) throw new AppError('conflict', `${resource.displayName} is not protected`);
    if (resource.state === 'gone') {
      throw new AppError('conflict', `${resource.displayName} no longer exists in the tenant`);
    }
    targets.push(resource.resourceId);
  } else {
    for await (const resource of deps.resources.list(tenantId, { protectedOnly: true })) {
      if (resource.state !== 'gone') targets.push(resource.resourceId);
    }
  }
  for (const target of targets) {
    const job: SnapshotJob = {
      tenantId,
      resourceId: target,
      reason: 'manual',
      runId,
      requestedAt: now.toISOString(),
    };
    await deps.queue.send(QueueNames.snapshotJobs, job);
  }
  return { runId, tenants: 1, jobs: targets.length };
}
