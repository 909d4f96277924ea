import { AppError } from '../errors/app-error';
import type { Clock } from '../time/clock';

export interface RateLimitOptions {
  perMinute: number;
  burst: number;
}

/**
 * Per-tenant token buckets, in this instance's memory: each instance allows `burst` at once and
 * `perMinute` sustained, so N scaled-out instances allow up to N times that. Good enough against
 * a runaway script; a shared limiter (Redis, API Management) is the scale-out answer (docs/api.md).
 */
export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly options: RateLimitOptions,
    private readonly clock: Clock,
  ) {}

  /** Takes one token for the key or throws throttled with the seconds until one is free. */
  take(key: string): void {
    const now = this.clock.now().getTime();
    const ratePerMs = this.options.perMinute / 60_000;
    const bucket = this.buckets.get(key) ?? { tokens: this.options.burst, at: now };
    // A clock that steps back refills nothing (rather than draining the bucket).
    bucket.tokens = Math.min(this.options.burst, bucket.tokens + Math.max(0, now - bucket.at) * ratePerMs);
    bucket.at = now;
    if (bucket.tokens < 1) {
      this.buckets.set(key, bucket);
      const waitSeconds = (1 - bucket.tokens) / ratePerMs / 1000;
      throw new AppError('throttled', 'Too many requests for this tenant; retry later.', {
        retryAfterSeconds: waitSeconds,
      });
    }
    bucket.tokens -= 1;
    this.buckets.set(key, bucket);
    if (this.buckets.size > 10_000) this.buckets.delete(this.buckets.keys().next().value!);
  }
}
