import { createCipheriv, createHash, randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { BlobServiceClient } from '@azure/storage-blob';
import { startAzurite, type RunningAzurite } from '../../../dev/azurite';
import { AppError } from '../../../shared/errors/app-error';
import {
  AzureBlobStore,
  LocalMasterKey,
  containerNameForTenant,
  openRepository,
  type BlobData,
  type BlobStore,
  type Repository,
  type RepositoryOptions,
} from '../../../shared/repository';

export interface RepositoryFixture {
  azurite: RunningAzurite;
  blobs: BlobServiceClient;
  masterKey: LocalMasterKey;
  open(tenantId: string, options?: Partial<RepositoryOptions>, store?: BlobStore): Promise<Repository>;
  store(tenantId: string): BlobStore;
  stop(): Promise<void>;
}

export async function startRepositoryFixture(): Promise<RepositoryFixture> {
  const azurite = await startAzurite();
  const blobs = BlobServiceClient.fromConnectionString(azurite.connectionString, {
    retryOptions: { maxTries: 2 },
  });
  const masterKey = new LocalMasterKey(Buffer.alloc(32, 0x5a));
  return {
    azurite,
    blobs,
    masterKey,
    open: (tenantId, options, store) =>
      openRepository({
        ...(store ? { store } : { blobs }),
        tenantId,
        masterKey,
        ...(options ? { options } : {}),
      }),
    store: (tenantId) => AzureBlobStore.forTenant(blobs, containerNameForTenant(tenantId)),
    stop: () => azurite.stop(),
  };
}

export const newTenantId = (): string => randomUUID();

/** Deterministic incompressible bytes (AES-CTR keystream), produced lazily: nothing is held whole. */
export function pseudoRandomStream(seed: number, length: number, pieceSize = 256 * 1024): Readable {
  const key = createHash('sha256').update(`seed ${seed}`).digest();
  const cipher = createCipheriv('aes-256-ctr', key, Buffer.alloc(16));
  let produced = 0;
  return new Readable({
    highWaterMark: pieceSize,
    read() {
      if (produced >= length) {
        this.push(null);
        return;
      }
      const n = Math.min(pieceSize, length - produced);
      produced += n;
      this.push(cipher.update(Buffer.alloc(n)));
    },
  });
}

export async function pseudoRandomBytes(seed: number, length: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const part of pseudoRandomStream(seed, length)) parts.push(part as Buffer);
  return Buffer.concat(parts);
}

export async function sha256OfStream(
  stream: AsyncIterable<Uint8Array>,
): Promise<{ sha256: string; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const part of stream) {
    hash.update(part);
    size += part.length;
  }
  return { sha256: hash.digest('hex'), size };
}

export async function readAll(stream: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const part of stream) parts.push(Buffer.from(part));
  return Buffer.concat(parts);
}

/** Names of every blob in a store under a prefix. */
export async function listNames(store: BlobStore, prefix = ''): Promise<string[]> {
  const names: string[] = [];
  for await (const blob of store.list(prefix)) names.push(blob.name);
  return names;
}

/**
 * Wraps a store and fails its `step`-th write (1-based), or every write whose name `step`
 * matches: `before` the write reaches storage (a crash or refused request), or `after` it (the
 * write landed but the caller never heard: a timeout, or the process dying right after).
 */
export class FailingStore implements BlobStore {
  writes = 0;
  readonly written: string[] = [];

  constructor(
    private readonly inner: BlobStore,
    private readonly step: number | RegExp,
    private readonly mode: 'before' | 'after',
  ) {}

  async putNew(name: string, data: BlobData): Promise<void> {
    const write = ++this.writes; // concurrent uploads: remember which write this is
    const fails = typeof this.step === 'number' ? write === this.step : this.step.test(name);
    if (fails && this.mode === 'before')
      throw new AppError('unavailable', `injected failure before write ${write} (${name})`);
    await this.inner.putNew(name, data);
    this.written.push(name);
    if (fails && this.mode === 'after')
      throw new AppError('unavailable', `injected failure after write ${write} (${name})`);
  }

  ensure(): Promise<void> {
    return this.inner.ensure();
  }

  get(name: string): Promise<Buffer | undefined> {
    return this.inner.get(name);
  }

  getRange(name: string, offset: number, count: number, into?: Buffer): Promise<Buffer> {
    return this.inner.getRange(name, offset, count, into);
  }

  list(prefix: string): AsyncIterable<{ name: string; size: number }> {
    return this.inner.list(prefix);
  }

  deleteIfExists(name: string): Promise<void> {
    return this.inner.deleteIfExists(name);
  }
}
