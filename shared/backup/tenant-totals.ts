import type { TableClient } from '@azure/data-tables';
import {
  workloadOf,
  workloads,
  type ResourceKind,
  type SnapshotStatus,
  type Workload,
} from '../resources/resource';
import { TableNames, isStatus, type Tables } from '../storage/tables';

export type Health = 'healthy' | 'warning' | 'failing';

export interface WorkloadTotals {
  healthy: number;
  warning: number;
  failing: number;
  lastGoodSnapshotAt: string | null;
}

/** What the dashboard reads in one point query, whatever the tenant's size. */
export interface TenantTotals {
  tenantId: string;
  /** Restore points: committed snapshots (completed, or completed with warnings). */
  snapshotCount: number;
  /** Sum over resources of their last good snapshot's logical size. */
  dataUnderProtectionBytes: number;
  workloads: Record<Workload, WorkloadTotals>;
}

export function healthOf(status: SnapshotStatus | undefined): Health | undefined {
  if (status === 'completed') return 'healthy';
  if (status === 'completed-with-warnings') return 'warning';
  if (status === 'failed') return 'failing';
  return undefined;
}

/** One snapshot's effect on its tenant's totals. */
export interface SnapshotOutcome {
  kind: ResourceKind;
  /** The resource's last snapshot status before this one (undefined: its first). */
  previousStatus: SnapshotStatus | undefined;
  status: SnapshotStatus;
  committed: boolean;
  /** Logical bytes of the previous good snapshot and of this one (when committed). */
  previousGoodBytes: number;
  logicalBytes: number;
  finishedAt: string;
}

type TotalsEntity = Record<string, string | number | null> & { partitionKey: string; rowKey: string };

const ROW = 'totals';

/**
 * Per-tenant totals, updated as each snapshot finishes with optimistic concurrency (ETag), so
 * many workers committing snapshots of one tenant never lose an update.
 */
export class TenantTotalsStore {
  constructor(private readonly tables: Tables) {}

  private table(): Promise<TableClient> {
    return this.tables.client(TableNames.tenantStats);
  }

  async get(tenantId: string): Promise<TenantTotals> {
    const table = await this.table();
    try {
      return fromEntity(tenantId, (await table.getEntity<TotalsEntity>(tenantId, ROW)) as TotalsEntity);
    } catch (error) {
      if (isStatus(error, 404)) return fromEntity(tenantId, { partitionKey: tenantId, rowKey: ROW });
      throw error;
    }
  }

  async apply(tenantId: string, outcome: SnapshotOutcome): Promise<void> {
    const table = await this.table();
    for (let attempt = 0; ; attempt++) {
      let entity: TotalsEntity;
      let etag: string | undefined;
      try {
        const found = await table.getEntity<TotalsEntity>(tenantId, ROW);
        entity = found as TotalsEntity;
        etag = found.etag;
      } catch (error) {
        if (!isStatus(error, 404)) throw error;
        entity = { partitionKey: tenantId, rowKey: ROW };
      }
      const totals = fromEntity(tenantId, entity);
      change(totals, outcome);
      try {
        if (etag) await table.updateEntity(toEntity(totals), 'Replace', { etag });
        else await table.createEntity(toEntity(totals));
        return;
      } catch (error) {
        // Someone else updated (412) or created (409) it first: read again and re-apply.
        if ((isStatus(error, 412) || isStatus(error, 409)) && attempt < 20) continue;
        throw error;
      }
    }
  }
}

function change(totals: TenantTotals, outcome: SnapshotOutcome): void {
  const workload = totals.workloads[workloadOf[outcome.kind]];
  const before = healthOf(outcome.previousStatus);
  const after = healthOf(outcome.status);
  if (before) workload[before] = Math.max(0, workload[before] - 1);
  if (after) workload[after]++;
  if (outcome.committed) {
    totals.snapshotCount++;
    totals.dataUnderProtectionBytes += outcome.logicalBytes - outcome.previousGoodBytes;
    if (!workload.lastGoodSnapshotAt || workload.lastGoodSnapshotAt < outcome.finishedAt) {
      workload.lastGoodSnapshotAt = outcome.finishedAt;
    }
  }
}

function toEntity(totals: TenantTotals): TotalsEntity {
  const entity: TotalsEntity = {
    partitionKey: totals.tenantId,
    rowKey: ROW,
    snapshotCount: totals.snapshotCount,
    dataUnderProtectionBytes: totals.dataUnderProtectionBytes,
  };
  for (const w of workloads) {
    const t = totals.workloads[w];
    entity[`${w}Healthy`] = t.healthy;
    entity[`${w}Warning`] = t.warning;
    entity[`${w}Failing`] = t.failing;
    entity[`${w}LastGoodSnapshotAt`] = t.lastGoodSnapshotAt;
  }
  return entity;
}

function fromEntity(tenantId: string, entity: TotalsEntity): TenantTotals {
  const num = (key: string) => Number(entity[key] ?? 0);
  const perWorkload = Object.fromEntries(
    workloads.map((w) => [
      w,
      {
        healthy: num(`${w}Healthy`),
        warning: num(`${w}Warning`),
        failing: num(`${w}Failing`),
        lastGoodSnapshotAt: (entity[`${w}LastGoodSnapshotAt`] as string | null | undefined) ?? null,
      },
    ]),
  ) as Record<Workload, WorkloadTotals>;
  return {
    tenantId,
    snapshotCount: num('snapshotCount'),
    dataUnderProtectionBytes: num('dataUnderProtectionBytes'),
    workloads: perWorkload,
  };
}
