import {
  MemoryBlobStore,
  openRepository,
  type ContentRef,
  type MasterKeyProvider,
  type Repository,
  type RepositoryOptions,
} from '../../shared/repository';

/** A memory store that counts pack range reads and their sizes, and can fail the reads of one pack. */
export class CountingStore extends MemoryBlobStore {
  rangeReads: number[] = [];
  failPack?: string;

  override async getRange(name: string, offset: number, count: number, into?: Buffer): Promise<Buffer> {
    if (name.startsWith('packs/')) {
      this.rangeReads.push(count);
      if (this.failPack && name.includes(this.failPack)) throw new Error('storage is unavailable');
    }
    return super.getRange(name, offset, count, into);
  }

  get bytesRead(): number {
    return this.rangeReads.reduce((sum, n) => sum + n, 0);
  }

  /** What the packs hold in all. */
  get packBytes(): number {
    return [...this.blobs.entries()]
      .filter(([name]) => name.startsWith('packs/'))
      .reduce((sum, [, data]) => sum + data.length, 0);
  }
}

/**
 * Writes `items` into a fresh repository (8 MiB packs), then opens it again as a reader would,
 * with `readerOptions` (default: no read cache), and clears the read count.
 */
export async function storedItems(
  items: Buffer[],
  tenantId: string,
  masterKey: MasterKeyProvider,
  readerOptions: Partial<RepositoryOptions> = { cacheBytes: 0 },
): Promise<{ store: CountingStore; repo: Repository; refs: ContentRef[] }> {
  const store = new CountingStore();
  const writer = await openRepository({ store, tenantId, masterKey });
  const refs: ContentRef[] = [];
  for (const item of items) refs.push(await writer.putBuffer(item));
  await writer.flush();
  const repo = await openRepository({ store, tenantId, masterKey, options: readerOptions });
  store.rangeReads = [];
  return { store, repo, refs };
}
