import { z } from 'zod';
import { AuditLog } from '../audit/audit-log';
import type { BackupCore } from '../backup/backup-core';
import type { SnapshotRecord } from '../backup/snapshot-record';
import type { Settings } from '../config/settings';
import { GraphAlertMailer, type AlertMailer } from '../notifications/alert-mailer';
import { NotificationStore } from '../notifications/notification-store';
import { Notifier } from '../notifications/notifier';
import type { Logger } from '../observability/logger';
import { OnboardingService } from '../onboarding/onboarding-service';
import { LicenceStore } from '../protection/licence-store';
import { ResourceCountsStore } from '../resources/resource-counts';
import { ProtectionService } from '../protection/protection-service';
import type { Resource } from '../resources/resource';
import { systemClock, type Clock } from '../time/clock';
import { DiscoveryService, type DiscoveryJob } from './discovery-service';
import { DiscoveryStateStore } from './discovery-state-store';
import type { WebhookDependencies } from './graph-webhook';
import { SubscriptionManager, type SubscriptionManagerDependencies } from './subscription-manager';
import { SubscriptionStore } from './subscription-store';

export interface DiscoveryCoreOptions {
  clock?: Clock;
  collapseSeconds?: number;
  subscriptionLifetimeMinutes?: number;
  renewWithinMinutes?: number;
  /** Overrides the mailer built from settings (tests). */
  mailer?: AlertMailer;
}

/** Discovery, protection and notifications, built on the backup core: one wiring for app and tests. */
export interface DiscoveryCore {
  notifications: NotificationStore;
  licences: LicenceStore;
  protection: ProtectionService;
  subscriptionStore: SubscriptionStore;
  state: DiscoveryStateStore;
  notifier(log: Logger): Notifier;
  /** The snapshot engine's `onFinished` hook: alerts never fail a snapshot that already committed. */
  onSnapshotFinished(log: Logger): (record: SnapshotRecord, resource: Resource) => Promise<void>;
  discovery(log: Logger): DiscoveryService;
  subscriptions(log: Logger): SubscriptionManager;
  webhook(log: Logger): WebhookDependencies;
  onboarding(log: Logger): OnboardingService;
  /** Runs one discovery-jobs message. */
  runJob(job: DiscoveryJob, log: Logger): Promise<unknown>;
}

export const discoveryJobSchema: z.ZodType<DiscoveryJob> = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('pass'), tenantId: z.string().min(1) }),
  z.object({
    kind: z.literal('lifecycle'),
    tenantId: z.string().min(1),
    subscriptionId: z.string().min(1),
    event: z.enum(['reauthorizationRequired', 'subscriptionRemoved', 'missed']),
  }),
]);

export function createDiscoveryCore(
  settings: Settings,
  backup: BackupCore,
  options: DiscoveryCoreOptions = {},
): DiscoveryCore {
  const clock = options.clock ?? systemClock;
  const notifications = new NotificationStore(backup.tables, () => clock.now());
  const licences = new LicenceStore(backup.tables);
  const counts = new ResourceCountsStore(backup.tables);
  const protection = new ProtectionService({
    tenants: backup.tenants,
    resources: backup.resources,
    licences,
    counts,
    clock,
  });
  const subscriptionStore = new SubscriptionStore(backup.tables);
  const state = new DiscoveryStateStore(backup.tables);
  const audit = new AuditLog(backup.tables);
  const mailTenant = settings.NOTIFICATION_MAIL_TENANT_ID ?? settings.PROVIDER_TENANT_ID;
  const mailer =
    options.mailer ??
    (settings.NOTIFICATION_MAIL_SENDER && mailTenant
      ? new GraphAlertMailer(backup.graph.forTenant(mailTenant), settings.NOTIFICATION_MAIL_SENDER)
      : undefined);
  const graphFor = (tenantId: string) => backup.graph.forTenant(tenantId);
  const notifier = (log: Logger) =>
    new Notifier({
      store: notifications,
      tenants: backup.tenants,
      resources: backup.resources,
      ...(mailer ? { mailer } : {}),
      clock,
      log,
    });
  const discovery = (log: Logger) =>
    new DiscoveryService({
      tenants: backup.tenants,
      resources: backup.resources,
      state,
      protection,
      counts,
      notifier: notifier(log),
      queue: backup.queue,
      graphFor,
      clock,
      log,
      ...(options.collapseSeconds !== undefined ? { collapseSeconds: options.collapseSeconds } : {}),
    });
  const subscriptions = (log: Logger) => {
    const deps: SubscriptionManagerDependencies = {
      store: subscriptionStore,
      tenants: backup.tenants,
      graphFor,
      clock,
      log,
      baseUrl: settings.NOTIFICATION_BASE_URL,
      ...(options.subscriptionLifetimeMinutes !== undefined
        ? { lifetimeMinutes: options.subscriptionLifetimeMinutes }
        : {}),
      ...(options.renewWithinMinutes !== undefined ? { renewWithinMinutes: options.renewWithinMinutes } : {}),
    };
    return new SubscriptionManager(deps);
  };
  return {
    notifications,
    licences,
    protection,
    subscriptionStore,
    state,
    notifier,
    onSnapshotFinished: (log) => async (record, resource) => {
      try {
        await notifier(log).snapshotFinished(record, resource);
      } catch (error) {
        log.warn('snapshot notifications could not be updated', {
          tenantId: resource.tenantId,
          resourceId: resource.resourceId,
          reason: error instanceof Error ? error.message : String(error),
        });
      }
    },
    discovery,
    subscriptions,
    onboarding: (log) =>
      new OnboardingService({
        tables: backup.tables,
        tenants: backup.tenants,
        discovery: discovery(log),
        subscriptions: subscriptions(log),
        clock,
        log,
        authorityHost: settings.ENTRA_AUTHORITY_HOST,
        clientId: settings.BACKUP_APP_CLIENT_ID,
      }),
    webhook: (log) => ({
      subscriptions: subscriptionStore,
      discovery: discovery(log),
      queue: backup.queue,
      audit,
      providerAuditTenantId: settings.PROVIDER_TENANT_ID ?? 'provider',
      clock,
      log,
    }),
    async runJob(job, log) {
      if (job.kind === 'pass') return discovery(log).runRequestedPass(job.tenantId);
      const record = await subscriptionStore.get(job.subscriptionId);
      if (job.event === 'missed') return discovery(log).requestPass(job.tenantId, 'full');
      if (!record) {
        log.warn('lifecycle event for a subscription no longer held: ignored', { ...job });
        return undefined;
      }
      const manager = subscriptions(log);
      if (job.event === 'reauthorizationRequired') return manager.renew(record);
      const recreated = await manager.recreate(record);
      // Changes between removal and the new subscription were not notified: catch up through delta.
      await discovery(log).requestPass(job.tenantId, 'incremental');
      return recreated;
    },
  };
}
