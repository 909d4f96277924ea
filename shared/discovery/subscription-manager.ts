import { randomBytes } from 'node:crypto';
import { AppError } from '../errors/app-error';
import type { TenantGraph } from '../graph/graph-client';
import type { Logger } from '../observability/logger';
import type { TenantStore } from '../tenants/tenant-store';
import type { Clock } from '../time/clock';
import type { SubscriptionRecord, SubscriptionStore } from './subscription-store';

export interface SubscriptionManagerDependencies {
  store: SubscriptionStore;
  tenants: TenantStore;
  graphFor(tenantId: string): TenantGraph;
  clock: Clock;
  log: Logger;
  /** Public base URL of the app (notifications go to `{base}/api/graph/...`); unset: no subscriptions. */
  baseUrl: string | undefined;
  /** Lifetime asked for (directory resources allow 41,760 minutes); default 3 days. */
  lifetimeMinutes?: number;
  /** Renewed when less than this is left; default half the lifetime. */
  renewWithinMinutes?: number;
}

/** The directory resources whose changes feed discovery. */
export const SUBSCRIBED_RESOURCES = ['users', 'groups'] as const;

export const NOTIFICATION_ROUTE = 'graph/notifications';
export const LIFECYCLE_ROUTE = 'graph/lifecycle';

/** Creates, renews and recreates the users/groups subscriptions of active tenants. */
export class SubscriptionManager {
  constructor(private readonly deps: SubscriptionManagerDependencies) {}

  private get lifetimeMs(): number {
    return (this.deps.lifetimeMinutes ?? 3 * 24 * 60) * 60_000;
  }

  private get renewWithinMs(): number {
    return this.deps.renewWithinMinutes !== undefined
      ? this.deps.renewWithinMinutes * 60_000
      : this.lifetimeMs / 2;
  }

  /** Creates the subscriptions a tenant lacks. Returns the ones created now. */
  async ensure(tenantId: string): Promise<SubscriptionRecord[]> {
    if (!this.deps.baseUrl) return [];
    const existing = await this.deps.store.list(tenantId);
    const created: SubscriptionRecord[] = [];
    for (const resource of SUBSCRIBED_RESOURCES) {
      if (existing.some((s) => s.resource === resource)) continue;
      created.push(await this.create(tenantId, resource));
    }
    return created;
  }

  async create(tenantId: string, resource: string): Promise<SubscriptionRecord> {
    const base = this.deps.baseUrl!.replace(/\/+$/, '');
    const clientState = randomBytes(32).toString('base64url');
    const expiresAt = new Date(this.deps.clock.now().getTime() + this.lifetimeMs).toISOString();
    const answer = await this.deps.graphFor(tenantId).post<{ id: string; expirationDateTime: string }>(
      '/subscriptions',
      {
        changeType: 'updated,deleted',
        notificationUrl: `${base}/api/${NOTIFICATION_ROUTE}`,
        lifecycleNotificationUrl: `${base}/api/${LIFECYCLE_ROUTE}`,
        resource,
        expirationDateTime: expiresAt,
        clientState,
      },
      { what: `subscribe to ${resource} changes` },
    );
    const record: SubscriptionRecord = {
      subscriptionId: answer.id,
      tenantId,
      resource,
      clientState,
      expiresAt: answer.expirationDateTime ?? expiresAt,
    };
    await this.deps.store.put(record);
    this.deps.log.info('subscription created', { tenantId, resource, subscriptionId: record.subscriptionId });
    return record;
  }

  /** Extends the subscription; one Graph no longer knows is recreated. */
  async renew(record: SubscriptionRecord): Promise<SubscriptionRecord> {
    const expiresAt = new Date(this.deps.clock.now().getTime() + this.lifetimeMs).toISOString();
    try {
      const answer = await this.deps
        .graphFor(record.tenantId)
        .patch<{ expirationDateTime?: string }>(
          `/subscriptions/${encodeURIComponent(record.subscriptionId)}`,
          { expirationDateTime: expiresAt },
          { what: 'renew a subscription' },
        );
      const renewed = { ...record, expiresAt: answer.expirationDateTime ?? expiresAt };
      await this.deps.store.put(renewed);
      this.deps.log.info('subscription renewed', {
        tenantId: record.tenantId,
        subscriptionId: record.subscriptionId,
      });
      return renewed;
    } catch (error) {
      if (error instanceof AppError && error.code === 'not-found') return this.recreate(record);
      throw error;
    }
  }

  /** Replaces a removed subscription with a new one for the same tenant and resource. */
  async recreate(record: SubscriptionRecord): Promise<SubscriptionRecord> {
    await this.deps.store.delete(record.subscriptionId);
    try {
      await this.deps
        .graphFor(record.tenantId)
        .delete(`/subscriptions/${encodeURIComponent(record.subscriptionId)}`);
    } catch (error) {
      if (!(error instanceof AppError && error.code === 'not-found')) throw error;
    }
    return this.create(record.tenantId, record.resource);
  }

  /** The timer: subscriptions for every active tenant; those close to expiry renewed; others' dropped. */
  async upkeep(): Promise<{ created: number; renewed: number; removed: number }> {
    const counts = { created: 0, renewed: 0, removed: 0 };
    if (!this.deps.baseUrl) return counts;
    const active = new Set<string>();
    for await (const tenant of this.deps.tenants.list('active')) active.add(tenant.tenantId);
    const now = this.deps.clock.now().getTime();
    for (const record of await this.deps.store.list()) {
      if (!active.has(record.tenantId)) {
        await this.remove(record);
        counts.removed += 1;
      } else if (Date.parse(record.expiresAt) - now < this.renewWithinMs) {
        await this.renew(record);
        counts.renewed += 1;
      }
    }
    for (const tenantId of active) {
      try {
        counts.created += (await this.ensure(tenantId)).length;
      } catch (error) {
        // One tenant (consent revoked, Graph down) must not stop the others.
        this.deps.log.warn('subscriptions could not be created', {
          tenantId,
          reason: error instanceof Error ? error.message : String(error),
        });
      }
    }
    return counts;
  }

  private async remove(record: SubscriptionRecord): Promise<void> {
    try {
      await this.deps
        .graphFor(record.tenantId)
        .delete(`/subscriptions/${encodeURIComponent(record.subscriptionId)}`);
    } catch (error) {
      if (!(error instanceof AppError)) throw error;
    }
    await this.deps.store.delete(record.subscriptionId);
  }
}
