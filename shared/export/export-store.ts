import type { TableClient } from '@azure/data-tables';
import { AppError } from '../errors/app-error';
import { TableNames, isStatus, odataString, queryPage, type TablePage, type Tables } from '../storage/tables';
import type { ExportJob, ExportState } from './export-job';

interface ExportJobEntity {
  partitionKey: string;
  rowKey: string;
  state: string;
  expiresAt: string;
  doc: string;
}

/** Export jobs: partition = tenant, row = job id (newest first). */
export class ExportJobStore {
  constructor(private readonly tables: Tables) {}

  private table(): Promise<TableClient> {
    return this.tables.client(TableNames.exportJobs);
  }

  async put(job: ExportJob): Promise<void> {
    const table = await this.table();
    const entity: ExportJobEntity = {
      partitionKey: job.tenantId,
      rowKey: job.jobId,
      state: job.state,
      expiresAt: job.expiresAt ?? '',
      doc: JSON.stringify(job),
    };
    await table.upsertEntity(entity, 'Replace');
  }

  async get(tenantId: string, jobId: string): Promise<ExportJob> {
    const table = await this.table();
    try {
      return JSON.parse((await table.getEntity<ExportJobEntity>(tenantId, jobId)).doc) as ExportJob;
    } catch (error) {
      if (isStatus(error, 404)) throw new AppError('not-found', 'export not found');
      throw error;
    }
  }

  /** One page of the tenant's jobs, newest first, optionally in one state (one table query). */
  async page(
    tenantId: string,
    filter: { state?: ExportState },
    page: { limit: number; continuation?: string },
  ): Promise<TablePage<ExportJob>> {
    const table = await this.table();
    const clauses = [`PartitionKey eq ${odataString(tenantId)}`];
    if (filter.state) clauses.push(`state eq ${odataString(filter.state)}`);
    return queryPage<ExportJobEntity, ExportJob>(
      table,
      clauses.join(' and '),
      page,
      (e) => JSON.parse(e.doc) as ExportJob,
    );
  }

  async list(tenantId: string, limit = 100): Promise<ExportJob[]> {
    const table = await this.table();
    const jobs: ExportJob[] = [];
    const filter = `PartitionKey eq ${odataString(tenantId)}`;
    for await (const entity of table.listEntities<ExportJobEntity>({ queryOptions: { filter } })) {
      jobs.push(JSON.parse(entity.doc) as ExportJob);
      if (jobs.length >= limit) break;
    }
    return jobs;
  }

  /** Completed exports whose expiry has passed (every tenant: the cleanup timer's query). */
  async *expired(now: Date): AsyncGenerator<ExportJob> {
    const table = await this.table();
    const filter = `state eq 'completed' and expiresAt lt ${odataString(now.toISOString())}`;
    for await (const entity of table.listEntities<ExportJobEntity>({ queryOptions: { filter } })) {
      yield JSON.parse(entity.doc) as ExportJob;
    }
  }
}
