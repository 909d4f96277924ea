import type { TableClient } from '@azure/data-tables';
import { TableNames, isStatus, type Tables } from '../storage/tables';
import { resourceKinds, type Resource, type ResourceKind } from './resource';

/** Per kind: resources discovered (not gone) and protected, for the dashboard. */
export type ResourceCounts = Record<ResourceKind, { discovered: number; protected: number }>;

export type ResourceCountsDelta = Partial<Record<ResourceKind, { discovered?: number; protected?: number }>>;

type CountsEntity = Record<string, string | number> & { partitionKey: string; rowKey: string };

const ROW = 'resource-counts';

export function emptyCounts(): ResourceCounts {
  return Object.fromEntries(resourceKinds.map((k) => [k, { discovered: 0, protected: 0 }])) as ResourceCounts;
}

/** What a change of a resource from `before` to `after` does to the counts (added into `into`). */
export function countsChange(
  before: Pick<Resource, 'kind' | 'state' | 'protected'>,
  after: Pick<Resource, 'kind' | 'state' | 'protected'>,
  into: ResourceCountsDelta = {},
): ResourceCountsDelta {
  for (const [side, sign] of [
    [after, 1],
    [before, -1],
  ] as const) {
    for (const [kind, c] of Object.entries(countsOf(side)) as [
      ResourceKind,
      { discovered: number; protected: number },
    ][]) {
      const slot = (into[kind] ??= {});
      slot.discovered = (slot.discovered ?? 0) + sign * c.discovered;
      slot.protected = (slot.protected ?? 0) + sign * c.protected;
    }
  }
  return into;
}

/** How a resource counts: every resource not gone is discovered; protected ones (not gone) are protected. */
export function countsOf(resource: Pick<Resource, 'kind' | 'state' | 'protected'>): ResourceCountsDelta {
  if (resource.state === 'gone') return {};
  return { [resource.kind]: { discovered: 1, protected: resource.protected ? 1 : 0 } };
}

/**
 * Per-tenant resource counts kept in one row next to the snapshot totals (tenantstats), so the
 * dashboard reads them with one point query. Discovery and protection (issue 5) maintain them
 * with `adjust` as resources appear, change protection or go; `recount` rebuilds them from the
 * resources table (daily reconciliation, or repair).
 */
export class ResourceCountsStore {
  constructor(private readonly tables: Tables) {}

  private table(): Promise<TableClient> {
    return this.tables.client(TableNames.tenantStats);
  }

  async get(tenantId: string): Promise<ResourceCounts> {
    const table = await this.table();
    try {
      return fromEntity(await table.getEntity<CountsEntity>(tenantId, ROW));
    } catch (error) {
      if (isStatus(error, 404)) return emptyCounts();
      throw error;
    }
  }

  /** True when the tenant has a counts row (every counted change since then has adjusted it). */
  async exists(tenantId: string): Promise<boolean> {
    const table = await this.table();
    try {
      await table.getEntity<CountsEntity>(tenantId, ROW, { queryOptions: { select: ['PartitionKey'] } });
      return true;
    } catch (error) {
      if (isStatus(error, 404)) return false;
      throw error;
    }
  }

  async set(tenantId: string, counts: ResourceCounts): Promise<void> {
    await (await this.table()).upsertEntity(toEntity(tenantId, counts), 'Replace');
  }

  /** Adds the deltas (ETag-guarded read-modify-write, safe with many writers). */
  async adjust(tenantId: string, delta: ResourceCountsDelta): Promise<void> {
    const table = await this.table();
    for (let attempt = 0; ; attempt++) {
      let counts = emptyCounts();
      let etag: string | undefined;
      try {
        const found = await table.getEntity<CountsEntity>(tenantId, ROW);
        counts = fromEntity(found);
        etag = found.etag;
      } catch (error) {
        if (!isStatus(error, 404)) throw error;
      }
      for (const [kind, d] of Object.entries(delta) as [
        ResourceKind,
        { discovered?: number; protected?: number },
      ][]) {
        counts[kind].discovered = Math.max(0, counts[kind].discovered + (d.discovered ?? 0));
        counts[kind].protected = Math.max(0, counts[kind].protected + (d.protected ?? 0));
      }
      try {
        if (etag) await table.updateEntity(toEntity(tenantId, counts), 'Replace', { etag });
        else await table.createEntity(toEntity(tenantId, counts));
        return;
      } catch (error) {
        if ((isStatus(error, 412) || isStatus(error, 409)) && attempt < 20) continue;
        throw error;
      }
    }
  }

  /** Rebuilds the counts from the tenant's resources (a scan: for reconciliation, not requests). */
  async recount(tenantId: string, resources: AsyncIterable<Resource>): Promise<ResourceCounts> {
    const counts = emptyCounts();
    for await (const resource of resources) {
      if (resource.state === 'gone') continue;
      counts[resource.kind].discovered++;
      if (resource.protected) counts[resource.kind].protected++;
    }
    await this.set(tenantId, counts);
    return counts;
  }
}

function toEntity(tenantId: string, counts: ResourceCounts): CountsEntity {
  const entity: CountsEntity = { partitionKey: tenantId, rowKey: ROW };
  for (const kind of resourceKinds) {
    entity[`${kind}Discovered`] = counts[kind].discovered;
    entity[`${kind}Protected`] = counts[kind].protected;
  }
  return entity;
}

function fromEntity(entity: CountsEntity): ResourceCounts {
  const counts = emptyCounts();
  for (const kind of resourceKinds) {
    counts[kind].discovered = Number(entity[`${kind}Discovered`] ?? 0);
    counts[kind].protected = Number(entity[`${kind}Protected`] ?? 0);
  }
  return counts;
}
