import type { SnapshotRecord } from '../backup/snapshot-record';
import type { Logger } from '../observability/logger';
import type { Resource } from '../resources/resource';
import type { RestoreJob } from '../restore/restore-job';
import type { ResourceStore } from '../resources/resource-store';
import type { TenantStore } from '../tenants/tenant-store';
import type { Clock } from '../time/clock';
import type { AlertMailer } from './alert-mailer';
import type { AlertInput, InformationInput, Notification, NotificationCategory } from './notification';
import type { NotificationStore } from './notification-store';

export interface NotifierDependencies {
  store: NotificationStore;
  tenants: TenantStore;
  resources: ResourceStore;
  /** Red alerts are mailed to the tenant's admin contact; undefined: no mail. */
  mailer?: AlertMailer;
  clock: Clock;
  log: Logger;
}

/** Consecutive failed snapshots of a resource that make a red alert. */
export const FAILURES_FOR_ALERT = 2;
/** A protected resource without a good snapshot for longer than this is red. */
export const STALE_AFTER_MS = 24 * 3600 * 1000;

/** Raises and resolves notifications; red ones are also mailed. */
export class Notifier {
  constructor(private readonly deps: NotifierDependencies) {}

  get store(): NotificationStore {
    return this.deps.store;
  }

  async alert(alert: AlertInput): Promise<Notification | undefined> {
    const raised = await this.deps.store.raise(alert);
    if (raised && raised.severity === 'red' && this.deps.mailer) {
      try {
        const tenant = await this.deps.tenants.get(alert.tenantId);
        await this.deps.mailer.send(tenant, raised);
      } catch (error) {
        // The alert stands in the portal; a mail failure must not undo it or fail the caller.
        this.deps.log.warn('red alert could not be mailed', {
          tenantId: alert.tenantId,
          notificationId: raised.notificationId,
          reason: error instanceof Error ? error.message : String(error),
        });
      }
    }
    return raised;
  }

  inform(note: InformationInput): Promise<Notification> {
    return this.deps.store.inform(note);
  }

  resolve(
    tenantId: string,
    category: NotificationCategory,
    resourceId: string | undefined,
    clearedMessage: string,
  ): Promise<Notification | undefined> {
    return this.deps.store.resolve(tenantId, category, resourceId, clearedMessage);
  }

  /** The snapshot engine's `onFinished` hook. */
  async snapshotFinished(record: SnapshotRecord, resource: Resource): Promise<void> {
    const name = label(resource);
    if (record.status === 'failed') {
      if (resource.consecutiveFailures >= FAILURES_FOR_ALERT) {
        await this.alert({
          tenantId: resource.tenantId,
          severity: 'red',
          category: 'snapshot-failing',
          resourceId: resource.resourceId,
          message: `Backups of ${name} keep failing (${resource.consecutiveFailures} in a row): ${record.failureReason ?? record.failureCode ?? 'unknown error'}`,
        });
      }
      return;
    }
    if (record.status !== 'completed' && record.status !== 'completed-with-warnings') return;
    await this.resolve(
      resource.tenantId,
      'snapshot-failing',
      resource.resourceId,
      `Backups of ${name} succeed again.`,
    );
    await this.resolve(
      resource.tenantId,
      'snapshot-stale',
      resource.resourceId,
      `${name} has a good backup again.`,
    );
    if (record.status === 'completed-with-warnings') {
      const listed = record.skipped
        .slice(0, 10)
        .map((s) => `${s.item} (${s.reason})`)
        .join('; ');
      await this.alert({
        tenantId: resource.tenantId,
        severity: 'yellow',
        category: 'snapshot-warnings',
        resourceId: resource.resourceId,
        message: `The backup of ${name} skipped ${record.skippedCount} item(s): ${listed}`,
      });
    } else {
      await this.resolve(
        resource.tenantId,
        'snapshot-warnings',
        resource.resourceId,
        `The backup of ${name} completed without skipped items.`,
      );
    }
  }

  /**
   * A restore ended. Finished (with or without warnings): green with its counts, and any open
   * "restore failed" or "lockout" alert of the resource clears. Failed: red (mailed), open until a
   * restore of the resource finishes. Cancelled by the admin: nothing (they know).
   */
  async restoreEnded(job: RestoreJob): Promise<void> {
    const name = await this.describe(job.tenantId, job.resourceId);
    const to = await this.destinationOf(job);
    const { restored, skippedCount, failedCount } = job.report;
    const counts = `${restored} restored, ${skippedCount} skipped, ${failedCount} failed`;
    if (job.state === 'completed' || job.state === 'completed-with-warnings') {
      await this.inform({
        tenantId: job.tenantId,
        severity: 'green',
        category: 'restore-finished',
        resourceId: job.resourceId,
        message: `The restore of ${name}${to} finished: ${counts}.`,
      });
      await this.resolve(
        job.tenantId,
        'restore-failed',
        job.resourceId,
        `Restores of ${name} succeed again.`,
      );
      await this.resolve(
        job.tenantId,
        'restore-lockout',
        job.resourceId,
        `A restore of ${name} was verified and finished.`,
      );
      return;
    }
    if (job.state !== 'failed') return;
    await this.alert({
      tenantId: job.tenantId,
      severity: 'red',
      category: 'restore-failed',
      resourceId: job.resourceId,
      message: `The restore of ${name}${to} failed: ${job.failureReason ?? 'unknown error'} (${counts} before it stopped).`,
    });
  }

  /**
   * The fifth wrong verification code cancelled a restore: red (mailed). One open alert per
   * resource, so repeated guessing does not flood the admin's inbox; it clears when a restore of
   * the resource is verified and finishes.
   */
  async restoreLockedOut(job: RestoreJob): Promise<void> {
    const name = await this.describe(job.tenantId, job.resourceId);
    await this.alert({
      tenantId: job.tenantId,
      severity: 'red',
      category: 'restore-lockout',
      resourceId: job.resourceId,
      message: `A restore of ${name} requested by ${job.requestedBy} was cancelled after 5 wrong verification codes.`,
    });
  }

  /** "the mailbox Ana <ana@…>", or the bare id when the resource record is gone. */
  private async describe(tenantId: string, resourceId: string): Promise<string> {
    try {
      return label(await this.deps.resources.get(tenantId, resourceId));
    } catch {
      return resourceId;
    }
  }

  private async destinationOf(job: RestoreJob): Promise<string> {
    if (job.target.kind === 'resource' && job.target.resourceId !== job.resourceId) {
      const path = job.target.folderPath.length ? ` (${job.target.folderPath.join('/')})` : '';
      return ` to ${await this.describe(job.tenantId, job.target.resourceId)}${path}`;
    }
    return job.destination && job.destination !== 'original location' ? ` into "${job.destination}"` : '';
  }

  /**
   * Red for every protected resource of an active tenant whose last good snapshot (or, before the
   * first one, its protection) is older than 24 hours. Returns how many alerts were opened now.
   */
  async checkStaleSnapshots(): Promise<number> {
    const now = this.deps.clock.now().getTime();
    let opened = 0;
    for await (const tenant of this.deps.tenants.list('active')) {
      for await (const resource of this.deps.resources.list(tenant.tenantId, { protectedOnly: true })) {
        if (resource.state === 'gone') continue;
        const since = resource.lastGoodSnapshotAt ?? resource.protectedAt ?? resource.firstSeenAt;
        if (now - Date.parse(since) <= STALE_AFTER_MS) continue;
        const raised = await this.alert({
          tenantId: tenant.tenantId,
          severity: 'red',
          category: 'snapshot-stale',
          resourceId: resource.resourceId,
          message: resource.lastGoodSnapshotAt
            ? `${label(resource)} has had no good backup since ${resource.lastGoodSnapshotAt}.`
            : `${label(resource)} has had no good backup since it was protected (${since}).`,
        });
        if (raised) opened += 1;
      }
    }
    return opened;
  }
}

const kindNames: Record<Resource['kind'], string> = {
  mailbox: 'mailbox',
  onedrive: 'OneDrive',
  site: 'site',
  group: 'group',
};

export function label(resource: Pick<Resource, 'kind' | 'displayName' | 'address'>): string {
  const address =
    resource.address && resource.address !== resource.displayName ? ` <${resource.address}>` : '';
  return `the ${kindNames[resource.kind]} ${resource.displayName}${address}`;
}
