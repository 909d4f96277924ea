import type { QueueClient, QueueServiceClient } from '@azure/storage-queue';
import { oncePerKey } from '../concurrency/once';

/** Queue names (also used in the functions' trigger registrations). */
export const QueueNames = {
  snapshotJobs: 'snapshot-jobs',
  discoveryJobs: 'discovery-jobs',
  restoreJobs: 'restore-jobs',
  exportJobs: 'export-jobs',
} as const;
export type QueueName = (typeof QueueNames)[keyof typeof QueueNames];

export interface EnqueueOptions {
  /** Delay before the message becomes visible (spreading load, continuations). */
  delaySeconds?: number;
}

export interface JobQueue {
  send(queue: QueueName, message: unknown, options?: EnqueueOptions): Promise<void>;
}

/**
 * Sends JSON messages the way the Functions host's queue trigger reads them by default: base64 of
 * the UTF-8 JSON text. Queues are created on first use.
 */
export class StorageJobQueue implements JobQueue {
  private readonly client: (name: QueueName) => Promise<QueueClient>;

  constructor(queues: QueueServiceClient) {
    this.client = oncePerKey(async (name: QueueName) => {
      const client = queues.getQueueClient(name);
      await client.createIfNotExists();
      return client;
    });
  }

  async send(queue: QueueName, message: unknown, options: EnqueueOptions = {}): Promise<void> {
    const client = await this.client(queue);
    const text = Buffer.from(JSON.stringify(message), 'utf8').toString('base64');
    await client.sendMessage(text, {
      ...(options.delaySeconds
        ? { visibilityTimeout: Math.min(Math.ceil(options.delaySeconds), 7 * 24 * 3600) }
        : {}),
    });
  }
}
