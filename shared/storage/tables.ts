import { RestError } from '@azure/storage-blob';
import type { TableClient, TableEntity, TableEntityResult, TransactionAction } from '@azure/data-tables';
import { oncePerKey } from '../concurrency/once';
import { AppError } from '../errors/app-error';
import type { StorageClients } from './storage-clients';

/** Every table the app uses. Names: alphanumeric, 3-63 characters (Azure's rule). */
export const TableNames = {
  tenants: 'tenants',
  resources: 'resources',
  snapshots: 'snapshots',
  tenantStats: 'tenantstats',
  audit: 'audit',
  support: 'support',
  serviceHealth: 'servicehealth',
  restoreJobs: 'restorejobs',
  verificationCodes: 'verificationcodes',
  exportJobs: 'exportjobs',
  notifications: 'notifications',
  licences: 'licences',
  discoveryState: 'discoverystate',
  subscriptions: 'subscriptions',
  consentStates: 'consentstates',
} as const;
export type TableName = (typeof TableNames)[keyof typeof TableNames];

/** Table clients that create their table on first use (tolerant of "already exists"). */
export class Tables {
  readonly client: (name: TableName) => Promise<TableClient>;

  constructor(storage: StorageClients) {
    this.client = oncePerKey(async (name: TableName) => {
      const client = storage.table(name);
      await client.createTable();
      return client;
    });
  }
}

/**
 * Upserts many entities with as few requests as possible: entity group transactions of up to 100
 * operations per partition (one request each instead of one per entity).
 */
export async function upsertMany<T extends object>(
  client: TableClient,
  entities: TableEntity<T>[],
  mode: 'Merge' | 'Replace' = 'Merge',
): Promise<void> {
  const byPartition = new Map<string, TableEntity<T>[]>();
  for (const entity of entities) {
    const list = byPartition.get(entity.partitionKey) ?? [];
    list.push(entity);
    byPartition.set(entity.partitionKey, list);
  }
  for (const group of byPartition.values()) {
    for (let i = 0; i < group.length; i += 100) {
      const actions: TransactionAction[] = group.slice(i, i + 100).map((e) => ['upsert', e, mode]);
      await client.submitTransaction(actions);
    }
  }
}

/**
 * Merges `fields` into rows that exist, with as few requests as possible: entity group
 * transactions of up to 100 `update` operations per partition (`If-Match: *`, so a row is never
 * created). A batch that fails because one of its rows is gone (404) is retried row by row,
 * skipping the missing ones. Returns how many rows were updated.
 */
export async function mergeExisting(
  client: TableClient,
  keys: { partitionKey: string; rowKey: string }[],
  fields: Record<string, unknown>,
): Promise<number> {
  const byPartition = new Map<string, string[]>();
  for (const { partitionKey, rowKey } of keys) {
    const list = byPartition.get(partitionKey) ?? [];
    list.push(rowKey);
    byPartition.set(partitionKey, list);
  }
  let updated = 0;
  for (const [partitionKey, rowKeys] of byPartition) {
    for (let i = 0; i < rowKeys.length; i += 100) {
      const batch = rowKeys.slice(i, i + 100).map((rowKey) => ({ partitionKey, rowKey, ...fields }));
      try {
        await client.submitTransaction(batch.map((e) => ['update', e, 'Merge', { etag: '*' }]));
        updated += batch.length;
      } catch (error) {
        if (!isStatus(error, 404)) throw error;
        for (const entity of batch) {
          try {
            await client.updateEntity(entity, 'Merge', { etag: '*' });
            updated += 1;
          } catch (rowError) {
            if (!isStatus(rowError, 404)) throw rowError;
          }
        }
      }
    }
  }
  return updated;
}

/**
 * Read-modify-write of one entity, guarded by its ETag: reads it, applies `change` to the value
 * `codec.from` makes of it, and replaces it only if nobody changed it in between; on a 412 it reads
 * again and reapplies, up to `attempts` times (then `unavailable`). A missing entity is
 * `not-found` with `notFound` as the message; `change` may throw to refuse.
 */
export async function modifyEntity<E extends object, T>(
  table: TableClient,
  key: { partitionKey: string; rowKey: string },
  codec: { from(entity: E): T; to(value: T): E & { partitionKey: string; rowKey: string } },
  change: (value: T) => T,
  options: { notFound: string; attempts?: number },
): Promise<T> {
  const attempts = options.attempts ?? 8;
  for (let attempt = 1; ; attempt++) {
    let entity: TableEntityResult<E>;
    try {
      entity = await table.getEntity<E>(key.partitionKey, key.rowKey);
    } catch (error) {
      if (isStatus(error, 404)) throw new AppError('not-found', options.notFound);
      throw error;
    }
    const changed = change(codec.from(entity));
    try {
      await table.updateEntity(codec.to(changed), 'Replace', { etag: entity.etag });
      return changed;
    } catch (error) {
      if (!isStatus(error, 412)) throw error;
      if (attempt >= attempts) {
        throw new AppError(
          'unavailable',
          `${key.rowKey} kept changing while a change was applied; try again`,
        );
      }
    }
  }
}

export function isStatus(error: unknown, status: number): boolean {
  return (
    (error instanceof RestError || (typeof error === 'object' && error !== null && 'statusCode' in error)) &&
    (error as { statusCode?: number }).statusCode === status
  );
}

/** OData filter literal for a string (single quotes doubled). */
export function odataString(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

/** One page of a table query, and where the next one starts (an opaque continuation). */
export interface TablePage<T> {
  items: T[];
  continuation?: string;
}

/** One page of a filtered query: one request to Table Storage, whatever the table's size. */
export async function queryPage<E extends object, T>(
  table: TableClient,
  filter: string,
  page: { limit: number; continuation?: string },
  map: (entity: TableEntityResult<E>) => T,
): Promise<TablePage<T>> {
  const result = await table
    .listEntities<E>({ queryOptions: { filter } })
    .byPage({
      maxPageSize: page.limit,
      ...(page.continuation ? { continuationToken: page.continuation } : {}),
    })
    .next();
  if (result.done) return { items: [] };
  return {
    items: result.value.map(map),
    ...(result.value.continuationToken ? { continuation: result.value.continuationToken } : {}),
  };
}
