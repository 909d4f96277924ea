import { randomBytes } from 'node:crypto';
import type { TableClient } from '@azure/data-tables';
import { invertedTime } from '../backup/snapshot-record';
import { AppError } from '../errors/app-error';
import { queryPage, TableNames, isStatus, odataString, type Tables } from '../storage/tables';
import type { SupportComment, SupportRequest, SupportStatus } from './support-request';

interface RequestEntity {
  partitionKey: string;
  rowKey: string;
  category: string;
  severity: string;
  filedSeverity: string;
  title: string;
  description: string;
  contact: string;
  status: string;
  filedAt: string;
  filedBy: string;
  initialResponseDueAt: string;
  firstResponseAt: string;
  initialResponseMissedAt: string;
  awaitingCustomerSince: string;
  updatedAt: string;
  history: string;
}

interface CommentEntity {
  partitionKey: string;
  rowKey: string;
  at: string;
  author: string;
  text: string;
}

export interface StoredPage<T> {
  items: T[];
  continuation?: string;
}

/** Opaque request ids that carry the tenant (so a foreign id is found to be foreign, not looked up). */
export function encodeRequestId(tenantId: string, rowKey: string): string {
  return Buffer.from(`${tenantId}\n${rowKey}`, 'utf8').toString('base64url');
}

export function decodeRequestId(requestId: string): { tenantId: string; rowKey: string } | undefined {
  const [tenantId, rowKey, ...rest] = Buffer.from(requestId, 'base64url').toString('utf8').split('\n');
  if (!tenantId || !rowKey || rest.length > 0 || !rowKey.startsWith('r|')) return undefined;
  return { tenantId, rowKey };
}

const OPEN_FILTER = "(status eq 'new' or status eq 'in-progress' or status eq 'awaiting-customer')";

/**
 * Support requests and their comments in one table: partition = tenant; requests are
 * `r|<inverted filing time>|<random>` (newest first), comments `c|<request row>|<time>|<random>`.
 */
export class SupportStore {
  constructor(private readonly tables: Tables) {}

  private table(): Promise<TableClient> {
    return this.tables.client(TableNames.support);
  }

  newRequestId(tenantId: string, filedAt: Date): string {
    return encodeRequestId(tenantId, `r|${invertedTime(filedAt)}|${randomBytes(4).toString('hex')}`);
  }

  async create(request: SupportRequest): Promise<void> {
    await (await this.table()).createEntity(toEntity(request));
  }

  /** The request, if it belongs to the tenant (another tenant's id is not found, like a missing one). */
  async get(
    tenantId: string | undefined,
    requestId: string,
  ): Promise<{ request: SupportRequest; etag: string }> {
    const key = decodeRequestId(requestId);
    if (!key || (tenantId !== undefined && key.tenantId !== tenantId)) {
      throw new AppError('not-found', 'support request not found');
    }
    try {
      const entity = await (await this.table()).getEntity<RequestEntity>(key.tenantId, key.rowKey);
      return { request: fromEntity(entity), etag: entity.etag };
    } catch (error) {
      if (isStatus(error, 404)) throw new AppError('not-found', 'support request not found');
      throw error;
    }
  }

  /** Read-modify-write guarded by the ETag, retried when someone else changed it first. */
  async update(
    tenantId: string | undefined,
    requestId: string,
    change: (request: SupportRequest) => SupportRequest | undefined,
  ): Promise<SupportRequest> {
    const table = await this.table();
    for (let attempt = 0; ; attempt++) {
      const { request, etag } = await this.get(tenantId, requestId);
      const changed = change(structuredClone(request));
      if (!changed) return request;
      try {
        await table.updateEntity(toEntity(changed), 'Replace', { etag });
        return changed;
      } catch (error) {
        if (isStatus(error, 412) && attempt < 10) continue;
        throw error;
      }
    }
  }

  async pageForTenant(
    tenantId: string,
    filter: { status?: SupportStatus },
    page: { limit: number; continuation?: string },
  ): Promise<StoredPage<SupportRequest>> {
    const clauses = [`PartitionKey eq ${odataString(tenantId)}`, "RowKey ge 'r|'", "RowKey lt 'r|~'"];
    if (filter.status) clauses.push(`status eq ${odataString(filter.status)}`);
    return this.query(clauses.join(' and '), page, fromEntity);
  }

  /** Requests of every tenant (operators), partition by partition. */
  async pageAll(
    filter: { status?: SupportStatus; tenantId?: string; open?: boolean },
    page: { limit: number; continuation?: string },
  ): Promise<StoredPage<SupportRequest>> {
    const clauses = ["RowKey ge 'r|'", "RowKey lt 'r|~'"];
    if (filter.tenantId) clauses.unshift(`PartitionKey eq ${odataString(filter.tenantId)}`);
    if (filter.status) clauses.push(`status eq ${odataString(filter.status)}`);
    if (filter.open) clauses.push(OPEN_FILTER);
    return this.query(clauses.join(' and '), page, fromEntity);
  }

  async *listOpen(): AsyncGenerator<SupportRequest> {
    const table = await this.table();
    const filter = `RowKey ge 'r|' and RowKey lt 'r|~' and ${OPEN_FILTER}`;
    for await (const entity of table.listEntities<RequestEntity>({ queryOptions: { filter } })) {
      yield fromEntity(entity);
    }
  }

  async addComment(
    tenantId: string,
    requestId: string,
    comment: Omit<SupportComment, 'commentId'>,
  ): Promise<SupportComment> {
    const key = decodeRequestId(requestId);
    if (!key || key.tenantId !== tenantId) throw new AppError('not-found', 'support request not found');
    const rowKey = `c|${key.rowKey}|${comment.at}|${randomBytes(3).toString('hex')}`;
    await (
      await this.table()
    ).createEntity<CommentEntity>({
      partitionKey: tenantId,
      rowKey,
      at: comment.at,
      author: JSON.stringify(comment.author),
      text: comment.text,
    });
    return { ...comment, commentId: Buffer.from(rowKey, 'utf8').toString('base64url') };
  }

  /** A request's comments, oldest first. */
  async pageComments(
    tenantId: string,
    requestId: string,
    page: { limit: number; continuation?: string },
  ): Promise<StoredPage<SupportComment>> {
    const key = decodeRequestId(requestId);
    if (!key || key.tenantId !== tenantId) throw new AppError('not-found', 'support request not found');
    const prefix = `c|${key.rowKey}|`;
    const filter =
      `PartitionKey eq ${odataString(tenantId)} and RowKey gt ${odataString(prefix)}` +
      ` and RowKey lt ${odataString(`${prefix}~`)}`;
    return this.query<CommentEntity, SupportComment>(filter, page, (e) => ({
      commentId: Buffer.from(e.rowKey, 'utf8').toString('base64url'),
      at: e.at,
      author: JSON.parse(e.author) as SupportComment['author'],
      text: e.text,
    }));
  }

  private async query<E extends object, T>(
    filter: string,
    page: { limit: number; continuation?: string },
    map: (entity: E & { partitionKey: string; rowKey: string }) => T,
  ): Promise<StoredPage<T>> {
    const table = await this.table();
    return queryPage<E, T>(table, filter, page, (e) =>
      map(e as E & { partitionKey: string; rowKey: string }),
    );
  }
}

function toEntity(r: SupportRequest): RequestEntity {
  const key = decodeRequestId(r.requestId);
  if (!key) throw new AppError('internal', 'malformed support request id');
  return {
    partitionKey: key.tenantId,
    rowKey: key.rowKey,
    category: r.category,
    severity: r.severity,
    filedSeverity: r.filedSeverity,
    title: r.title,
    description: r.description,
    contact: JSON.stringify(r.contact),
    status: r.status,
    filedAt: r.filedAt,
    filedBy: JSON.stringify(r.filedBy),
    initialResponseDueAt: r.initialResponseDueAt,
    firstResponseAt: r.firstResponseAt ?? '',
    initialResponseMissedAt: r.initialResponseMissedAt ?? '',
    awaitingCustomerSince: r.awaitingCustomerSince ?? '',
    updatedAt: r.updatedAt,
    history: JSON.stringify(r.history),
  };
}

function fromEntity(e: RequestEntity): SupportRequest {
  return {
    requestId: encodeRequestId(e.partitionKey, e.rowKey),
    tenantId: e.partitionKey,
    category: e.category as SupportRequest['category'],
    severity: e.severity as SupportRequest['severity'],
    filedSeverity: e.filedSeverity as SupportRequest['severity'],
    title: e.title,
    description: e.description,
    contact: JSON.parse(e.contact) as SupportRequest['contact'],
    status: e.status as SupportStatus,
    filedAt: e.filedAt,
    filedBy: JSON.parse(e.filedBy) as SupportRequest['filedBy'],
    initialResponseDueAt: e.initialResponseDueAt,
    firstResponseAt: e.firstResponseAt || null,
    initialResponseMissedAt: e.initialResponseMissedAt || null,
    awaitingCustomerSince: e.awaitingCustomerSince || null,
    updatedAt: e.updatedAt,
    history: JSON.parse(e.history) as SupportRequest['history'],
  };
}
