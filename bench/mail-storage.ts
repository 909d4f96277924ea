/**
 * Mail storage benchmark (`npm run bench:mail`): the standard tenant's mailboxes, as the simulator
 * generates them (BENCH_SCALE scales users and messages as in bench:backup), stored into one
 * in-memory tenant repository the way the backup stores them, and, for comparison, as whole
 * messages (one chunk each, content-defined chunks past 1 MiB). Prints stored/logical, how much
 * deduplication saved, and what was cut. No Graph, no Azurite: only the storage format is measured.
 */
import { performance } from 'node:perf_hooks';
import { storeMime } from '../shared/backup/workloads/mailbox-handler';
import { mimeBodyRanges } from '../shared/backup/workloads/mime-segments';
import { LocalMasterKey, MemoryBlobStore, openRepository, type Repository } from '../shared/repository';
import { generator } from '../dev/simulator/generator';

const SCALE = Number(process.env.BENCH_SCALE ?? 0.25);
const SEED = Number(process.env.BENCH_SEED ?? 1);

const round = (value: number, digits = 3) => Math.round(value * 10 ** digits) / 10 ** digits;

async function measure(name: string, store: (repository: Repository, mime: Buffer) => Promise<unknown>) {
  const mimes = messages();
  const repository = await openRepository({
    store: new MemoryBlobStore(),
    tenantId: '00000000-0000-4000-8000-000000000001',
    masterKey: new LocalMasterKey(Buffer.alloc(32, 7)),
  });
  const started = performance.now();
  let logical = 0;
  let count = 0;
  for (const mime of mimes) {
    logical += mime.length;
    count += 1;
    await store(repository, mime);
  }
  await repository.flush();
  const seconds = (performance.now() - started) / 1000;
  const stats = repository.stats();
  // What storing every chunk as if it were new would have cost, estimated from the new chunks'
  // own stored/plaintext ratio: the difference is what deduplication saved.
  const storedPerNewByte = stats.storedBytes / Math.max(1, stats.newChunkBytes);
  const withoutDedup = stats.logicalBytes * storedPerNewByte;
  console.log(
    `${name}: ${count} messages, ${round(logical / 1e6, 1)} MB logical, ${round(stats.storedBytes / 1e6, 1)} MB stored, ` +
      `stored/logical ${round(stats.storedBytes / logical)}; new chunks ${stats.newChunks} ` +
      `(${round(stats.newChunkBytes / 1e6, 1)} MB), deduplicated chunks ${stats.dedupedChunks} ` +
      `(${round(1 - stats.newChunkBytes / stats.logicalBytes)} of the bytes); without dedup about ` +
      `${round(withoutDedup / logical)}; ${round(seconds, 1)} s`,
  );
}

function* messages(): Generator<Buffer> {
  const n = (value: number) => Math.max(1, Math.round(value * SCALE));
  const tenant = generator.generateTenant({
    seed: SEED,
    tenantIndex: 0,
    now: new Date('2026-11-01T00:00:00Z'),
    shape: {
      ...generator.defaultShape(),
      users: n(20),
      messagesPerMailbox: n(1000),
      customFoldersPerMailbox: 8,
    },
  });
  for (const user of tenant.users)
    for (const folder of user.mailbox?.folders ?? [])
      for (const message of folder.messages) yield generator.buildMime(message);
}

async function main(): Promise<void> {
  let cut = 0;
  let bodyBytes = 0;
  let total = 0;
  for (const mime of messages()) {
    const ranges = mimeBodyRanges(mime);
    cut += ranges.length;
    bodyBytes += ranges.reduce((sum, [start, end]) => sum + end - start, 0);
    total += mime.length;
  }
  console.log(
    `Mail storage, standard tenant ×${SCALE} (seed ${SEED}): ${cut} part bodies cut out, ` +
      `${round(bodyBytes / Math.max(1, total))} of the bytes`,
  );
  await measure('whole messages', (repository, mime) => repository.putBuffer(mime));
  await measure('cut at MIME parts', (repository, mime) => storeMime(repository, [mime]));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
