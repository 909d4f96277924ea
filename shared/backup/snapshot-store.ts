import { randomBytes } from 'node:crypto';
import type { TableClient } from '@azure/data-tables';
import { AppError } from '../errors/app-error';
import { queryPage, TableNames, isStatus, odataString, type Tables } from '../storage/tables';
import {
  decodeSnapshotId,
  encodeSnapshotId,
  invertedTime,
  type SnapshotRecord,
  type SkippedItem,
} from './snapshot-record';

interface SnapshotEntity extends Omit<SnapshotRecord, 'snapshotId' | 'tenantId' | 'skipped'> {
  partitionKey: string;
  rowKey: string;
  skipped: string;
}

/** Snapshot records: partition = tenant, row = `<resource id>|<inverted time>|<random>`. */
export class SnapshotStore {
  constructor(private readonly tables: Tables) {}

  private table(): Promise<TableClient> {
    return this.tables.client(TableNames.snapshots);
  }

  /** A new snapshot id for a resource, ordered by start time (newest first). */
  newSnapshotId(tenantId: string, resourceId: string, startedAt: Date): string {
    return encodeSnapshotId(
      tenantId,
      `${resourceId}|${invertedTime(startedAt)}|${randomBytes(3).toString('hex')}`,
    );
  }

  async put(record: SnapshotRecord): Promise<void> {
    const table = await this.table();
    await table.upsertEntity(toEntity(record), 'Replace');
  }

  async get(snapshotId: string): Promise<SnapshotRecord> {
    const key = decodeSnapshotId(snapshotId);
    if (!key) throw new AppError('not-found', 'snapshot not found');
    const table = await this.table();
    try {
      return fromEntity(await table.getEntity<SnapshotEntity>(key.tenantId, key.rowKey));
    } catch (error) {
      if (isStatus(error, 404)) throw new AppError('not-found', 'snapshot not found');
      throw error;
    }
  }

  /** A resource's snapshots, newest first. */
  async *listForResource(tenantId: string, resourceId: string): AsyncGenerator<SnapshotRecord> {
    const table = await this.table();
    const filter =
      `PartitionKey eq ${odataString(tenantId)} and RowKey gt ${odataString(`${resourceId}|`)}` +
      ` and RowKey lt ${odataString(`${resourceId}|~`)}`;
    for await (const entity of table.listEntities<SnapshotEntity>({ queryOptions: { filter } })) {
      yield fromEntity(entity);
    }
  }

  /** One page of a resource's snapshots, newest first (one query). */
  async pageForResource(
    tenantId: string,
    resourceId: string,
    page: { limit: number; continuation?: string },
  ): Promise<{ items: SnapshotRecord[]; continuation?: string }> {
    const table = await this.table();
    const filter =
      `PartitionKey eq ${odataString(tenantId)} and RowKey gt ${odataString(`${resourceId}|`)}` +
      ` and RowKey lt ${odataString(`${resourceId}|~`)}`;
    return queryPage<SnapshotEntity, SnapshotRecord>(table, filter, page, (e) => fromEntity(e));
  }
}

function toEntity(record: SnapshotRecord): SnapshotEntity {
  const { snapshotId, tenantId: _tenant, skipped, ...rest } = record;
  const key = decodeSnapshotId(snapshotId);
  if (!key) throw new AppError('internal', `malformed snapshot id ${snapshotId}`);
  return { partitionKey: key.tenantId, rowKey: key.rowKey, ...rest, skipped: JSON.stringify(skipped) };
}

function fromEntity(entity: SnapshotEntity): SnapshotRecord {
  const { partitionKey, rowKey, skipped, ...rest } = entity as SnapshotEntity & {
    etag?: string;
    timestamp?: string;
  };
  delete rest.etag;
  delete rest.timestamp;
  return {
    ...(rest as Omit<SnapshotRecord, 'snapshotId' | 'tenantId' | 'skipped'>),
    snapshotId: encodeSnapshotId(partitionKey, rowKey),
    tenantId: partitionKey,
    skipped: JSON.parse(skipped) as SkippedItem[],
  };
}
