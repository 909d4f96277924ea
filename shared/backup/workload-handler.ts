import type { TenantGraph } from '../graph/graph-client';
import type { JobUsage } from '../observability/job-usage';
import type { Logger } from '../observability/logger';
import type { Repository } from '../repository';
import type { Resource, ResourceKind } from '../resources/resource';

/** Counters a handler reports as it goes; they end up in the snapshot record. */
export interface SliceReport {
  skip(item: string, reason: string): void;
  added(count?: number): void;
  changed(count?: number): void;
  removed(count?: number): void;
  /** Items looked at (progress while running). */
  processed(count?: number): void;
}

/** The last committed snapshot of the resource, which this one is incremental to. */
export interface PreviousSnapshot {
  snapshotId: string;
  manifestRoot: string;
  /** What the handler saved at commit (delta links…); undefined → no usable checkpoint. */
  checkpoint: unknown;
}

/** Everything a workload handler gets for one time-boxed slice of a snapshot. */
export interface SnapshotSlice {
  resource: Resource;
  graph: TenantGraph;
  repository: Repository;
  /**
   * This job's counters. `graph` counts into them already; pass them to the repository's put
   * methods (`{ usage }`), whose writer other jobs of the tenant share.
   */
  usage: JobUsage;
  previous: PreviousSnapshot | undefined;
  /** What this handler returned at its last yield; undefined on the first slice. */
  state: unknown;
  /** True once the slice's time budget is spent: save state at the next safe point and yield. */
  outOfTime(): boolean;
  report: SliceReport;
  log: Logger;
}

export type SliceResult =
  /** Not finished: persist `state`, continue in a new job. */
  | { kind: 'yield'; state: unknown }
  /** Finished: the manifest root is written (flush pending), `checkpoint` is saved with the record. */
  | { kind: 'done'; manifestRoot: string; checkpoint: unknown; items: number; logicalBytes: number };

/**
 * One per resource kind. Handlers throw AppError: `not-found`/`forbidden`/`permanent` mean the
 * resource as a whole cannot be read (the snapshot fails with that reason); anything else is
 * retried by the queue. Per-item problems are reported with `report.skip`, never thrown.
 */
export interface WorkloadHandler {
  readonly kind: ResourceKind;
  runSlice(slice: SnapshotSlice): Promise<SliceResult>;
}
