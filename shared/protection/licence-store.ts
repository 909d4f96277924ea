import type { TableClient } from '@azure/data-tables';
import { AppError } from '../errors/app-error';
import { TableNames, isStatus, odataString, type Tables } from '../storage/tables';

interface CounterEntity {
  partitionKey: string;
  rowKey: string;
  used: number;
}

const COUNTER = 'count';
const USER = 'user|';

/** How many tries an assignment makes when other assignments change the counter under it. */
const MAX_ATTEMPTS = 50;

/**
 * User licences per tenant: partition = tenant, one row per licensed user and a counter row. The
 * counter is changed only with its ETag (optimistic concurrency), so concurrent assignments are
 * serialised by Table Storage and can never hand out more licences than the tenant has.
 */
export class LicenceStore {
  constructor(private readonly tables: Tables) {}

  private table(): Promise<TableClient> {
    return this.tables.client(TableNames.licences);
  }

  async used(tenantId: string): Promise<number> {
    return (await this.readCounter(await this.table(), tenantId)).used;
  }

  async holders(tenantId: string): Promise<Set<string>> {
    const table = await this.table();
    const users = new Set<string>();
    for await (const entity of table.listEntities({
      queryOptions: {
        filter: `PartitionKey eq ${odataString(tenantId)} and RowKey gt ${odataString(USER)} and RowKey lt ${odataString('user}')}`,
      },
    })) {
      users.add(String(entity.rowKey).slice(USER.length));
    }
    return users;
  }

  /**
   * Assigns one licence to each user that has none; all or nothing. Throws `conflict` naming how
   * many were asked and how many are free (in `details`, under `field`: the request field that
   * named the users). Returns the users that got a licence now.
   */
  async assign(
    tenantId: string,
    userIds: readonly string[],
    total: number,
    options: { field?: string } = {},
  ): Promise<string[]> {
    const table = await this.table();
    const held = await this.holders(tenantId);
    const wanted = [...new Set(userIds)].filter((id) => !held.has(id));
    if (wanted.length === 0) return [];
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const counter = await this.readCounter(table, tenantId);
      const free = Math.max(0, total - counter.used);
      if (wanted.length > free) {
        throw new AppError(
          'conflict',
          `not enough licences: ${wanted.length} user(s) asked, ${free} of ${total} free; nothing was enabled`,
          {
            details: [
              { field: options.field ?? 'body.userIds', message: `${wanted.length} asked, ${free} free` },
            ],
          },
        );
      }
      try {
        await this.writeCounter(table, tenantId, counter.used + wanted.length, counter.etag);
      } catch (error) {
        if (isStatus(error, 412) || isStatus(error, 409)) continue; // another assignment won: recount
        throw error;
      }
      try {
        await Promise.all(
          wanted.map((userId) =>
            table.upsertEntity({ partitionKey: tenantId, rowKey: USER + userId }, 'Replace'),
          ),
        );
      } catch (error) {
        await this.adjust(tenantId, -wanted.length);
        throw error;
      }
      return wanted;
    }
    throw new AppError('unavailable', 'licences are being changed by many requests at once; try again');
  }

  /** Frees the users' licences; returns how many were freed. */
  async release(tenantId: string, userIds: readonly string[]): Promise<number> {
    const table = await this.table();
    let freed = 0;
    for (const userId of new Set(userIds)) {
      try {
        await table.deleteEntity(tenantId, USER + userId);
        freed += 1;
      } catch (error) {
        if (!isStatus(error, 404)) throw error;
      }
    }
    if (freed > 0) await this.adjust(tenantId, -freed);
    return freed;
  }

  private async adjust(tenantId: string, delta: number): Promise<void> {
    const table = await this.table();
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const counter = await this.readCounter(table, tenantId);
      try {
        await this.writeCounter(table, tenantId, Math.max(0, counter.used + delta), counter.etag);
        return;
      } catch (error) {
        if (isStatus(error, 412) || isStatus(error, 409)) continue;
        throw error;
      }
    }
    throw new AppError('unavailable', 'the licence counter could not be updated; try again');
  }

  private async readCounter(
    table: TableClient,
    tenantId: string,
  ): Promise<{ used: number; etag: string | undefined }> {
    try {
      const entity = await table.getEntity<CounterEntity>(tenantId, COUNTER);
      return { used: entity.used, etag: entity.etag };
    } catch (error) {
      if (isStatus(error, 404)) return { used: 0, etag: undefined };
      throw error;
    }
  }

  /** Creates the counter (409 if another request created it first) or replaces it under its ETag. */
  private async writeCounter(
    table: TableClient,
    tenantId: string,
    used: number,
    etag: string | undefined,
  ): Promise<void> {
    const entity: CounterEntity = { partitionKey: tenantId, rowKey: COUNTER, used };
    if (etag === undefined) await table.createEntity(entity);
    else await table.updateEntity(entity, 'Replace', { etag });
  }
}
