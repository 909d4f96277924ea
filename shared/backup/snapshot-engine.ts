import { AppError } from '../errors/app-error';
import type { TenantGraph } from '../graph/graph-client';
import { newJobUsage } from '../observability/job-usage';
import type { Logger } from '../observability/logger';
import { QueueNames, type JobQueue } from '../queues/job-queues';
import type { Repository } from '../repository';
import type { Resource, ResourceKind, SnapshotStatus } from '../resources/resource';
import type { ResourceStore } from '../resources/resource-store';
import type { ResourceLeases } from '../storage/resource-lease';
import type { TenantStore } from '../tenants/tenant-store';
import type { Clock } from '../time/clock';
import type { RunStateStore } from './run-state-store';
import type { SnapshotJob } from './snapshot-job';
import { MAX_SKIPPED_LISTED, type SnapshotRecord } from './snapshot-record';
import type { SnapshotStore } from './snapshot-store';
import type { TenantTotalsStore } from './tenant-totals';
import type { PreviousSnapshot, SliceReport, WorkloadHandler } from './workload-handler';

export interface SnapshotEngineDependencies {
  tenants: TenantStore;
  resources: ResourceStore;
  snapshots: SnapshotStore;
  totals: TenantTotalsStore;
  leases: ResourceLeases;
  runs: RunStateStore;
  queue: JobQueue;
  clock: Clock;
  graphFor(tenantId: string): TenantGraph;
  repositoryFor(tenantId: string): Promise<Repository>;
  handlers: Partial<Record<ResourceKind, WorkloadHandler>>;
  /** Seconds a job works before it checkpoints and continues in a new job. */
  budgetSeconds: number;
  /** Delay before retrying a resource whose lease another worker holds. */
  leaseRetrySeconds?: number;
  log: Logger;
  /** Called after a snapshot reaches a final status (notifications, totals). */
  onFinished?(record: SnapshotRecord, resource: Resource): Promise<void>;
}

/** What the engine persists between slices of one snapshot. */
interface RunState {
  snapshotId: string;
  handlerState: unknown;
  record: SnapshotRecord;
}

export type SnapshotJobOutcome =
  | { kind: 'finished'; record: SnapshotRecord }
  | { kind: 'continued'; snapshotId: string }
  | { kind: 'deferred'; reason: string }
  | { kind: 'skipped'; reason: string };

const resourceLevelFailures = new Set(['not-found', 'forbidden', 'unauthenticated', 'permanent']);

/**
 * Backs up one resource for at most one time budget. Write order at commit: repository packs and
 * index (flush) → checkpoint blob → snapshot record (the commit point) → resource summary. A crash
 * before the record leaves only unreferenced data; the next job resumes from the last saved slice.
 */
export async function runSnapshotJob(
  deps: SnapshotEngineDependencies,
  job: SnapshotJob,
): Promise<SnapshotJobOutcome> {
  const log = deps.log;
  const tenant = await deps.tenants.get(job.tenantId).catch(notFoundAs(undefined));
  if (!tenant || tenant.status !== 'active') return { kind: 'skipped', reason: 'tenant is not active' };
  const resource = await deps.resources.get(job.tenantId, job.resourceId).catch(notFoundAs(undefined));
  if (!resource || !resource.protected) return { kind: 'skipped', reason: 'resource is not protected' };
  const handler = deps.handlers[resource.kind];
  if (!handler) return { kind: 'skipped', reason: `no handler for ${resource.kind}` };

  const lease = await deps.leases.tryAcquire(job.tenantId, job.resourceId);
  if (!lease) {
    await deps.queue.send(QueueNames.snapshotJobs, job, { delaySeconds: deps.leaseRetrySeconds ?? 60 });
    return { kind: 'deferred', reason: 'another worker is backing up this resource' };
  }
  try {
    return await runUnderLease(deps, job, resource, handler, log);
  } finally {
    await lease
      .release()
      .catch((error: unknown) => log.warn('lease release failed', { error: String(error) }));
  }
}

async function runUnderLease(
  deps: SnapshotEngineDependencies,
  job: SnapshotJob,
  resource: Resource,
  handler: WorkloadHandler,
  log: Logger,
): Promise<SnapshotJobOutcome> {
  const started = deps.clock.now();
  const deadline = started.getTime() + deps.budgetSeconds * 1000;
  let run = await deps.runs.readRun<RunState>(resource.tenantId, resource.resourceId);
  if (!run) {
    if (job.reason === 'continuation')
      return { kind: 'skipped', reason: 'the continued snapshot already finished' };
    const snapshotId = deps.snapshots.newSnapshotId(resource.tenantId, resource.resourceId, started);
    const record: SnapshotRecord = {
      snapshotId,
      tenantId: resource.tenantId,
      resourceId: resource.resourceId,
      status: 'running',
      reason: job.reason,
      runId: job.runId,
      startedAt: started.toISOString(),
      updatedAt: started.toISOString(),
      items: 0,
      logicalBytes: 0,
      storedBytes: 0,
      added: 0,
      changed: 0,
      removed: 0,
      skippedCount: 0,
      skipped: [],
      processedItems: 0,
      slices: 0,
      graphRequests: 0,
      throttledRequests: 0,
    };
    await deps.snapshots.put(record);
    run = { snapshotId, handlerState: undefined, record };
  }
  const record = run.record;
  record.slices++;

  const graph = deps.graphFor(resource.tenantId);
  const repository = await deps.repositoryFor(resource.tenantId);
  const previous = await findPrevious(deps, resource);
  const report = reporter(record);
  // Jobs of one tenant share the Graph client and the repository writer: count this job's share.
  const usage = newJobUsage();
  const account = () => {
    record.graphRequests += usage.graphRequests;
    record.throttledRequests += usage.graphThrottled;
    record.storedBytes += usage.storedBytes;
    record.newChunkBytes = (record.newChunkBytes ?? 0) + usage.newChunkBytes;
    record.updatedAt = deps.clock.now().toISOString();
  };

  let result;
  try {
    result = await handler.runSlice({
      resource,
      graph: graph.forJob(usage),
      repository,
      usage,
      previous,
      state: run.handlerState,
      outOfTime: () => deps.clock.now().getTime() >= deadline,
      report,
      log,
    });
  } catch (error) {
    if (error instanceof AppError && resourceLevelFailures.has(error.code)) {
      await repository.flush();
      account();
      record.status = 'failed';
      record.failureCode = error.code;
      record.failureReason = error.message;
      record.finishedAt = deps.clock.now().toISOString();
      await deps.snapshots.put(record);
      await deps.runs.deleteRun(resource.tenantId, resource.resourceId);
      const failures = resource.consecutiveFailures + 1;
      await deps.resources.update(resource.tenantId, resource.resourceId, {
        lastSnapshotId: record.snapshotId,
        lastSnapshotAt: record.finishedAt,
        lastSnapshotStatus: 'failed',
        consecutiveFailures: failures,
      });
      await deps.totals.apply(resource.tenantId, {
        kind: resource.kind,
        previousStatus: resource.lastSnapshotStatus,
        status: 'failed',
        committed: false,
        previousGoodBytes: resource.lastGoodLogicalBytes ?? 0,
        logicalBytes: 0,
        finishedAt: record.finishedAt,
      });
      log.warn('snapshot failed', { snapshotId: record.snapshotId, code: error.code, reason: error.message });
      await deps.onFinished?.(record, { ...resource, consecutiveFailures: failures });
      return { kind: 'finished', record };
    }
    throw error; // retryable: the queue delivers the job again and it resumes from the last slice
  }

  await repository.flush();
  if (result.kind === 'yield') {
    account();
    await deps.runs.writeRun(resource.tenantId, resource.resourceId, {
      ...run,
      handlerState: result.state,
      record,
    });
    await deps.snapshots.put(record);
    const continuation: SnapshotJob = {
      ...job,
      reason: 'continuation',
      snapshotId: record.snapshotId,
      requestedAt: deps.clock.now().toISOString(),
    };
    await deps.queue.send(QueueNames.snapshotJobs, continuation);
    log.info('snapshot continues in a new job', { snapshotId: record.snapshotId, slices: record.slices });
    return { kind: 'continued', snapshotId: record.snapshotId };
  }

  account();
  const status: SnapshotStatus = record.skippedCount > 0 ? 'completed-with-warnings' : 'completed';
  record.status = status;
  record.items = result.items;
  record.logicalBytes = result.logicalBytes;
  record.manifestRoot = result.manifestRoot;
  record.finishedAt = deps.clock.now().toISOString();
  await deps.runs.writeCheckpoint(resource.tenantId, record.snapshotId, result.checkpoint);
  await deps.snapshots.put(record);
  await deps.resources.update(resource.tenantId, resource.resourceId, {
    lastSnapshotId: record.snapshotId,
    lastSnapshotAt: record.finishedAt,
    lastSnapshotStatus: status,
    lastGoodSnapshotId: record.snapshotId,
    lastGoodSnapshotAt: record.finishedAt,
    lastGoodLogicalBytes: record.logicalBytes,
    consecutiveFailures: 0,
  });
  await deps.totals.apply(resource.tenantId, {
    kind: resource.kind,
    previousStatus: resource.lastSnapshotStatus,
    status,
    committed: true,
    previousGoodBytes: resource.lastGoodLogicalBytes ?? 0,
    logicalBytes: record.logicalBytes,
    finishedAt: record.finishedAt,
  });
  await deps.runs.deleteRun(resource.tenantId, resource.resourceId);
  log.info('snapshot committed', {
    snapshotId: record.snapshotId,
    status,
    items: record.items,
    added: record.added,
    changed: record.changed,
    removed: record.removed,
    skipped: record.skippedCount,
  });
  await deps.onFinished?.(record, { ...resource, consecutiveFailures: 0 });
  return { kind: 'finished', record };
}

async function findPrevious(
  deps: SnapshotEngineDependencies,
  resource: Resource,
): Promise<PreviousSnapshot | undefined> {
  if (!resource.lastGoodSnapshotId) return undefined;
  const record = await deps.snapshots.get(resource.lastGoodSnapshotId).catch(notFoundAs(undefined));
  if (!record?.manifestRoot) return undefined;
  const checkpoint = await deps.runs.readCheckpoint(resource.tenantId, record.snapshotId);
  return { snapshotId: record.snapshotId, manifestRoot: record.manifestRoot, checkpoint };
}

function reporter(record: SnapshotRecord): SliceReport {
  return {
    skip(item, reason) {
      record.skippedCount++;
      if (record.skipped.length < MAX_SKIPPED_LISTED) record.skipped.push({ item, reason });
    },
    added: (count = 1) => void (record.added += count),
    changed: (count = 1) => void (record.changed += count),
    removed: (count = 1) => void (record.removed += count),
    processed: (count = 1) => void (record.processedItems += count),
  };
}

function notFoundAs<T>(value: T): (error: unknown) => T {
  return (error) => {
    if (error instanceof AppError && error.code === 'not-found') return value;
    throw error;
  };
}
