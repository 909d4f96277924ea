import type { BlobServiceClient, ContainerClient } from '@azure/storage-blob';
import { randomUUID } from 'node:crypto';
import { once } from '../concurrency/once';
import { isStatus } from './tables';

export interface Lease {
  readonly leaseId: string;
  /** Set once a renewal failed: the holder must stop writing and give the work up. */
  readonly lost: boolean;
  release(): Promise<void>;
}

export interface ResourceLeaseOptions {
  /** Blob leases last 15-60 s; the holder renews at a third of that. */
  durationSeconds?: number;
  container?: string;
}

/**
 * "Never two workers on one resource": a blob lease per resource. A holder that dies stops
 * renewing and its lease expires after `durationSeconds`, so the next worker can take over.
 */
export class ResourceLeases {
  private readonly durationSeconds: number;
  private readonly ensureContainer: () => Promise<ContainerClient>;

  constructor(blobs: BlobServiceClient, options: ResourceLeaseOptions = {}) {
    this.durationSeconds = options.durationSeconds ?? 60;
    const containerName = options.container ?? 'leases';
    this.ensureContainer = once(async () => {
      const container = blobs.getContainerClient(containerName);
      await container.createIfNotExists();
      return container;
    });
  }

  /** The lease, or undefined when another holder has it. */
  async tryAcquire(tenantId: string, resourceId: string): Promise<Lease | undefined> {
    const container = await this.ensureContainer();
    const blob = container.getBlockBlobClient(`${tenantId}/${encodeURIComponent(resourceId)}`);
    try {
      await blob.upload('', 0, { conditions: { ifNoneMatch: '*' } });
    } catch (error) {
      // 409/412: the lock blob exists already (possibly leased): fine.
      if (!isStatus(error, 409) && !isStatus(error, 412)) throw error;
    }
    const leaseClient = blob.getBlobLeaseClient(randomUUID());
    try {
      await leaseClient.acquireLease(this.durationSeconds);
    } catch (error) {
      if (isStatus(error, 409)) return undefined;
      throw error;
    }
    let lost = false;
    let released = false;
    const timer = setInterval(
      () => {
        leaseClient.renewLease().catch(() => {
          lost = true;
          clearInterval(timer);
        });
      },
      (this.durationSeconds * 1000) / 3,
    );
    timer.unref();
    return {
      leaseId: leaseClient.leaseId,
      get lost() {
        return lost;
      },
      async release() {
        if (released) return;
        released = true;
        clearInterval(timer);
        await leaseClient.releaseLease().catch((error: unknown) => {
          // Already expired or taken over: nothing to release.
          if (!isStatus(error, 409)) throw error;
        });
      },
    };
  }
}
