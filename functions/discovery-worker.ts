import { app, type InvocationContext } from '@azure/functions';
import { discoveryJobSchema } from '../shared/discovery/discovery-core';
import { loggerFrom } from '../shared/observability/logger';
import { QueueNames } from '../shared/queues/job-queues';
import { services } from '../shared/runtime/services';

/**
 * One discovery-jobs message: a (collapsed) discovery pass of a tenant, or a subscription lifecycle
 * event. Malformed messages are dropped; failures throw so the host retries (then poison).
 */
export async function discoveryWorker(message: unknown, context: InvocationContext): Promise<void> {
  const parsed = discoveryJobSchema.safeParse(message);
  if (!parsed.success) {
    context.error('discovery job message is malformed: dropped', {
      issues: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`),
    });
    return;
  }
  const log = loggerFrom(context, { tenantId: parsed.data.tenantId, job: parsed.data.kind });
  const result = await services.discovery.runJob(parsed.data, log);
  log.info('discovery job finished', { result });
}

app.storageQueue('discovery-worker', {
  queueName: QueueNames.discoveryJobs,
  connection: 'AzureWebJobsStorage',
  handler: discoveryWorker,
});
