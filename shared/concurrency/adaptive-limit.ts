/** How a request that held a slot of an `AdaptiveLimit` ended. */
export type LimitOutcome = 'ok' | 'throttled' | 'ignored';

export interface LimitSlot {
  release(outcome: LimitOutcome): void;
}

export interface AdaptiveLimitOptions {
  /** Concurrency before the first throttle (high: a service that never throttles is never held back). */
  initial: number;
  min: number;
  max: number;
}

/**
 * A concurrency limit that finds what a rate-limited service admits (additive increase,
 * multiplicative decrease, as TCP finds a link's capacity): a throttled answer halves the limit, each
 * answer that is not throttled raises it by 1/limit (about one a round of requests). A burst of
 * throttled answers to requests that were all sent before the last cut counts once: they say nothing
 * about the new limit. Waiters are served first come, first served.
 */
export class AdaptiveLimit {
  private current: number;
  private active = 0;
  /** Bumped on each cut: slots taken before it do not cut again. */
  private epoch = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly options: AdaptiveLimitOptions) {
    if (!(options.min >= 1 && options.min <= options.initial && options.initial <= options.max))
      throw new Error(`adaptive limit needs 1 <= min <= initial <= max, got ${JSON.stringify(options)}`);
    this.current = options.initial;
  }

  /** The concurrency allowed now. */
  get limit(): number {
    return Math.floor(this.current);
  }

  get inUse(): number {
    return this.active;
  }

  async acquire(): Promise<LimitSlot> {
    if (this.active < this.limit && this.waiting.length === 0) this.active++;
    else await new Promise<void>((resolve) => this.waiting.push(resolve));
    const epoch = this.epoch;
    let released = false;
    return {
      release: (outcome) => {
        if (released) return;
        released = true;
        if (outcome === 'throttled' && epoch === this.epoch) {
          this.current = Math.max(this.options.min, Math.min(this.current, this.active) / 2);
          this.epoch++;
        } else if (outcome === 'ok') {
          this.current = Math.min(this.options.max, this.current + 1 / this.current);
        }
        this.active--;
        while (this.active < this.limit && this.waiting.length > 0) {
          this.active++;
          this.waiting.shift()!();
        }
      },
    };
  }
}
