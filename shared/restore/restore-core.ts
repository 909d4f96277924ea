import type { SnapshotReader } from '../backup/snapshot-reader';
import type { Settings } from '../config/settings';
import { AppError } from '../errors/app-error';
import { ExportJobStore } from '../export/export-store';
import type { ExportEngineDependencies } from '../export/export-engine';
import type { GraphClientFactory } from '../graph/graph-client';
import { ImportUploads } from '../import/import-uploads';
import type { Logger } from '../observability/logger';
import type { JobQueue } from '../queues/job-queues';
import type { ResourceStore } from '../resources/resource-store';
import { ResourceLeases } from '../storage/resource-lease';
import type { StorageClients } from '../storage/storage-clients';
import { Tables } from '../storage/tables';
import type { TenantStore } from '../tenants/tenant-store';
import type { Clock } from '../time/clock';
import { GraphCodeMailer, VerificationCodes, type CodeMailer } from '../verification/verification-codes';
import { restoreAlertHooks, type RestoreAlertParts } from './restore-alerts';
import type { RestoreNotifier } from './restore-engine';
import { RestoreJobStore } from './restore-job-store';
import type { RestoreRequestDependencies, VerificationLockoutReporter } from './restore-requests';

/** What restore and export are built from (the composition root's parts). */
export interface RestoreCoreParts {
  settings: Settings;
  storage: StorageClients;
  clock: Clock;
  tenants: TenantStore;
  resources: ResourceStore;
  reader: SnapshotReader;
  queue: JobQueue;
  graph: GraphClientFactory;
  notifier?: RestoreNotifier;
  lockouts?: VerificationLockoutReporter;
  /** How verification codes are sent (default: Graph sendMail from NOTIFICATION_MAIL_SENDER). */
  mailer?: CodeMailer;
  /**
   * Notifications and audit as the app wires them (green/red when a restore ends, red and an audit
   * record on a lockout); `notifier`/`lockouts`, when given, take precedence.
   */
  alerts?: RestoreAlertParts;
}

export interface RestoreCore {
  restore(log: Logger): RestoreRequestDependencies;
  export(log: Logger): ExportEngineDependencies;
  /** Uploaded backup zips (import upload links, validation, the worker's copy). */
  uploads: ImportUploads;
}

/** Codes go out from the provider's service mailbox (NOTIFICATION_MAIL_SENDER); without one, none can. */
function codeMailer(parts: RestoreCoreParts): CodeMailer {
  const sender = parts.settings.NOTIFICATION_MAIL_SENDER;
  const tenant = parts.settings.NOTIFICATION_MAIL_TENANT_ID ?? parts.settings.PROVIDER_TENANT_ID;
  if (!sender || !tenant) {
    return {
      sendCode: () =>
        Promise.reject(
          new AppError(
            'unavailable',
            'verification codes cannot be sent: NOTIFICATION_MAIL_SENDER and the provider tenant are not configured',
          ),
        ),
    };
  }
  return new GraphCodeMailer(parts.graph.forTenant(tenant), sender);
}

export function createRestoreCore(parts: RestoreCoreParts): RestoreCore {
  const tables = new Tables(parts.storage);
  const jobs = new RestoreJobStore(tables, parts.storage.blobs);
  const exportJobs = new ExportJobStore(tables);
  const leases = new ResourceLeases(parts.storage.blobs, { durationSeconds: 60 });
  const codes = new VerificationCodes(tables, parts.mailer ?? codeMailer(parts), parts.clock);
  const uploads = new ImportUploads(parts.storage.blobs, parts.clock, {
    maxBytes: parts.settings.IMPORT_MAX_BYTES,
    linkMinutes: parts.settings.IMPORT_UPLOAD_LINK_MINUTES,
  });
  const imports = uploads.sources();
  return {
    restore: (log) => {
      const hooks: { notifier?: RestoreNotifier; lockouts?: VerificationLockoutReporter } = parts.alerts
        ? restoreAlertHooks(parts.alerts, log)
        : {};
      const notifier = parts.notifier ?? hooks.notifier;
      const lockouts = parts.lockouts ?? hooks.lockouts;
      return {
        jobs,
        resources: parts.resources,
        tenants: parts.tenants,
        reader: parts.reader,
        leases,
        queue: parts.queue,
        clock: parts.clock,
        graphFor: (tenantId) => parts.graph.forTenant(tenantId),
        budgetSeconds: parts.settings.SNAPSHOT_JOB_BUDGET_SECONDS,
        codes,
        imports,
        ...(notifier ? { notifier } : {}),
        ...(lockouts ? { lockouts } : {}),
        log,
      };
    },
    export: (log) => ({
      jobs: exportJobs,
      tenants: parts.tenants,
      resources: parts.resources,
      reader: parts.reader,
      blobs: parts.storage.blobs,
      queue: parts.queue,
      clock: parts.clock,
      retentionDays: parts.settings.EXPORT_RETENTION_DAYS,
      log,
    }),
    uploads,
  };
}
