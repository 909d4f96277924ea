import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Context, Middleware } from '@microsoft/microsoft-graph-client';
import { GraphErrorHandler } from '@microsoft/microsoft-graph-client/lib/src/GraphErrorHandler';
import { describe, expect, it } from 'vitest';
import { AdaptiveLimit } from '../../../shared/concurrency/adaptive-limit';
import { translateGraphError } from '../../../shared/graph/graph-errors';
import {
  MailboxConcurrencyMiddleware,
  mailboxOf,
} from '../../../shared/graph/mailbox-concurrency-middleware';
import {
  RetryMiddleware,
  defaultRetryPolicy,
  parseRetryAfter,
  sharedBucketLimit,
  type RetryPolicy,
} from '../../../shared/graph/retry-middleware';
import { TenantGate, emptyStats } from '../../../shared/graph/tenant-gate';

/** A terminal middleware that answers from a script, one entry per call. */
class ScriptedGraph implements Middleware {
  calls: string[] = [];
  constructor(private readonly script: (Response | Error)[]) {}
  async execute(context: Context): Promise<void> {
    this.calls.push(`${context.options?.method ?? 'GET'} ${String(context.request)}`);
    const next = this.script.shift();
    if (!next) throw new Error('script exhausted');
    if (next instanceof Error) throw next;
    context.response = next;
  }
}

/** A fake clock: sleeping records the wait and moves time on. */
function fakeTime() {
  const clock = { now: 0, slept: [] as number[] };
  const sleep = async (ms: number) => {
    clock.slept.push(Math.round(ms));
    clock.now += ms;
  };
  const policy: RetryPolicy = {
    maxAttempts: 5,
    maxThrottleWaitMs: 60_000,
    baseDelayMs: 100,
    maxDelayMs: 1000,
    sleep,
  };
  const gate = new TenantGate(() => clock.now, sleep);
  return { clock, policy, gate };
}

const throttled = (retryAfter?: string) =>
  new Response('{"error":{"code":"TooManyRequests"}}', {
    status: 429,
    headers: retryAfter ? { 'retry-after': retryAfter } : {},
  });

describe('RetryMiddleware', () => {
  it('waits the Retry-After Graph asks for (fractional seconds) and then succeeds', async () => {
    const { clock, policy, gate } = fakeTime();
    const stats = emptyStats();
    const graph = new ScriptedGraph([
      throttled('2.128'),
      throttled('1'),
      new Response('{}', { status: 200 }),
    ]);
    const retry = new RetryMiddleware(gate, stats, policy);
    retry.setNext(graph);
    const context: Context = { request: 'https://graph/v1.0/users', options: { method: 'GET' } };
    await retry.execute(context);
    expect(context.response?.status).toBe(200);
    expect(clock.slept).toEqual([2128, 1000]);
    expect(stats).toMatchObject({ requests: 3, throttled: 2, retries: 2 });
  });

  it('pauses every request to the tenant while a throttle is in force', async () => {
    const { clock, policy, gate } = fakeTime();
    const retry = new RetryMiddleware(gate, emptyStats(), policy);
    retry.setNext(new ScriptedGraph([throttled('5'), new Response('{}'), new Response('{}')]));
    await retry.execute({ request: 'https://graph/v1.0/users/a/messages', options: { method: 'GET' } });
    expect(clock.now).toBe(5000);
    // A request to another mailbox of the same tenant, issued during the throttle, waits it out too.
    gate.pauseFor(3000);
    await retry.execute({ request: 'https://graph/v1.0/users/b/messages', options: { method: 'GET' } });
    expect(clock.now).toBe(8000);
    expect(clock.slept).toEqual([5000, 3000]);
  });

  it('backs off exponentially when a 504 carries no Retry-After, and gives up after maxAttempts', async () => {
    const { clock, policy, gate } = fakeTime();
    const graph = new ScriptedGraph(Array.from({ length: 5 }, () => new Response('', { status: 504 })));
    const retry = new RetryMiddleware(gate, emptyStats(), policy);
    retry.setNext(graph);
    const context: Context = { request: 'https://graph/v1.0/sites', options: { method: 'GET' } };
    await retry.execute(context);
    expect(context.response?.status).toBe(504);
    expect(graph.calls).toHaveLength(5);
    expect(clock.slept).toHaveLength(4);
    for (let i = 1; i < clock.slept.length; i++)
      expect(clock.slept[i]!).toBeGreaterThan(clock.slept[i - 1]! * 1.2);
  });

  it('retries a GET whose connection was reset, but never replays a POST', async () => {
    const reset = () => Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNRESET' } });
    const { policy, gate } = fakeTime();
    const graph = new ScriptedGraph([reset(), new Response('{}', { status: 200 })]);
    const retry = new RetryMiddleware(gate, emptyStats(), policy);
    retry.setNext(graph);
    const get: Context = { request: 'https://graph/v1.0/users/u/messages', options: { method: 'GET' } };
    await retry.execute(get);
    expect(get.response?.status).toBe(200);

    const post = new ScriptedGraph([reset()]);
    retry.setNext(post);
    const create: Context = {
      request: 'https://graph/v1.0/users/u/messages',
      options: { method: 'POST', body: 'x' },
    };
    await expect(retry.execute(create)).rejects.toThrow('fetch failed');
    expect(post.calls).toHaveLength(1);
  });

  it('keeps waiting out throttling far past the try limit, and gives up only when the time budget is spent', async () => {
    const { clock, policy, gate } = fakeTime();
    const storm = Array.from({ length: 30 }, () => throttled('1'));
    const graph = new ScriptedGraph([...storm, new Response('{}', { status: 200 })]);
    const retry = new RetryMiddleware(gate, emptyStats(), policy);
    retry.setNext(graph);
    const context: Context = {
      request: 'https://graph/v1.0/drives/d/items/i/content',
      options: { method: 'GET' },
    };
    await retry.execute(context);
    expect(context.response?.status).toBe(200);
    expect(clock.now).toBe(30_000);

    const endless = new ScriptedGraph(Array.from({ length: 100 }, () => throttled('10')));
    retry.setNext(endless);
    const giveUp: Context = { request: 'https://graph/v1.0/sites', options: { method: 'GET' } };
    await retry.execute(giveUp);
    expect(giveUp.response?.status).toBe(429);
    expect(endless.calls).toHaveLength(7); // 6 waits of 10 s fit the 60 s budget
  });

  it('sends drive requests of a throttled tenant a few at a time instead of all at once', async () => {
    // A SharePoint that admits 4 requests at a time and throttles the rest for 10 ms (real time
    // here: waits that took none would let the throttled requests spin while the admitted ones run).
    const gate = new TenantGate();
    const policy = { ...defaultRetryPolicy, maxThrottleWaitMs: 60_000 };
    let active = 0;
    let throttledAnswers = 0;
    const sharePoint: Middleware = {
      execute: async (context) => {
        const admitted = active < 4;
        if (admitted) active++;
        else throttledAnswers++;
        await new Promise((r) => setTimeout(r, 2)); // latency: a throttle is learnt late
        if (admitted) active--;
        context.response = admitted ? new Response('{}') : throttled('0.01');
      },
    };
    const run = async (limit: AdaptiveLimit) => {
      throttledAnswers = 0;
      const retry = new RetryMiddleware(gate, emptyStats(), policy, limit);
      retry.setNext(sharePoint);
      const contexts: Context[] = Array.from({ length: 60 }, (_, i) => ({
        request: `https://graph/v1.0/drives/d/items/${i}/content`,
        options: { method: 'GET' },
      }));
      await Promise.all(contexts.map((context) => retry.execute(context)));
      expect(contexts.map((context) => context.response?.status ?? 0).filter((s) => s !== 200)).toEqual([]);
      return throttledAnswers;
    };
    // Without adapting (a limit that never drops), each throttle's end sends every waiting request
    // at once and most meet another throttle (about 7 throttled answers a request here). Adapting,
    // the first burst is throttled as before (56 of 60) and little after it.
    const fixed = await run(new AdaptiveLimit({ initial: 64, min: 64, max: 64 }));
    const adaptive = await run(sharedBucketLimit());
    expect(fixed).toBeGreaterThan(200);
    expect(adaptive).toBeLessThan(fixed / 3);
  });

  it('does not hold Outlook requests back when the drive requests of the tenant are throttled', async () => {
    const { policy, gate } = fakeTime();
    const limit = sharedBucketLimit();
    const retry = new RetryMiddleware(gate, emptyStats(), policy, limit);
    retry.setNext(new ScriptedGraph([throttled('0.01'), new Response('{}')]));
    await retry.execute({ request: 'https://graph/v1.0/drives/d/root/delta', options: { method: 'GET' } });
    expect(limit.limit).toBe(2);
    let active = 0;
    let peak = 0;
    retry.setNext({
      execute: async (context) => {
        peak = Math.max(peak, ++active);
        await new Promise((r) => setTimeout(r, 2));
        active--;
        context.response = new Response('{}');
      },
    });
    await Promise.all(
      Array.from({ length: 4 }, (_, i) =>
        retry.execute({
          request: `https://graph/v1.0/users/u${i}/messages/m/$value`,
          options: { method: 'GET' },
        }),
      ),
    );
    expect(peak).toBe(4);
  });

  it('parses Retry-After as seconds or an HTTP date', () => {
    expect(parseRetryAfter('10')).toBe(10_000);
    expect(parseRetryAfter(null)).toBeUndefined();
    const inTwoSeconds = new Date(Date.now() + 2000).toUTCString();
    expect(parseRetryAfter(inTwoSeconds)).toBeGreaterThan(0);
  });
});

describe('MailboxConcurrencyMiddleware', () => {
  it('finds the mailbox of Outlook requests only', () => {
    expect(mailboxOf('https://g/v1.0/users/Adele%40contoso.com/mailFolders/inbox/messages/delta')).toBe(
      'adele@contoso.com',
    );
    expect(mailboxOf('https://g/v1.0/users/abc/messages/m1/$value')).toBe('abc');
    expect(mailboxOf('https://g/v1.0/users/abc/drive/root/delta')).toBeUndefined();
    expect(mailboxOf('https://g/v1.0/users?$top=10')).toBeUndefined();
  });

  it('never lets more than 4 requests run at once against one mailbox, while other mailboxes proceed', async () => {
    let active = 0;
    let peak = 0;
    const slow: Middleware = {
      execute: async (context) => {
        active++;
        peak = Math.max(peak, active);
        await new Promise((r) => setTimeout(r, 5));
        active--;
        context.response = new Response('{}');
      },
    };
    const limiter = new MailboxConcurrencyMiddleware();
    limiter.setNext(slow);
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        limiter.execute({ request: `https://g/v1.0/users/a/messages/${i}`, options: { method: 'GET' } }),
      ),
    );
    expect(peak).toBe(4);
    expect(limiter.inFlight('a')).toBe(0);
  });
});

describe("translateGraphError with Microsoft's real error bodies", () => {
  const samples = join(__dirname, '../../../../shared/graph-samples');
  const expected: Record<string, [number, string]> = {
    'error.throttling-429.response.json': [429, 'throttled'],
    'error.drive-delta-resync-410.response.json': [410, 'gone'],
    'error.mailbox-not-enabled.404.response.json': [404, 'not-found'],
    'error.outlook-item-not-found.404.response.json': [404, 'not-found'],
    'error.drive-item-not-found.404.response.json': [404, 'not-found'],
    'error.application-access-policy-denied.403.response.json': [403, 'forbidden'],
    'error.upload-name-conflict.409.response.json': [409, 'conflict'],
    'error.mime-invalid-base64.400.response.json': [400, 'invalid'],
    'error.delta-notimplemented-501.response.json': [501, 'permanent'],
  };

  it('has an expectation for every error sample', () => {
    const files = readdirSync(samples).filter(
      (f) => f.startsWith('error.') && f !== 'error.example-invalidRange.response.json',
    );
    expect(files.sort()).toEqual(Object.keys(expected).sort());
  });

  for (const [file, [status, code]] of Object.entries(expected)) {
    it(`${file} → ${code}`, async () => {
      const body = JSON.parse(readFileSync(join(samples, file), 'utf8'));
      const graphError = await GraphErrorHandler.getError(body, status);
      const appError = translateGraphError(graphError, 'test');
      expect(appError.code).toBe(code);
      expect(appError.message).toContain(String(status));
    });
  }

  it('a SyncStateNotFound 410 on mail delta means resync', async () => {
    const body = { error: { code: 'SyncStateNotFound', message: 'The sync state generation is not found' } };
    expect(translateGraphError(await GraphErrorHandler.getError(body, 410), 'delta').code).toBe('gone');
  });
});
