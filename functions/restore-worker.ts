import { app, type InvocationContext } from '@azure/functions';
import { z } from 'zod';
import { loggerFrom } from '../shared/observability/logger';
import { QueueNames } from '../shared/queues/job-queues';
import { restoreCore } from '../shared/restore/restore-runtime';
import { runRestoreJob } from '../shared/restore/restore-engine';

const restoreJobMessage = z.object({ tenantId: z.string().min(1), jobId: z.string().min(1) });

/**
 * Restores one slice of a verified restore job; the engine queues the continuation. A malformed
 * message is dropped; a retryable failure throws so the host delivers it again.
 */
export async function restoreWorker(message: unknown, context: InvocationContext): Promise<void> {
  const parsed = restoreJobMessage.safeParse(message);
  if (!parsed.success) {
    context.error('restore job message is malformed: dropped');
    return;
  }
  const log = loggerFrom(context, { ...parsed.data, dequeueCount: context.triggerMetadata?.dequeueCount });
  const outcome = await runRestoreJob(restoreCore().restore(log), parsed.data);
  log.info(`restore job ${outcome.kind}`, outcome.kind === 'finished' ? { state: outcome.job.state } : {});
}

app.storageQueue('restore-worker', {
  queueName: QueueNames.restoreJobs,
  connection: 'AzureWebJobsStorage',
  handler: restoreWorker,
});
