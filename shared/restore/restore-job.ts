import type { ResourceKind } from '../resources/resource';

export const restoreStates = [
  'awaiting-verification',
  'queued',
  'running',
  'completed',
  'completed-with-warnings',
  'failed',
  'cancelled',
] as const;
export type RestoreState = (typeof restoreStates)[number];

export const conflictPolicies = ['skip', 'rename', 'overwrite'] as const;
export type ConflictPolicy = (typeof conflictPolicies)[number];

/** What to restore: the whole snapshot, folders (paths from the root) or items (source ids). */
export type RestoreScope =
  { kind: 'all' } | { kind: 'folders'; paths: string[][] } | { kind: 'items'; itemIds: string[] };

/** Where to: the resource the snapshot is of, or another resource of the same kind and tenant. */
export type RestoreTarget =
  { kind: 'original' } | { kind: 'resource'; resourceId: string; folderPath: string[] };

export interface RestoreProgress {
  itemsDone: number;
  itemsTotal: number;
  bytesDone: number;
  bytesTotal: number;
}

export interface RestoreProblem {
  /** Path of the item in the snapshot. */
  item: string;
  reason: string;
}

export interface RestoreReport {
  restored: number;
  skippedCount: number;
  failedCount: number;
  /** The first skipped and failed items with their reasons (the counts say how many in all). */
  skipped: RestoreProblem[];
  failed: RestoreProblem[];
}

export const MAX_PROBLEMS_LISTED = 100;

export interface RestoreJob {
  jobId: string;
  tenantId: string;
  /** The snapshot's resource (the source). */
  resourceId: string;
  resourceKind: ResourceKind;
  snapshotId: string;
  /** Set when the items come from an uploaded backup zip (an import), not the repository. */
  importId?: string;
  scope: RestoreScope;
  target: RestoreTarget;
  conflict: ConflictPolicy;
  state: RestoreState;
  requestedBy: string;
  createdAt: string;
  updatedAt: string;
  startedAt?: string;
  finishedAt?: string;
  /** Where a mail restore put its messages (`Restored <snapshot time>` or the chosen folder). */
  destination?: string;
  progress: RestoreProgress;
  report: RestoreReport;
  slices: number;
  failureReason?: string;
}

export function emptyReport(): RestoreReport {
  return { restored: 0, skippedCount: 0, failedCount: 0, skipped: [], failed: [] };
}

/** The message on `restore-jobs`: the job to run (its state lives in the store). */
export interface RestoreJobMessage {
  tenantId: string;
  jobId: string;
}
