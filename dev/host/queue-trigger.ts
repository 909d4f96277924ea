import { QueueClient, QueueServiceClient, type DequeuedMessageItem } from '@azure/storage-queue';
import type { RegisteredFunction, RpcBindingInfo, RpcTypedData } from './core-api';
import { resolveSettingPlaceholders, type QueueConfig } from './host-config';
import type { Invoker } from './invoker';
import { describeError, type Logger } from './logger';

/** How long a fetched message stays invisible while its invocation runs (renewed at half-time). */
const PROCESSING_LEASE_SECONDS = 600;
const MIN_POLLING_INTERVAL_MS = 100;

/** The connection string behind a binding's `connection` (default AzureWebJobsStorage). */
export function resolveConnection(
  connection: unknown,
  env: Record<string, string | undefined>,
  where: string,
): { name: string; connectionString: string } {
  const name = typeof connection === 'string' && connection !== '' ? connection : 'AzureWebJobsStorage';
  const connectionString = env[name] || env[`AzureWebJobs${name}`];
  if (!connectionString) {
    const identity = env[`${name}__accountName`] || env[`${name}__queueServiceUri`];
    throw new Error(
      identity
        ? `${where}: connection '${name}' is identity-based (${name}__…); the local host needs a connection string in ${name}`
        : `${where}: the storage connection '${name}' is not set (expected a connection string in setting ${name})`,
    );
  }
  return { name, connectionString };
}

function queueClient(connectionString: string, queueName: string): QueueClient {
  return QueueServiceClient.fromConnectionString(connectionString, {
    retryOptions: { maxTries: 1, tryTimeoutInMs: 30_000 },
  }).getQueueClient(queueName);
}

function decode(text: string, encoding: QueueConfig['messageEncoding']): string {
  if (encoding === 'none') return text;
  const trimmed = text.trim();
  if (trimmed.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(trimmed)) {
    throw new Error(
      'Message decoding has failed: the message is not base64, as host.json extensions.queues.messageEncoding "base64" requires',
    );
  }
  return Buffer.from(trimmed, 'base64').toString('utf8');
}

function encode(text: string, encoding: QueueConfig['messageEncoding']): string {
  return encoding === 'none' ? text : Buffer.from(text, 'utf8').toString('base64');
}

/**
 * Polls one queue for one queue-triggered function, with the real host's semantics: up to
 * `batchSize` messages in flight (a new batch once `newBatchThreshold` or fewer are left),
 * exponential polling back-off up to `maxPollingInterval` while the queue is empty, a failed try
 * makes the message visible again after `visibilityTimeout`, and a message that failed
 * `maxDequeueCount` times moves to `<queue>-poison`. Successful messages are deleted.
 */
export class QueueTriggerListener {
  readonly queueName: string;
  readonly connectionName: string;
  private readonly queue: QueueClient;
  private readonly poison: QueueClient;
  private readonly inFlight = new Set<Promise<void>>();
  private stopping = false;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  private readonly abort = new AbortController();
  private lastPollError: string | undefined;
  private signalStop!: () => void;
  private readonly stopped = new Promise<void>((resolve) => (this.signalStop = resolve));

  constructor(
    private readonly fn: RegisteredFunction,
    trigger: RpcBindingInfo,
    private readonly invoker: Invoker,
    private readonly config: QueueConfig,
    private readonly logger: Logger,
    env: Record<string, string | undefined>,
  ) {
    const where = `Function '${fn.metadata.name}'`;
    if (typeof trigger.queueName !== 'string' || trigger.queueName === '') {
      throw new Error(`${where}: the queue trigger has no queueName`);
    }
    this.queueName = resolveSettingPlaceholders(trigger.queueName, env, where).toLowerCase();
    const { name, connectionString } = resolveConnection(trigger.connection, env, where);
    this.connectionName = name;
    this.queue = queueClient(connectionString, this.queueName);
    this.poison = queueClient(connectionString, `${this.queueName}-poison`);
  }

  start(): void {
    this.loop ??= this.poll();
  }

  /** Stops polling, then waits up to `graceMs` for in-flight messages to finish. */
  async stop(graceMs: number): Promise<void> {
    this.stopping = true;
    this.signalStop();
    this.abort.abort();
    this.wake?.();
    await this.loop;
    const pending = Promise.all([...this.inFlight]);
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([
      pending.then(() => false),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), graceMs))),
    ]);
    clearTimeout(timer);
    if (timedOut) {
      this.logger.warn(
        `${this.inFlight.size} message(s) of '${this.fn.metadata.name}' still running after the grace period; they will reappear after their visibility timeout`,
        { function: this.fn.metadata.name },
      );
    }
  }

  private async poll(): Promise<void> {
    let delay = MIN_POLLING_INTERVAL_MS;
    const { batchSize, newBatchThreshold, maxPollingIntervalMs } = this.config;
    while (!this.stopping) {
      if (this.inFlight.size > newBatchThreshold || this.inFlight.size >= batchSize) {
        await Promise.race([...this.inFlight, this.stopped]);
        continue;
      }
      let messages: DequeuedMessageItem[] = [];
      try {
        const response = await this.queue.receiveMessages({
          numberOfMessages: Math.max(1, Math.min(32, batchSize - this.inFlight.size)),
          visibilityTimeout: PROCESSING_LEASE_SECONDS,
          abortSignal: this.abort.signal,
        });
        messages = response.receivedMessageItems;
        if (this.lastPollError) {
          this.logger.info(`Polling queue '${this.queueName}' works again`, {
            function: this.fn.metadata.name,
          });
          this.lastPollError = undefined;
        }
      } catch (error) {
        if (this.stopping) break;
        const code = (error as { code?: string }).code;
        // A queue that does not exist yet is simply empty (the host does not create trigger queues).
        if (code !== 'QueueNotFound') {
          const { error: message } = describeError(error);
          if (message !== this.lastPollError) {
            this.logger.warn(`Polling queue '${this.queueName}' failed; retrying with back-off`, {
              function: this.fn.metadata.name,
              error: message,
            });
            this.lastPollError = message;
          }
        }
      }
      for (const message of messages) {
        const work: Promise<void> = this.process(message).finally(() => this.inFlight.delete(work));
        this.inFlight.add(work);
      }
      if (messages.length > 0) {
        delay = MIN_POLLING_INTERVAL_MS;
        continue;
      }
      await this.sleep(delay);
      delay = Math.min(delay * 2, Math.max(maxPollingIntervalMs, MIN_POLLING_INTERVAL_MS));
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    });
  }

  private async process(message: DequeuedMessageItem): Promise<void> {
    const functionName = this.fn.metadata.name;
    let popReceipt = message.popReceipt;
    const { maxDequeueCount, visibilityTimeoutMs, messageEncoding } = this.config;
    try {
      // A message that already used up its tries (e.g. the host stopped mid-way) goes straight to poison.
      if (message.dequeueCount > maxDequeueCount) {
        await this.moveToPoison(message, popReceipt);
        return;
      }
      const renew = setInterval(
        () => {
          this.queue
            .updateMessage(message.messageId, popReceipt, undefined, PROCESSING_LEASE_SECONDS)
            .then((r) => (popReceipt = r.popReceipt ?? popReceipt))
            .catch(() => undefined);
        },
        (PROCESSING_LEASE_SECONDS * 1000) / 2,
      );
      let succeeded = false;
      try {
        const text = decode(message.messageText, messageEncoding);
        await this.invoker.invoke(this.fn, {
          data: { string: text },
          triggerMetadata: this.triggerMetadata(message, text),
        });
        succeeded = true;
      } catch {
        // The invoker logged the failure; the message's fate is decided below.
      } finally {
        clearInterval(renew);
      }
      if (succeeded) {
        await this.queue.deleteMessage(message.messageId, popReceipt);
      } else if (message.dequeueCount >= maxDequeueCount) {
        await this.moveToPoison(message, popReceipt);
      } else {
        await this.queue.updateMessage(
          message.messageId,
          popReceipt,
          undefined,
          Math.round(visibilityTimeoutMs / 1000),
        );
      }
    } catch (error) {
      this.logger.error(`Could not complete message ${message.messageId} of queue '${this.queueName}'`, {
        function: functionName,
        ...describeError(error),
      });
    }
  }

  private async moveToPoison(message: DequeuedMessageItem, popReceipt: string): Promise<void> {
    this.logger.warn(
      `Message has reached MaxDequeueCount of ${this.config.maxDequeueCount}. Moving message to queue '${this.queueName}-poison'.`,
      { function: this.fn.metadata.name, messageId: message.messageId },
    );
    await this.poison.createIfNotExists();
    // The original (still encoded) text, so the poison message is the message as it was sent.
    await this.poison.sendMessage(message.messageText);
    await this.queue.deleteMessage(message.messageId, popReceipt);
  }

  private triggerMetadata(message: DequeuedMessageItem, text: string): Record<string, RpcTypedData> {
    const json = (value: unknown): RpcTypedData => ({ json: JSON.stringify(value) });
    return {
      QueueTrigger: { string: text },
      Id: json(message.messageId),
      DequeueCount: json(message.dequeueCount),
      InsertionTime: json(message.insertedOn.toISOString()),
      ExpirationTime: json(message.expiresOn.toISOString()),
      NextVisibleTime: json(message.nextVisibleOn.toISOString()),
      PopReceipt: json(message.popReceipt),
    };
  }
}

/**
 * Writes `output.storageQueue` bindings (`extraOutputs` or the return value): a string is one
 * message, an array is one message per element, anything else is JSON. The queue is created when
 * missing, as the host does for output bindings.
 */
export class QueueOutputWriter {
  private readonly clients = new Map<string, Promise<QueueClient>>();

  constructor(
    private readonly env: Record<string, string | undefined>,
    private readonly encoding: QueueConfig['messageEncoding'],
  ) {}

  async write(functionName: string, binding: RpcBindingInfo, data: RpcTypedData): Promise<void> {
    const where = `Function '${functionName}' output '${String(binding.name)}'`;
    if (typeof binding.queueName !== 'string') throw new Error(`${where}: no queueName`);
    const queueName = resolveSettingPlaceholders(binding.queueName, this.env, where).toLowerCase();
    const { connectionString } = resolveConnection(binding.connection, this.env, where);
    const key = `${connectionString}\n${queueName}`;
    let client = this.clients.get(key);
    if (!client) {
      const created = queueClient(connectionString, queueName);
      client = created.createIfNotExists().then(() => created);
      client.catch(() => this.clients.delete(key));
      this.clients.set(key, client);
    }
    const queue = await client;
    for (const text of toMessages(data)) await queue.sendMessage(encode(text, this.encoding));
  }
}

function toMessages(data: RpcTypedData): string[] {
  const one = (value: unknown) => (typeof value === 'string' ? value : JSON.stringify(value));
  if (typeof data.string === 'string') return [data.string];
  if (data.bytes) return [Buffer.from(data.bytes).toString('utf8')];
  if (typeof data.int === 'number') return [String(data.int)];
  if (typeof data.double === 'number') return [String(data.double)];
  if (typeof data.json === 'string') {
    const value = JSON.parse(data.json) as unknown;
    return Array.isArray(value) ? value.map(one) : [one(value)];
  }
  if (data.collectionString?.string) return data.collectionString.string;
  return [];
}

/** Typed data for a queue-triggered function invoked through the admin API with `input`. */
export function adminQueueInput(input: unknown, invocationId: string) {
  const text = typeof input === 'string' ? input : JSON.stringify(input ?? '');
  const now = new Date();
  const json = (value: unknown): RpcTypedData => ({ json: JSON.stringify(value) });
  return {
    data: { string: text },
    triggerMetadata: {
      QueueTrigger: { string: text },
      Id: json(invocationId),
      DequeueCount: json(1),
      InsertionTime: json(now.toISOString()),
      ExpirationTime: json(new Date(now.getTime() + 7 * 24 * 3600_000).toISOString()),
      NextVisibleTime: json(now.toISOString()),
      PopReceipt: json(''),
    },
  };
}
