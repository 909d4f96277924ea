import type { JWTVerifyGetKey } from 'jose';
import type { SnapshotReader } from '../backup/snapshot-reader';
import type { SnapshotStore } from '../backup/snapshot-store';
import type { TenantTotalsStore } from '../backup/tenant-totals';
import { AuditLog } from '../audit/audit-log';
import { TokenVerifier } from '../auth/token-verifier';
import type { TenantDirectory } from '../auth/caller';
import type { Settings } from '../config/settings';
import { AppError, isAppError } from '../errors/app-error';
import { DiscoveryRequests } from '../discovery/discovery-requests';
import { DiscoveryStateStore } from '../discovery/discovery-state-store';
import { NotificationStore } from '../notifications/notification-store';
import type { Logger } from '../observability/logger';
import { CONSENT_CALLBACK_ROUTE, createConsentLink } from '../onboarding/onboarding-service';
import { LicenceStore } from '../protection/licence-store';
import { ProtectionService } from '../protection/protection-service';
import type { JobQueue } from '../queues/job-queues';
import { ResourceCountsStore } from '../resources/resource-counts';
import type { ResourceStore } from '../resources/resource-store';
import type { RestoreCore } from '../restore/restore-core';
import { IncidentStore } from '../service-health/incident-store';
import type { Tables } from '../storage/tables';
import { parseBusinessCalendar } from '../support/business-calendar';
import { SupportService, type OperatorAlerts } from '../support/support-service';
import { SupportStore } from '../support/support-store';
import type { Tenant } from '../tenants/tenant';
import type { TenantStore } from '../tenants/tenant-store';
import type { Clock } from '../time/clock';
import type { ApiRuntime, NotificationSummary } from './api-dependencies';
import { RateLimiter } from './rate-limiter';

export interface ApiRuntimeParts {
  settings: Pick<
    Settings,
    | 'ENTRA_AUTHORITY_HOST'
    | 'PORTAL_API_AUDIENCE'
    | 'PROVIDER_TENANT_ID'
    | 'API_RATE_LIMIT_PER_MINUTE'
    | 'API_RATE_LIMIT_BURST'
    | 'SUPPORT_BUSINESS_HOURS'
    | 'SUPPORT_HOLIDAYS'
    | 'BACKUP_APP_CLIENT_ID'
    | 'NOTIFICATION_BASE_URL'
  >;
  tables: Tables;
  clock: Clock;
  tenants: TenantStore;
  resources: ResourceStore;
  snapshots: SnapshotStore;
  totals: TenantTotalsStore;
  reader: SnapshotReader;
  queue: JobQueue;
  log: Logger;
  /** Restore, export and import (shared/restore/restore-core), built on first use. */
  restoreCore: () => RestoreCore;
  notifications?: NotificationSummary;
  alerts?: OperatorAlerts;
  /** Tests: key sets instead of the authority's JWKS. */
  keysFor?: (tenantId: string) => JWTVerifyGetKey;
  /** How long a tenant record is trusted for sign-in checks. */
  tenantCacheMs?: number;
}

/** Tenant records for sign-in, cached briefly: every request checks its tenant, most with no I/O. */
export class CachedTenantDirectory implements TenantDirectory {
  private readonly cache = new Map<string, { at: number; tenant: Promise<Tenant | undefined> }>();

  constructor(
    private readonly tenants: TenantStore,
    private readonly clock: Clock,
    private readonly ttlMs: number,
  ) {}

  find(tenantId: string): Promise<Tenant | undefined> {
    const now = this.clock.now().getTime();
    const hit = this.cache.get(tenantId);
    if (hit && now - hit.at < this.ttlMs) return hit.tenant;
    const tenant = this.tenants.get(tenantId).then(
      (t) => t,
      (error: unknown) => {
        if (isAppError(error) && error.code === 'not-found') return undefined;
        this.cache.delete(tenantId);
        throw error;
      },
    );
    if (this.cache.size > 10_000) this.cache.clear();
    this.cache.set(tenantId, { at: now, tenant });
    return tenant;
  }

  forget(tenantId: string): void {
    this.cache.delete(tenantId);
  }
}

/** Builds the API's collaborators (the composition root and the tests call this). */
export function createApiRuntime(parts: ApiRuntimeParts): ApiRuntime {
  const { settings } = parts;
  const directory = new CachedTenantDirectory(parts.tenants, parts.clock, parts.tenantCacheMs ?? 30_000);
  const supportStore = new SupportStore(parts.tables);
  const alerts: OperatorAlerts = parts.alerts ?? {
    initialResponseMissed: (request) => {
      parts.log.warn('support: initial response target missed', {
        tenantId: request.tenantId,
        requestId: request.requestId,
        severity: request.severity,
        dueAt: request.initialResponseDueAt,
      });
      return Promise.resolve();
    },
  };
  const support = new SupportService({
    store: supportStore,
    calendar: parseBusinessCalendar(settings.SUPPORT_BUSINESS_HOURS, settings.SUPPORT_HOLIDAYS),
    clock: parts.clock,
    alerts,
    tenant: (tenantId) => parts.tenants.get(tenantId),
  });
  const resourceCounts = new ResourceCountsStore(parts.tables);
  const notificationStore = new NotificationStore(parts.tables, () => parts.clock.now());
  return {
    deps: {
      clock: parts.clock,
      tenants: parts.tenants,
      resources: parts.resources,
      resourceCounts,
      snapshots: parts.snapshots,
      totals: parts.totals,
      reader: parts.reader,
      queue: parts.queue,
      audit: new AuditLog(parts.tables),
      support,
      supportStore,
      incidents: new IncidentStore(parts.tables),
      // The bell's counts come from the same store the notification endpoints read and mark.
      notifications: parts.notifications ?? notificationStore,
      protection: new ProtectionService({
        tenants: parts.tenants,
        resources: parts.resources,
        licences: new LicenceStore(parts.tables),
        counts: resourceCounts,
        clock: parts.clock,
      }),
      notificationStore,
      consentLink: (tenantId) => {
        if (!settings.NOTIFICATION_BASE_URL) {
          throw new AppError(
            'unavailable',
            'NOTIFICATION_BASE_URL is not set: the consent callback has no public address',
          );
        }
        const base = settings.NOTIFICATION_BASE_URL.replace(/\/+$/, '');
        return createConsentLink(
          {
            tables: parts.tables,
            tenants: parts.tenants,
            clock: parts.clock,
            authorityHost: settings.ENTRA_AUTHORITY_HOST,
            clientId: settings.BACKUP_APP_CLIENT_ID,
          },
          tenantId,
          `${base}/api/${CONSENT_CALLBACK_ROUTE}`,
        );
      },
      discovery: new DiscoveryRequests({
        state: new DiscoveryStateStore(parts.tables),
        queue: parts.queue,
        clock: parts.clock,
      }),
      tenantChanged: (tenantId) => directory.forget(tenantId),
      restores: () => parts.restoreCore().restore(parts.log),
      exports: () => parts.restoreCore().export(parts.log),
      importUploads: () => parts.restoreCore().uploads,
    },
    verifier: new TokenVerifier({
      authorityHost: settings.ENTRA_AUTHORITY_HOST,
      audience: settings.PORTAL_API_AUDIENCE,
      ...(parts.keysFor ? { keysFor: parts.keysFor } : {}),
      now: () => parts.clock.now(),
    }),
    directory,
    rateLimiter: new RateLimiter(
      { perMinute: settings.API_RATE_LIMIT_PER_MINUTE, burst: settings.API_RATE_LIMIT_BURST },
      parts.clock,
    ),
    providerTenantId: settings.PROVIDER_TENANT_ID?.toLowerCase(),
  };
}
