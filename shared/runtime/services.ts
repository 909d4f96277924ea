import type { ApiRuntime } from '../api/api-dependencies';
import { createApiRuntime } from '../api/api-runtime';
import type { SnapshotEngineDependencies } from '../backup/snapshot-engine';
import type { SnapshotStore } from '../backup/snapshot-store';
import type { TenantTotalsStore } from '../backup/tenant-totals';
import { createBackupCore } from '../backup/backup-core';
import { appVersion } from '../config/app-version';
import { loadSettings, type Settings } from '../config/settings';
import { createDiscoveryCore, type DiscoveryCore } from '../discovery/discovery-core';
import type { GraphClientFactory } from '../graph/graph-client';
import type { Logger } from '../observability/logger';
import type { StorageJobQueue } from '../queues/job-queues';
import type { Repository } from '../repository';
import type { ResourceStore } from '../resources/resource-store';
import { createRestoreCore, type RestoreCore } from '../restore/restore-core';
import { createStorageClients, type StorageClients } from '../storage/storage-clients';
import type { TenantStore } from '../tenants/tenant-store';
import { systemClock, type Clock } from '../time/clock';

/**
 * The composition root: the one place that builds the app's collaborators from settings. Function
 * files take what they need from here. Settings are validated when this module is first loaded, so
 * a bad setting stops the app at start-up with a message naming every bad setting.
 */
export interface Services {
  settings: Settings;
  version: string;
  clock: Clock;
  storage: StorageClients;
  /** Clients with a short timeout and no retries, for health probes. */
  healthStorage: StorageClients;
  tenants: TenantStore;
  resources: ResourceStore;
  snapshots: SnapshotStore;
  totals: TenantTotalsStore;
  queue: StorageJobQueue;
  graph: GraphClientFactory;
  repositoryFor(tenantId: string): Promise<Repository>;
  snapshotEngine(log: Logger): SnapshotEngineDependencies;
  /** The portal API's collaborators (shared/api). */
  api: ApiRuntime;
  /** Discovery, subscriptions, licences and protection, notifications (shared/discovery). */
  discovery: DiscoveryCore;
  /** Restore, verification codes and export (shared/restore, shared/export). */
  restore: RestoreCore;
}

/** For collaborators that outlive one invocation (one JSON line each, like the host's). */
const processLogger: Logger = {
  info: (message, properties) => console.log(JSON.stringify({ level: 'info', message, ...properties })),
  warn: (message, properties) => console.warn(JSON.stringify({ level: 'warn', message, ...properties })),
  error: (message, properties) => console.error(JSON.stringify({ level: 'error', message, ...properties })),
};

function createServices(settings: Settings): Services {
  const storage = createStorageClients(settings);
  const backup = createBackupCore(settings, storage);
  const discovery = createDiscoveryCore(settings, backup);
  const api = createApiRuntime({
    settings,
    tables: backup.tables,
    clock: systemClock,
    tenants: backup.tenants,
    resources: backup.resources,
    snapshots: backup.snapshots,
    totals: backup.totals,
    reader: backup.reader,
    queue: backup.queue,
    log: processLogger,
    // The one restore core the workers use too (built below: its alerts need the API's audit log).
    restoreCore: () => restore,
    notifications: discovery.notifications,
  });
  // Restores raise their notifications (green finished, red failed or locked out, red ones mailed)
  // and write the lockout's audit record through these hooks.
  const restore = createRestoreCore({
    settings,
    storage,
    clock: systemClock,
    tenants: backup.tenants,
    resources: backup.resources,
    reader: backup.reader,
    queue: backup.queue,
    graph: backup.graph,
    alerts: { notifier: discovery.notifier, audit: api.deps.audit, clock: systemClock },
  });
  return {
    settings,
    version: appVersion(),
    api,
    clock: systemClock,
    storage,
    healthStorage: createStorageClients(settings, { maxTries: 1, tryTimeoutMs: 3000 }),
    tenants: backup.tenants,
    resources: backup.resources,
    snapshots: backup.snapshots,
    totals: backup.totals,
    queue: backup.queue,
    graph: backup.graph,
    repositoryFor: backup.repositoryFor,
    // Snapshots raise and resolve their alerts through the engine's onFinished hook.
    snapshotEngine: (log) => ({
      ...backup.engine(log),
      onFinished: discovery.onSnapshotFinished(log),
    }),
    discovery,
    restore,
  };
}

export const services: Services = createServices(loadSettings());
