import type { Context, Middleware, MiddlewareOptions } from '@microsoft/microsoft-graph-client';
import { AdaptiveLimit, type LimitOutcome } from '../concurrency/adaptive-limit';
import type { JobUsage } from '../observability/job-usage';
import { isNetworkError } from './graph-errors';
import { mailboxOf } from './mailbox-concurrency-middleware';
import type { GraphStats, TenantGate } from './tenant-gate';

export interface RetryPolicy {
  /** Tries per request for failures other than throttling (broken connections, 5xx), the first included. */
  maxAttempts: number;
  /**
   * How long one request may spend waiting out throttling (429, or 503 with Retry-After) before it
   * gives up. Throttling is how Graph paces a busy tenant: it slows a job down, it does not fail it.
   */
  maxThrottleWaitMs: number;
  /** Back-off when Graph gives no Retry-After (doubles per try, with jitter). */
  baseDelayMs: number;
  maxDelayMs: number;
  sleep: (ms: number) => Promise<void>;
}

export const defaultRetryPolicy: RetryPolicy = {
  maxAttempts: 10,
  maxThrottleWaitMs: 30 * 60_000,
  baseDelayMs: 1000,
  maxDelayMs: 120_000,
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

/**
 * SharePoint, OneDrive and directory requests of one tenant share one resource-unit bucket per
 * tenant (graph-facts §5): sent all at once when a throttle ends, all but the first few are throttled
 * again. Their concurrency adapts instead (`AdaptiveLimit`). Outlook requests are limited per mailbox
 * (`MailboxConcurrencyMiddleware`) and do not take part.
 */
export function sharedBucketLimit(): AdaptiveLimit {
  return new AdaptiveLimit({ initial: 64, min: 2, max: 64 });
}

const retryableStatus = new Set([429, 503, 504]);
const idempotent = new Set(['GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS']);

/**
 * A request's job (see `TenantGraph.forJob`): the middleware counts the request's attempts and
 * throttled answers into its usage. Passed with the request, not looked up from async context,
 * which would put a hook on every promise the process makes.
 */
export class JobUsageOption implements MiddlewareOptions {
  constructor(readonly usage: JobUsage) {}
}

/**
 * Replaces the SDK's RetryHandler: honours `Retry-After` on 429/503/504 for as long as the policy
 * allows (throttling must slow a job down, not fail it), pauses every request to the same tenant
 * while a throttle is in force (Microsoft's scan guidance), and retries idempotent requests whose
 * connection broke.
 */
export class RetryMiddleware implements Middleware {
  private next: Middleware | undefined;

  constructor(
    private readonly gate: TenantGate,
    private readonly stats: GraphStats,
    private readonly policy: RetryPolicy = defaultRetryPolicy,
    private readonly sharedBucket: AdaptiveLimit = sharedBucketLimit(),
  ) {}

  setNext(next: Middleware): void {
    this.next = next;
  }

  async execute(context: Context): Promise<void> {
    if (!this.next) throw new Error('RetryMiddleware needs a next middleware');
    const method = (context.options?.method ?? 'GET').toUpperCase();
    const replayable = isReplayable(context);
    const url = typeof context.request === 'string' ? context.request : context.request.url;
    const limit = mailboxOf(url) === undefined ? this.sharedBucket : undefined;
    const usage = (
      context.middlewareControl?.getMiddlewareOptions(JobUsageOption) as JobUsageOption | undefined
    )?.usage;
    let attempt = 1;
    let throttleWaitMs = 0;
    for (;;) {
      // The slot first: a throttle that begins while this request waits for one still holds it.
      const slot = await limit?.acquire();
      await this.gate.ready();
      this.stats.requests++;
      if (usage) usage.graphRequests++;
      let outcome: LimitOutcome = 'ignored';
      try {
        await this.next.execute(context);
        const response = context.response;
        outcome = response?.status === 429 || response?.status === 503 ? 'throttled' : 'ok';
        // Paused before the slot goes back, so the request it lets through waits too.
        const retryAfterMs = response && parseRetryAfter(response.headers.get('retry-after'));
        if (outcome === 'throttled' && retryAfterMs !== undefined) this.gate.pauseFor(retryAfterMs);
      } catch (error) {
        slot?.release('ignored');
        if (
          attempt < this.policy.maxAttempts &&
          idempotent.has(method) &&
          replayable &&
          isNetworkError(error)
        ) {
          this.stats.networkRetries++;
          await this.policy.sleep(this.backoff(attempt++));
          continue;
        }
        throw error;
      } finally {
        slot?.release(outcome);
      }
      const response = context.response;
      if (!response || !retryableStatus.has(response.status)) return;
      if (response.status === 429) {
        this.stats.throttled++;
        if (usage) usage.graphThrottled++;
      } else this.stats.unavailable++;
      if (!replayable) return;
      const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'));
      // Throttling (429, or 503 with Retry-After) is bounded by time, anything else by tries.
      const throttled = response.status === 429 || (response.status === 503 && retryAfterMs !== undefined);
      const delay = retryAfterMs ?? this.backoff(attempt);
      if (
        throttled
          ? throttleWaitMs + delay > this.policy.maxThrottleWaitMs
          : attempt >= this.policy.maxAttempts
      )
        return;
      if (throttled) throttleWaitMs += delay;
      else attempt++;
      await response.body?.cancel().catch(() => undefined);
      this.stats.retries++;
      // Throttling is per tenant: the gate holds this and every other request to the tenant. A 504
      // is one slow request: only this one waits.
      if (response.status === 429 || response.status === 503) this.gate.pauseFor(delay);
      else await this.policy.sleep(delay);
    }
  }

  private backoff(attempt: number): number {
    const exponential = this.policy.baseDelayMs * 2 ** (attempt - 1);
    return Math.min(this.policy.maxDelayMs, exponential) * (0.8 + Math.random() * 0.4);
  }
}

function isReplayable(context: Context): boolean {
  const body = context.options?.body;
  return (
    body === undefined ||
    body === null ||
    typeof body === 'string' ||
    body instanceof ArrayBuffer ||
    ArrayBuffer.isView(body) ||
    body instanceof URLSearchParams
  );
}

/** Retry-After is seconds (possibly fractional, e.g. `2.128`) or an HTTP date. */
export function parseRetryAfter(value: string | null): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}
