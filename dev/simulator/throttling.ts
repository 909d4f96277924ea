/**
 * Graph's throttling, per service: Outlook per app per mailbox (concurrent requests, requests per
 * window, upload bytes per window), SharePoint/OneDrive resource units per tenant, directory
 * resource units per app per tenant. Token buckets refill continuously, so Retry-After is the time
 * until the request would fit again.
 */
import { GraphError } from './http/errors';
import type { SimulatorLimits } from './options';

class TokenBucket {
  private tokens: number;
  private updatedAt: number;

  constructor(
    private readonly capacity: number,
    private readonly windowMs: number,
    now: number,
  ) {
    this.tokens = capacity;
    this.updatedAt = now;
  }

  private refill(now: number): void {
    const rate = this.capacity / this.windowMs;
    this.tokens = Math.min(this.capacity, this.tokens + (now - this.updatedAt) * rate);
    this.updatedAt = now;
  }

  /** Takes `cost` tokens, or returns how many ms until they would be available. */
  take(cost: number, now: number): { ok: true; remaining: number } | { ok: false; retryAfterMs: number } {
    this.refill(now);
    if (this.tokens >= cost) {
      this.tokens -= cost;
      return { ok: true, remaining: this.tokens };
    }
    const rate = this.capacity / this.windowMs;
    return {
      ok: false,
      retryAfterMs: Math.max(1, Math.ceil((Math.min(cost, this.capacity) - this.tokens) / rate)),
    };
  }

  get limit(): number {
    return this.capacity;
  }
}

/** Retry-After as Graph sends it: whole seconds, or a decimal below one second (tests shrink windows). */
export function retryAfterValue(ms: number): string {
  if (ms >= 1000) return String(Math.ceil(ms / 1000));
  return (Math.ceil(ms / 10) / 100).toFixed(2);
}

function throttled(
  code: string,
  message: string,
  retryAfterMs: number,
  headers: Record<string, string> = {},
  status = 429,
): GraphError {
  return new GraphError(
    status,
    code,
    message,
    { 'retry-after': retryAfterValue(retryAfterMs), ...headers },
    status === 429 ? { code: '429', message: 'Please retry after', status: '429' } : {},
  );
}

export class Throttling {
  private readonly mailboxRequests = new Map<string, TokenBucket>();
  private readonly mailboxUploads = new Map<string, TokenBucket>();
  private readonly mailboxInFlight = new Map<string, number>();
  private readonly sharePoint = new Map<string, TokenBucket>();
  private readonly directory = new Map<string, TokenBucket>();
  private sharePointDenials = 0;
  throttledResponses = 0;

  constructor(
    private readonly limits: SimulatorLimits,
    private readonly clock: () => number = Date.now,
  ) {}

  private bucket(
    map: Map<string, TokenBucket>,
    key: string,
    capacity: number,
    windowMs: number,
  ): TokenBucket {
    let bucket = map.get(key);
    if (!bucket) {
      bucket = new TokenBucket(capacity, windowMs, this.clock());
      map.set(key, bucket);
    }
    return bucket;
  }

  /**
   * Admits one Outlook request for (app, mailbox): counts it against the request window and the
   * upload window (`uploadBytes` for POST/PUT/PATCH bodies) and holds a concurrency slot until
   * the returned release is called.
   */
  admitMailbox(appId: string, mailboxId: string, uploadBytes: number): () => void {
    const key = `${appId}|${mailboxId.toLowerCase()}`;
    const inFlight = this.mailboxInFlight.get(key) ?? 0;
    if (inFlight >= this.limits.mailboxConcurrency) {
      this.throttledResponses++;
      throw throttled('ApplicationThrottled', 'Application is over its MailboxConcurrency limit.', 1000);
    }
    const now = this.clock();
    const requests = this.bucket(
      this.mailboxRequests,
      key,
      this.limits.mailboxRequests,
      this.limits.mailboxWindowMs,
    ).take(1, now);
    if (!requests.ok) {
      this.throttledResponses++;
      throw throttled(
        'ApplicationThrottled',
        'Application is over its resource limit.',
        requests.retryAfterMs,
      );
    }
    if (uploadBytes > 0) {
      const uploads = this.bucket(
        this.mailboxUploads,
        key,
        this.limits.mailboxUploadBytes,
        this.limits.mailboxUploadWindowMs,
      ).take(uploadBytes, now);
      if (!uploads.ok) {
        this.throttledResponses++;
        throw throttled(
          'ApplicationThrottled',
          'Application is over its upload limit.',
          uploads.retryAfterMs,
        );
      }
    }
    this.mailboxInFlight.set(key, inFlight + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const n = (this.mailboxInFlight.get(key) ?? 1) - 1;
      if (n <= 0) this.mailboxInFlight.delete(key);
      else this.mailboxInFlight.set(key, n);
    };
  }

  /**
   * Charges SharePoint/OneDrive resource units to the tenant. Returns the RateLimit-* headers
   * SharePoint adds once 80% of the window is used; throws 429 (sometimes 503) when exhausted.
   */
  chargeSharePoint(tenantId: string, units: number): Record<string, string> {
    const bucket = this.bucket(
      this.sharePoint,
      tenantId,
      this.limits.sharePointUnits,
      this.limits.sharePointWindowMs,
    );
    const result = bucket.take(units, this.clock());
    const resetSec = String(Math.ceil(this.limits.sharePointWindowMs / 1000));
    if (!result.ok) {
      this.throttledResponses++;
      this.sharePointDenials++;
      const headers = {
        'ratelimit-limit': String(bucket.limit),
        'ratelimit-remaining': '0',
        'ratelimit-reset': retryAfterValue(result.retryAfterMs),
      };
      // Every n-th denial is a 503 Server Too Busy (deterministic, so tests can rely on it).
      const every = this.limits.sharePoint503Share > 0 ? Math.round(1 / this.limits.sharePoint503Share) : 0;
      if (every > 0 && this.sharePointDenials % every === 0) {
        throw throttled(
          'serviceNotAvailable',
          'The service is temporarily unavailable. Please retry later.',
          result.retryAfterMs,
          headers,
          503,
        );
      }
      throw throttled(
        'activityLimitReached',
        'The request has been throttled.',
        result.retryAfterMs,
        headers,
      );
    }
    if (result.remaining <= bucket.limit * 0.2) {
      return {
        'ratelimit-limit': String(bucket.limit),
        'ratelimit-remaining': String(Math.floor(result.remaining)),
        'ratelimit-reset': resetSec,
      };
    }
    return {};
  }

  /** Charges directory resource units to (app, tenant). */
  chargeDirectory(appId: string, tenantId: string, units: number): Record<string, string> {
    const bucket = this.bucket(
      this.directory,
      `${appId}|${tenantId}`,
      this.limits.directoryUnits,
      this.limits.directoryWindowMs,
    );
    const result = bucket.take(units, this.clock());
    if (!result.ok) {
      this.throttledResponses++;
      throw throttled('TooManyRequests', 'Please retry again later.', result.retryAfterMs, {
        'x-ms-throttle-scope': `Tenant_Application/ReadWrite/${appId}/${tenantId}`,
        'x-ms-throttle-information': 'ResourceUnitLimitExceeded',
      });
    }
    const headers: Record<string, string> = { 'x-ms-resource-unit': String(units) };
    const used = 1 - result.remaining / bucket.limit;
    if (used > 0.8) headers['x-ms-throttle-limit-percentage'] = used.toFixed(1);
    return headers;
  }
}
