import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  LocalMasterKey,
  type ContentReadOptions,
  type ContentRef,
  type Repository,
} from '../../../shared/repository';
import { sampleMail } from '../../../shared/repository/sample-mail';
import { storedItems } from '../../support/counting-store';

const masterKey = new LocalMasterKey(Buffer.alloc(32, 5));
const tenantId = '5e4d3c2b-1a09-4f8e-9d7c-6b5a49382716';
const MiB = 1024 * 1024;

async function read(repo: Repository, ref: ContentRef, options?: ContentReadOptions): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const part of repo.readContent(ref, options)) parts.push(part as Buffer);
  return Buffer.concat(parts);
}

const stored = (items: Buffer[]) => storedItems(items, tenantId, masterKey);

describe('bulk reads (restore, export)', () => {
  it('reads a large file back exactly, with one storage request per run of chunks instead of one per chunk', async () => {
    const file = randomBytes(30 * MiB);
    const { store, repo, refs } = await stored([file]);
    const ref = refs[0]!;
    expect(ref.chunks.length).toBeGreaterThan(10);

    expect((await read(repo, ref, { bulk: true })).equals(file)).toBe(true);
    const bulkReads = store.rangeReads.length;
    // 30 MiB of chunks in 8 MiB packs: a run per pack (a pack's share of the file), 4-6 requests.
    expect(bulkReads).toBeLessThanOrEqual(6);
    expect(Math.max(...store.rangeReads)).toBeLessThanOrEqual(8 * MiB);

    store.rangeReads = [];
    expect((await read(repo, ref)).equals(file)).toBe(true);
    expect(store.rangeReads.length).toBeGreaterThan(2 * bulkReads);
  });

  it('reads the next run while the current one is consumed when asked to, and gets the same bytes', async () => {
    const file = randomBytes(20 * MiB);
    const { repo, refs } = await stored([file]);
    expect((await read(repo, refs[0]!, { bulk: true, runsAhead: 2 })).equals(file)).toBe(true);
  });

  it('serves neighbouring small items from shared pack segments: a few requests for hundreds of messages', async () => {
    const mails = Array.from({ length: 400 }, (_, i) => sampleMail(9000 + i));
    const { store, repo, refs } = await stored(mails);
    const storedBytes = [...store.blobs.entries()]
      .filter(([name]) => name.startsWith('packs/'))
      .reduce((sum, [, data]) => sum + data.length, 0);
    // In stored order (how a restore and an export take them), a few at a time.
    const order = refs.map((_, i) => i);
    order.sort((a, b) => {
      const pa = repo.locate(refs[a]!.chunks[0]!)!;
      const pb = repo.locate(refs[b]!.chunks[0]!)!;
      return pa.packId === pb.packId ? pa.offset - pb.offset : pa.packId < pb.packId ? -1 : 1;
    });
    for (let at = 0; at < order.length; at += 4) {
      const batch = order.slice(at, at + 4);
      const contents = await Promise.all(batch.map((i) => read(repo, refs[i]!, { bulk: true })));
      for (const [n, i] of batch.entries()) expect(contents[n]!.equals(mails[i]!)).toBe(true);
    }
    expect(store.rangeReads.length).toBeLessThanOrEqual(Math.ceil(storedBytes / (8 * MiB)) + 2);
  });

  it('fails a bulk read of a changed pack instead of returning altered bytes', async () => {
    const file = randomBytes(12 * MiB);
    const { store, repo, refs } = await stored([file]);
    const [name, pack] = [...store.blobs.entries()].find(([n]) => n.startsWith('packs/'))!;
    const altered = Buffer.from(pack);
    altered[4096] = altered[4096]! ^ 0xff;
    store.blobs.set(name, altered);
    await expect(read(repo, refs[0]!, { bulk: true })).rejects.toThrow(/integrity|authenticat|decrypt/i);
  });

  it('fails a bulk read of a pack shorter than the index says, naming the pack', async () => {
    const file = randomBytes(12 * MiB);
    const { store, repo, refs } = await stored([file]);
    const [name, pack] = [...store.blobs.entries()].find(([n]) => n.startsWith('packs/'))!;
    store.blobs.set(name, pack.subarray(0, 2 * MiB));
    await expect(read(repo, refs[0]!, { bulk: true })).rejects.toThrow(/shorter than the index says/);
  });

  it('keeps what it read in the read cache unless told not to (an export reads each item once)', async () => {
    const mails = Array.from({ length: 20 }, (_, i) => sampleMail(5000 + i));
    // Segments smaller than a message: each chunk is its own request, so only the cache saves one.
    const { store, repo, refs } = await storedItems(mails, tenantId, masterKey, { readSegmentBytes: 1024 });

    // Not kept: reading the items again goes to storage again.
    for (const [i, ref] of refs.entries())
      expect((await read(repo, ref, { cache: false })).equals(mails[i]!)).toBe(true);
    store.rangeReads = [];
    for (const ref of refs) await read(repo, ref);
    expect(store.rangeReads.length).toBeGreaterThan(0);

    // Kept (the default, for browsing): the same reads need no request.
    store.rangeReads = [];
    for (const [i, ref] of refs.entries()) expect((await read(repo, ref)).equals(mails[i]!)).toBe(true);
    expect(store.rangeReads).toEqual([]);
  });
});
