import type { TableClient } from '@azure/data-tables';
import { AppError } from '../errors/app-error';
import { modifyEntity, queryPage, TableNames, isStatus, odataString, type Tables } from '../storage/tables';
import type { Tenant, TenantStatus } from './tenant';

const PARTITION = 'tenant';
/** How many times modify() rereads a tenant another writer changed under it. */
const MODIFY_ATTEMPTS = 8;

interface TenantEntity {
  partitionKey: string;
  rowKey: string;
  displayName: string;
  plan: string;
  licences: number;
  premiumSupport: boolean;
  adminContactEmail: string;
  timeZone: string;
  status: string;
  /** JSON: Table Storage has no map type. */
  autoProtect: string;
  createdAt: string;
  updatedAt: string;
}

export class TenantStore {
  constructor(private readonly tables: Tables) {}

  private table(): Promise<TableClient> {
    return this.tables.client(TableNames.tenants);
  }

  async get(tenantId: string): Promise<Tenant> {
    const table = await this.table();
    try {
      return fromEntity(await table.getEntity<TenantEntity>(PARTITION, tenantId));
    } catch (error) {
      if (isStatus(error, 404)) throw new AppError('not-found', `tenant ${tenantId} not found`);
      throw error;
    }
  }

  async put(tenant: Tenant): Promise<void> {
    const table = await this.table();
    await table.upsertEntity(toEntity(tenant), 'Replace');
  }

  /**
   * Merges the given fields into the tenant's row, leaving the others as they are (so a change of
   * settings never undoes an operator's concurrent change of plan or licences). `not-found` if
   * there is no such tenant: the row is never created here.
   */
  async update(tenantId: string, changes: Partial<Omit<Tenant, 'tenantId' | 'createdAt'>>): Promise<void> {
    const table = await this.table();
    const { autoProtect, ...rest } = changes;
    try {
      await table.updateEntity(
        {
          partitionKey: PARTITION,
          rowKey: tenantId,
          ...rest,
          ...(autoProtect ? { autoProtect: JSON.stringify(autoProtect) } : {}),
        },
        'Merge',
        { etag: '*' },
      );
    } catch (error) {
      if (isStatus(error, 404)) throw new AppError('not-found', `tenant ${tenantId} not found`);
      throw error;
    }
  }

  /**
   * Reads the tenant, applies `change` and writes the result only if nobody changed the row in
   * between (ETag); otherwise reads again and reapplies, so concurrent changes of different fields
   * (an admin's auto-protect, an operator's licences, a consent activating it) all survive, and a
   * check inside `change` (not offboarded) holds for the row it writes. `change` may throw to refuse.
   */
  async modify(tenantId: string, change: (tenant: Tenant) => Tenant): Promise<Tenant> {
    return modifyEntity<TenantEntity, Tenant>(
      await this.table(),
      { partitionKey: PARTITION, rowKey: tenantId },
      { from: fromEntity, to: toEntity },
      change,
      { notFound: `tenant ${tenantId} not found`, attempts: MODIFY_ATTEMPTS },
    );
  }

  async *list(status?: TenantStatus): AsyncGenerator<Tenant> {
    const table = await this.table();
    const filter = `PartitionKey eq '${PARTITION}'` + (status ? ` and status eq ${odataString(status)}` : '');
    for await (const entity of table.listEntities<TenantEntity>({ queryOptions: { filter } })) {
      yield fromEntity(entity);
    }
  }

  /** One page of tenants (one query), by tenant id. */
  async page(
    filter: { status?: TenantStatus },
    page: { limit: number; continuation?: string },
  ): Promise<{ items: Tenant[]; continuation?: string }> {
    const table = await this.table();
    const filterText =
      `PartitionKey eq '${PARTITION}'` +
      (filter.status ? ` and status eq ${odataString(filter.status)}` : '');
    return queryPage<TenantEntity, Tenant>(table, filterText, page, (e) => fromEntity(e));
  }

  /** Creates the tenant; conflict if it exists. */
  async create(tenant: Tenant): Promise<void> {
    const table = await this.table();
    try {
      await table.createEntity(toEntity(tenant));
    } catch (error) {
      if (isStatus(error, 409)) throw new AppError('conflict', `tenant ${tenant.tenantId} already exists`);
      throw error;
    }
  }
}

function toEntity(tenant: Tenant): TenantEntity {
  const { tenantId, autoProtect, ...rest } = tenant;
  return { partitionKey: PARTITION, rowKey: tenantId, ...rest, autoProtect: JSON.stringify(autoProtect) };
}

function fromEntity(entity: TenantEntity): Tenant {
  return {
    tenantId: entity.rowKey,
    displayName: entity.displayName,
    plan: entity.plan as Tenant['plan'],
    licences: entity.licences,
    premiumSupport: entity.premiumSupport,
    adminContactEmail: entity.adminContactEmail,
    timeZone: entity.timeZone,
    status: entity.status as TenantStatus,
    autoProtect: JSON.parse(entity.autoProtect) as Tenant['autoProtect'],
    createdAt: entity.createdAt,
    updatedAt: entity.updatedAt,
  };
}
