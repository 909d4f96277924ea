import { DefaultAzureCredential, ManagedIdentityCredential } from '@azure/identity';
import { ByteBudget } from '../concurrency/byte-budget';
import { Semaphore } from '../concurrency/semaphore';
import type { Settings } from '../config/settings';
import { GraphClientFactory } from '../graph/graph-client';
import type { Logger } from '../observability/logger';
import { StorageJobQueue } from '../queues/job-queues';
import { ByteLruCache, masterKeyFromSettings, openRepository, type Repository } from '../repository';
import { ResourceStore } from '../resources/resource-store';
import { ResourceLeases } from '../storage/resource-lease';
import type { StorageClients } from '../storage/storage-clients';
import { Tables } from '../storage/tables';
import { TenantStore } from '../tenants/tenant-store';
import { systemClock, type Clock } from '../time/clock';
import { repositoryCache } from './repository-cache';
import { RunStateStore } from './run-state-store';
import type { SnapshotEngineDependencies } from './snapshot-engine';
import { SnapshotReader } from './snapshot-reader';
import { SnapshotStore } from './snapshot-store';
import { TenantTotalsStore } from './tenant-totals';
import { createWorkloadHandlers, type WorkloadHandlerOptions } from './workloads';

export interface BackupCoreOptions {
  clock?: Clock;
  /** Blob lease length for a resource being backed up (15-60 s). */
  leaseSeconds?: number;
  /** Delay before a job whose resource is busy tries again. */
  leaseRetrySeconds?: number;
  handlers?: WorkloadHandlerOptions;
}

/** The backup's collaborators, built from settings: the same wiring for the app, tests and benchmarks. */
export interface BackupCore {
  tables: Tables;
  tenants: TenantStore;
  resources: ResourceStore;
  snapshots: SnapshotStore;
  totals: TenantTotalsStore;
  queue: StorageJobQueue;
  graph: GraphClientFactory;
  repositoryFor(tenantId: string): Promise<Repository>;
  reader: SnapshotReader;
  /** Dependencies of one snapshot job, logging to `log`. */
  engine(log: Logger): SnapshotEngineDependencies;
}

export function createBackupCore(
  settings: Settings,
  storage: StorageClients,
  options: BackupCoreOptions = {},
): BackupCore {
  const clock = options.clock ?? systemClock;
  const tables = new Tables(storage);
  // Key Vault is reached with the app's managed identity (the one storage uses, when it names one).
  const masterKey = masterKeyFromSettings(
    settings,
    settings.KEY_VAULT_URI
      ? settings.AzureWebJobsStorage__clientId
        ? new ManagedIdentityCredential({ clientId: settings.AzureWebJobsStorage__clientId })
        : new DefaultAzureCredential()
      : undefined,
  );
  // The worker's memory is bounded per process, not per job or tenant: one budget for downloads in
  // flight, one set of pack upload slots and one read cache, shared by every tenant's repository.
  const MB = 1024 * 1024;
  const shared = {
    uploadSlots: new Semaphore(settings.BACKUP_PACK_UPLOADS),
    cache: new ByteLruCache(settings.BACKUP_READ_CACHE_MB * MB),
  };
  const downloadBuffers = new ByteBudget(settings.BACKUP_BUFFER_MB * MB);
  const repositoryFor = repositoryCache((tenantId) =>
    openRepository({ blobs: storage.blobs, tenantId, masterKey, shared }),
  );
  const graph = new GraphClientFactory({
    baseUrl: settings.GRAPH_BASE_URL,
    authorityHost: settings.ENTRA_AUTHORITY_HOST,
    clientId: settings.BACKUP_APP_CLIENT_ID,
    clientSecret: settings.BACKUP_APP_CLIENT_SECRET,
  });
  const tenants = new TenantStore(tables);
  const resources = new ResourceStore(tables);
  const snapshots = new SnapshotStore(tables);
  const totals = new TenantTotalsStore(tables);
  const queue = new StorageJobQueue(storage.queues);
  const leases = new ResourceLeases(storage.blobs, { durationSeconds: options.leaseSeconds ?? 60 });
  const runs = new RunStateStore(storage.blobs);
  const handlers = createWorkloadHandlers({ downloadBuffers, ...options.handlers });
  return {
    tables,
    tenants,
    resources,
    snapshots,
    totals,
    queue,
    graph,
    repositoryFor,
    reader: new SnapshotReader(snapshots, repositoryFor),
    engine: (log) => ({
      tenants,
      resources,
      snapshots,
      totals,
      leases,
      runs,
      queue,
      clock,
      graphFor: (tenantId) => graph.forTenant(tenantId),
      repositoryFor,
      handlers,
      budgetSeconds: settings.SNAPSHOT_JOB_BUDGET_SECONDS,
      ...(options.leaseRetrySeconds !== undefined ? { leaseRetrySeconds: options.leaseRetrySeconds } : {}),
      log,
    }),
  };
}
