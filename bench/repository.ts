/**
 * Repository benchmark (`npm run bench:repository`): writes N small mail-like items and a few large
 * files into a tenant repository on a local, in-memory Azurite, then reports items/s, MB/s,
 * stored/logical, peak RSS, a re-run (everything deduplicated), a read-back, and the ceiling: raw
 * upload of the same bytes to the same Azurite as 8 MiB blobs at the best concurrency (and, for
 * scale, small items as one blob each). Results: stdout and bench/results/repository.json.
 *
 * Sizes: BENCH_ITEMS (default 5000 mails), BENCH_LARGE_MB (default 3 files of 64 MB),
 * BENCH_HUGE_MB (default 1024: one streamed file for the RSS figure; 0 skips it).
 */
import { createCipheriv, createHash, randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { BlobServiceClient } from '@azure/storage-blob';
import { startAzurite } from '../dev/azurite';
import { LocalMasterKey, openRepository, type ContentRef } from '../shared/repository';
import { sampleMail } from '../shared/repository/sample-mail';
import { rawUploadCeiling } from './azurite-ceiling';

const ITEMS = Number(process.env.BENCH_ITEMS ?? 5000);
const LARGE_MB = Number(process.env.BENCH_LARGE_MB ?? 64);
const LARGE_FILES = 3;
const HUGE_MB = Number(process.env.BENCH_HUGE_MB ?? 1024);
const MiB = 1024 * 1024;

const gc = (globalThis as { gc?: () => void }).gc;

class RssSampler {
  peak = 0;
  private timer: NodeJS.Timeout | undefined;
  start(): this {
    gc?.();
    this.peak = process.memoryUsage.rss();
    this.timer = setInterval(() => (this.peak = Math.max(this.peak, process.memoryUsage.rss())), 10);
    return this;
  }
  stop(): number {
    clearInterval(this.timer);
    this.peak = Math.max(this.peak, process.memoryUsage.rss());
    return this.peak;
  }
}

/** 4 MiB of mail-like text, built once; large files take slices of it, stamped to stay unique. */
let textPool: Buffer | undefined;
function pool(): Buffer {
  if (!textPool) {
    const parts: Buffer[] = [];
    let length = 0;
    for (let i = 0; length < 4 * MiB; i++) {
      const mail = sampleMail(500_000 + i, 20_000);
      parts.push(mail);
      length += mail.length;
    }
    textPool = Buffer.concat(parts);
  }
  return textPool;
}

/**
 * A large file's bytes, streamed: half document-like text (mail bodies), half incompressible (like
 * embedded images), in 1 MiB runs, so compression and its skip both happen. Cheap to generate,
 * so the figures measure the repository, not the generator.
 */
function largeFile(seed: number, bytes: number): Readable {
  const key = createHash('sha256').update(`large ${seed}`).digest();
  const noise = createCipheriv('aes-256-ctr', key, Buffer.alloc(16));
  const text = pool();
  let produced = 0;
  let n = 0;
  return new Readable({
    read() {
      if (produced >= bytes) return void this.push(null);
      const size = Math.min(MiB, bytes - produced);
      let piece: Buffer;
      if (n % 2 === 0) {
        const start = (n * 1_048_573 + seed * 7919) % (text.length - MiB);
        piece = Buffer.from(text.subarray(start, start + size));
        for (let at = 0; at + 64 < size; at += 8192)
          piece.write(`\r\n[${seed}-${n}-${at}]\r\n`, at, 'latin1');
      } else {
        piece = noise.update(Buffer.alloc(size));
      }
      n += 1;
      produced += size;
      this.push(piece);
    },
  });
}

const mb = (bytes: number) => bytes / 1e6;
const round = (value: number, digits = 1) => Number(value.toFixed(digits));

async function smallBlobCeiling(blobs: BlobServiceClient, items: Buffer[]) {
  const container = blobs.getContainerClient(`small-${randomUUID().slice(0, 8)}`);
  await container.createIfNotExists();
  const sample = items.slice(0, Math.min(items.length, 2000));
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (next < sample.length) {
        const i = next++;
        await container.getBlockBlobClient(`item-${i}`).upload(sample[i]!, sample[i]!.length);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  await container.deleteIfExists();
  return { items: sample.length, concurrency: 16, itemsPerSecond: round(sample.length / seconds, 0) };
}

async function main(): Promise<void> {
  const azurite = await startAzurite();
  try {
    const blobs = BlobServiceClient.fromConnectionString(azurite.connectionString);
    const masterKey = new LocalMasterKey(Buffer.alloc(32, 0x42));
    const tenantId = randomUUID();
    const mails = Array.from({ length: ITEMS }, (_, i) => sampleMail(i + 1));
    const mailBytes = mails.reduce((sum, mail) => sum + mail.length, 0);
    pool();
    gc?.();
    const baselineRss = process.memoryUsage.rss(); // the process, its libraries and the test data

    // 1. Small items (one chunk each), then flush.
    const rss = new RssSampler().start();
    let repo = await openRepository({ blobs, tenantId, masterKey });
    let started = performance.now();
    const refs: ContentRef[] = [];
    for (const mail of mails) refs.push(await repo.putBuffer(mail));
    await repo.flush();
    const smallSeconds = (performance.now() - started) / 1000;
    const afterSmall = repo.stats();

    // 2. Large files, streamed.
    started = performance.now();
    for (let f = 0; f < LARGE_FILES; f++) refs.push(await repo.putStream(largeFile(f, LARGE_MB * MiB)));
    await repo.flush();
    const largeSeconds = (performance.now() - started) / 1000;
    const afterLarge = repo.stats();
    const writePeakRss = rss.stop();

    // 3. One huge streamed file: peak RSS while it goes through.
    let huge: { mb: number; seconds: number; mbPerSecond: number; peakRssMB: number } | undefined;
    if (HUGE_MB > 0) {
      const hugeRss = new RssSampler().start();
      started = performance.now();
      await repo.putStream(largeFile(99, HUGE_MB * MiB));
      await repo.flush();
      const seconds = (performance.now() - started) / 1000;
      huge = {
        mb: HUGE_MB,
        seconds: round(seconds, 2),
        mbPerSecond: round(mb(HUGE_MB * MiB) / seconds),
        peakRssMB: round(hugeRss.stop() / MiB, 0),
      };
    }

    // 4. The same items again in a new writer: everything deduplicates.
    repo = await openRepository({ blobs, tenantId, masterKey });
    started = performance.now();
    for (const mail of mails) await repo.putBuffer(mail);
    await repo.flush();
    const rerunSeconds = (performance.now() - started) / 1000;
    const rerun = repo.stats();

    // 5. Read everything back (restore/export path) and check it.
    started = performance.now();
    let readBytes = 0;
    for (const [i, ref] of refs.entries()) {
      const hash = createHash('sha256');
      for await (const part of repo.readContent(ref)) {
        hash.update(part as Buffer);
        readBytes += (part as Buffer).length;
      }
      if (hash.digest('hex') !== ref.sha256) throw new Error(`item ${i} read back differently`);
    }
    const readSeconds = (performance.now() - started) / 1000;

    // 6. Ceilings on the same Azurite.
    const logicalBytes = afterLarge.logicalBytes;
    const ceiling = await rawUploadCeiling(blobs, logicalBytes);
    const smallBlobs = await smallBlobCeiling(blobs, mails);

    const totalSeconds = smallSeconds + largeSeconds;
    const results = {
      measuredAt: new Date().toISOString(),
      node: process.version,
      // The machine may be shared: a high load average depresses every figure below.
      loadAverage1m: round(loadavg()[0] ?? 0, 2),
      cpus: cpus().length,
      workload: {
        smallItems: ITEMS,
        smallItemsMB: round(mb(mailBytes)),
        largeFiles: LARGE_FILES,
        largeFileMB: LARGE_MB,
        hugeFileMB: HUGE_MB,
      },
      smallItems: {
        seconds: round(smallSeconds, 2),
        itemsPerSecond: round(ITEMS / smallSeconds, 0),
        mbPerSecond: round(mb(mailBytes) / smallSeconds),
        storedOverLogical: round(afterSmall.storedBytes / afterSmall.logicalBytes, 3),
        packs: afterSmall.packsWritten,
      },
      largeFiles: {
        seconds: round(largeSeconds, 2),
        mbPerSecond: round(mb(afterLarge.logicalBytes - afterSmall.logicalBytes) / largeSeconds),
        storedOverLogical: round(
          (afterLarge.storedBytes - afterSmall.storedBytes) /
            (afterLarge.logicalBytes - afterSmall.logicalBytes),
          3,
        ),
      },
      total: {
        logicalMB: round(mb(logicalBytes)),
        storedMB: round(mb(afterLarge.storedBytes)),
        storedOverLogical: round(afterLarge.storedBytes / logicalBytes, 3),
        mbPerSecond: round(mb(logicalBytes) / totalSeconds),
        packs: afterLarge.packsWritten,
        indexFiles: afterLarge.indexFilesWritten,
        chunks: afterLarge.newChunks,
        peakRssMB: round(writePeakRss / MiB, 0),
        baselineRssMB: round(baselineRss / MiB, 0),
      },
      hugeFile: huge,
      rerunDeduplicated: {
        itemsPerSecond: round(ITEMS / rerunSeconds, 0),
        newChunks: rerun.newChunks,
        storedBytes: rerun.storedBytes,
      },
      readBack: { mb: round(mb(readBytes)), mbPerSecond: round(mb(readBytes) / readSeconds) },
      ceiling: {
        rawUpload8MiB: ceiling,
        smallItemsOneBlobEach: smallBlobs,
        repositoryShareOfRawCeiling: round(mb(logicalBytes) / totalSeconds / ceiling.best.mbPerSecond, 2),
      },
    };
    console.log(JSON.stringify(results, null, 2));
    const dir = join(__dirname, '..', '..', 'bench', 'results');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'repository.json'), JSON.stringify(results, null, 2) + '\n');
  } finally {
    await azurite.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
