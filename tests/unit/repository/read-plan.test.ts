import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { LocalMasterKey, type ContentRef, type ReadPlan, type Repository } from '../../../shared/repository';
import { sampleMail } from '../../../shared/repository/sample-mail';
import { mapWithConcurrency } from '../../../shared/concurrency/pool';
import { storedItems } from '../../support/counting-store';

const masterKey = new LocalMasterKey(Buffer.alloc(32, 7));
const tenantId = '6f5e4d3c-2b1a-4098-8e7d-6c5b4a392817';
const MiB = 1024 * 1024;

const stored = (items: Buffer[]) => storedItems(items, tenantId, masterKey);

async function readAll(plan: ReadPlan, ref: ContentRef): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const part of plan.read(ref)) parts.push(part as Buffer);
  return Buffer.concat(parts);
}

function storedOrder(repo: Repository, refs: ContentRef[]): number[] {
  return refs
    .map((_, i) => i)
    .sort((a, b) => {
      const pa = repo.locate(refs[a]!.chunks[0]!)!;
      const pb = repo.locate(refs[b]!.chunks[0]!)!;
      return pa.packId === pb.packId ? pa.offset - pb.offset : pa.packId < pb.packId ? -1 : 1;
    });
}

describe('read plans (restore, export)', () => {
  it('reads every stored byte once for hundreds of messages read four at a time, in a few large requests', async () => {
    const mails = Array.from({ length: 600 }, (_, i) => sampleMail(4000 + i));
    const { store, repo, refs } = await stored(mails);
    const order = storedOrder(repo, refs);
    const plan = await repo.planReads(order.map((i) => refs[i]!));
    const back: Buffer[] = [];
    await mapWithConcurrency(order, 4, async (i) => void (back[i] = await readAll(plan, refs[i]!)));
    plan.close();
    back.forEach((data, i) => expect(data.equals(mails[i]!)).toBe(true));
    expect(plan.stats.chunksAlone).toBe(0);
    // Each pack's needed bytes once: no more than the packs hold, in 8 MiB requests at most.
    expect(store.bytesRead).toBeLessThanOrEqual(store.packBytes);
    expect(Math.max(...store.rangeReads)).toBeLessThanOrEqual(8 * MiB);
    expect(store.rangeReads.length).toBeLessThanOrEqual(Math.ceil(store.packBytes / (8 * MiB)) + 2);
  });

  it('reads large files and small ones in any order many at once, each byte once while it has room', async () => {
    const files = [
      randomBytes(20 * MiB),
      ...Array.from({ length: 40 }, () => randomBytes(200 * 1024)),
      randomBytes(9 * MiB),
    ];
    const { store, repo, refs } = await stored(files);
    const plan = await repo.planReads(refs);
    const back: Buffer[] = [];
    await mapWithConcurrency(
      refs.map((_, i) => i),
      16,
      async (i) => void (back[i] = await readAll(plan, refs[i]!)),
    );
    plan.close();
    back.forEach((data, i) => expect(data.equals(files[i]!)).toBe(true));
    expect(store.bytesRead).toBeLessThanOrEqual(store.packBytes);
  });

  it('holds no more than its bound when readers are far apart, reading the rest chunk by chunk', async () => {
    const files = Array.from({ length: 12 }, () => randomBytes(3 * MiB));
    const { repo, refs } = await stored(files);
    // Planned in one order, read in the opposite one, with room for one segment only.
    const plan = await repo.planReads(refs, { heldBytes: 4 * MiB, aheadBytes: 0, segmentBytes: 4 * MiB });
    for (const i of refs.map((_, i) => i).reverse())
      expect((await readAll(plan, refs[i]!)).equals(files[i]!)).toBe(true);
    plan.close();
    expect(plan.stats.chunksAlone).toBeGreaterThan(0);
  });

  it('lets a segment go when a chunk far ahead would pin it, so the reads in between stay in large requests', async () => {
    // Every tenth item comes again at the end (the same bytes: one stored chunk, read twice):
    // without letting their segments go, each would stay held for that one chunk until the end.
    const items = Array.from({ length: 120 }, () => randomBytes(300 * 1024));
    for (let i = 0; i < 120; i += 10) items.push(items[i]!);
    const { store, repo, refs } = await stored(items);
    const plan = await repo.planReads(refs, {
      heldBytes: 8 * MiB,
      aheadBytes: 4 * MiB,
      segmentBytes: 2 * MiB,
    });
    for (const [i, ref] of refs.entries()) expect((await readAll(plan, ref)).equals(items[i]!)).toBe(true);
    plan.close();
    // At most the twelve repeats read alone (their segments went to make room), not the items between.
    expect(plan.stats.chunksAlone).toBeLessThanOrEqual(12);
    expect(store.rangeReads.length).toBeLessThan(refs.length / 4);
  });

  it('lets a skipped item go: its segment is not fetched for it, and what neighbours need is still read once', async () => {
    const mails = Array.from({ length: 200 }, (_, i) => sampleMail(7000 + i));
    const { store, repo, refs } = await stored(mails);
    const order = storedOrder(repo, refs);
    const plan = await repo.planReads(
      order.map((i) => refs[i]!),
      { aheadBytes: 0 },
    );
    for (const [n, i] of order.entries()) {
      if (n % 2 === 0) plan.skip(refs[i]!);
      else expect((await readAll(plan, refs[i]!)).equals(mails[i]!)).toBe(true);
    }
    plan.close();
    expect(plan.stats.chunksAlone).toBe(0);
    expect(store.bytesRead).toBeLessThanOrEqual(store.packBytes);
  });

  it('plans around a chunk missing from the index: that item fails with the reason, the others read', async () => {
    const files = [randomBytes(100 * 1024), randomBytes(100 * 1024)];
    const { repo, refs } = await stored(files);
    const missing: ContentRef = { size: 10, sha256: '0'.repeat(64), chunks: ['ab'.repeat(32)] };
    const plan = await repo.planReads([refs[0]!, missing, refs[1]!]);
    expect((await readAll(plan, refs[0]!)).equals(files[0]!)).toBe(true);
    await expect(readAll(plan, missing)).rejects.toThrow(/not in the repository index/);
    expect((await readAll(plan, refs[1]!)).equals(files[1]!)).toBe(true);
    plan.close();
  });

  it('fails the reads of a pack that cannot be read with the storage error, and others still read', async () => {
    const files = [randomBytes(10 * MiB), randomBytes(10 * MiB)];
    const { store, repo, refs } = await stored(files);
    const firstPack = repo.locate(refs[0]!.chunks[0]!)!.packId;
    store.failPack = firstPack;
    const plan = await repo.planReads(refs);
    await expect(readAll(plan, refs[0]!)).rejects.toThrow(/unavailable/);
    store.failPack = undefined;
    // The second file's chunks in the failed pack are read again (alone or in a new segment).
    expect((await readAll(plan, refs[1]!)).equals(files[1]!)).toBe(true);
    plan.close();
  });

  it('refuses a content whose stored bytes were altered: the read fails, nothing wrong is returned', async () => {
    const files = [randomBytes(2 * MiB)];
    const { store, repo, refs } = await stored(files);
    const [name, data] = [...store.blobs.entries()].find(([n]) => n.startsWith('packs/'))!;
    const location = repo.locate(refs[0]!.chunks[0]!)!;
    const tampered = Buffer.from(data);
    tampered[location.offset + 100]! ^= 0xff;
    store.blobs.set(name, tampered);
    const plan = await repo.planReads(refs);
    await expect(readAll(plan, refs[0]!)).rejects.toThrow();
    plan.close();
  });
});
