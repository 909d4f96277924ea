import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Semaphore } from '../../../shared/concurrency/semaphore';
import { AppError } from '../../../shared/errors/app-error';
import {
  ByteLruCache,
  LocalMasterKey,
  MemoryBlobStore,
  containerNameForTenant,
  openRepository,
  type BlobData,
} from '../../../shared/repository';
import { sampleMail } from '../../../shared/repository/sample-mail';

const masterKey = new LocalMasterKey(Buffer.alloc(32, 1));
const tenantId = '9f1d2c1e-5b7a-4f7e-9a51-0c2d3e4f5a6b';

/** A memory store whose pack uploads fail while `failPacks` is set. */
class FlakyStore extends MemoryBlobStore {
  failPacks = false;
  override async putNew(name: string, data: BlobData): Promise<void> {
    if (this.failPacks && name.startsWith('packs/')) throw new AppError('unavailable', 'storage is down');
    return super.putNew(name, data);
  }
}

/** Every write lands, then answers 409 as a storage client's retry after a lost response would. */
class LostResponseStore extends MemoryBlobStore {
  override async putNew(name: string, data: BlobData): Promise<void> {
    await super.putNew(name, data);
    throw new AppError('conflict', `blob ${name}: already exists`);
  }
}

/** Pack uploads of every store sharing `gate` wait until the test lets them land; counts them. */
interface UploadGate {
  inFlight: number;
  mostInFlight: number;
  parked: (() => void)[];
}

class SlowPackStore extends MemoryBlobStore {
  constructor(private readonly gate: UploadGate) {
    super();
  }
  override async putNew(name: string, data: BlobData): Promise<void> {
    if (!name.startsWith('packs/')) return super.putNew(name, data);
    this.gate.inFlight++;
    this.gate.mostInFlight = Math.max(this.gate.mostInFlight, this.gate.inFlight);
    await new Promise<void>((resolve) => this.gate.parked.push(resolve));
    this.gate.inFlight--;
    return super.putNew(name, data);
  }
}

describe('repository writer (in memory)', () => {
  it('uploads no more packs at once than the process-wide upload slots, across tenants and writers, and loses nothing', async () => {
    const gate: UploadGate = { inFlight: 0, mostInFlight: 0, parked: [] };
    const shared = { uploadSlots: new Semaphore(2), cache: new ByteLruCache(1024 * 1024) };
    const options = { packTargetSize: 256 * 1024, compression: { algorithm: 'none' as const, level: 0 } };
    const tenants = [tenantId, '0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d'];
    const repos = await Promise.all(
      tenants.map((id) =>
        openRepository({ store: new SlowPackStore(gate), tenantId: id, masterKey, options, shared }),
      ),
    );
    // 8 writers per tenant, 2 MiB each (incompressible): 64 packs' worth against 2 upload slots.
    const items = repos.flatMap((repo) =>
      Array.from({ length: 8 }, () => ({ repo, data: randomBytes(2 << 20) })),
    );
    let finished = false;
    // The flush too: it uploads the last, part-filled pack, which must be let through as well.
    const writing = (async () => {
      const written = await Promise.all(
        items.map(async ({ repo, data }) => {
          const ref = await repo.putStream([data]);
          return { repo, data, ref };
        }),
      );
      await Promise.all(repos.map((repo) => repo.flush()));
      return written;
    })().finally(() => (finished = true));
    while (!finished) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      for (const land of gate.parked.splice(0)) land();
    }
    const written = await writing;
    expect(gate.mostInFlight).toBe(2); // never more packs uploading than the process's slots
    for (const { repo, data, ref } of written) {
      const back = await new Promise<Buffer>((resolve, reject) => {
        const parts: Buffer[] = [];
        repo
          .readContent(ref)
          .on('data', (part: Buffer) => parts.push(part))
          .on('end', () => resolve(Buffer.concat(parts)))
          .on('error', reject);
      });
      expect(back.equals(data)).toBe(true);
    }
  });

  it('treats "already exists" on a retried write of its own as success', async () => {
    const store = new LostResponseStore();
    const repo = await openRepository({ store, tenantId, masterKey });
    const ref = await repo.putBuffer(sampleMail(2));
    await repo.flush();
    const reopened = await openRepository({ store, tenantId, masterKey });
    expect(reopened.repositoryId).toBe(repo.repositoryId);
    expect((await reopened.readChunk(ref.chunks[0]!)).equals(sampleMail(2))).toBe(true);
  });

  it('reports logical and stored bytes, and stores nothing twice', async () => {
    const repo = await openRepository({ store: new MemoryBlobStore(), tenantId, masterKey });
    for (let i = 0; i < 20; i++) await repo.putBuffer(sampleMail(i % 10));
    await repo.flush();
    const stats = repo.stats();
    expect(stats).toMatchObject({ newChunks: 10, dedupedChunks: 10, packsWritten: 1, indexFilesWritten: 1 });
    const logical = Array.from({ length: 20 }, (_, i) => sampleMail(i % 10).length).reduce((a, b) => a + b);
    expect(stats.logicalBytes).toBe(logical);
    expect(stats.storedBytes).toBeLessThan(logical * 0.3); // half deduplicated, the rest compressed
  });

  it('stores a file streamed in small network pieces as the same chunks as the file whole, and reads it back', async () => {
    // Half random (stored raw, never joined), half text (compressed), several chunks long.
    const text = Buffer.from(
      sampleMail(3)
        .toString('latin1')
        .repeat(2000)
        .slice(0, 3 * 1024 * 1024),
      'latin1',
    );
    const file = Buffer.concat([randomBytes(5 * 1024 * 1024), text]);
    const pieces = Array.from({ length: Math.ceil(file.length / 16_384) }, (_, i) =>
      Buffer.from(file.subarray(i * 16_384, (i + 1) * 16_384)),
    );
    const repo = await openRepository({ store: new MemoryBlobStore(), tenantId, masterKey });
    const streamed = await repo.putStream(pieces);
    const stored = repo.stats().storedBytes;
    const whole = await repo.putBuffer(file);
    expect(whole).toEqual(streamed);
    expect(streamed.chunks.length).toBeGreaterThan(2);
    expect(repo.stats()).toMatchObject({ dedupedChunks: streamed.chunks.length, storedBytes: stored });
    await repo.flush();
    const back: Buffer[] = [];
    for await (const chunk of repo.readContent(streamed)) back.push(chunk as Buffer);
    expect(Buffer.concat(back).equals(file)).toBe(true);
    expect(repo.stats().storedBytes).toBeLessThan(5.1 * 1024 * 1024 + text.length * 0.5);
  });

  it('reads its own writes before they are flushed (reading makes them durable first)', async () => {
    const store = new MemoryBlobStore();
    const repo = await openRepository({ store, tenantId, masterKey });
    const ref = await repo.putBuffer(sampleMail(1));
    expect([...store.blobs.keys()].some((name) => name.startsWith('packs/'))).toBe(false);
    expect((await repo.readChunk(ref.chunks[0]!)).equals(sampleMail(1))).toBe(true);
    expect([...store.blobs.keys()].some((name) => name.startsWith('index/'))).toBe(true);
  });

  it('after a failed pack upload, refuses further work instead of deduplicating against lost chunks', async () => {
    const store = new FlakyStore();
    const repo = await openRepository({ store, tenantId, masterKey });
    await repo.putBuffer(sampleMail(1));
    store.failPacks = true;
    await expect(repo.flush()).rejects.toMatchObject({
      code: 'unavailable',
      message: expect.stringContaining('must be reopened'),
    });
    await expect(repo.putBuffer(sampleMail(1))).rejects.toThrow(/must be reopened/);
    store.failPacks = false;
    const again = await openRepository({ store, tenantId, masterKey });
    const ref = await again.putBuffer(sampleMail(1));
    await again.flush();
    expect(again.stats().newChunks).toBe(1);
    expect((await again.readChunk(ref.chunks[0]!)).equals(sampleMail(1))).toBe(true);
  });

  it('keeps the chunk sizes it was created with, whatever a later opener asks for', async () => {
    const store = new MemoryBlobStore();
    const small = { minSize: 4096, avgSize: 16384, maxSize: 65536 };
    await openRepository({ store, tenantId, masterKey, options: { chunker: small } });
    const reopened = await openRepository({ store, tenantId, masterKey });
    expect(reopened.options.chunker).toEqual(small);
  });

  it('refuses a modified config and a repository of another tenant', async () => {
    const store = new MemoryBlobStore();
    await openRepository({ store, tenantId, masterKey });
    await expect(openRepository({ store, tenantId: 'another-tenant', masterKey })).rejects.toThrow(
      /belongs to tenant/,
    );
    const config = JSON.parse(store.blobs.get('config')!.toString());
    store.blobs.set(
      'config',
      Buffer.from(JSON.stringify({ ...config, chunker: { minSize: 64, avgSize: 128, maxSize: 256 } })),
    );
    await expect(openRepository({ store, tenantId, masterKey })).rejects.toThrow(/config blob was modified/);
  });

  it('stores an item given as segments with chunk boundaries at the segments, and reads it back joined', async () => {
    const repo = await openRepository({ store: new MemoryBlobStore(), tenantId, masterKey });
    const shared = Buffer.concat(Array.from({ length: 120 }, (_, i) => sampleMail(100 + i)));
    expect(shared.length).toBeGreaterThan(repo.options.smallItemLimit);
    const first = await repo.putSegments([
      Buffer.from('head one\r\n'),
      shared,
      Buffer.alloc(0),
      Buffer.from('tail'),
    ]);
    const second = await repo.putSegments([Buffer.from('another head\r\n'), shared]);
    // The large segment was cut by content on its own, so both items share all of its chunks.
    const sharedChunks = first.chunks.slice(1, -1);
    expect(sharedChunks.length).toBeGreaterThan(0);
    expect(second.chunks.slice(1)).toEqual(sharedChunks);
    const whole = Buffer.concat([Buffer.from('head one\r\n'), shared, Buffer.from('tail')]);
    expect(first.size).toBe(whole.length);
    const back: Buffer[] = [];
    for await (const piece of repo.readContent(first)) back.push(piece as Buffer);
    expect(Buffer.concat(back).equals(whole)).toBe(true);
  });

  it('names a tenant container after the tenant id and rejects names storage would refuse', () => {
    expect(containerNameForTenant('9F1D2C1E-5B7A-4F7E-9A51-0C2D3E4F5A6B')).toBe(`repo-${tenantId}`);
    expect(() => containerNameForTenant('../x')).toThrow(AppError);
    expect(() => containerNameForTenant('a--b')).toThrow(/cannot name a repository container/);
  });
});
