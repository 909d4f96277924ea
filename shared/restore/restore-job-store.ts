import { randomBytes } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import type { TableClient } from '@azure/data-tables';
import type { BlobServiceClient, ContainerClient } from '@azure/storage-blob';
import { once } from '../concurrency/once';
import { AppError } from '../errors/app-error';
import { invertedTime } from '../backup/snapshot-record';
import { TableNames, isStatus, odataString, queryPage, type TablePage, type Tables } from '../storage/tables';
import type { FinishedItemsState } from './restore-order';
import type { RestoreJob, RestoreProgress, RestoreReport, RestoreState } from './restore-job';

interface RestoreJobEntity {
  partitionKey: string;
  rowKey: string;
  state: string;
  resourceId: string;
  /** The whole job as JSON (scope, target, progress and report are nested). */
  doc: string;
}

/**
 * What a restore has already written, kept between slices and redeliveries: which items are done
 * (so an item is never restored twice) and the ids of folders created at the target. Items are
 * named by their index in the snapshot's walk within the scope (`FinishedItems`: one bit each, so
 * the checkpoint stays small however large the restore), not by the order they are restored in.
 */
export interface RestoreCheckpoint {
  /** The finished items (restored, skipped or failed). */
  finished?: FinishedItemsState;
  /** Written before `finished`: every item before this walk index was finished… */
  next?: number;
  /** …and these at or after it. Read once and replaced by `finished`. */
  done?: number[];
  folders: Record<string, string>;
  /** Counts as of the last item done (the job row is saved less often). */
  report?: RestoreReport;
  progress?: RestoreProgress;
}

/** Restore jobs: partition = tenant, row = job id (newest first). Checkpoints in blobs. */
export class RestoreJobStore {
  private readonly container: () => Promise<ContainerClient>;

  constructor(
    private readonly tables: Tables,
    blobs: BlobServiceClient,
    containerName = 'restore-state',
  ) {
    this.container = once(async () => {
      const container = blobs.getContainerClient(containerName);
      await container.createIfNotExists();
      return container;
    });
  }

  private table(): Promise<TableClient> {
    return this.tables.client(TableNames.restoreJobs);
  }

  newJobId(at: Date): string {
    return `${invertedTime(at)}-${randomBytes(5).toString('hex')}`;
  }

  async put(job: RestoreJob): Promise<void> {
    const table = await this.table();
    const entity: RestoreJobEntity = {
      partitionKey: job.tenantId,
      rowKey: job.jobId,
      state: job.state,
      resourceId: job.resourceId,
      doc: JSON.stringify(job),
    };
    await table.upsertEntity(entity, 'Replace');
  }

  /** The tenant's job (another tenant's id answers not-found, like a missing one). */
  async get(tenantId: string, jobId: string): Promise<RestoreJob> {
    const table = await this.table();
    try {
      const entity = await table.getEntity<RestoreJobEntity>(tenantId, jobId);
      return JSON.parse(entity.doc) as RestoreJob;
    } catch (error) {
      if (isStatus(error, 404)) throw new AppError('not-found', 'restore job not found');
      throw error;
    }
  }

  /** One page of the tenant's jobs, newest first, optionally in one state (one table query). */
  async page(
    tenantId: string,
    filter: { state?: RestoreState },
    page: { limit: number; continuation?: string },
  ): Promise<TablePage<RestoreJob>> {
    const table = await this.table();
    const clauses = [`PartitionKey eq ${odataString(tenantId)}`];
    if (filter.state) clauses.push(`state eq ${odataString(filter.state)}`);
    return queryPage<RestoreJobEntity, RestoreJob>(
      table,
      clauses.join(' and '),
      page,
      (e) => JSON.parse(e.doc) as RestoreJob,
    );
  }

  /** Every tenant's jobs still awaiting their verification code (few: a code lives 10 minutes). */
  async *awaitingVerification(): AsyncGenerator<RestoreJob> {
    const table = await this.table();
    const filter = `state eq ${odataString('awaiting-verification')}`;
    for await (const entity of table.listEntities<RestoreJobEntity>({ queryOptions: { filter } })) {
      yield JSON.parse(entity.doc) as RestoreJob;
    }
  }

  /** The tenant's jobs, newest first. */
  async list(tenantId: string, limit = 100): Promise<RestoreJob[]> {
    const table = await this.table();
    const jobs: RestoreJob[] = [];
    const filter = `PartitionKey eq ${odataString(tenantId)}`;
    for await (const entity of table.listEntities<RestoreJobEntity>({ queryOptions: { filter } })) {
      jobs.push(JSON.parse(entity.doc) as RestoreJob);
      if (jobs.length >= limit) break;
    }
    return jobs;
  }

  private static checkpointBlob(tenantId: string, jobId: string): string {
    return `${tenantId}/${jobId}.json.gz`;
  }

  async readCheckpoint(tenantId: string, jobId: string): Promise<RestoreCheckpoint> {
    const container = await this.container();
    try {
      const buffer = await container
        .getBlockBlobClient(RestoreJobStore.checkpointBlob(tenantId, jobId))
        .downloadToBuffer();
      return JSON.parse(gunzipSync(buffer).toString('utf8')) as RestoreCheckpoint;
    } catch (error) {
      if (isStatus(error, 404)) return { folders: {} };
      throw error;
    }
  }

  async writeCheckpoint(tenantId: string, jobId: string, checkpoint: RestoreCheckpoint): Promise<void> {
    const container = await this.container();
    const body = gzipSync(Buffer.from(JSON.stringify(checkpoint), 'utf8'));
    await container.getBlockBlobClient(RestoreJobStore.checkpointBlob(tenantId, jobId)).uploadData(body);
  }
}
