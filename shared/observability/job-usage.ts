/**
 * What one job used, when many jobs of one tenant share a Graph client and a repository writer in
 * one process. The job's counters travel with its calls (`TenantGraph.forJob`, the repository's
 * put options) rather than in async context: an AsyncLocalStorage would put a hook on every
 * promise the process makes, which a backup makes by the million.
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

export function newJobUsage(): JobUsage {
  return { graphRequests: 0, graphThrottled: 0, storedBytes: 0, newChunks: 0, newChunkBytes: 0 };
}
