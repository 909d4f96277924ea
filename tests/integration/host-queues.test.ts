import path from 'node:path';
import { QueueServiceClient } from '@azure/storage-queue';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAzurite, type RunningAzurite } from '../../dev/azurite';
import { eventually, repoRoot, startHost, type RunningHost } from '../support/host';

const fixture = path.join(repoRoot, 'tests', 'fixtures', 'host-app');
const base64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');

interface Call {
  message: unknown;
  dequeueCount: number;
  id?: string;
  metadataKeys?: string[];
  running?: number;
}

describe('local Functions host: Storage queue triggers (fixture host.json: maxDequeueCount 3, visibilityTimeout 1 s)', () => {
  let azurite: RunningAzurite;
  let host: RunningHost;
  let queues: QueueServiceClient;
  const callsOf = async (name: string) =>
    (await (await fetch(`${host.url}/api/calls/${name}`)).json()) as Call[];

  beforeAll(async () => {
    azurite = await startAzurite();
    queues = QueueServiceClient.fromConnectionString(azurite.connectionString);
    await queues.getQueueClient('flaky-jobs').create();
    await queues.getQueueClient('doomed-jobs').create();
    await queues.getQueueClient('parallel-jobs').create();
    host = await startHost({
      scriptRoot: fixture,
      settingsFile: path.join(fixture, 'fixture.settings.json'),
      env: { AzureWebJobsStorage: azurite.connectionString },
    });
  });
  afterAll(async () => {
    await host?.stop();
    await azurite?.stop();
  });

  it('retries a failing message after the visibility timeout and deletes it once it succeeds (dequeueCount 3)', async () => {
    const queue = queues.getQueueClient('flaky-jobs');
    const sent = await queue.sendMessage(base64(JSON.stringify({ job: 'snapshot', resource: 'mailbox-1' })));

    const calls = await eventually(
      async () => {
        const list = await callsOf('flaky');
        return list.length >= 3 ? list : undefined;
      },
      { what: 'three tries of the flaky message' },
    );
    expect(calls.map((c) => c.dequeueCount)).toEqual([1, 2, 3]);
    // Base64 decoded and JSON parsed, with the trigger metadata of the real host.
    expect(calls[2]!.message).toEqual({ job: 'snapshot', resource: 'mailbox-1' });
    expect(calls[2]!.id).toBe(sent.messageId);
    expect(calls[2]!.metadataKeys).toEqual(
      expect.arrayContaining([
        'dequeueCount',
        'expirationTime',
        'id',
        'insertionTime',
        'nextVisibleTime',
        'popReceipt',
      ]),
    );

    await eventually(
      async () =>
        (await queue.peekMessages()).peekedMessageItems.length === 0 &&
        (await queue.getProperties()).approximateMessagesCount === 0,
      { what: 'the succeeded message to be deleted' },
    );
    expect(await callsOf('flaky')).toHaveLength(3);
  });

  it('moves a message that always fails to <queue>-poison after maxDequeueCount tries', async () => {
    const text = base64(JSON.stringify({ job: 'restore', id: 'r-1' }));
    await queues.getQueueClient('doomed-jobs').sendMessage(text);
    const poison = queues.getQueueClient('doomed-jobs-poison');

    const poisoned = await eventually(
      async () => {
        if (!(await poison.exists())) return undefined;
        const items = (await poison.peekMessages()).peekedMessageItems;
        return items.length > 0 ? items : undefined;
      },
      { what: 'the message to reach doomed-jobs-poison' },
    );
    expect(poisoned).toHaveLength(1);
    expect(poisoned[0]!.messageText).toBe(text);
    const calls = await callsOf('doomed');
    expect(calls.map((c) => c.dequeueCount)).toEqual([1, 2, 3]);
    expect(host.output()).toContain(
      "Message has reached MaxDequeueCount of 3. Moving message to queue 'doomed-jobs-poison'.",
    );
    await eventually(
      async () => (await queues.getQueueClient('doomed-jobs').getProperties()).approximateMessagesCount === 0,
      { what: 'the poisoned message to leave doomed-jobs' },
    );
  });

  it('runs at most batchSize (4) messages of one function at a time, and all of them', async () => {
    const queue = queues.getQueueClient('parallel-jobs');
    for (let i = 0; i < 10; i++) await queue.sendMessage(base64(`job-${i}`));
    const calls = await eventually(
      async () => {
        const list = await callsOf('parallel');
        return list.length >= 10 ? list : undefined;
      },
      { what: 'all ten parallel messages' },
    );
    const maxRunning = Math.max(...calls.map((c) => c.running ?? 0));
    expect(maxRunning).toBeLessThanOrEqual(4);
    expect(maxRunning).toBeGreaterThan(1);
    expect(new Set(calls.map((c) => c.message)).size).toBe(10);
  });

  it('writes queue output bindings (an array becomes one message each) that a queue trigger then reads', async () => {
    const response = await fetch(`${host.url}/api/enqueue`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ messages: [{ tenant: 't1' }, 'plain text'] }),
    });
    expect(response.status).toBe(202);
    const calls = await eventually(
      async () => {
        const list = await callsOf('outboxReader');
        return list.length >= 2 ? list : undefined;
      },
      { what: 'the outbox messages to be read' },
    );
    expect(calls.map((c) => c.message)).toEqual(expect.arrayContaining([{ tenant: 't1' }, 'plain text']));
  });

  it('writes a queue output binding given as the return value, base64-encoded like the host', async () => {
    expect((await fetch(`${host.url}/admin/functions/emit`, { method: 'POST' })).status).toBe(202);
    const emitted = queues.getQueueClient('emitted');
    const items = await eventually(
      async () => {
        if (!(await emitted.exists())) return undefined;
        const peeked = (await emitted.peekMessages()).peekedMessageItems;
        return peeked.length > 0 ? peeked : undefined;
      },
      { what: 'the returned message in queue emitted' },
    );
    const text = Buffer.from(items[0]!.messageText, 'base64').toString('utf8');
    expect(JSON.parse(text)).toEqual({ emitted: true, by: 'emit' });
  });

  it('runs a queue function now through the admin API with the given input', async () => {
    const response = await fetch(`${host.url}/admin/functions/outboxReader`, {
      method: 'POST',
      body: JSON.stringify({ input: '{"from":"admin"}' }),
    });
    expect(response.status).toBe(202);
    await eventually(
      async () =>
        (await callsOf('outboxReader')).some((c) => JSON.stringify(c.message) === '{"from":"admin"}'),
      { what: 'the admin-invoked queue function' },
    );
  });
});
