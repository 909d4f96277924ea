import { describe, expect, it } from 'vitest';
import {
  LocalMasterKey,
  MemoryBlobStore,
  openRepository,
  type ContentRef,
  type Repository,
} from '../../../shared/repository';
import { sampleMail } from '../../../shared/repository/sample-mail';

const masterKey = new LocalMasterKey(Buffer.alloc(32, 3));
const tenantId = '3c2b1a09-8f7e-4d6c-9b5a-493827160514';
const MiB = 1024 * 1024;

/** A memory store whose pack range reads wait until the test lets them answer; counts them. */
class GatedStore extends MemoryBlobStore {
  rangeReads = 0;
  inFlight = 0;
  mostInFlight = 0;
  gated = false;
  failing = false;
  private readonly parked: (() => void)[] = [];

  override async getRange(name: string, offset: number, count: number): Promise<Buffer> {
    if (!name.startsWith('packs/')) return super.getRange(name, offset, count);
    if (this.failing) throw new Error('storage is down');
    this.rangeReads += 1;
    this.inFlight += 1;
    this.mostInFlight = Math.max(this.mostInFlight, this.inFlight);
    try {
      if (this.gated) await new Promise<void>((resolve) => this.parked.push(resolve));
      return await super.getRange(name, offset, count);
    } finally {
      this.inFlight -= 1;
    }
  }

  open(): void {
    this.gated = false;
    for (const resume of this.parked.splice(0)) resume();
  }
}

async function readAll(repo: Repository, ref: ContentRef): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const part of repo.readContent(ref)) parts.push(part as Buffer);
  return Buffer.concat(parts);
}

const SEGMENT = 64 * 1024;

/** 600 messages in 2 MiB packs, read back through a fresh repository that reads (and prefetches) 64 KiB segments. */
async function storedMail(
  store: GatedStore,
): Promise<{ repo: Repository; mails: Buffer[]; refs: ContentRef[] }> {
  const writer = await openRepository({ store, tenantId, masterKey, options: { packTargetSize: 2 * MiB } });
  const mails = Array.from({ length: 600 }, (_, i) => sampleMail(5000 + i));
  const refs: ContentRef[] = [];
  for (const mail of mails) refs.push(await writer.putBuffer(mail));
  await writer.flush();
  const repo = await openRepository({
    store,
    tenantId,
    masterKey,
    options: { cacheBytes: 0, readSegmentBytes: SEGMENT, bulkReadBytes: SEGMENT },
  });
  return { repo, mails, refs };
}

describe('repository prefetch of pack segments', () => {
  it('fetches the segments of items ahead, several at once, and their reads then need no storage request', async () => {
    const store = new GatedStore();
    const { repo, mails, refs } = await storedMail(store);
    // Stored order, as an export reads.
    const order = refs.map((_, i) => i);
    order.sort((a, b) => {
      const pa = repo.locate(refs[a]!.chunks[0]!)!;
      const pb = repo.locate(refs[b]!.chunks[0]!)!;
      return pa.packId === pb.packId ? pa.offset - pb.offset : pa.packId < pb.packId ? -1 : 1;
    });

    store.gated = true;
    store.rangeReads = 0;
    const holds = order.map((i) => repo.prefetch(refs[i]!.chunks, 64 * MiB));
    expect(holds.every((hold) => hold !== undefined)).toBe(true);
    // Every segment is requested at once, none waits on another.
    const segments = store.rangeReads;
    expect(segments).toBeGreaterThan(3);
    expect(store.mostInFlight).toBe(segments);
    store.open();

    for (const [n, i] of order.entries()) {
      expect((await readAll(repo, refs[i]!)).equals(mails[i]!)).toBe(true);
      holds[n]!.release();
    }
    expect(store.rangeReads).toBe(segments);
  });

  it('starts nothing past its byte bound until earlier segments are released', async () => {
    const store = new GatedStore();
    const { repo, refs } = await storedMail(store);
    store.rangeReads = 0;
    // Items far apart in the repository: each needs a segment of its own.
    const apart = [0, 150, 300, 450].map((i) => refs[i]!);
    const first = repo.prefetch(apart[0]!.chunks, 2 * SEGMENT);
    const second = repo.prefetch(apart[1]!.chunks, 2 * SEGMENT);
    expect(first).toBeDefined();
    expect(second).toBeDefined();
    expect(repo.prefetch(apart[2]!.chunks, 2 * SEGMENT)).toBeUndefined();
    expect(store.rangeReads).toBe(2);
    first!.release();
    expect(repo.prefetch(apart[2]!.chunks, 2 * SEGMENT)).toBeDefined();
    expect(store.rangeReads).toBe(3);
  });

  it('fails the read of a chunk whose prefetched segment could not be read, with the storage error', async () => {
    const store = new GatedStore();
    const { repo, refs } = await storedMail(store);
    store.failing = true;
    const hold = repo.prefetch(refs[0]!.chunks, 8 * SEGMENT);
    await expect(readAll(repo, refs[0]!)).rejects.toThrow('storage is down');
    hold!.release();
  });
});
