/**
 * Loaded into the benchmarked worker with `node --require` (bench/backup.ts does it): samples the
 * process's memory four times a second and, whenever the resident set reaches a new peak, writes
 * that sample's breakdown (V8 heap, external and ArrayBuffer memory, heap spaces) to the file named
 * by BENCH_MEMORY_PROBE_FILE. Peak RSS alone says how much; this says what held it. What RSS has
 * beyond heap and external is Node.js itself (about 50 MB idle) and native memory: TLS, and what
 * malloc keeps after buffers are freed.
 */
import { writeFileSync } from 'node:fs';
import { getHeapSpaceStatistics, getHeapStatistics } from 'node:v8';

const file = process.env.BENCH_MEMORY_PROBE_FILE;
const MB = 1e6;
const round = (bytes: number) => Math.round((bytes / MB) * 10) / 10;

if (file) {
  let peakRss = 0;
  let peakHeapUsed = 0;
  let peakArrayBuffers = 0;
  let atPeak: Record<string, unknown> = {};
  const sample = () => {
    const usage = process.memoryUsage();
    const newPeak =
      usage.rss > peakRss || usage.heapUsed > peakHeapUsed || usage.arrayBuffers > peakArrayBuffers;
    if (!newPeak) return;
    peakHeapUsed = Math.max(peakHeapUsed, usage.heapUsed);
    peakArrayBuffers = Math.max(peakArrayBuffers, usage.arrayBuffers);
    if (usage.rss > peakRss) {
      peakRss = usage.rss;
      const spaces = Object.fromEntries(
        getHeapSpaceStatistics().map((space) => [space.space_name, round(space.space_used_size)]),
      );
      atPeak = {
        at: new Date().toISOString(),
        rssMB: round(usage.rss),
        heapTotalMB: round(usage.heapTotal),
        heapUsedMB: round(usage.heapUsed),
        externalMB: round(usage.external),
        arrayBuffersMB: round(usage.arrayBuffers),
        // V8's own malloc (compiler zones and the like), outside the heap.
        v8MallocedMB: round(getHeapStatistics().malloced_memory),
        heapSpacesUsedMB: spaces,
      };
    }
    writeFileSync(
      file,
      JSON.stringify({
        atPeak,
        peakHeapUsedMB: round(peakHeapUsed),
        peakArrayBuffersMB: round(peakArrayBuffers),
      }),
    );
  };
  setInterval(sample, 250).unref();
}
