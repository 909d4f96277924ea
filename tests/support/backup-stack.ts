import { QueueClient } from '@azure/storage-queue';
import { startAzurite, type RunningAzurite } from '../../dev/azurite';
import { startSimulator, type RunningSimulator, type SimulatorLimits } from '../../dev/simulator';
import type { TenantShape } from '../../dev/simulator/generator/contract';
import {
  runSnapshotJob,
  type SnapshotEngineDependencies,
  type SnapshotJobOutcome,
} from '../../shared/backup/snapshot-engine';
import type { SnapshotJob } from '../../shared/backup/snapshot-job';
import type { SnapshotReader } from '../../shared/backup/snapshot-reader';
import type { SnapshotRecord } from '../../shared/backup/snapshot-record';
import type { Settings } from '../../shared/config/settings';
import { createBackupCore } from '../../shared/backup/backup-core';
import { silentLogger } from '../../shared/observability/logger';
import { QueueNames } from '../../shared/queues/job-queues';
import { resourceIdOf, type Resource, type ResourceKind } from '../../shared/resources/resource';
import { createStorageClients, type StorageClients } from '../../shared/storage/storage-clients';
import { testSettings } from './settings';

export interface BackupStackOptions {
  seed?: number;
  shape?: Partial<TenantShape>;
  limits?: Partial<SimulatorLimits>;
  budgetSeconds?: number;
  /** Further app settings (e.g. the worker's memory budget). */
  settings?: Record<string, string>;
}

/**
 * Azurite + the simulator + the backup core wired as the app wires it (same classes, settings
 * pointing at the local stand-ins). Jobs run in-process through `runSnapshotJob`.
 */
export class BackupStack {
  private constructor(
    readonly azurite: RunningAzurite,
    readonly simulator: RunningSimulator,
    readonly settings: Settings,
    readonly storage: StorageClients,
    readonly deps: SnapshotEngineDependencies,
    readonly reader: SnapshotReader,
  ) {}

  static async start(options: BackupStackOptions = {}): Promise<BackupStack> {
    const certDir = process.env.M365_SIM_CERT_DIR;
    const [azurite, simulator] = await Promise.all([
      startAzurite(),
      startSimulator({
        seed: options.seed ?? 7,
        tenants: 1,
        ...(options.shape ? { shape: options.shape } : {}),
        ...(options.limits ? { limits: options.limits } : {}),
        ...(certDir ? { certDir } : {}),
      }),
    ]);
    const settings = testSettings({
      AzureWebJobsStorage: azurite.connectionString,
      GRAPH_BASE_URL: simulator.graphBaseUrl,
      ENTRA_AUTHORITY_HOST: simulator.authorityHost,
      BACKUP_APP_CLIENT_ID: simulator.app.clientId,
      BACKUP_APP_CLIENT_SECRET: simulator.app.clientSecret,
      SNAPSHOT_JOB_BUDGET_SECONDS: String(options.budgetSeconds ?? 300),
      ...options.settings,
    });
    const storage = createStorageClients(settings);
    const core = createBackupCore(settings, storage, { leaseSeconds: 15, leaseRetrySeconds: 1 });
    const deps = core.engine(silentLogger);
    return new BackupStack(azurite, simulator, settings, storage, deps, core.reader);
  }

  get tenantId(): string {
    return this.simulator.tenants[0]!.tenantId;
  }

  async stop(): Promise<void> {
    await Promise.allSettled([this.simulator.stop(), this.azurite.stop()]);
  }

  /** Onboards the simulator's tenant as an active customer. */
  async onboard(): Promise<void> {
    const now = new Date().toISOString();
    await this.deps.tenants.put({
      tenantId: this.tenantId,
      displayName: this.simulator.tenants[0]!.displayName,
      plan: 'full',
      licences: 1000,
      premiumSupport: false,
      adminContactEmail: `admin@${this.simulator.tenants[0]!.domain}`,
      timeZone: 'UTC',
      status: 'active',
      autoProtect: { mailbox: false, onedrive: false, site: false, group: false },
      createdAt: now,
      updatedAt: now,
    });
  }

  /** Marks a resource protected directly through the core (discovery comes later). */
  async protect(kind: ResourceKind, graphId: string, displayName = graphId): Promise<Resource> {
    const now = new Date().toISOString();
    const resource: Resource = {
      tenantId: this.tenantId,
      resourceId: resourceIdOf(kind, graphId),
      kind,
      graphId,
      displayName,
      address: displayName,
      state: 'protected',
      protected: true,
      firstSeenAt: now,
      lastSeenAt: now,
      protectedAt: now,
      consecutiveFailures: 0,
    };
    await this.deps.resources.put(resource);
    return resource;
  }

  /** Runs a resource's snapshot to the end, following continuations; returns every outcome. */
  async snapshot(resourceId: string, reason: SnapshotJob['reason'] = 'manual'): Promise<SnapshotRecord> {
    const outcomes = await this.snapshotOutcomes(resourceId, reason);
    const last = outcomes[outcomes.length - 1]!;
    if (last.kind !== 'finished') throw new Error(`snapshot did not finish: ${JSON.stringify(last)}`);
    return last.record;
  }

  async snapshotOutcomes(
    resourceId: string,
    reason: SnapshotJob['reason'] = 'manual',
  ): Promise<SnapshotJobOutcome[]> {
    const job: SnapshotJob = {
      tenantId: this.tenantId,
      resourceId,
      reason,
      runId: `test-${Date.now()}`,
      requestedAt: new Date().toISOString(),
    };
    const outcomes: SnapshotJobOutcome[] = [];
    let next: SnapshotJob | undefined = job;
    while (next) {
      const outcome = await runSnapshotJob(this.deps, next);
      outcomes.push(outcome);
      next = undefined;
      if (outcome.kind === 'continued') next = await this.takeContinuation();
      if (outcomes.length > 500) throw new Error('snapshot did not converge');
    }
    return outcomes;
  }

  /** Takes the continuation message the engine queued (the test plays the queue trigger). */
  private async takeContinuation(): Promise<SnapshotJob> {
    const queue = new QueueClient(this.azurite.connectionString, QueueNames.snapshotJobs);
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      const { receivedMessageItems } = await queue.receiveMessages({
        numberOfMessages: 1,
        visibilityTimeout: 30,
      });
      const message = receivedMessageItems[0];
      if (message) {
        await queue.deleteMessage(message.messageId, message.popReceipt);
        const job = JSON.parse(Buffer.from(message.messageText, 'base64').toString('utf8')) as SnapshotJob;
        if (job.reason === 'continuation') return job;
      }
    }
    throw new Error('no continuation message was queued');
  }
}
