import { DefaultAzureCredential, ManagedIdentityCredential } from '@azure/identity';
import type { ApiRuntime } from '../api/api-dependencies';
import { createApiRuntime } from '../api/api-runtime';
import { createWorkloadHandlers } from '../backup/workloads';
import { repositoryCache } from '../backup/repository-cache';
import { RunStateStore } from '../backup/run-state-store';
import type { SnapshotEngineDependencies } from '../backup/snapshot-engine';
import { SnapshotReader } from '../backup/snapshot-reader';
import { SnapshotStore } from '../backup/snapshot-store';
import { TenantTotalsStore } from '../backup/tenant-totals';
import { appVersion } from '../config/app-version';
import { loadSettings, type Settings } from '../config/settings';
import { GraphClientFactory } from '../graph/graph-client';
import type { Logger } from '../observability/logger';
import { StorageJobQueue } from '../queues/job-queues';
import {
  KeyVaultMasterKey,
  LocalMasterKey,
  openRepository,
  type MasterKeyProvider,
  type Repository,
} from '../repository';
import { ResourceStore } from '../resources/resource-store';
import { ResourceLeases } from '../storage/resource-lease';
import { createStorageClients, type StorageClients } from '../storage/storage-clients';
import { Tables } from '../storage/tables';
import { TenantStore } from '../tenants/tenant-store';
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
}

function masterKeyFrom(settings: Settings): MasterKeyProvider {
  if (settings.BACKUP_MASTER_KEY)
    return new LocalMasterKey(Buffer.from(settings.BACKUP_MASTER_KEY, 'base64'));
  const credential = settings.AzureWebJobsStorage__clientId
    ? new ManagedIdentityCredential({ clientId: settings.AzureWebJobsStorage__clientId })
    : new DefaultAzureCredential();
  return KeyVaultMasterKey.fromSettings(settings.KEY_VAULT_URI!, settings.KEY_VAULT_KEY_NAME!, credential);
}

/** For collaborators that outlive one invocation (one JSON line each, like the host's). */
const processLogger: Logger = {
  info: (message, properties) => console.log(JSON.stringify({ level: 'info', message, ...properties })),
  warn: (message, properties) => console.warn(JSON.stringify({ level: 'warn', message, ...properties })),
  error: (message, properties) => console.error(JSON.stringify({ level: 'error', message, ...properties })),
};

function createServices(settings: Settings): Services {
  const storage = createStorageClients(settings);
  const tables = new Tables(storage);
  const masterKey = masterKeyFrom(settings);
  const repositoryFor = repositoryCache((tenantId) =>
    openRepository({ blobs: storage.blobs, tenantId, masterKey }),
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
  const leases = new ResourceLeases(storage.blobs);
  const runs = new RunStateStore(storage.blobs);
  const handlers = createWorkloadHandlers();
  const api = createApiRuntime({
    settings,
    tables,
    clock: systemClock,
    tenants,
    resources,
    snapshots,
    totals,
    reader: new SnapshotReader(snapshots, repositoryFor),
    queue,
    log: processLogger,
  });
  return {
    settings,
    version: appVersion(),
    api,
    clock: systemClock,
    storage,
    healthStorage: createStorageClients(settings, { maxTries: 1, tryTimeoutMs: 3000 }),
    tenants,
    resources,
    snapshots,
    totals,
    queue,
    graph,
    repositoryFor,
    snapshotEngine: (log) => ({
      tenants,
      resources,
      snapshots,
      totals,
      leases,
      runs,
      queue,
      clock: systemClock,
      graphFor: (tenantId) => graph.forTenant(tenantId),
      repositoryFor,
      handlers,
      budgetSeconds: settings.SNAPSHOT_JOB_BUDGET_SECONDS,
      log,
    }),
  };
}

export const services: Services = createServices(loadSettings());
