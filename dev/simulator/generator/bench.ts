/**
 * Throughput of the generator: `npx tsx dev/simulator/generator/bench.ts` (single core).
 * Prints tenant generation time and heap, MIME build and parse rates, file stream and
 * QuickXorHash rates.
 */
import v8 from 'node:v8';
import vm from 'node:vm';
import { gzipSync } from 'node:zlib';
import {
  buildMime,
  contentSeedFor,
  createQuickXorHash,
  defaultShape,
  fileBytes,
  fileStream,
  generateTenant,
  parseMimeMetadata,
} from './index.js';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;
const now = new Date('2026-11-01T00:00:00Z');

async function main(): Promise<void> {
  gc();
  const heap = process.memoryUsage().heapUsed;
  let t = performance.now();
  const big = generateTenant({
    seed: 1,
    tenantIndex: 0,
    shape: { ...defaultShape(), users: 100, messagesPerMailbox: 2000 },
    now,
  });
  const bigMs = performance.now() - t;
  gc();
  console.log(
    `generateTenant 100 users x 2,000 messages: ${(bigMs / 1000).toFixed(1)} s, heap +${((process.memoryUsage().heapUsed - heap) / 1e6).toFixed(0)} MB, JSON ${(JSON.stringify(big).length / 1e6).toFixed(0)} MB`,
  );

  t = performance.now();
  const tenant = generateTenant({ seed: 42, tenantIndex: 0, shape: defaultShape(), now });
  console.log(`generateTenant default shape: ${(performance.now() - t).toFixed(0)} ms`);
  const messages = tenant.users.flatMap((u) => u.mailbox?.folders.flatMap((f) => f.messages) ?? []);
  t = performance.now();
  const mimes = messages.map((m) => buildMime(m));
  let seconds = (performance.now() - t) / 1000;
  const bytes = mimes.reduce((n, b) => n + b.length, 0);
  const plain = messages.map((m, i) => (m.attachments.length === 0 ? i : -1)).filter((i) => i >= 0);
  t = performance.now();
  for (const i of plain) buildMime(messages[i] as (typeof messages)[number]);
  const plainSeconds = (performance.now() - t) / 1000;
  let z = 0;
  let raw = 0;
  let meanRatio = 0;
  for (const b of mimes) {
    const n = gzipSync(b).length;
    z += n;
    raw += b.length;
    meanRatio += n / b.length;
  }
  console.log(
    `buildMime: ${messages.length} messages, ${(messages.length / seconds).toFixed(0)} messages/s, ${(bytes / 1e6 / seconds).toFixed(0)} MB/s ` +
      `(${(plain.length / plainSeconds).toFixed(0)} messages/s without attachments); mailbox average ${(bytes / 1e6 / tenant.users.filter((u) => u.mailbox).length).toFixed(1)} MB; ` +
      `gzip ratio mean per message ${(meanRatio / mimes.length).toFixed(2)}, over all bytes ${(z / raw).toFixed(2)}`,
  );
  t = performance.now();
  for (const b of mimes.slice(0, 500)) await parseMimeMetadata(b);
  seconds = (performance.now() - t) / 1000;
  console.log(`parseMimeMetadata: ${(Math.min(500, mimes.length) / seconds).toFixed(0)} messages/s`);

  for (const name of ['video.mp4', 'notes.txt', 'report.docx', 'manual.pdf']) {
    const spec = { contentSeed: contentSeedFor(7, name), size: 1024 * 1024 * 1024 };
    t = performance.now();
    let n = 0;
    for await (const chunk of fileStream(spec)) n += (chunk as Buffer).length;
    seconds = (performance.now() - t) / 1000;
    const sample = fileBytes(spec, 0, 4 << 20);
    console.log(
      `fileStream ${name} (1 GiB): ${(n / 1e6 / seconds).toFixed(0)} MB/s; gzip ratio ${(gzipSync(sample).length / sample.length).toFixed(2)}`,
    );
  }
  const data = fileBytes({ contentSeed: contentSeedFor(9, 'x.bin'), size: 256 << 20 });
  t = performance.now();
  createQuickXorHash().update(data).digest();
  seconds = (performance.now() - t) / 1000;
  console.log(`quickXorHash: ${(data.length / 1e6 / seconds).toFixed(0)} MB/s`);
}

void main();
