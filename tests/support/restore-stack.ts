import { QueueClient } from '@azure/storage-queue';
import { GraphClientFactory } from '../../shared/graph/graph-client';
import { silentLogger } from '../../shared/observability/logger';
import { QueueNames, StorageJobQueue } from '../../shared/queues/job-queues';
import { ResourceStore } from '../../shared/resources/resource-store';
import {
  createRestoreJob,
  queueRestoreJob,
  runRestoreJob,
  type RestoreEngineDependencies,
  type RestoreJobOutcome,
  type RestoreRequest,
} from '../../shared/restore/restore-engine';
import type { RestoreJob, RestoreJobMessage } from '../../shared/restore/restore-job';
import { RestoreJobStore } from '../../shared/restore/restore-job-store';
import { ResourceLeases } from '../../shared/storage/resource-lease';
import { Tables } from '../../shared/storage/tables';
import { ManualClock, systemClock, type Clock } from '../../shared/time/clock';
import type { BackupStack } from './backup-stack';

/** The restore engine wired over a running BackupStack; jobs run in-process, the test plays the queue. */
/**
 * Restore dependencies whose clock moves a minute each time it is read, with a one-second budget:
 * every slice is out of time after one item, so a job runs in as many slices as it has items.
 */
export function slicedRestoreDeps(stack: BackupStack): RestoreEngineDependencies {
  const clock = new ManualClock(new Date('2026-11-22T06:00:00Z'));
  return restoreDeps(stack, { budgetSeconds: 1, clock: { now: () => (clock.advance(60_000), clock.now()) } });
}

export function restoreDeps(
  stack: BackupStack,
  options: { budgetSeconds?: number; clock?: Clock } = {},
): RestoreEngineDependencies {
  const tables = new Tables(stack.storage);
  return {
    jobs: new RestoreJobStore(tables, stack.storage.blobs),
    resources: new ResourceStore(tables),
    reader: stack.reader,
    leases: new ResourceLeases(stack.storage.blobs, { durationSeconds: 15 }),
    queue: new StorageJobQueue(stack.storage.queues),
    clock: options.clock ?? systemClock,
    graphFor: (tenantId) =>
      new GraphClientFactory({
        baseUrl: stack.settings.GRAPH_BASE_URL,
        authorityHost: stack.settings.ENTRA_AUTHORITY_HOST,
        clientId: stack.settings.BACKUP_APP_CLIENT_ID,
        clientSecret: stack.settings.BACKUP_APP_CLIENT_SECRET,
      }).forTenant(tenantId),
    budgetSeconds: options.budgetSeconds ?? 300,
    leaseRetrySeconds: 1,
    log: silentLogger,
  };
}

/** Takes every message on restore-jobs (the test plays the queue trigger). */
export async function takeRestoreMessages(stack: BackupStack): Promise<RestoreJobMessage[]> {
  const queue = new QueueClient(stack.azurite.connectionString, QueueNames.restoreJobs);
  await queue.createIfNotExists();
  const out: RestoreJobMessage[] = [];
  for (;;) {
    const { receivedMessageItems } = await queue.receiveMessages({
      numberOfMessages: 32,
      visibilityTimeout: 30,
    });
    if (receivedMessageItems.length === 0) return out;
    for (const m of receivedMessageItems) {
      await queue.deleteMessage(m.messageId, m.popReceipt);
      out.push(JSON.parse(Buffer.from(m.messageText, 'base64').toString('utf8')) as RestoreJobMessage);
    }
  }
}

/** Creates, verifies (bypassing the code) and runs a restore to its end, following continuations. */
export async function restoreToEnd(
  deps: RestoreEngineDependencies,
  stack: BackupStack,
  request: Omit<RestoreRequest, 'tenantId' | 'requestedBy'>,
): Promise<{ job: RestoreJob; outcomes: RestoreJobOutcome[] }> {
  const created = await createRestoreJob(deps, { ...request, tenantId: stack.tenantId, requestedBy: 'test' });
  await queueRestoreJob(deps, stack.tenantId, created.jobId);
  const outcomes: RestoreJobOutcome[] = [];
  for (let round = 0; round < 200; round++) {
    const messages = await takeRestoreMessages(stack);
    if (messages.length === 0) break;
    for (const message of messages) outcomes.push(await runRestoreJob(deps, message));
  }
  return { job: await deps.jobs.get(stack.tenantId, created.jobId), outcomes };
}
