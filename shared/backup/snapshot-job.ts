import { z } from 'zod';

/** One message on `snapshot-jobs`: back up one resource (or continue doing so). */
export const snapshotJobSchema = z.object({
  tenantId: z.string().min(1),
  resourceId: z.string().min(1),
  /** Why: the 6-hourly schedule, "back up now", or the continuation of a time-boxed job. */
  reason: z.enum(['schedule', 'manual', 'continuation']),
  /** Identifies the run that asked for it (a schedule tick, a manual request). */
  runId: z.string().min(1),
  requestedAt: z.string().datetime(),
  /** For continuations: the snapshot being continued. */
  snapshotId: z.string().min(1).optional(),
});

export type SnapshotJob = z.infer<typeof snapshotJobSchema>;
