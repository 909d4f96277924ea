import { QueueNames, type JobQueue } from '../queues/job-queues';
import type { Clock } from '../time/clock';
import type { DiscoveryStateStore, PassMode } from './discovery-state-store';

/** A pending marker older than this lost its message (poison, crash): a new request replaces it. */
const STALE_PASS_MS = 15 * 60 * 1000;

/**
 * Asks for a discovery pass of a tenant. Requests collapse: only the one that places the tenant's
 * "pass requested" marker queues a message (after `collapseSeconds`), so a burst of change
 * notifications, timers and "rescan now" clicks becomes one pass.
 */
export class DiscoveryRequests {
  constructor(
    private readonly deps: {
      state: DiscoveryStateStore;
      queue: JobQueue;
      clock: Clock;
      collapseSeconds?: number;
    },
  ) {}

  /** True if this request queued the pass (false: one is already pending and will see this change). */
  async requestPass(tenantId: string, mode: PassMode): Promise<boolean> {
    const placed = await this.deps.state.requestPass(tenantId, mode, this.deps.clock.now(), STALE_PASS_MS);
    if (placed) {
      await this.deps.queue.send(
        QueueNames.discoveryJobs,
        { kind: 'pass', tenantId },
        { delaySeconds: this.deps.collapseSeconds ?? 2 },
      );
    }
    return placed;
  }
}
