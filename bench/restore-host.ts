/**
 * What the restore benchmarks share (bench:restore and bench:restore:variants): the waits for a
 * snapshot or a job, and the restore core they create jobs with.
 */
import type { RunningSimulator } from '../dev/simulator';
import { createBackupCore } from '../shared/backup/backup-core';
import type { SnapshotRecord } from '../shared/backup/snapshot-record';
import type { SnapshotStore } from '../shared/backup/snapshot-store';
import type { Settings } from '../shared/config/settings';
import { GraphClientFactory } from '../shared/graph/graph-client';
import type { ResourceStore } from '../shared/resources/resource-store';
import { createRestoreCore, type RestoreCore } from '../shared/restore/restore-core';
import { systemClock } from '../shared/time/clock';
import type { BenchStores } from './bench-stack';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The snapshot of run `runId` of a resource once it has finished (30 minutes at most). */
export async function waitForSnapshot(
  resources: ResourceStore,
  snapshots: SnapshotStore,
  tenantId: string,
  resourceId: string,
  runId: string,
): Promise<SnapshotRecord> {
  const deadline = Date.now() + 30 * 60_000;
  while (Date.now() < deadline) {
    const resource = await resources.get(tenantId, resourceId);
    if (resource.lastSnapshotId) {
      const record = await snapshots.get(resource.lastSnapshotId);
      if (record.runId === runId && record.status !== 'running') return record;
    }
    await sleep(500);
  }
  throw new Error(`the snapshot of ${resourceId} did not finish in 30 minutes`);
}

/** Polls a job until `done` says it is (30 minutes at most). */
export async function waitFor<T extends { state: string }>(
  read: () => Promise<T>,
  done: (job: T) => boolean,
  what: string,
): Promise<T> {
  const deadline = Date.now() + 30 * 60_000;
  while (Date.now() < deadline) {
    const job = await read();
    if (done(job)) return job;
    await sleep(200);
  }
  throw new Error(`${what} did not finish in 30 minutes`);
}

/** The restore and export core the benchmarks create and watch jobs with (the host runs them). */
export function benchRestoreCore(
  settings: Settings,
  stores: BenchStores,
  sim: RunningSimulator,
): RestoreCore {
  return createRestoreCore({
    settings,
    storage: stores.storage,
    clock: systemClock,
    tenants: stores.tenants,
    resources: stores.resources,
    reader: createBackupCore(settings, stores.storage).reader,
    queue: stores.queue,
    graph: new GraphClientFactory({
      baseUrl: sim.graphBaseUrl,
      authorityHost: sim.authorityHost,
      clientId: sim.app.clientId,
      clientSecret: sim.app.clientSecret,
    }),
  });
}
