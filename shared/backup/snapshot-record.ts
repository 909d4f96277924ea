import type { SnapshotStatus } from '../resources/resource';

export interface SkippedItem {
  /** Path or id of the item in the resource. */
  item: string;
  reason: string;
}

/** One snapshot of one resource: what the run did, what it stored, and where its manifest is. */
export interface SnapshotRecord {
  snapshotId: string;
  tenantId: string;
  resourceId: string;
  status: SnapshotStatus;
  reason: 'schedule' | 'manual' | 'continuation';
  runId: string;
  startedAt: string;
  updatedAt: string;
  finishedAt?: string;
  /** Items and bytes in the snapshot (the whole resource at that time). */
  items: number;
  logicalBytes: number;
  /** Bytes this snapshot added to the repository (after dedup, compression, encryption). */
  storedBytes: number;
  /**
   * Plaintext bytes of the new data chunks behind `storedBytes`; `logicalBytes` minus this is what
   * deduplication saved (on a first snapshot). Absent on records written before it existed.
   */
  newChunkBytes?: number;
  added: number;
  changed: number;
  removed: number;
  skippedCount: number;
  /** The first skipped items with their reasons (the count says how many in all). */
  skipped: SkippedItem[];
  /** Work done so far, for progress while running. */
  processedItems: number;
  /** Time-boxed slices the job took (1 = finished in its first slice). */
  slices: number;
  graphRequests: number;
  throttledRequests: number;
  /** Tree id of the manifest root, set when the snapshot commits. */
  manifestRoot?: string;
  failureCode?: string;
  failureReason?: string;
}

export const MAX_SKIPPED_LISTED = 100;

/** Row keys sort newest first: inverted milliseconds, zero-padded. */
export function invertedTime(at: Date): string {
  return String(9_999_999_999_999 - at.getTime()).padStart(13, '0');
}

/** Opaque snapshot ids that still let the store find the row (and the API check the tenant). */
export function encodeSnapshotId(tenantId: string, rowKey: string): string {
  return Buffer.from(`${tenantId}\n${rowKey}`, 'utf8').toString('base64url');
}

export function decodeSnapshotId(snapshotId: string): { tenantId: string; rowKey: string } | undefined {
  const text = Buffer.from(snapshotId, 'base64url').toString('utf8');
  const [tenantId, rowKey, ...rest] = text.split('\n');
  if (!tenantId || !rowKey || rest.length > 0 || !rowKey.includes('|')) return undefined;
  return { tenantId, rowKey };
}
