/** Counters of one tenant's Graph traffic (for snapshot records and benchmarks). */
export interface GraphStats {
  requests: number;
  retries: number;
  throttled: number;
  unavailable: number;
  networkRetries: number;
}

export function emptyStats(): GraphStats {
  return { requests: 0, retries: 0, throttled: 0, unavailable: 0, networkRetries: 0 };
}

/**
 * While Graph throttles a tenant, every request to that tenant waits (Microsoft's scan guidance:
 * "pause all requests to that tenant until Retry-After has elapsed; ignoring it leads to blocking").
 */
export class TenantGate {
  private until = 0;

  constructor(
    private readonly now: () => number = Date.now,
    private readonly sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
  ) {}

  pauseFor(ms: number): void {
    this.until = Math.max(this.until, this.now() + ms);
  }

  async ready(): Promise<void> {
    for (;;) {
      const wait = this.until - this.now();
      if (wait <= 0) return;
      await this.sleep(wait);
    }
  }
}
