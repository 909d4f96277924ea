import { randomBytes } from 'node:crypto';
import type { TableClient } from '@azure/data-tables';
import { invertedTime } from '../backup/snapshot-record';
import { queryPage, TableNames, odataString, type Tables } from '../storage/tables';

export type AuditOutcome = 'succeeded' | 'failed' | 'denied';

/** One change, restore, export or download: who, when, from where, what, on what, and how it ended. */
export interface AuditRecord {
  auditId: string;
  /** The tenant whose trail holds the record. */
  tenantId: string;
  at: string;
  actor: { tenantId: string; userId: string; userName: string };
  address: string;
  action: string;
  target: string | null;
  outcome: AuditOutcome;
  /** The HTTP status answered. */
  status: number;
  details: Record<string, string | number | boolean | null>;
}

export interface AuditQuery {
  from?: string;
  to?: string;
  /** User id or user name, exact. */
  actor?: string;
  action?: string;
}

interface AuditEntity {
  partitionKey: string;
  rowKey: string;
  at: string;
  actorTenantId: string;
  actorUserId: string;
  actorName: string;
  address: string;
  action: string;
  target: string;
  outcome: string;
  status: number;
  details: string;
}

/** Audit trail per tenant: partition = tenant, row = `<inverted time>|<random>` (newest first). */
export class AuditLog {
  constructor(private readonly tables: Tables) {}

  private table(): Promise<TableClient> {
    return this.tables.client(TableNames.audit);
  }

  /** Writes the record to the trail of each tenant named (e.g. the operator's and the customer's). */
  async write(record: Omit<AuditRecord, 'auditId' | 'tenantId'>, tenantIds: string[]): Promise<void> {
    const table = await this.table();
    const rowKey = `${invertedTime(new Date(record.at))}|${randomBytes(4).toString('hex')}`;
    await Promise.all(
      [...new Set(tenantIds)].map((tenantId) =>
        table.createEntity<AuditEntity>({
          partitionKey: tenantId,
          rowKey,
          at: record.at,
          actorTenantId: record.actor.tenantId,
          actorUserId: record.actor.userId,
          actorName: record.actor.userName,
          address: record.address,
          action: record.action,
          target: record.target ?? '',
          outcome: record.outcome,
          status: record.status,
          details: JSON.stringify(record.details),
        }),
      ),
    );
  }

  /** One page of a tenant's trail, newest first: one Table Storage query. */
  async page(
    tenantId: string,
    query: AuditQuery,
    page: { limit: number; continuation?: string },
  ): Promise<{ items: AuditRecord[]; continuation?: string }> {
    const table = await this.table();
    const clauses = [`PartitionKey eq ${odataString(tenantId)}`];
    if (query.to) clauses.push(`RowKey ge ${odataString(invertedTime(new Date(query.to)))}`);
    if (query.from) clauses.push(`RowKey le ${odataString(`${invertedTime(new Date(query.from))}|~`)}`);
    if (query.action) clauses.push(`action eq ${odataString(query.action)}`);
    if (query.actor) {
      clauses.push(
        `(actorUserId eq ${odataString(query.actor)} or actorName eq ${odataString(query.actor)})`,
      );
    }
    return queryPage<AuditEntity, AuditRecord>(table, clauses.join(' and '), page, (e) => fromEntity(e));
  }
}

function fromEntity(e: AuditEntity): AuditRecord {
  return {
    auditId: Buffer.from(e.rowKey, 'utf8').toString('base64url'),
    tenantId: e.partitionKey,
    at: e.at,
    actor: { tenantId: e.actorTenantId, userId: e.actorUserId, userName: e.actorName },
    address: e.address,
    action: e.action,
    target: e.target === '' ? null : e.target,
    outcome: e.outcome as AuditOutcome,
    status: e.status,
    details: JSON.parse(e.details) as AuditRecord['details'],
  };
}
