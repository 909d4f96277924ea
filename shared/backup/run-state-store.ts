import { gunzipSync, gzipSync } from 'node:zlib';
import type { BlobServiceClient, ContainerClient } from '@azure/storage-blob';
import { once } from '../concurrency/once';
import { isStatus } from '../storage/tables';

/**
 * Small JSON documents the engine keeps between job slices (the in-progress run of a resource) and
 * between snapshots (each committed snapshot's delta checkpoint). Gzipped JSON blobs.
 */
export class RunStateStore {
  private readonly ensure: () => Promise<ContainerClient>;

  constructor(blobs: BlobServiceClient, containerName = 'snapshot-state') {
    this.ensure = once(async () => {
      const container = blobs.getContainerClient(containerName);
      await container.createIfNotExists();
      return container;
    });
  }

  private static runBlob(tenantId: string, resourceId: string): string {
    return `runs/${tenantId}/${encodeURIComponent(resourceId)}.json.gz`;
  }

  private static checkpointBlob(tenantId: string, snapshotId: string): string {
    return `checkpoints/${tenantId}/${snapshotId}.json.gz`;
  }

  private async read<T>(name: string): Promise<T | undefined> {
    const container = await this.ensure();
    try {
      const buffer = await container.getBlockBlobClient(name).downloadToBuffer();
      return JSON.parse(gunzipSync(buffer).toString('utf8')) as T;
    } catch (error) {
      if (isStatus(error, 404)) return undefined;
      throw error;
    }
  }

  private async write(name: string, value: unknown): Promise<void> {
    const container = await this.ensure();
    const body = gzipSync(Buffer.from(JSON.stringify(value), 'utf8'));
    await container.getBlockBlobClient(name).uploadData(body);
  }

  readRun<T>(tenantId: string, resourceId: string): Promise<T | undefined> {
    return this.read<T>(RunStateStore.runBlob(tenantId, resourceId));
  }

  writeRun(tenantId: string, resourceId: string, state: unknown): Promise<void> {
    return this.write(RunStateStore.runBlob(tenantId, resourceId), state);
  }

  async deleteRun(tenantId: string, resourceId: string): Promise<void> {
    const container = await this.ensure();
    await container.getBlockBlobClient(RunStateStore.runBlob(tenantId, resourceId)).deleteIfExists();
  }

  readCheckpoint<T>(tenantId: string, snapshotId: string): Promise<T | undefined> {
    return this.read<T>(RunStateStore.checkpointBlob(tenantId, snapshotId));
  }

  writeCheckpoint(tenantId: string, snapshotId: string, checkpoint: unknown): Promise<void> {
    return this.write(RunStateStore.checkpointBlob(tenantId, snapshotId), checkpoint);
  }
}
