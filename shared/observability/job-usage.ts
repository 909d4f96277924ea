import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * What one job used, when many jobs of one tenant share a Graph client and a repository writer in
 * one process: each job runs in its own context, and the shared pieces add to the current one.
 */
export interface JobUsage {
  graphRequests: number;
  graphThrottled: number;
  /** Bytes of new chunks this job stored (compressed and encrypted). */
  storedBytes: number;
  newChunks: number;
  /** Plaintext bytes of those new chunks (what was not deduplicated). */
  newChunkBytes: number;
}

const storage = new AsyncLocalStorage<JobUsage>();

export function newJobUsage(): JobUsage {
  return { graphRequests: 0, graphThrottled: 0, storedBytes: 0, newChunks: 0, newChunkBytes: 0 };
}

/** Runs `work` with `usage` as the current job's counters. */
export function withJobUsage<T>(usage: JobUsage, work: () => Promise<T>): Promise<T> {
  return storage.run(usage, work);
}

/** The current job's counters, if a job is running. */
export function currentJobUsage(): JobUsage | undefined {
  return storage.getStore();
}
