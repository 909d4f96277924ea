import type { SnapshotReader } from '../backup/snapshot-reader';
import { AppError } from '../errors/app-error';
import type { TenantGraph } from '../graph/graph-client';
import type { Logger } from '../observability/logger';
import { QueueNames, type JobQueue } from '../queues/job-queues';
import type { Resource } from '../resources/resource';
import type { ResourceStore } from '../resources/resource-store';
import type { ResourceLeases } from '../storage/resource-lease';
import type { Clock } from '../time/clock';
import type { ContentSource } from '../import/zip-snapshot';
import type { ReadPlan } from '../repository';
import type { ExportManifest } from '../export/export-job';
import { DriveRestorer } from './drive-restorer';
import { MailRestorer } from './mail-restorer';
import type { ItemOutcome, RestoreItem, WorkloadRestorer } from './restore-context';
import {
  MAX_PROBLEMS_LISTED,
  emptyReport,
  type ConflictPolicy,
  type RestoreJob,
  type RestoreJobMessage,
  type RestoreScope,
  type RestoreTarget,
} from './restore-job';
import type { RestoreJobStore } from './restore-job-store';
import { FinishedItems, restoreOrder } from './restore-order';

/** Told when a restore ends (green when it finished, red when it failed): the notifications seam. */
export interface RestoreNotifier {
  restoreEnded(job: RestoreJob): Promise<void>;
}

export interface RestoreEngineDependencies {
  jobs: RestoreJobStore;
  resources: ResourceStore;
  reader: SnapshotReader;
  leases: ResourceLeases;
  queue: JobQueue;
  clock: Clock;
  graphFor(tenantId: string): TenantGraph;
  /** Time one slice may take before it checkpoints and queues its continuation. */
  budgetSeconds: number;
  leaseRetrySeconds?: number;
  notifier?: RestoreNotifier;
  /** Opens an import's validated zip as a snapshot (imports only). */
  imports?: ImportSources;
  log: Logger;
}

/** Where imported backup zips are read from. */
export interface ImportSources {
  open(
    tenantId: string,
    importId: string,
  ): Promise<{ source: ContentSource; snapshotTime: string; close(): void }>;
}

export interface RestoreRequest {
  tenantId: string;
  snapshotId: string;
  scope: RestoreScope;
  target: RestoreTarget;
  conflict: ConflictPolicy;
  requestedBy: string;
}

/**
 * A restore job in `awaiting-verification`. The snapshot must be the tenant's (another tenant's id
 * answers not-found) and another target must be a resource of the same kind in the same tenant.
 */
export async function createRestoreJob(
  deps: RestoreEngineDependencies,
  request: RestoreRequest,
): Promise<RestoreJob> {
  const { record } = await deps.reader.open(request.tenantId, request.snapshotId);
  const source = await deps.resources.get(request.tenantId, record.resourceId);
  if (request.target.kind === 'resource') {
    const target = await deps.resources.get(request.tenantId, request.target.resourceId);
    if (target.kind !== source.kind) {
      throw new AppError('invalid', `a ${source.kind} restores only to another ${source.kind}`, {
        details: [{ field: 'target.resourceId', message: `not a ${source.kind}` }],
      });
    }
  }
  return putNewJob(deps, {
    tenantId: request.tenantId,
    resourceId: record.resourceId,
    resourceKind: source.kind,
    snapshotId: request.snapshotId,
    scope: request.scope,
    target: request.target,
    conflict: request.conflict,
    requestedBy: request.requestedBy,
  });
}

/**
 * A restore of an uploaded backup zip (already validated for this tenant): the identity comes from
 * its manifest, so it restores to the resource it was exported from unless another target is named.
 */
export async function createImportRestoreJob(
  deps: RestoreEngineDependencies,
  request: Omit<RestoreRequest, 'snapshotId' | 'scope'> & { importId: string; manifest: ExportManifest },
): Promise<RestoreJob> {
  const { manifest } = request;
  if (manifest.tenantId !== request.tenantId)
    throw new AppError('invalid', 'the backup belongs to another organisation');
  const source = await deps.resources.get(request.tenantId, manifest.resourceId);
  if (request.target.kind === 'resource') {
    const target = await deps.resources.get(request.tenantId, request.target.resourceId);
    if (target.kind !== source.kind)
      throw new AppError('invalid', `a ${source.kind} restores only to another ${source.kind}`);
  }
  return putNewJob(deps, {
    tenantId: request.tenantId,
    resourceId: source.resourceId,
    resourceKind: source.kind,
    snapshotId: manifest.snapshotId,
    importId: request.importId,
    scope: { kind: 'all' },
    target: request.target,
    conflict: request.conflict,
    requestedBy: request.requestedBy,
  });
}

type NewJobFields = Omit<
  RestoreJob,
  'jobId' | 'state' | 'createdAt' | 'updatedAt' | 'progress' | 'report' | 'slices'
>;

/** A new job, awaiting its verification code, with nothing done yet. */
async function putNewJob(deps: RestoreEngineDependencies, fields: NewJobFields): Promise<RestoreJob> {
  const now = deps.clock.now();
  const job: RestoreJob = {
    ...fields,
    jobId: deps.jobs.newJobId(now),
    state: 'awaiting-verification',
    createdAt: now.toISOString(),
    updatedAt: now.toISOString(),
    progress: { itemsDone: 0, itemsTotal: 0, bytesDone: 0, bytesTotal: 0 },
    report: emptyReport(),
    slices: 0,
  };
  await deps.jobs.put(job);
  return job;
}

/** Verified: the job is queued on `restore-jobs`. */
export async function queueRestoreJob(
  deps: RestoreEngineDependencies,
  tenantId: string,
  jobId: string,
): Promise<RestoreJob> {
  const job = await deps.jobs.get(tenantId, jobId);
  if (job.state !== 'awaiting-verification') {
    throw new AppError('conflict', `the restore is ${job.state}`);
  }
  const queued: RestoreJob = { ...job, state: 'queued', updatedAt: deps.clock.now().toISOString() };
  await deps.jobs.put(queued);
  const message: RestoreJobMessage = { tenantId, jobId };
  await deps.queue.send(QueueNames.restoreJobs, message);
  return queued;
}

export async function cancelRestoreJob(
  deps: Pick<RestoreEngineDependencies, 'jobs' | 'clock'>,
  tenantId: string,
  jobId: string,
  reason = 'cancelled',
): Promise<RestoreJob> {
  const job = await deps.jobs.get(tenantId, jobId);
  if (!['awaiting-verification', 'queued', 'running'].includes(job.state)) {
    throw new AppError('conflict', `the restore is already ${job.state}`);
  }
  const now = deps.clock.now().toISOString();
  const cancelled: RestoreJob = {
    ...job,
    state: 'cancelled',
    updatedAt: now,
    finishedAt: now,
    failureReason: reason,
  };
  await deps.jobs.put(cancelled);
  return cancelled;
}

/**
 * Cancels restores whose verification code was never entered: the code expired, no new one is
 * ever issued for the same restore, so they could only sit in `awaiting-verification` for ever.
 * `codeLifetimeMs` past creation plus a margin (the code is issued just after the job is saved).
 */
export async function expireUnverifiedRestores(
  deps: Pick<RestoreEngineDependencies, 'jobs' | 'clock'>,
  codeLifetimeMs: number,
): Promise<number> {
  const cutoff = deps.clock.now().getTime() - codeLifetimeMs - UNVERIFIED_MARGIN_MS;
  let cancelled = 0;
  for await (const job of deps.jobs.awaitingVerification()) {
    if (Date.parse(job.createdAt) >= cutoff) continue;
    await cancelRestoreJob(
      deps,
      job.tenantId,
      job.jobId,
      'the verification code expired before it was entered',
    );
    cancelled++;
  }
  return cancelled;
}

/** Slack between a job's creation and its code's expiry time. */
const UNVERIFIED_MARGIN_MS = 5 * 60 * 1000;

export type RestoreJobOutcome =
  | { kind: 'finished'; job: RestoreJob }
  | { kind: 'continued'; job: RestoreJob }
  | { kind: 'busy' }
  | { kind: 'ignored'; reason: string };

function restorerFor(kind: Resource['kind']): WorkloadRestorer {
  return kind === 'mailbox' ? new MailRestorer() : new DriveRestorer();
}

function inScope(scope: RestoreScope, item: RestoreItem): boolean {
  if (scope.kind === 'all') return true;
  if (scope.kind === 'items')
    return item.entry.kind !== 'folder' && scope.itemIds.includes(item.entry.itemId ?? '');
  const full = [...item.path, item.entry.name];
  return scope.paths.some((p) => p.length <= full.length && p.every((name, i) => full[i] === name));
}

/**
 * One slice of a restore job (the `restore-jobs` worker). Leased on the job, time-boxed, resumable.
 * Items are taken folders first, then in the order their content is stored (`restoreOrder`), and
 * restored a few at a time (the restorer's `concurrency`, within Graph's limits); each
 * item's completion is checkpointed before its slot takes the next item, so a redelivered message
 * or a continuation never restores a finished item again (a crash can repeat at most the items
 * that were in flight).
 */
export async function runRestoreJob(
  deps: RestoreEngineDependencies,
  message: RestoreJobMessage,
): Promise<RestoreJobOutcome> {
  const log = deps.log;
  let job = await deps.jobs.get(message.tenantId, message.jobId);
  if (job.state !== 'queued' && job.state !== 'running')
    return { kind: 'ignored', reason: `job is ${job.state}` };
  const lease = await deps.leases.tryAcquire(job.tenantId, `restore-${job.jobId}`);
  if (!lease) {
    await deps.queue.send(QueueNames.restoreJobs, message, { delaySeconds: deps.leaseRetrySeconds ?? 60 });
    return { kind: 'busy' };
  }
  try {
    return await runSlice(deps, job);
  } catch (error) {
    if (
      error instanceof AppError &&
      (error.code === 'permanent' || error.code === 'not-found' || error.code === 'invalid')
    ) {
      job = await deps.jobs.get(job.tenantId, job.jobId);
      const now = deps.clock.now().toISOString();
      job = { ...job, state: 'failed', failureReason: error.message, updatedAt: now, finishedAt: now };
      await deps.jobs.put(job);
      await deps.notifier?.restoreEnded(job);
      log.error('restore failed', { tenantId: job.tenantId, jobId: job.jobId, error: error.message });
      return { kind: 'finished', job };
    }
    throw error;
  } finally {
    await lease
      .release()
      .catch((error: unknown) => log.warn('lease release failed', { error: String(error) }));
  }
}

async function runSlice(deps: RestoreEngineDependencies, initial: RestoreJob): Promise<RestoreJobOutcome> {
  const started = deps.clock.now();
  let snapshot: { startedAt: string; manifestRoot?: string };
  let repository: ContentSource;
  let root: string;
  let close = () => undefined as void;
  if (initial.importId) {
    if (!deps.imports) throw new AppError('permanent', 'imports are not configured');
    const opened = await deps.imports.open(initial.tenantId, initial.importId);
    snapshot = { startedAt: opened.snapshotTime, manifestRoot: 'import' };
    repository = opened.source;
    root = 'import';
    close = () => opened.close();
  } else {
    const opened = await deps.reader.open(initial.tenantId, initial.snapshotId);
    snapshot = opened.record;
    repository = opened.repository;
    root = opened.root;
  }
  try {
    return await restoreItems(deps, initial, snapshot, repository, root, started);
  } finally {
    close();
  }
}

async function restoreItems(
  deps: RestoreEngineDependencies,
  initial: RestoreJob,
  record: { startedAt: string; manifestRoot?: string },
  repository: ContentSource,
  root: string,
  started: Date,
): Promise<RestoreJobOutcome> {
  const deadline = started.getTime() + deps.budgetSeconds * 1000;
  const source = await deps.resources.get(initial.tenantId, initial.resourceId);
  const target =
    initial.target.kind === 'resource'
      ? await deps.resources.get(initial.tenantId, initial.target.resourceId)
      : source;
  const checkpoint = await deps.jobs.readCheckpoint(initial.tenantId, initial.jobId);
  const items: RestoreItem[] = [];
  for await (const { path, entry } of repository.walk(root)) {
    const item = { path, entry, key: `${[...path, entry.name].join('/')}#${entry.itemId ?? ''}` };
    if (inScope(initial.scope, item)) items.push(item);
  }
  const counted = items.filter((i) => i.entry.kind !== 'folder');
  let job: RestoreJob = {
    ...initial,
    state: 'running',
    startedAt: initial.startedAt ?? started.toISOString(),
    slices: initial.slices + 1,
    updatedAt: started.toISOString(),
    report: checkpoint.report ?? initial.report,
    progress: {
      ...(checkpoint.progress ?? initial.progress),
      itemsTotal: counted.length,
      bytesTotal: counted.reduce((sum, i) => sum + (i.entry.content?.size ?? 0), 0),
    },
  };
  const ctx = {
    job,
    snapshot: record,
    source,
    target,
    graph: deps.graphFor(job.tenantId),
    repository,
    checkpoint,
  };
  const restorer = restorerFor(source.kind);
  job.destination = await restorer.prepare(ctx);
  await deps.jobs.put(job);

  // Finished items are named by their index in the snapshot's walk (their identity in this job),
  // so the order they are taken in (stored order) can differ between slices.
  const finished = FinishedItems.fromCheckpoint(checkpoint, items);
  const saver = new CheckpointSaver(() => {
    const { next: _next, done: _done, ...rest } = checkpoint;
    return deps.jobs.writeCheckpoint(job.tenantId, job.jobId, { ...rest, finished: finished.state() });
  });
  const inFlight = new Set<Promise<void>>();
  let failure: { error: unknown } | undefined;
  let stop: 'deadline' | 'cancelled' | undefined;
  let cancelled: RestoreJob | undefined;
  let launched = 0;
  let lastSaved = Date.now();

  const recordOutcome = (index: number, item: RestoreItem, outcome: ItemOutcome) => {
    const where = [...item.path, item.entry.name].join('/');
    const report = { ...job.report };
    if (outcome.kind === 'restored') {
      if (item.entry.kind !== 'folder') report.restored += 1;
    } else if (outcome.kind === 'skipped') {
      report.skippedCount += 1;
      if (report.skipped.length < MAX_PROBLEMS_LISTED)
        report.skipped = [...report.skipped, { item: where, reason: outcome.reason }];
    } else {
      report.failedCount += 1;
      if (report.failed.length < MAX_PROBLEMS_LISTED)
        report.failed = [...report.failed, { item: where, reason: outcome.reason }];
    }
    const progress = { ...job.progress };
    if (item.entry.kind !== 'folder') {
      progress.itemsDone += 1;
      progress.bytesDone += item.entry.content?.size ?? 0;
    }
    job = { ...job, report, progress };
    finished.add(index);
    checkpoint.report = report;
    checkpoint.progress = progress;
  };

  // The items still to restore, in the order they are taken: their stored bytes are read once
  // each, in large range reads shared by neighbouring items (a repository; an import's zip has none).
  const order = restoreOrder(items, repository.locate?.bind(repository)).filter((i) => !finished.has(i));
  const plan = await repository.planReads?.(
    order.flatMap((i) => (items[i]!.entry.content ? [items[i]!.entry.content!] : [])),
    restorer.readBudget,
  );

  const restoreOne = async (index: number, item: RestoreItem): Promise<void> => {
    let outcome: ItemOutcome;
    const reading = plannedSource(repository, plan, item);
    try {
      outcome = await restorer.restore({ ...ctx, job, repository: reading.source }, item);
    } catch (error) {
      if (error instanceof AppError && (error.code === 'throttled' || error.code === 'unavailable')) {
        // Not done: the redelivered message restores it.
        failure ??= { error };
        return;
      }
      outcome = { kind: 'failed', reason: error instanceof Error ? error.message : String(error) };
    } finally {
      reading.done();
    }
    recordOutcome(index, item, outcome);
    // The slot is free only once this item's completion is persisted: a redelivery never
    // restores more than the items in flight again.
    await saver.save().catch((error: unknown) => void (failure ??= { error }));
  };

  try {
    for (const index of order) {
      const item = items[index]!;
      // At least one item per slice, so a slice always makes progress.
      if (launched > 0 && deps.clock.now().getTime() >= deadline) {
        stop = 'deadline';
        break;
      }
      while (inFlight.size >= restorer.concurrency && !failure) await Promise.race(inFlight);
      if (failure) break;
      if (Date.now() - lastSaved > 1000) {
        // A cancel from the portal stops the job here; progress is saved only while it is not cancelled.
        const current = await deps.jobs.get(job.tenantId, job.jobId);
        if (current.state === 'cancelled') {
          stop = 'cancelled';
          cancelled = current;
          break;
        }
        job = { ...job, updatedAt: deps.clock.now().toISOString() };
        await deps.jobs.put(job);
        lastSaved = Date.now();
      }
      launched += 1;
      const running: Promise<void> = restoreOne(index, item).finally(() => inFlight.delete(running));
      inFlight.add(running);
    }
    await Promise.all(inFlight);
  } finally {
    plan?.close();
  }
  await saver.save();
  if (failure) throw failure.error;
  if (stop === 'cancelled') return { kind: 'finished', job: cancelled! };
  if (stop === 'deadline') {
    job = { ...job, updatedAt: deps.clock.now().toISOString() };
    await deps.jobs.put(job);
    await deps.queue.send(QueueNames.restoreJobs, {
      tenantId: job.tenantId,
      jobId: job.jobId,
    } satisfies RestoreJobMessage);
    return { kind: 'continued', job };
  }
  const current = await deps.jobs.get(job.tenantId, job.jobId);
  if (current.state === 'cancelled') return { kind: 'finished', job: current };
  const now = deps.clock.now().toISOString();
  job = {
    ...job,
    state: job.report.failedCount > 0 ? 'completed-with-warnings' : 'completed',
    updatedAt: now,
    finishedAt: now,
  };
  await deps.jobs.put(job);
  await deps.notifier?.restoreEnded(job);
  deps.log.info('restore finished', {
    tenantId: job.tenantId,
    jobId: job.jobId,
    ...job.report,
    skipped: undefined,
    failed: undefined,
    // This slice's range reads of the repository (none for an import).
    reads: plan?.stats,
  });
  return { kind: 'finished', job };
}

/**
 * Writes the checkpoint one write at a time (a later state never lands before an earlier one);
 * saves asked for while a write is running are folded into the next write.
 */
class CheckpointSaver {
  private writing: Promise<void> | undefined;
  private dirty = false;

  constructor(private readonly write: () => Promise<void>) {}

  /** Resolves once a write that started after this call has finished. */
  save(): Promise<void> {
    this.dirty = true;
    this.writing ??= (async () => {
      try {
        while (this.dirty) {
          this.dirty = false;
          await this.write();
        }
      } finally {
        this.writing = undefined;
      }
    })();
    return this.writing;
  }
}

/**
 * The content source one item's restorer reads through: its content from the slice's read plan
 * (the first read; a second reads it again from the repository), given up in the plan if the
 * restorer did not read it (skipped, failed first), so the segments it shares are let go.
 */
function plannedSource(
  repository: ContentSource,
  plan: ReadPlan | undefined,
  item: RestoreItem,
): { source: ContentSource; done: () => void } {
  const content = item.entry.content;
  if (!plan || !content) return { source: repository, done: () => undefined };
  let read = false;
  return {
    source: {
      walk: (root) => repository.walk(root),
      listFolder: (root, path) => repository.listFolder(root, path),
      ...(repository.locate ? { locate: (chunkId: string) => repository.locate!(chunkId) } : {}),
      readContent: (ref, options) => {
        if (ref !== content || read) return repository.readContent(ref, options);
        read = true;
        return plan.read(ref);
      },
    },
    done: () => {
      if (!read) plan.skip(content);
      read = true;
    },
  };
}
