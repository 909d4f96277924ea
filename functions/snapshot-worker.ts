import { app, type InvocationContext } from '@azure/functions';
import { runSnapshotJob } from '../shared/backup/snapshot-engine';
import { snapshotJobSchema } from '../shared/backup/snapshot-job';
import { loggerFrom } from '../shared/observability/logger';
import { QueueNames } from '../shared/queues/job-queues';
import { services } from '../shared/runtime/services';

/**
 * Backs up one resource for at most SNAPSHOT_JOB_BUDGET_SECONDS, then continues in a new message.
 * A malformed message is logged and dropped (retrying cannot fix it); a retryable failure throws so
 * the host delivers the message again (and after maxDequeueCount, to the poison queue).
 */
export async function snapshotWorker(message: unknown, context: InvocationContext): Promise<void> {
  const parsed = snapshotJobSchema.safeParse(message);
  if (!parsed.success) {
    context.error('snapshot job message is malformed: dropped', {
      issues: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`),
    });
    return;
  }
  const job = parsed.data;
  const log = loggerFrom(context, {
    tenantId: job.tenantId,
    resourceId: job.resourceId,
    runId: job.runId,
    dequeueCount: context.triggerMetadata?.dequeueCount,
  });
  const outcome = await runSnapshotJob(services.snapshotEngine(log), job);
  log.info(`snapshot job ${outcome.kind}`, {
    ...(outcome.kind === 'finished'
      ? { snapshotId: outcome.record.snapshotId, status: outcome.record.status }
      : outcome.kind === 'continued'
        ? { snapshotId: outcome.snapshotId }
        : { reason: outcome.reason }),
  });
}

app.storageQueue('snapshot-worker', {
  queueName: QueueNames.snapshotJobs,
  connection: 'AzureWebJobsStorage',
  handler: snapshotWorker,
});
