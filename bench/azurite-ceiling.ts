import { randomUUID } from 'node:crypto';
import type { BlobServiceClient } from '@azure/storage-blob';

export interface UploadCeiling {
  blobBytes: number;
  blobs: number;
  byConcurrency: { concurrency: number; mbPerSecond: number }[];
  best: { concurrency: number; mbPerSecond: number };
}

/**
 * The storage ceiling: raw upload of (up to 256 MiB of) the given number of bytes as 8 MiB blobs,
 * at concurrency 1, 2, 4, 8 and 16; the best is what any writer to this Azurite could reach. MB are
 * decimal (10^6 bytes).
 */
export async function rawUploadCeiling(blobs: BlobServiceClient, totalBytes: number): Promise<UploadCeiling> {
  const blobSize = 8 * 1024 * 1024;
  const count = Math.max(8, Math.ceil(Math.min(totalBytes, 256 * 1024 * 1024) / blobSize));
  const payload = Buffer.alloc(blobSize, 'raw upload ceiling ');
  const byConcurrency: UploadCeiling['byConcurrency'] = [];
  for (const concurrency of [1, 2, 4, 8, 16]) {
    const container = blobs.getContainerClient(`ceiling-${concurrency}-${randomUUID().slice(0, 8)}`);
    await container.createIfNotExists();
    let next = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < count) {
          const i = next++;
          await container.getBlockBlobClient(`b${i}`).upload(payload, payload.length);
        }
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    byConcurrency.push({ concurrency, mbPerSecond: Number(((count * blobSize) / 1e6 / seconds).toFixed(1)) });
    await container.deleteIfExists();
  }
  const best = byConcurrency.reduce((a, b) => (b.mbPerSecond > a.mbPerSecond ? b : a));
  return { blobBytes: blobSize, blobs: count, byConcurrency, best };
}
