import type { TableClient } from '@azure/data-tables';
import { AppError } from '../errors/app-error';
import { queryPage, TableNames, isStatus, odataString, type Tables } from '../storage/tables';
import type { Resource, ResourceKind } from './resource';

type ResourceEntity = Omit<Resource, 'tenantId' | 'resourceId'> & { partitionKey: string; rowKey: string };

/** Resources of all tenants: partition = tenant id, row = resource id. */
export class ResourceStore {
  constructor(private readonly tables: Tables) {}

  private table(): Promise<TableClient> {
    return this.tables.client(TableNames.resources);
  }

  async get(tenantId: string, resourceId: string): Promise<Resource> {
    const table = await this.table();
    try {
      return fromEntity(await table.getEntity<ResourceEntity>(tenantId, resourceId));
    } catch (error) {
      if (isStatus(error, 404)) throw new AppError('not-found', `resource ${resourceId} not found`);
      throw error;
    }
  }

  async put(resource: Resource): Promise<void> {
    const table = await this.table();
    await table.upsertEntity(toEntity(resource), 'Replace');
  }

  /**
   * Adds a resource that is not stored yet; false when it already is (another discovery pass got
   * there first), which is left untouched: a replace would undo what happened to it since.
   */
  async create(resource: Resource): Promise<boolean> {
    const table = await this.table();
    try {
      await table.createEntity(toEntity(resource));
      return true;
    } catch (error) {
      if (isStatus(error, 409)) return false;
      throw error;
    }
  }

  /**
   * Changes a resource as it is stored now: `change` sees the current row and returns the fields to
   * merge (or undefined: nothing to do); the write is guarded by the row's ETag and retried on a race.
   * Returns the row before and after, so whatever counts the change (the dashboard, licences) counts
   * what really happened, once, however many passes and requests run at the same time.
   */
  async transition(
    tenantId: string,
    resourceId: string,
    change: (current: Resource) => Partial<Resource> | undefined,
  ): Promise<{ before: Resource; after: Resource } | undefined> {
    const table = await this.table();
    for (let attempt = 0; ; attempt++) {
      let entity: ResourceEntity & { etag: string };
      try {
        entity = await table.getEntity<ResourceEntity>(tenantId, resourceId);
      } catch (error) {
        if (isStatus(error, 404)) throw new AppError('not-found', `resource ${resourceId} not found`);
        throw error;
      }
      const before = fromEntity(entity);
      const fields = change(before);
      if (!fields) return undefined;
      const { tenantId: _t, resourceId: _r, ...rest } = fields;
      try {
        await table.updateEntity({ partitionKey: tenantId, rowKey: resourceId, ...rest }, 'Merge', {
          etag: entity.etag,
        });
        return { before, after: { ...before, ...rest } };
      } catch (error) {
        if (isStatus(error, 412) && attempt < 20) continue;
        throw error;
      }
    }
  }

  /** Merges the given fields into a resource (the rest is untouched). */
  async update(tenantId: string, resourceId: string, fields: Partial<Resource>): Promise<void> {
    const table = await this.table();
    const { tenantId: _t, resourceId: _r, ...rest } = fields;
    await table.updateEntity({ partitionKey: tenantId, rowKey: resourceId, ...rest }, 'Merge');
  }

  async *list(
    tenantId: string,
    filter: { kind?: ResourceKind; protectedOnly?: boolean } = {},
  ): AsyncGenerator<Resource> {
    const table = await this.table();
    const clauses = [`PartitionKey eq ${odataString(tenantId)}`];
    if (filter.kind) clauses.push(`kind eq ${odataString(filter.kind)}`);
    if (filter.protectedOnly) clauses.push('protected eq true');
    for await (const entity of table.listEntities<ResourceEntity>({
      queryOptions: { filter: clauses.join(' and ') },
    })) {
      yield fromEntity(entity);
    }
  }

  /** One page of a tenant's resources (one query; a page may be short while more follow). */
  async page(
    tenantId: string,
    filter: {
      /** One kind, or several (e.g. sites and groups: one query over their row-key ranges). */
      kind?: ResourceKind | readonly ResourceKind[];
      state?: Resource['state'];
      protected?: boolean;
    },
    page: { limit: number; continuation?: string },
  ): Promise<{ items: Resource[]; continuation?: string }> {
    const table = await this.table();
    const clauses = [`PartitionKey eq ${odataString(tenantId)}`];
    const kinds =
      filter.kind === undefined ? [] : typeof filter.kind === 'string' ? [filter.kind] : filter.kind;
    const ranges = kinds.map(
      (kind) => `(RowKey gt ${odataString(`${kind}:`)} and RowKey lt ${odataString(`${kind};`)})`,
    );
    if (ranges.length > 0) clauses.push(ranges.length === 1 ? ranges[0]! : `(${ranges.join(' or ')})`);
    if (filter.state) clauses.push(`state eq ${odataString(filter.state)}`);
    if (filter.protected !== undefined) clauses.push(`protected eq ${filter.protected}`);
    return queryPage<ResourceEntity, Resource>(table, clauses.join(' and '), page, (e) => fromEntity(e));
  }
}

function toEntity(resource: Resource): ResourceEntity {
  const { tenantId, resourceId, ...rest } = resource;
  return { partitionKey: tenantId, rowKey: resourceId, ...rest };
}

function fromEntity(entity: ResourceEntity & Record<string, unknown>): Resource {
  const { partitionKey, rowKey, etag: _etag, timestamp: _ts, ...rest } = entity;
  return {
    ...(rest as Omit<Resource, 'tenantId' | 'resourceId'>),
    tenantId: partitionKey,
    resourceId: rowKey,
  };
}
