import { randomBytes } from 'node:crypto';
import type { TableClient, TransactionAction } from '@azure/data-tables';
import { invertedTime } from '../backup/snapshot-record';
import { AppError } from '../errors/app-error';
import { mergeExisting, queryPage, TableNames, isStatus, odataString, type Tables } from '../storage/tables';
import type { AlertInput, InformationInput, Notification, NotificationCategory } from './notification';

type NotificationEntity = {
  partitionKey: string;
  rowKey: string;
  severity: string;
  category: string;
  resourceId: string;
  message: string;
  createdAt: string;
  read: boolean;
  resolved: boolean;
  resolvedAt?: string;
};

type OpenMarkerEntity = {
  partitionKey: string;
  rowKey: string;
  notificationRowKey: string;
};

const NOTE = 'n|';
const OPEN = 'open|';

/**
 * Notifications per tenant: partition = tenant, rows `n|<inverted time>|<random>` (newest first) and
 * one marker row `open|<category>|<resource>` per open alert. A marker and its alert are written in one
 * entity group transaction, so a condition is open at most once however many runs raise it, and a
 * resolve (marker deleted, alert resolved, green notice) is all or nothing.
 */
export class NotificationStore {
  constructor(
    private readonly tables: Tables,
    private readonly now: () => Date,
  ) {}

  private table(): Promise<TableClient> {
    return this.tables.client(TableNames.notifications);
  }

  /** Opens the alert unless the same condition is already open; returns it when it was opened now. */
  async raise(alert: AlertInput): Promise<Notification | undefined> {
    const table = await this.table();
    const entity = this.newEntity(alert);
    const marker: OpenMarkerEntity = {
      partitionKey: alert.tenantId,
      rowKey: markerKey(alert.category, alert.resourceId),
      notificationRowKey: entity.rowKey,
    };
    try {
      await table.submitTransaction([
        ['create', marker],
        ['create', entity],
      ]);
    } catch (error) {
      if (isConflict(error)) return undefined;
      throw error;
    }
    return fromEntity(entity);
  }

  /** Records information (blue/green); never deduplicated. */
  async inform(note: InformationInput): Promise<Notification> {
    const table = await this.table();
    const entity = this.newEntity(note);
    await table.createEntity(entity);
    return fromEntity(entity);
  }

  /**
   * Resolves the open alert of the condition, if any, and adds the green notice in the same
   * transaction. Returns the green notice, or undefined when nothing was open.
   */
  async resolve(
    tenantId: string,
    category: NotificationCategory,
    resourceId: string | undefined,
    clearedMessage: string,
  ): Promise<Notification | undefined> {
    const table = await this.table();
    let marker: OpenMarkerEntity;
    try {
      marker = await table.getEntity<OpenMarkerEntity>(tenantId, markerKey(category, resourceId));
    } catch (error) {
      if (isStatus(error, 404)) return undefined;
      throw error;
    }
    const green = this.newEntity({
      tenantId,
      severity: 'green',
      category: 'condition-cleared',
      ...(resourceId ? { resourceId } : {}),
      message: clearedMessage,
    });
    const at = this.now().toISOString();
    const actions: TransactionAction[] = [
      ['delete', { partitionKey: tenantId, rowKey: marker.rowKey }],
      [
        'update',
        { partitionKey: tenantId, rowKey: marker.notificationRowKey, resolved: true, resolvedAt: at },
        'Merge',
      ],
      ['create', green],
    ];
    try {
      await table.submitTransaction(actions);
    } catch (error) {
      // Someone else resolved it first (the marker is gone).
      if (isStatus(error, 412) || isStatus(error, 404) || isConflict(error)) return undefined;
      throw error;
    }
    return fromEntity(green);
  }

  async isOpen(tenantId: string, category: NotificationCategory, resourceId?: string): Promise<boolean> {
    const table = await this.table();
    try {
      await table.getEntity(tenantId, markerKey(category, resourceId));
      return true;
    } catch (error) {
      if (isStatus(error, 404)) return false;
      throw error;
    }
  }

  /** One page of a tenant's notifications, newest first. */
  async page(
    tenantId: string,
    filter: { unread?: boolean; open?: boolean; severity?: Notification['severity'] },
    page: { limit: number; continuation?: string },
  ): Promise<{ items: Notification[]; continuation?: string }> {
    const table = await this.table();
    const clauses = [
      `PartitionKey eq ${odataString(tenantId)}`,
      `RowKey gt ${odataString(NOTE)} and RowKey lt ${odataString('n}')}`,
    ];
    if (filter.unread) clauses.push('read eq false');
    if (filter.open) clauses.push('resolved eq false');
    if (filter.severity) clauses.push(`severity eq ${odataString(filter.severity)}`);
    return queryPage<NotificationEntity, Notification>(table, clauses.join(' and '), page, (e) =>
      fromEntity(e),
    );
  }

  /** Every notification of a tenant, newest first (tests, small tenants). */
  async all(tenantId: string): Promise<Notification[]> {
    const items: Notification[] = [];
    let continuation: string | undefined;
    do {
      const page = await this.page(tenantId, {}, { limit: 1000, ...(continuation ? { continuation } : {}) });
      items.push(...page.items);
      continuation = page.continuation;
    } while (continuation);
    return items;
  }

  /** Unread notifications by severity (the dashboard's bell). */
  async unreadBySeverity(tenantId: string): Promise<Record<Notification['severity'], number>> {
    const table = await this.table();
    const counts = { red: 0, yellow: 0, blue: 0, green: 0 };
    for await (const entity of table.listEntities<NotificationEntity>({
      queryOptions: {
        filter: `PartitionKey eq ${odataString(tenantId)} and RowKey gt ${odataString(NOTE)} and RowKey lt ${odataString('n}')} and read eq false`,
        select: ['severity'],
      },
    })) {
      const severity = entity.severity as Notification['severity'];
      if (severity in counts) counts[severity] += 1;
    }
    return counts;
  }

  async markRead(tenantId: string, notificationId: string, read = true): Promise<void> {
    const table = await this.table();
    try {
      await table.updateEntity({ partitionKey: tenantId, rowKey: NOTE + notificationId, read }, 'Merge', {
        etag: '*',
      });
    } catch (error) {
      if (isStatus(error, 404)) throw new AppError('not-found', `notification ${notificationId} not found`);
      throw error;
    }
  }

  /**
   * Marks every unread notification of the tenant read (only those of `severity`, if given): one
   * query for their keys, then transactions of 100 updates. Returns how many were marked; a
   * notification raised meanwhile stays unread.
   */
  async markAllRead(tenantId: string, filter: { severity?: Notification['severity'] } = {}): Promise<number> {
    const table = await this.table();
    const clauses = [
      `PartitionKey eq ${odataString(tenantId)}`,
      `RowKey gt ${odataString(NOTE)} and RowKey lt ${odataString('n}')}`,
      'read eq false',
    ];
    if (filter.severity) clauses.push(`severity eq ${odataString(filter.severity)}`);
    const keys: { partitionKey: string; rowKey: string }[] = [];
    for await (const entity of table.listEntities({
      queryOptions: { filter: clauses.join(' and '), select: ['rowKey'] },
    })) {
      keys.push({ partitionKey: tenantId, rowKey: String(entity.rowKey) });
    }
    return mergeExisting(table, keys, { read: true });
  }

  private newEntity(input: AlertInput | InformationInput): NotificationEntity {
    const createdAt = this.now().toISOString();
    return {
      partitionKey: input.tenantId,
      rowKey: `${NOTE}${invertedTime(new Date(createdAt))}|${randomBytes(6).toString('hex')}`,
      severity: input.severity,
      category: input.category,
      resourceId: input.resourceId ?? '',
      message: input.message,
      createdAt,
      read: false,
      resolved: input.severity === 'blue' || input.severity === 'green',
    };
  }
}

function markerKey(category: NotificationCategory, resourceId: string | undefined): string {
  return `${OPEN}${category}|${resourceId ?? '-'}`;
}

/** A transaction fails as a whole; a create of an existing row makes it a 409 (EntityAlreadyExists). */
function isConflict(error: unknown): boolean {
  return isStatus(error, 409);
}

function fromEntity(entity: NotificationEntity): Notification {
  return {
    notificationId: entity.rowKey.slice(NOTE.length),
    tenantId: entity.partitionKey,
    severity: entity.severity as Notification['severity'],
    category: entity.category as NotificationCategory,
    ...(entity.resourceId ? { resourceId: entity.resourceId } : {}),
    message: entity.message,
    createdAt: entity.createdAt,
    read: entity.read,
    resolved: entity.resolved,
    ...(entity.resolvedAt ? { resolvedAt: entity.resolvedAt } : {}),
  };
}
