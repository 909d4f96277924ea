import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A change-notification endpoint on 127.0.0.1 for tests: answers Graph's validation handshake
 * (echoing the decoded token as text/plain), records every notification POST, and can be told to
 * fail or answer slowly.
 */
export interface Webhook {
  url: string;
  notifications: Record<string, unknown>[];
  validations: string[];
  /** Status to answer notifications with (default 202). */
  status: number;
  /** Milliseconds to wait before answering notifications. */
  delayMs: number;
  /** When false, validation requests get a wrong answer. */
  validate: boolean;
  posts: number;
  waitFor(
    predicate: (items: Record<string, unknown>[]) => boolean,
    timeoutMs?: number,
  ): Promise<Record<string, unknown>[]>;
  close(): Promise<void>;
}

export async function startWebhook(): Promise<Webhook> {
  const hook = {
    url: '',
    notifications: [] as Record<string, unknown>[],
    validations: [] as string[],
    status: 202,
    delayMs: 0,
    validate: true,
    posts: 0,
  } as Webhook;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const token = url.searchParams.get('validationToken');
      if (token !== null) {
        hook.validations.push(token);
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.end(hook.validate ? token : encodeURIComponent(token) + 'x');
        return;
      }
      hook.posts += 1;
      const answer = () => {
        if (hook.status >= 200 && hook.status < 300) {
          const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
            value: Record<string, unknown>[];
          };
          hook.notifications.push(...body.value);
        }
        res.writeHead(hook.status);
        res.end();
      };
      if (hook.delayMs > 0) setTimeout(answer, hook.delayMs);
      else answer();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  hook.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/notify`;
  hook.waitFor = async (predicate, timeoutMs = 10_000) => {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (predicate(hook.notifications)) return hook.notifications;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    throw new Error(
      `webhook: condition not met within ${timeoutMs} ms; got ${JSON.stringify(hook.notifications)}`,
    );
  };
  hook.close = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  return hook;
}
