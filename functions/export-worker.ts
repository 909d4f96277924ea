import { app, type InvocationContext } from '@azure/functions';
import { z } from 'zod';
import { runExportJob } from '../shared/export/export-engine';
import { loggerFrom } from '../shared/observability/logger';
import { QueueNames } from '../shared/queues/job-queues';
import { restoreCore } from '../shared/restore/restore-runtime';

const exportJobMessage = z.object({ tenantId: z.string().min(1), jobId: z.string().min(1) });

/** Writes one export's zip into Blob Storage. A malformed message is dropped. */
export async function exportWorker(message: unknown, context: InvocationContext): Promise<void> {
  const parsed = exportJobMessage.safeParse(message);
  if (!parsed.success) {
    context.error('export job message is malformed: dropped');
    return;
  }
  const log = loggerFrom(context, { ...parsed.data, dequeueCount: context.triggerMetadata?.dequeueCount });
  const job = await runExportJob(restoreCore().export(log), parsed.data);
  log.info(`export job ${job.state}`, { zipBytes: job.zipBytes ?? null });
}

app.storageQueue('export-worker', {
  queueName: QueueNames.exportJobs,
  connection: 'AzureWebJobsStorage',
  handler: exportWorker,
});
