import type { TableClient } from '@azure/data-tables';
import { TableNames, isStatus, odataString, type Tables } from '../storage/tables';

/** A Graph change-notification subscription the service holds for a customer tenant. */
export interface SubscriptionRecord {
  subscriptionId: string;
  tenantId: string;
  /** Graph resource: `users` or `groups`. */
  resource: string;
  /** Per-subscription secret Graph echoes in every notification. */
  clientState: string;
  expiresAt: string;
}

type SubscriptionEntity = Omit<SubscriptionRecord, 'subscriptionId'> & {
  partitionKey: string;
  rowKey: string;
};

const PARTITION = 'subscription';

/** Subscriptions of all tenants, by subscription id (what a notification names). */
export class SubscriptionStore {
  constructor(private readonly tables: Tables) {}

  private table(): Promise<TableClient> {
    return this.tables.client(TableNames.subscriptions);
  }

  async get(subscriptionId: string): Promise<SubscriptionRecord | undefined> {
    const table = await this.table();
    try {
      return fromEntity(await table.getEntity<SubscriptionEntity>(PARTITION, subscriptionId));
    } catch (error) {
      if (isStatus(error, 404)) return undefined;
      throw error;
    }
  }

  async put(record: SubscriptionRecord): Promise<void> {
    const table = await this.table();
    const { subscriptionId, ...rest } = record;
    await table.upsertEntity<SubscriptionEntity>(
      { partitionKey: PARTITION, rowKey: subscriptionId, ...rest },
      'Replace',
    );
  }

  async delete(subscriptionId: string): Promise<void> {
    const table = await this.table();
    try {
      await table.deleteEntity(PARTITION, subscriptionId);
    } catch (error) {
      if (!isStatus(error, 404)) throw error;
    }
  }

  async list(tenantId?: string): Promise<SubscriptionRecord[]> {
    const table = await this.table();
    const filter =
      `PartitionKey eq '${PARTITION}'` + (tenantId ? ` and tenantId eq ${odataString(tenantId)}` : '');
    const records: SubscriptionRecord[] = [];
    for await (const entity of table.listEntities<SubscriptionEntity>({ queryOptions: { filter } })) {
      records.push(fromEntity(entity));
    }
    return records;
  }
}

function fromEntity(entity: SubscriptionEntity): SubscriptionRecord {
  return {
    subscriptionId: entity.rowKey,
    tenantId: entity.tenantId,
    resource: entity.resource,
    clientState: entity.clientState,
    expiresAt: entity.expiresAt,
  };
}
