import type { SnapshotReader } from '../backup/snapshot-reader';
import type { SnapshotStore } from '../backup/snapshot-store';
import type { TenantTotalsStore } from '../backup/tenant-totals';
import type { AuditLog } from '../audit/audit-log';
import type { Caller, TenantDirectory } from '../auth/caller';
import type { TokenVerifier } from '../auth/token-verifier';
import type { DiscoveryRequests } from '../discovery/discovery-requests';
import type { ExportEngineDependencies } from '../export/export-engine';
import type { ImportUploads } from '../import/import-uploads';
import type { NotificationStore } from '../notifications/notification-store';
import type { ProtectionService } from '../protection/protection-service';
import type { JobQueue } from '../queues/job-queues';
import type { ResourceCountsStore } from '../resources/resource-counts';
import type { ResourceStore } from '../resources/resource-store';
import type { RestoreRequestDependencies } from '../restore/restore-requests';
import type { IncidentStore } from '../service-health/incident-store';
import type { SupportService } from '../support/support-service';
import type { SupportStore } from '../support/support-store';
import type { TenantStore } from '../tenants/tenant-store';
import type { Clock } from '../time/clock';
import type { RateLimiter } from './rate-limiter';

/** Unread notifications by severity (the dashboard's bell): the notification store (shared/notifications). */
export interface NotificationSummary {
  unreadBySeverity(tenantId: string): Promise<Record<'red' | 'yellow' | 'blue' | 'green', number>>;
}

/** What endpoint handlers use: the core's stores and services, nothing HTTP. */
export interface ApiDependencies {
  clock: Clock;
  tenants: TenantStore;
  resources: ResourceStore;
  resourceCounts: ResourceCountsStore;
  snapshots: SnapshotStore;
  totals: TenantTotalsStore;
  reader: SnapshotReader;
  queue: JobQueue;
  audit: AuditLog;
  support: SupportService;
  supportStore: SupportStore;
  incidents: IncidentStore;
  notifications: NotificationSummary;
  /** Licences and protection (shared/protection). */
  protection: ProtectionService;
  /** The admin-consent link of a tenant, with a one-time state (shared/onboarding). */
  consentLink(tenantId: string): Promise<{ url: string; expiresAt: string }>;
  /** Asks for a (collapsed) discovery pass (shared/discovery). */
  discovery: DiscoveryRequests;
  /** The bell's notifications (shared/notifications). */
  notificationStore: NotificationStore;
  /** Forget a cached tenant record after an operator changed it. */
  tenantChanged(tenantId: string): void;
  /** Restore requests, verification codes, progress and cancel (shared/restore). */
  restores(): RestoreRequestDependencies;
  /** Export jobs and their download links (shared/export). */
  exports(): ExportEngineDependencies;
  /** Uploaded backup zips: upload links and validation (shared/import). */
  importUploads(): ImportUploads;
}

/** What the HTTP layer uses around the handlers. */
export interface ApiRuntime {
  deps: ApiDependencies;
  verifier: TokenVerifier;
  directory: TenantDirectory;
  rateLimiter: RateLimiter;
  providerTenantId: string | undefined;
}

export type { Caller };
