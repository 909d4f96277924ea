import type { JobUsage } from '../observability/job-usage';
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { Readable } from 'node:stream';
import type { BlobServiceClient } from '@azure/storage-blob';
import { AppError } from '../errors/app-error';
import { BufferPool } from '../concurrency/buffer-pool';
import { Semaphore } from '../concurrency/semaphore';
import { AzureBlobStore, blobDataLength, type BlobData, type BlobStore } from './blob-store';
import {
  chunkAad,
  computeChunkId,
  deriveKeys,
  open,
  randomName,
  SEAL_OVERHEAD,
  sealParts,
  type ChunkType,
  type RepositoryKeys,
} from './chunk-crypto';
import {
  ChunkIndex,
  decodeIndexFile,
  encodeIndexFile,
  indexBlobName,
  indexIdFromBlobName,
  type ChunkLocation,
  type IndexEntry,
} from './chunk-index';
import {
  ContentDefinedChunker,
  DEFAULT_CHUNKER,
  gearTable,
  validateChunkerOptions,
  type ChunkerOptions,
} from './chunker';
import {
  COMPRESSION_FLAG,
  compressParts,
  decompressChunk,
  DEFAULT_COMPRESSION,
  type CompressionOptions,
} from './compression';
import { ByteLruCache } from './lru-cache';
import { ReadPlan, truncatedPack, verifiedContent, type ReadPlanOptions } from './read-plan';
import { WRONG_MASTER_KEY, type MasterKeyProvider, type WrappedKey } from './master-key';
import {
  PACK_TRAILER_BYTES,
  PackBuilder,
  packBlobName,
  packIdFromBlobName,
  parsePackHeader,
  parsePackTrailer,
  type PackEntry,
} from './pack';
import { decodeTree, encodeTree, TreeBuilder, type ContentRef, type Tree, type TreeEntry } from './tree';

export interface RepositoryOptions {
  /** Items up to this size are stored as one whole chunk; larger ones are chunked by content. */
  smallItemLimit: number;
  chunker: ChunkerOptions;
  /** A pack is uploaded once it reaches this size. */
  packTargetSize: number;
  /** Pack uploads in flight at once (each holds one pack buffer); unless `uploadSlots` are shared. */
  uploadConcurrency: number;
  compression: CompressionOptions;
  /** Bytes of recently read chunks and trees kept in memory; unless a `cache` is shared. */
  cacheBytes: number;
  /** Chunks fetched ahead while streaming content out. */
  readAhead: number;
  /**
   * Small chunks are read with this much of their pack after them, kept for the next reads: items
   * are restored in about the order they were written, so one request serves many small items.
   */
  readSegmentBytes: number;
  /**
   * Readers of many items in stored order (`readContent(ref, { bulk: true })`: restores, the
   * export's large items) fetch pack bytes in ranges of up to this size: a run of a content's
   * chunks that lie next to each other in a pack is one request, and small items come from shared
   * segments of this size. See `BULK_READ_BYTES`.
   */
  bulkReadBytes: number;
  /** Write an index file early once this many durable chunks are not yet in one (bounds memory). */
  indexBatchEntries: number;
  /** Index files downloaded in parallel when opening. */
  indexLoadConcurrency: number;
}

/**
 * The range size of bulk reads (restore, export): 8 MiB, a pack's target size. Per byte, a request
 * for a few chunks costs the storage service several times what one for a whole run of them does:
 * Azurite's CPU per MB read was 5.9-6.7 ms for 1 MiB ranges, 3.8-4.5 for 4 MiB and 1.4-1.7 for
 * 8 MiB (it reads a range of at most 4 MiB twice, to compute an MD5 nobody asked for; figures in
 * docs/repository-format.md, "Reading"); Azure Storage bills and throttles by request, and each
 * costs a round trip.
 */
export const BULK_READ_BYTES = 8 * 1024 * 1024;

/**
 * The buffers bulk reads read runs into, reused across reads and repositories (a process-wide
 * pool), rather than 8 MiB allocated and dropped per run (see `BufferPool`). Two wait for reuse at
 * most (16 MiB), and only while reads go on: the pool lets them go after 2 s without one, so a
 * worker between jobs does not hold them.
 */
const runBuffers = new BufferPool(BULK_READ_BYTES, 2, 2_000);

/**
 * Read plans (`planReads`): a range read may span up to 256 KiB that no planned content needs
 * between two chunks that are (one request instead of two); segments are fetched ahead of the
 * readers while those held stay under 16 MiB, and at most 32 MiB are held (past it, the segment
 * with the least still needed is dropped, or the read reads its chunk alone).
 */
const PLAN_GAP_BYTES = 256 * 1024;
const PLAN_AHEAD_BYTES = 2 * BULK_READ_BYTES;
const PLAN_HELD_BYTES = 4 * BULK_READ_BYTES;

/** Recent pack segments are let go after this long without a read (repositories stay open between jobs). */
const SEGMENT_IDLE_MS = 2_000;

/** Recently read pack segments kept for the next reads: at most this many bytes, at most 4 segments. */
const RECENT_SEGMENT_BYTES = 2 * BULK_READ_BYTES;

/** How `readContent` reads. */
export interface ContentReadOptions {
  /** Chunks fetched ahead of the one being read (default: the repository's `readAhead`). */
  readAhead?: number;
  /**
   * Keep the chunks read in the read cache (default true), for readers that come back to them
   * (browsing, a preview). A reader of each item once (an export) says false: kept, they would
   * only hold memory and push out what browsing reuses. Bulk reads never keep them.
   */
  cache?: boolean;
  /**
   * The reader reads many items in about their stored order (a restore, an export): runs of the
   * content's chunks that lie next to each other in a pack are fetched with one range read of up
   * to `bulkReadBytes` (a large file is a few requests, not one per chunk), and a small item's
   * chunks come from shared pack segments of that size, which its neighbours read too. Bulk reads
   * do not go through the read cache: each chunk is read once. `readAhead` does not apply.
   */
  bulk?: boolean;
  /**
   * Bulk reads: runs fetched ahead of the one being read (default 0; each holds up to
   * `bulkReadBytes`). A reader that holds many contents open at once (a restore) keeps 0.
   */
  runsAhead?: number;
}

/** A run of a content's chunks stored next to each other in one pack, read with one request. */
interface ChunkRun {
  packId: string;
  start: number;
  length: number;
  chunks: { chunkId: string; id: Buffer; location: ChunkLocation }[];
}

export const DEFAULT_REPOSITORY_OPTIONS: RepositoryOptions = {
  smallItemLimit: 1024 * 1024,
  chunker: DEFAULT_CHUNKER,
  packTargetSize: 8 * 1024 * 1024,
  uploadConcurrency: 2,
  compression: DEFAULT_COMPRESSION,
  cacheBytes: 32 * 1024 * 1024,
  readAhead: 2,
  readSegmentBytes: 1024 * 1024,
  bulkReadBytes: BULK_READ_BYTES,
  indexBatchEntries: 100_000,
  indexLoadConcurrency: 8,
};

export interface OpenRepositoryParams {
  /** The account's blob service: the repository lives in container `repo-<tenant id>`. */
  blobs?: BlobServiceClient;
  /** Or a store directly (tests, fault injection). One of `blobs` and `store`. */
  store?: BlobStore;
  tenantId: string;
  masterKey: MasterKeyProvider;
  options?: Partial<RepositoryOptions>;
  clock?: () => Date;
  /**
   * Shared by every repository a process opens, so that its memory does not grow with the number
   * of tenants: the upload slots (each holds one pack buffer) and the read cache.
   */
  shared?: SharedRepositoryResources;
}

export interface SharedRepositoryResources {
  uploadSlots?: Semaphore;
  cache?: ByteLruCache;
}

/** Pack segments held for a reader by `Repository.prefetch`: release them once their chunks are read. */
export interface SegmentHold {
  release(): void;
}

interface PrefetchedSegment {
  packId: string;
  start: number;
  size: number;
  data: Promise<Buffer>;
  /** Prefetches holding it; it is dropped when the last one releases it. */
  holders: number;
}

/** Where a chunk is stored, as `Repository.locate` tells readers. */
export interface ChunkPlacement {
  packId: string;
  offset: number;
  rawLength: number;
  compressed: boolean;
}

export interface RepositoryStats {
  /** Bytes handed to put* (every time, deduplicated or not). */
  logicalBytes: number;
  /** Chunks put that were new, and their plaintext bytes. */
  newChunks: number;
  newChunkBytes: number;
  /** Chunks put that were already stored (here or by an earlier run). */
  dedupedChunks: number;
  /** Bytes written to packs (compressed, encrypted, with headers) and index files. */
  storedBytes: number;
  packsWritten: number;
  indexFilesWritten: number;
  /** Chunks in the in-memory index, and its approximate size. */
  indexedChunks: number;
  indexMemoryBytes: number;
}

export interface VerifyReport {
  trees: number;
  items: number;
  chunks: number;
  /** Plaintext bytes read and re-hashed (0 unless `readData`). */
  bytesRead: number;
  problems: string[];
}

export type ByteSource = AsyncIterable<Uint8Array> | Iterable<Uint8Array>;

/** Options of the put methods. */
export interface PutOptions {
  /**
   * The job the content is for, when jobs share this writer: its new chunks and stored bytes are
   * counted into its usage too (the writer's own counters count everything).
   */
  usage?: JobUsage;
}

const CONFIG_BLOB = 'config';
/** One network read a stream may hand over beyond a full chunk. */
const STREAM_READ_SLACK = 64 * 1024;
const CONFIG_VERSION = 1;

interface RepositoryConfig {
  version: number;
  repositoryId: string;
  tenantId: string;
  createdAt: string;
  dataKeyId: string;
  chunker: ChunkerOptions;
  /** HMAC-SHA256 (config subkey) over the fields above: a tampered config fails to open. */
  mac?: string;
}

interface KeyRecord extends WrappedKey {
  version: number;
  dataKeyId: string;
  createdAt: string;
}

export function containerNameForTenant(tenantId: string): string {
  const name = `repo-${tenantId.toLowerCase()}`;
  if (!/^[a-z0-9](?:[a-z0-9]|-(?=[a-z0-9])){2,62}$/.test(name))
    throw new AppError(
      'invalid',
      `tenant id ${JSON.stringify(tenantId)} cannot name a repository container`,
      {
        details: [{ field: 'tenantId', message: 'expected letters, digits and single dashes (a GUID)' }],
      },
    );
  return name;
}

function configMac(key: Buffer, config: RepositoryConfig): string {
  const { mac: _mac, ...fields } = config;
  return createHmac('sha256', key).update(JSON.stringify(fields)).digest('hex');
}

/**
 * Opens a tenant's repository, creating it on first use. Creation is race-safe: the `config`
 * blob is written with If-None-Match, and a loser adopts the winner's config and key.
 */
export async function openRepository(params: OpenRepositoryParams): Promise<Repository> {
  const options: RepositoryOptions = { ...DEFAULT_REPOSITORY_OPTIONS, ...params.options };
  validateChunkerOptions(options.chunker);
  const clock = params.clock ?? (() => new Date());
  let store = params.store;
  if (!store) {
    if (!params.blobs) throw new AppError('invalid', 'openRepository needs blobs or store');
    store = AzureBlobStore.forTenant(params.blobs, containerNameForTenant(params.tenantId));
  }
  await store.ensure();

  let config = await readConfig(store);
  let dataKey: Buffer | undefined;
  if (!config) {
    const created = await createConfig(store, params.tenantId, params.masterKey, options.chunker, clock);
    config = created.config;
    dataKey = created.dataKey;
  }
  if (config.version !== CONFIG_VERSION)
    throw new AppError('permanent', `repository format version ${config.version} is not supported`);
  if (config.tenantId !== params.tenantId)
    throw new AppError(
      'permanent',
      `the repository belongs to tenant ${config.tenantId}, not ${params.tenantId}`,
    );
  dataKey ??= await unwrapDataKey(store, config, params.masterKey);
  const keys = deriveKeys(dataKey, config.repositoryId);
  const expected = Buffer.from(configMac(keys.config, config), 'hex');
  const actual = Buffer.from(config.mac ?? '', 'hex');
  if (actual.length !== expected.length || !timingSafeEqual(actual, expected))
    throw new AppError('permanent', 'repository integrity check failed: the config blob was modified');

  // Chunk boundaries must stay the repository's own, or edited files would stop deduplicating:
  // the chunker sizes in `options` apply only when the repository is created.
  const effective: RepositoryOptions = { ...options, chunker: config.chunker };
  const repository = new Repository(
    store,
    params.tenantId,
    config,
    keys,
    effective,
    clock,
    dataKey,
    params.shared,
  );
  await repository.loadIndex();
  return repository;
}

async function readConfig(store: BlobStore): Promise<RepositoryConfig | undefined> {
  const data = await store.get(CONFIG_BLOB);
  if (!data) return undefined;
  try {
    return JSON.parse(data.toString('utf8')) as RepositoryConfig;
  } catch (error) {
    throw new AppError('permanent', 'repository integrity check failed: the config blob is not JSON', {
      cause: error,
    });
  }
}

async function createConfig(
  store: BlobStore,
  tenantId: string,
  masterKey: MasterKeyProvider,
  chunker: ChunkerOptions,
  clock: () => Date,
): Promise<{ config: RepositoryConfig; dataKey?: Buffer }> {
  const repositoryId = randomName();
  const dataKeyId = randomName();
  const dataKey = randomBytes(32);
  const createdAt = clock().toISOString();
  const wrapped = await masterKey.wrap(dataKey, repositoryId);
  const record: KeyRecord = { version: 1, dataKeyId, createdAt, ...wrapped };
  const keyBlob = `keys/${randomName()}`;
  // Key first, config second: a config never names a key that is not there.
  await putOnce(store, keyBlob, Buffer.from(JSON.stringify(record, null, 2)));
  const config: RepositoryConfig = {
    version: CONFIG_VERSION,
    repositoryId,
    tenantId,
    createdAt,
    dataKeyId,
    chunker,
  };
  config.mac = configMac(deriveKeys(dataKey, repositoryId).config, config);
  try {
    await store.putNew(CONFIG_BLOB, Buffer.from(JSON.stringify(config, null, 2)));
    return { config, dataKey };
  } catch (error) {
    if (!(error instanceof AppError) || error.code !== 'conflict') throw error;
    const winner = await readConfig(store);
    if (!winner) throw error;
    // Our own write landed and a retry of it met it: the config is ours.
    if (winner.dataKeyId === dataKeyId && winner.repositoryId === repositoryId)
      return { config: winner, dataKey };
    // Another worker created the repository first: use theirs, drop our unused key.
    await store.deleteIfExists(keyBlob);
    return { config: winner };
  }
}

async function unwrapDataKey(
  store: BlobStore,
  config: RepositoryConfig,
  masterKey: MasterKeyProvider,
): Promise<Buffer> {
  const records: KeyRecord[] = [];
  for await (const blob of store.list('keys/')) {
    const data = await store.get(blob.name);
    if (!data) continue;
    let record: KeyRecord;
    try {
      record = JSON.parse(data.toString('utf8')) as KeyRecord;
    } catch {
      continue; // not a key record we can use; another record may be
    }
    if (record.dataKeyId === config.dataKeyId) records.push(record);
  }
  if (records.length === 0)
    throw new AppError(
      'permanent',
      `repository integrity check failed: data key ${config.dataKeyId} is missing`,
    );
  // Prefer a copy wrapped by this very master key (there may be several after a rotation).
  records.sort(
    (a, b) =>
      Number(b.masterKeyId === masterKey.masterKeyId) - Number(a.masterKeyId === masterKey.masterKeyId),
  );
  let firstError: unknown;
  for (const record of records) {
    try {
      return await masterKey.unwrap(record, config.repositoryId);
    } catch (error) {
      if (error instanceof AppError && error.code !== 'forbidden') throw error; // vault down: retryable
      firstError ??= error;
    }
  }
  if (firstError instanceof AppError) throw firstError;
  throw new AppError('forbidden', WRONG_MASTER_KEY, { cause: firstError });
}

/** A tenant's backup repository: write chunks and trees, flush, read them back, verify. */
export class Repository {
  private readonly index = new ChunkIndex();
  private readonly gear: Uint32Array;
  private readonly cache: ByteLruCache;
  /** Chunks (and trees) of this repository in a cache that may be shared with other tenants'. */
  private readonly cachePrefix: string;
  private readonly uploadSlots: Semaphore;
  private current: PackBuilder | undefined;
  /** Packs not yet durable (open, uploading or waiting): their chunks must not be read from storage. */
  private readonly unflushedPacks = new Set<string>();
  private readonly uploads = new Set<Promise<void>>();
  /**
   * The open pack waiting for an upload slot. Until it has one it takes no more chunks: writers
   * wait for it, so sealed packs never pile up in memory behind slow uploads.
   */
  private sealing: Promise<void> | undefined;
  private durable: IndexEntry[] = [];
  /** Recently read pack segments (a few, most recent last; RECENT_SEGMENT_BYTES), and those being fetched. */
  private segments: { packId: string; start: number; data: Buffer }[] = [];
  private segmentBytes = 0;
  private segmentsUsedAt = 0;
  private segmentTrim: NodeJS.Timeout | undefined;
  private readonly segmentFetches = new Set<{
    packId: string;
    start: number;
    size: number;
    data: Promise<Buffer>;
  }>();
  /**
   * Pack segments fetched ahead by `prefetch` (a reader that knows its read order: an export),
   * kept until every holder has released them, and their bytes.
   */
  private readonly prefetched: PrefetchedSegment[] = [];
  private prefetchedBytes = 0;
  private failure: AppError | undefined;
  private indexLock: Promise<void> = Promise.resolve();
  private readonly counters = {
    logicalBytes: 0,
    newChunks: 0,
    newChunkBytes: 0,
    dedupedChunks: 0,
    storedBytes: 0,
    packsWritten: 0,
    indexFilesWritten: 0,
  };

  constructor(
    private readonly store: BlobStore,
    readonly tenantId: string,
    private readonly config: RepositoryConfig,
    private readonly keys: RepositoryKeys,
    readonly options: RepositoryOptions,
    private readonly clock: () => Date = () => new Date(),
    /** Held only to re-wrap it under another master key (rotation). */
    private readonly dataKey?: Buffer,
    shared: SharedRepositoryResources = {},
  ) {
    this.gear = gearTable(keys.gearSeed);
    this.cache = shared.cache ?? new ByteLruCache(options.cacheBytes);
    this.cachePrefix = `${config.repositoryId}:`;
    this.uploadSlots = shared.uploadSlots ?? new Semaphore(Math.max(1, options.uploadConcurrency));
  }

  /**
   * The most memory storing one item of `size` bytes (unknown: any size) holds before its bytes are
   * in a pack: the item itself while it is one chunk, else one partial chunk, each with its
   * compressed copy, plus one network read. Downloads reserve this much of the worker's budget.
   */
  bufferBytesFor(size: number | undefined): number {
    const largest = Math.max(this.options.smallItemLimit, this.options.chunker.maxSize);
    const held =
      size === undefined || !Number.isFinite(size) ? largest : Math.min(Math.max(0, size), largest);
    return 2 * held + STREAM_READ_SLACK;
  }

  get repositoryId(): string {
    return this.config.repositoryId;
  }

  /** True once a pack upload failed: this writer refuses further work and must be reopened. */
  get failed(): boolean {
    return this.failure !== undefined;
  }

  /** Loads every index file into the in-memory index (openRepository calls it; not for callers). */
  async loadIndex(): Promise<void> {
    const loaded = new Set<string>();
    // A compaction may delete files between our listing and our reads; its replacement was written
    // before the deletion, so listing again finds it. Three rounds is plenty.
    for (let round = 0; round < 3; round++) {
      const names = (await this.listIds('index/', indexIdFromBlobName)).filter((id) => !loaded.has(id));
      let vanished = false;
      await this.forEachLimited(names, this.options.indexLoadConcurrency, async (indexId) => {
        const data = await this.store.get(indexBlobName(indexId));
        if (!data) {
          vanished = true;
          return;
        }
        decodeIndexFile(this.keys.encryption, indexId, data, (id, location) => this.index.add(id, location));
        loaded.add(indexId);
      });
      if (!vanished) return;
    }
  }

  /**
   * Rebuilds index entries from the packs themselves (their headers), restic's `repair index`:
   * indexes every chunk of every pack that no index file names (packs uploaded by a run that
   * crashed before writing its index file), and writes one index file for them.
   */
  async rebuildIndex(): Promise<{ packsScanned: number; chunksAdded: number }> {
    await this.flush();
    let packsScanned = 0;
    let chunksAdded = 0;
    const packs: { name: string; size: number }[] = [];
    for await (const blob of this.store.list('packs/')) if (packIdFromBlobName(blob.name)) packs.push(blob);
    await this.forEachLimited(packs, this.options.indexLoadConcurrency, async (blob) => {
      const packId = packIdFromBlobName(blob.name)!;
      const entries = await this.readPackHeader(packId, blob.size);
      packsScanned += 1;
      for (const entry of entries) {
        const location = { ...entry, packId };
        if (this.index.add(entry.id, location)) {
          this.durable.push({ ...location, id: entry.id });
          chunksAdded += 1;
        }
      }
    });
    await this.writeIndex();
    return { packsScanned, chunksAdded };
  }

  /** A pack's chunk list, from its encrypted header (`size`: the pack blob's length). */
  async readPackHeader(packId: string, size: number): Promise<PackEntry[]> {
    const name = packBlobName(packId);
    if (size < PACK_TRAILER_BYTES + SEAL_OVERHEAD)
      throw new AppError('permanent', `repository integrity check failed: pack ${packId} is too short`);
    const trailer = await this.store.getRange(name, size - PACK_TRAILER_BYTES, PACK_TRAILER_BYTES);
    const headerLength = parsePackTrailer(trailer, packId);
    if (headerLength > size - PACK_TRAILER_BYTES)
      throw new AppError(
        'permanent',
        `repository integrity check failed: pack ${packId} header length is wrong`,
      );
    const header = await this.store.getRange(name, size - PACK_TRAILER_BYTES - headerLength, headerLength);
    return parsePackHeader(this.keys.encryption, packId, header);
  }

  /**
   * Replaces all index files with one (cheaper opens after many flushes). The new file is written
   * first and names the files it supersedes; only then are they deleted. Concurrent writers only
   * add files, which this leaves alone; a reader that meets a deleted file lists again.
   */
  async compactIndex(): Promise<{ filesBefore: number; chunks: number }> {
    const ids = await this.listIds('index/', indexIdFromBlobName);
    if (ids.length <= 1) return { filesBefore: ids.length, chunks: this.index.size };
    const seen = new ChunkIndex();
    const entries: IndexEntry[] = [];
    for (const indexId of ids) {
      const data = await this.store.get(indexBlobName(indexId));
      if (!data) throw new AppError('conflict', 'another index compaction is running; try again later');
      decodeIndexFile(this.keys.encryption, indexId, data, (id, location) => {
        if (seen.add(id, location)) entries.push({ ...location, id: Buffer.from(id) });
      });
    }
    const indexId = randomName();
    const data = encodeIndexFile(this.keys.encryption, indexId, { entries, supersedes: ids });
    await putOnce(this.store, indexBlobName(indexId), data);
    this.counters.storedBytes += data.length;
    this.counters.indexFilesWritten += 1;
    for (const old of ids) await this.store.deleteIfExists(indexBlobName(old));
    return { filesBefore: ids.length, chunks: entries.length };
  }

  private async listIds(prefix: string, parse: (name: string) => string | undefined): Promise<string[]> {
    const ids: string[] = [];
    for await (const blob of this.store.list(prefix)) {
      const id = parse(blob.name);
      if (id) ids.push(id);
    }
    return ids;
  }

  private async forEachLimited<T>(
    items: readonly T[],
    limit: number,
    work: (item: T) => Promise<void>,
  ): Promise<void> {
    let next = 0;
    const worker = async () => {
      while (next < items.length) await work(items[next++]!);
    };
    await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  }

  /**
   * Master key rotation, step one: stores the tenant's data key wrapped by `masterKey` too (a new
   * `keys/` record with the same data key id). Nothing is re-encrypted. Once every worker uses the
   * new master key, the old records can be deleted (step two, by an operator).
   */
  async addMasterKey(masterKey: MasterKeyProvider): Promise<string> {
    if (!this.dataKey) throw new AppError('internal', 'this repository was opened without its data key');
    const wrapped = await masterKey.wrap(this.dataKey, this.config.repositoryId);
    const record: KeyRecord = {
      version: 1,
      dataKeyId: this.config.dataKeyId,
      createdAt: this.clock().toISOString(),
      ...wrapped,
    };
    const name = `keys/${randomName()}`;
    await putOnce(this.store, name, Buffer.from(JSON.stringify(record, null, 2)));
    return name;
  }

  /** Whether a chunk (hex id) is stored or pending in this writer. */
  has(chunkId: string): boolean {
    return this.index.has(Buffer.from(chunkId, 'hex'));
  }

  stats(): RepositoryStats {
    return { ...this.counters, indexedChunks: this.index.size, indexMemoryBytes: this.index.memoryBytes };
  }

  /** Stores an item held in memory: one chunk if small, content-defined chunks otherwise. */
  async putBuffer(data: Uint8Array, options: PutOptions = {}): Promise<ContentRef> {
    if (data.length <= this.options.smallItemLimit) {
      const buffer = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
      const id = await this.putChunk('data', buffer, options.usage);
      return { size: data.length, chunks: [id], sha256: createHash('sha256').update(buffer).digest('hex') };
    }
    return this.putStream([data], options);
  }

  /**
   * Stores a stream of any size with bounded memory: at most one partial chunk, one pack being
   * filled and `uploadConcurrency` packs in flight. Items that end below `smallItemLimit` are one
   * whole chunk. Pieces are referenced, not copied, until stored: a source must not change a
   * piece after yielding it (Node streams never do).
   */
  async putStream(source: ByteSource | Readable, options: PutOptions = {}): Promise<ContentRef> {
    const usage = options.usage;
    const hash = createHash('sha256');
    const chunks: string[] = [];
    let size = 0;
    let head: Buffer[] | undefined = [];
    let chunker: ContentDefinedChunker | undefined;
    for await (const piece of source as AsyncIterable<Uint8Array>) {
      const bytes = typeof piece === 'string' ? Buffer.from(piece) : piece;
      if (bytes.length === 0) continue;
      hash.update(bytes);
      size += bytes.length;
      if (head) {
        head.push(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
        if (size <= this.options.smallItemLimit) continue;
        chunker = new ContentDefinedChunker(this.gear, this.options.chunker);
        const buffered = head;
        head = undefined;
        for (const part of buffered)
          for (const chunk of chunker.pushParts(part)) chunks.push(await this.putChunk('data', chunk, usage));
        continue;
      }
      for (const chunk of chunker!.pushParts(bytes)) chunks.push(await this.putChunk('data', chunk, usage));
    }
    if (head) {
      chunks.push(await this.putChunk('data', head, usage));
    } else {
      const last = chunker!.finishParts();
      if (last) chunks.push(await this.putChunk('data', last, usage));
    }
    return { size, chunks, sha256: hash.digest('hex') };
  }

  /**
   * Stores one item given as consecutive segments, with chunk boundaries where the caller puts
   * them: each segment is one chunk if it is at most `smallItemLimit`, content-defined chunks of
   * its own otherwise. The item reads back as the segments joined. For content whose structure
   * the caller knows (a message's MIME parts), so that an equal part in another item, cut the same
   * way, is the same chunk. Empty segments are skipped.
   */
  async putSegments(segments: readonly Uint8Array[], options: PutOptions = {}): Promise<ContentRef> {
    const usage = options.usage;
    const hash = createHash('sha256');
    const chunks: string[] = [];
    let size = 0;
    for (const segment of segments) {
      if (segment.length === 0) continue;
      const bytes = Buffer.from(segment.buffer, segment.byteOffset, segment.byteLength);
      hash.update(bytes);
      size += bytes.length;
      if (bytes.length <= this.options.smallItemLimit) {
        chunks.push(await this.putChunk('data', bytes, usage));
        continue;
      }
      const chunker = new ContentDefinedChunker(this.gear, this.options.chunker);
      for (const chunk of chunker.pushParts(bytes)) chunks.push(await this.putChunk('data', chunk, usage));
      const last = chunker.finishParts();
      if (last) chunks.push(await this.putChunk('data', last, usage));
    }
    return { size, chunks, sha256: hash.digest('hex') };
  }

  /** Stores a folder tree; returns its id (equal folders, equal ids). */
  async putTree(tree: Tree, options: PutOptions = {}): Promise<string> {
    return this.putChunk('tree', encodeTree(tree), options.usage);
  }

  /** A builder fed items folder by folder; `finish()` writes the trees and returns the root id. */
  treeBuilder(options: PutOptions = {}): TreeBuilder {
    return new TreeBuilder({ putTree: (tree) => this.putTree(tree, options) });
  }

  /**
   * Makes everything put so far durable and indexed: seals the open pack, waits for every pack
   * upload, then writes one index file naming their chunks. Only after this may a snapshot record
   * name a tree from this writer. Call it at checkpoints, not per item: each call may upload a
   * part-filled pack and writes one index file.
   */
  async flush(): Promise<void> {
    this.throwIfFailed();
    if (this.current && this.current.count > 0) await this.sealPack();
    while (this.uploads.size > 0 || this.sealing)
      await Promise.allSettled([...this.uploads, ...(this.sealing ? [this.sealing] : [])]);
    this.throwIfFailed();
    await this.writeIndex();
  }

  /** Reads a chunk's plaintext (hex id), checked against its id. */
  async readChunk(chunkId: string, type: ChunkType = 'data'): Promise<Buffer> {
    return this.readChunkAs(chunkId, type, true);
  }

  /**
   * Reads a chunk's plaintext. AES-GCM authenticates it with its id in the AAD, so a changed,
   * moved or relabelled chunk never opens; `checkId` also re-hashes the plaintext against the id,
   * which only a reader without another check needs (content reads check the item's SHA-256).
   */
  private async readChunkAs(
    chunkId: string,
    type: ChunkType,
    checkId: boolean,
    bulk = false,
    keep = !bulk,
  ): Promise<Buffer> {
    // Chunks not re-hashed are cached apart, so a reader that wants the id check never gets one.
    const checkedKey = `${this.cachePrefix}${type}:${chunkId}`;
    const uncheckedKey = `${this.cachePrefix}${type}~:${chunkId}`;
    const cached = this.cache.get(checkedKey) ?? (checkId ? undefined : this.cache.get(uncheckedKey));
    if (cached) return cached;
    const { id, location } = await this.locateDurable(chunkId, type);
    const sealed = await this.readStored(
      location.packId,
      location.offset,
      location.storedLength,
      bulk ? this.options.bulkReadBytes : this.options.readSegmentBytes,
    );
    const plain = await this.decode(chunkId, id, location, sealed);
    if (checkId && !computeChunkId(this.keys.chunkId, type, plain).equals(id))
      throw new AppError(
        'permanent',
        `repository integrity check failed: ${type} chunk ${chunkId} in pack ${location.packId} does not match its id`,
      );
    // A reader of each chunk once (bulk, an export): kept, it would only push out what browsing reuses.
    if (keep) this.cache.set(checkId ? checkedKey : uncheckedKey, plain);
    return plain;
  }

  /** Where a chunk of this type is stored, once its pack is durable (read-your-writes: flushed first if need be). */
  private async locateDurable(
    chunkId: string,
    type: ChunkType,
  ): Promise<{ id: Buffer; location: ChunkLocation }> {
    const id = Buffer.from(chunkId, 'hex');
    let location = this.index.get(id);
    if (!location) throw new AppError('not-found', `chunk ${chunkId} is not in the repository index`);
    if (this.unflushedPacks.has(location.packId)) {
      await this.flush();
      location = this.index.get(id)!;
    }
    if (location.type !== type)
      throw new AppError('invalid', `chunk ${chunkId} is a ${location.type} chunk, not ${type}`);
    return { id, location };
  }

  /** A chunk's plaintext from its stored bytes: AES-GCM (bound to its id, type and flags), then decompression. */
  private decode(chunkId: string, id: Buffer, location: ChunkLocation, sealed: Buffer): Promise<Buffer> {
    const what = `${location.type} chunk ${chunkId} in pack ${location.packId}`;
    const compressed = open(this.keys.encryption, chunkAad(location.type, location.flags, id), sealed, what);
    return decompressChunk(location.flags, compressed, location.rawLength, what);
  }

  /**
   * A chunk's stored bytes: from a recently read pack segment, or fetched (with the rest of a
   * segment of `segmentBytes` after it if it is small).
   */
  private async readStored(
    packId: string,
    offset: number,
    length: number,
    segmentBytes: number,
  ): Promise<Buffer> {
    const within = (start: number, size: number) => offset >= start && offset + length <= start + size;
    this.segmentsUsedAt = Date.now();
    for (const segment of this.segments) {
      if (segment.packId === packId && within(segment.start, segment.data.length))
        return segment.data.subarray(offset - segment.start, offset - segment.start + length);
    }
    for (const fetch of this.segmentFetches) {
      if (fetch.packId !== packId || !within(fetch.start, fetch.size)) continue;
      const data = await fetch.data;
      if (data.length >= offset - fetch.start + length)
        return data.subarray(offset - fetch.start, offset - fetch.start + length);
    }
    for (const segment of this.prefetched) {
      if (segment.packId !== packId || !within(segment.start, segment.size)) continue;
      const data = await segment.data;
      if (data.length >= offset - segment.start + length)
        return data.subarray(offset - segment.start, offset - segment.start + length);
    }
    const name = packBlobName(packId);
    if (length * 2 > segmentBytes) {
      const data = await this.store.getRange(name, offset, length);
      if (data.length !== length) throw truncatedPack(packId);
      return data;
    }
    const fetch = {
      packId,
      start: offset,
      size: segmentBytes,
      data: this.store.getRange(name, offset, segmentBytes),
    };
    this.segmentFetches.add(fetch);
    let data: Buffer;
    try {
      data = await fetch.data;
    } finally {
      this.segmentFetches.delete(fetch);
    }
    this.segments.push({ packId, start: offset, data });
    this.segmentBytes += data.length;
    while (this.segments.length > 4 || (this.segments.length > 1 && this.segmentBytes > RECENT_SEGMENT_BYTES))
      this.segmentBytes -= this.segments.shift()!.data.length;
    this.segmentTrim ??= setTimeout(() => this.trimSegments(), SEGMENT_IDLE_MS).unref();
    if (data.length < length) throw truncatedPack(packId);
    return data.subarray(0, length);
  }

  /** Lets the recent segments go once no read has used them for SEGMENT_IDLE_MS. */
  private trimSegments(): void {
    this.segmentTrim = undefined;
    const idleFor = Date.now() - this.segmentsUsedAt;
    if (idleFor >= SEGMENT_IDLE_MS) {
      this.segments = [];
      this.segmentBytes = 0;
    } else if (this.segments.length > 0) {
      this.segmentTrim = setTimeout(() => this.trimSegments(), SEGMENT_IDLE_MS - idleFor).unref();
    }
  }

  /**
   * Starts fetching the pack segments that hold these chunks now (a segment of `readSegmentBytes`
   * from a chunk, or the chunk if larger; chunks in a segment already fetched ahead share it) and
   * keeps them until `release`, so that reading the chunks later finds them in memory. For a
   * reader that knows the order it will read in (an export, in stored order): it can keep several
   * range reads in flight ahead of itself instead of fetching one segment after the other.
   * Segments held ahead stay within `budgetBytes` in all: when this call's would pass it (and
   * some are held), nothing is started and it returns undefined; the caller tries again later,
   * or reads without it. Chunks not in the index or not yet durable are left to the read.
   */
  prefetch(chunkIds: readonly string[], budgetBytes: number): SegmentHold | undefined {
    const held = new Set<PrefetchedSegment>();
    const wanted: { packId: string; start: number; size: number }[] = [];
    for (const chunkId of chunkIds) {
      const location = this.index.get(Buffer.from(chunkId, 'hex'));
      if (!location || this.unflushedPacks.has(location.packId)) continue;
      const { packId, offset, storedLength } = location;
      const covers = (segment: { packId: string; start: number; size: number }) =>
        segment.packId === packId &&
        offset >= segment.start &&
        offset + storedLength <= segment.start + segment.size;
      const existing = this.prefetched.find(covers);
      if (existing) held.add(existing);
      else if (!wanted.some(covers))
        wanted.push({ packId, start: offset, size: Math.max(storedLength, this.options.readSegmentBytes) });
    }
    const newBytes = wanted.reduce((sum, segment) => sum + segment.size, 0);
    if (newBytes > 0 && this.prefetchedBytes > 0 && this.prefetchedBytes + newBytes > budgetBytes)
      return undefined;
    for (const { packId, start, size } of wanted) {
      const data = this.store.getRange(packBlobName(packId), start, size);
      data.catch(() => undefined); // a reader of one of its chunks gets the error
      const segment: PrefetchedSegment = { packId, start, size, data, holders: 0 };
      this.prefetched.push(segment);
      this.prefetchedBytes += size;
      held.add(segment);
    }
    for (const segment of held) segment.holders += 1;
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        for (const segment of held) {
          segment.holders -= 1;
          if (segment.holders > 0) continue;
          this.prefetched.splice(this.prefetched.indexOf(segment), 1);
          this.prefetchedBytes -= segment.size;
        }
      },
    };
  }

  /**
   * Where a chunk is stored (pack and offset), its plaintext length, and whether it was stored
   * compressed (false: compression did not pay, the bytes are incompressible); undefined if it is
   * not in the index. Readers of many items (an export) order their reads by it, so consecutive
   * items share pack segments, and skip compressing what did not compress before.
   */
  locate(chunkId: string): ChunkPlacement | undefined {
    const location = this.index.get(Buffer.from(chunkId, 'hex'));
    if (!location) return undefined;
    return {
      packId: location.packId,
      offset: location.offset,
      rawLength: location.rawLength,
      compressed: (location.flags & 0x3) !== COMPRESSION_FLAG.none,
    };
  }

  /**
   * The content's plaintext as a stream, chunk by chunk: with a little read-ahead (the
   * repository's `readAhead` chunks unless `options.readAhead` says otherwise), or in runs for a
   * reader of many items (`options.bulk`, see `ContentReadOptions`); checks size and SHA-256. That
   * check covers every chunk (each is also authenticated by AES-GCM), so the chunks are not
   * re-hashed against their ids as well: one SHA-256 pass over the bytes, not two.
   */
  readContent(ref: ContentRef, options: ContentReadOptions = {}): Readable {
    const chunks = options.bulk
      ? this.bulkChunks(ref, Math.max(0, options.runsAhead ?? 0))
      : this.chunkByChunk(
          ref,
          Math.max(1, options.readAhead ?? this.options.readAhead),
          options.cache ?? true,
        );
    return verifiedContent(ref, chunks);
  }

  private async *chunkByChunk(ref: ContentRef, readAhead: number, keep: boolean): AsyncGenerator<Buffer> {
    const inflight: Promise<Buffer>[] = [];
    let next = 0;
    const fetchNext = () => {
      const read = this.readChunkAs(ref.chunks[next++]!, 'data', false, false, keep);
      read.catch(() => undefined); // awaited below; this only keeps an abandoned prefetch quiet
      inflight.push(read);
    };
    while (next < ref.chunks.length && inflight.length < readAhead) fetchNext();
    while (inflight.length > 0) {
      const chunk = await inflight.shift()!;
      if (next < ref.chunks.length) fetchNext();
      yield chunk;
    }
  }

  /**
   * A content's chunks for a bulk reader: each run of chunks stored next to each other in one pack
   * (up to `bulkReadBytes`) is one range read, held only until its chunks are decoded; a run of at
   * most half that (a small item, or a piece of a deduplicated one) is read through the shared pack
   * segments instead, so neighbouring small items cost one request between them.
   */
  private async *bulkChunks(ref: ContentRef, runsAhead: number): AsyncGenerator<Buffer> {
    const runs = await this.planRuns(ref.chunks);
    const own = (run: ChunkRun) => run.length * 2 > this.options.bulkReadBytes;
    // Each run's range is read into a pooled buffer, given back once its chunks are decoded
    // (decryption copies them out) or, if the reader stops early, once its read has ended.
    const fetches = new Map<number, { slab: Buffer | undefined; data: Promise<Buffer> }>();
    const fetch = (index: number) => {
      const run = runs[index];
      if (!run || !own(run) || fetches.has(index)) return;
      const slab = run.length <= runBuffers.bufferBytes ? runBuffers.take() : undefined;
      const data = this.store.getRange(packBlobName(run.packId), run.start, run.length, slab);
      data.catch(() => undefined); // awaited below; this only keeps an abandoned read quiet
      fetches.set(index, { slab, data });
    };
    try {
      for (const [index, run] of runs.entries()) {
        for (let ahead = index; ahead <= index + runsAhead; ahead++) fetch(ahead);
        if (!own(run)) {
          for (const { chunkId } of run.chunks) yield await this.readChunkAs(chunkId, 'data', false, true);
          continue;
        }
        const { slab, data: reading } = fetches.get(index)!;
        fetches.delete(index);
        let data: Buffer;
        try {
          data = await reading;
        } catch (error) {
          if (slab) runBuffers.give(slab); // the read has ended
          throw error;
        }
        if (data.length !== run.length) throw truncatedPack(run.packId);
        for (const [n, { chunkId, id, location }] of run.chunks.entries()) {
          const at = location.offset - run.start;
          const sealed = data.subarray(at, at + location.storedLength);
          // Decryption reads `sealed` before this call returns; the plaintext is a buffer of its own.
          const plain = this.decode(chunkId, id, location, sealed);
          if (slab && n === run.chunks.length - 1) runBuffers.give(slab);
          yield await plain;
        }
      }
    } finally {
      for (const { slab, data } of fetches.values())
        if (slab)
          void data.then(
            () => runBuffers.give(slab),
            () => runBuffers.give(slab),
          );
    }
  }

  /**
   * A plan for reading these contents, in about this order (a restore, an export): each stretch of
   * a pack they need is read once, in range reads of up to `bulkReadBytes`, fetched ahead in that
   * order and let go when every planned read of it is made (see `ReadPlan`).
   */
  async planReads(
    contents: readonly ContentRef[],
    options: Partial<ReadPlanOptions> = {},
  ): Promise<ReadPlan> {
    return ReadPlan.create(
      {
        locate: (chunkId) => this.locateDurable(chunkId, 'data'),
        read: (packId, start, length, into) => this.store.getRange(packBlobName(packId), start, length, into),
        decode: (chunkId, id, location, sealed) => this.decode(chunkId, id, location, sealed),
      },
      contents,
      {
        segmentBytes: this.options.bulkReadBytes,
        gapBytes: PLAN_GAP_BYTES,
        aheadBytes: PLAN_AHEAD_BYTES,
        heldBytes: PLAN_HELD_BYTES,
        pool: runBuffers,
        ...options,
      },
    );
  }

  /** Where a content's chunks are, grouped into runs stored next to each other (made durable first if need be). */
  private async planRuns(chunkIds: readonly string[]): Promise<ChunkRun[]> {
    const runs: ChunkRun[] = [];
    let last: ChunkRun | undefined;
    for (const chunkId of chunkIds) {
      const { id, location } = await this.locateDurable(chunkId, 'data');
      const adjacent =
        last !== undefined &&
        last.packId === location.packId &&
        last.start + last.length === location.offset &&
        last.length + location.storedLength <= this.options.bulkReadBytes;
      if (!adjacent) {
        last = { packId: location.packId, start: location.offset, length: 0, chunks: [] };
        runs.push(last);
      }
      last!.length += location.storedLength;
      last!.chunks.push({ chunkId, id, location });
    }
    return runs;
  }

  async readTree(treeId: string): Promise<Tree> {
    return decodeTree(await this.readChunk(treeId, 'tree'), treeId);
  }

  /** The entries of the folder at `path` below a snapshot root. */
  async listFolder(rootTreeId: string, path: readonly string[] = []): Promise<TreeEntry[]> {
    let tree = await this.readTree(rootTreeId);
    for (const [depth, name] of path.entries()) {
      const folder = tree.entries.find((entry) => entry.kind === 'folder' && entry.name === name);
      if (!folder?.subtree)
        throw new AppError('not-found', `no folder ${path.slice(0, depth + 1).join('/')} in this snapshot`);
      tree = await this.readTree(folder.subtree);
    }
    return tree.entries;
  }

  /** Every entry below a snapshot root, depth first, with its folder path. */
  async *walk(rootTreeId: string, path: string[] = []): AsyncGenerator<{ path: string[]; entry: TreeEntry }> {
    const tree = await this.readTree(rootTreeId);
    for (const entry of tree.entries) {
      yield { path, entry };
      if (entry.kind === 'folder' && entry.subtree) yield* this.walk(entry.subtree, [...path, entry.name]);
    }
  }

  /**
   * Checks a snapshot: every tree decodes, every chunk it names is indexed, and with `readData`
   * every chunk is read, decrypted, authenticated and re-hashed, and every item's SHA-256 checked.
   */
  async verify(rootTreeId: string, options: { readData?: boolean } = {}): Promise<VerifyReport> {
    const report: VerifyReport = { trees: 0, items: 0, chunks: 0, bytesRead: 0, problems: [] };
    const seenTrees = new Set<string>();
    const seenChunks = new Set<string>();
    const visit = async (treeId: string, path: string): Promise<void> => {
      if (seenTrees.has(treeId)) return;
      seenTrees.add(treeId);
      let tree: Tree;
      try {
        tree = await this.readTree(treeId);
      } catch (error) {
        report.problems.push(`tree ${treeId} (${path || '/'}): ${(error as Error).message}`);
        return;
      }
      report.trees += 1;
      for (const entry of tree.entries) {
        const where = `${path}/${entry.name}`;
        if (entry.kind === 'folder') {
          if (entry.subtree) await visit(entry.subtree, where);
          continue;
        }
        report.items += 1;
        if (!entry.content) continue;
        const missing = entry.content.chunks.filter((id) => !this.has(id));
        for (const id of missing) report.problems.push(`${where}: chunk ${id} is not in the index`);
        for (const id of entry.content.chunks) {
          if (!seenChunks.has(id)) report.chunks += 1;
          seenChunks.add(id);
        }
        if (!options.readData || missing.length > 0) continue;
        try {
          const hash = createHash('sha256');
          let size = 0;
          for (const id of entry.content.chunks) {
            const chunk = await this.readChunk(id);
            hash.update(chunk);
            size += chunk.length;
          }
          report.bytesRead += size;
          if (size !== entry.content.size || hash.digest('hex') !== entry.content.sha256)
            report.problems.push(`${where}: content does not match its recorded size and SHA-256`);
        } catch (error) {
          report.problems.push(`${where}: ${(error as Error).message}`);
        }
      }
    };
    await visit(rootTreeId, '');
    return report;
  }

  // ---- writing ----

  /**
   * Stores one chunk, given whole or as the pieces it arrived in: those are hashed and encrypted
   * piece by piece, and joined only if they are compressed, so a chunk that is already stored or
   * does not compress is never copied into one buffer.
   */
  private async putChunk(
    type: ChunkType,
    chunk: Buffer | readonly Buffer[],
    usage: JobUsage | undefined,
  ): Promise<string> {
    this.throwIfFailed();
    const pieces = Buffer.isBuffer(chunk) ? [chunk] : chunk;
    const plainLength = pieces.reduce((sum, piece) => sum + piece.length, 0);
    if (type === 'data') this.counters.logicalBytes += plainLength;
    const id = computeChunkId(this.keys.chunkId, type, pieces);
    if (this.index.has(id)) {
      this.counters.dedupedChunks += 1;
      return id.toString('hex');
    }
    const { flags, data } = compressParts(pieces, this.options.compression);
    const sealed = sealParts(this.keys.encryption, chunkAad(type, flags, id), data);
    const sealedLength = sealed.reduce((sum, part) => sum + part.length, 0);
    for (;;) {
      if (this.sealing) {
        await this.sealing.catch(() => undefined); // the writer that sealed it sees its error
        continue;
      }
      const current = this.current;
      if (!current || current.count === 0 || current.size + sealedLength <= this.options.packTargetSize)
        break;
      await this.sealPack();
    }
    this.throwIfFailed();
    if (this.index.has(id)) {
      // Stored by a concurrent put while we waited for an upload slot.
      this.counters.dedupedChunks += 1;
      return id.toString('hex');
    }
    this.current ??= this.newPack();
    const entry = this.current.add(id, type, flags, plainLength, sealed);
    this.index.add(id, { ...entry, packId: this.current.packId });
    this.counters.newChunks += 1;
    this.counters.newChunkBytes += plainLength;
    if (usage) {
      usage.newChunks += 1;
      usage.storedBytes += sealedLength;
      if (type === 'data') usage.newChunkBytes += plainLength;
    }
    if (this.current.size >= this.options.packTargetSize) await this.sealPack();
    return id.toString('hex');
  }

  private newPack(): PackBuilder {
    const pack = new PackBuilder(randomName());
    this.unflushedPacks.add(pack.packId);
    return pack;
  }

  /** Seals the open pack and starts its upload once an upload slot is free (one seal at a time). */
  private sealPack(): Promise<void> {
    if (!this.current) return Promise.resolve();
    if (!this.sealing) {
      const sealing = this.uploadPack().finally(() => {
        if (this.sealing === sealing) this.sealing = undefined;
      });
      this.sealing = sealing;
    }
    return this.sealing;
  }

  private async uploadPack(): Promise<void> {
    const release = await this.uploadSlots.acquire();
    const pack = this.current;
    this.current = undefined;
    if (!pack || pack.count === 0) {
      release();
      if (pack) this.unflushedPacks.delete(pack.packId);
      return;
    }
    const entries = pack.entries;
    const data = pack.finish(this.keys.encryption);
    const upload = putOnce(this.store, packBlobName(pack.packId), data)
      .then(() => {
        this.counters.storedBytes += blobDataLength(data);
        this.counters.packsWritten += 1;
        this.unflushedPacks.delete(pack.packId);
        for (const entry of entries) this.durable.push(toIndexEntry(entry, pack.packId));
      })
      .catch((error: unknown) => this.fail(error, entries))
      .finally(() => {
        release();
        this.uploads.delete(upload);
      });
    this.uploads.add(upload);
    if (this.durable.length >= this.options.indexBatchEntries) await this.writeIndex();
  }

  /** Writes one index file for the durable, not yet indexed chunks (serialised). */
  private writeIndex(): Promise<void> {
    const run = this.indexLock.then(async () => {
      if (this.durable.length === 0) return;
      const entries = this.durable;
      this.durable = [];
      const indexId = randomName();
      const data = encodeIndexFile(this.keys.encryption, indexId, { entries, supersedes: [] });
      try {
        await putOnce(this.store, indexBlobName(indexId), data);
      } catch (error) {
        // The packs are durable but unindexed: keep the entries so a retried flush indexes them.
        this.durable = entries.concat(this.durable);
        throw error;
      }
      this.counters.storedBytes += data.length;
      this.counters.indexFilesWritten += 1;
    });
    this.indexLock = run.catch(() => undefined);
    return run;
  }

  /**
   * A pack upload failed: its chunks were never durable. Drop them from the index so nothing can
   * dedupe against them, and refuse further writes: the caller's items that referenced them are
   * lost, so the job must reopen the repository and redo its work.
   */
  private fail(error: unknown, entries: PackEntry[]): void {
    this.index.removeAll(entries.map((entry) => entry.id));
    this.failure ??=
      error instanceof AppError
        ? error
        : new AppError('unavailable', `uploading a pack failed: ${(error as Error)?.message}`, {
            cause: error,
          });
  }

  private throwIfFailed(): void {
    if (this.failure)
      throw new AppError(
        this.failure.code,
        `the repository writer failed earlier and must be reopened: ${this.failure.message}`,
        {
          cause: this.failure,
        },
      );
  }
}

/**
 * Writes a blob under a fresh random name. "Already exists" can then only mean that an earlier
 * attempt of this very write landed (the storage client retried after a lost response), so it
 * counts as success.
 */
async function putOnce(store: BlobStore, name: string, data: BlobData): Promise<void> {
  try {
    await store.putNew(name, data);
  } catch (error) {
    if (error instanceof AppError && error.code === 'conflict') return;
    throw error;
  }
}

function toIndexEntry(entry: PackEntry, packId: string): IndexEntry {
  return { ...entry, packId };
}
