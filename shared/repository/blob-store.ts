import { Readable } from 'node:stream';
import { RestError, type BlobServiceClient, type ContainerClient } from '@azure/storage-blob';
import { AppError } from '../errors/app-error';

/**
 * The few blob operations the repository needs (kopia's `blob.Storage` idea): write-once puts,
 * whole and ranged reads, listing by prefix. Keeping it this small lets one repository run on
 * Azure Blob Storage, on Azurite, in memory for unit tests, and behind a fault-injecting wrapper.
 */
/** A blob's bytes: one buffer, or parts written in order (a pack, without copying it into one). */
export type BlobData = Buffer | readonly Buffer[];

export function blobDataLength(data: BlobData): number {
  return Buffer.isBuffer(data) ? data.length : data.reduce((sum, part) => sum + part.length, 0);
}

export interface BlobStore {
  /** Creates the container if it is missing (tolerant: an existing one is fine). */
  ensure(): Promise<void>;
  /**
   * Writes a blob that must not exist yet (If-None-Match: *). Throws an AppError `conflict` if it
   * does, so concurrent writers never overwrite each other.
   */
  putNew(name: string, data: BlobData): Promise<void>;
  /** The whole blob, or undefined if it does not exist. */
  get(name: string): Promise<Buffer | undefined>;
  /**
   * Up to `count` bytes from `offset` (fewer only where the blob ends); throws `not-found` if the
   * blob is missing. With `into` (at least `count` bytes), the bytes are read into it and a view of
   * it is returned, so a reader can reuse its buffers (see `BufferPool`).
   */
  getRange(name: string, offset: number, count: number, into?: Buffer): Promise<Buffer>;
  /** Blobs whose name starts with `prefix`. */
  list(prefix: string): AsyncIterable<{ name: string; size: number }>;
  /** Deletes if present (prune and index compaction use it). */
  deleteIfExists(name: string): Promise<void>;
}

/** Translates an Azure Storage error once, where it enters, into the app's error vocabulary. */
export function translateStorageError(error: unknown, what: string): AppError {
  if (error instanceof AppError) return error;
  if (error instanceof RestError || (error as { statusCode?: unknown })?.statusCode !== undefined) {
    const status = (error as RestError).statusCode;
    if (status === 404) return new AppError('not-found', `${what}: not found`, { cause: error });
    if (status === 409 || status === 412)
      return new AppError('conflict', `${what}: already exists`, { cause: error });
    if (status === 403 || status === 401)
      return new AppError('forbidden', `${what}: access denied by storage`, { cause: error });
    if (status === 429 || status === 503)
      return new AppError('throttled', `${what}: storage is throttling`, {
        cause: error,
        retryAfterSeconds: 1,
      });
  }
  return new AppError('unavailable', `${what}: storage failed (${(error as Error)?.message ?? error})`, {
    cause: error,
  });
}

export class AzureBlobStore implements BlobStore {
  constructor(private readonly container: ContainerClient) {}

  static forTenant(blobs: BlobServiceClient, containerName: string): AzureBlobStore {
    return new AzureBlobStore(blobs.getContainerClient(containerName));
  }

  async ensure(): Promise<void> {
    try {
      await this.container.createIfNotExists();
    } catch (error) {
      throw translateStorageError(error, `container ${this.container.containerName}`);
    }
  }

  async putNew(name: string, data: BlobData): Promise<void> {
    try {
      const parts = data;
      // Parts are streamed (a factory, so the SDK can retry): no 8 MiB copy per pack.
      const body = Buffer.isBuffer(parts) ? parts : () => Readable.from(parts as readonly Buffer[]);
      await this.container.getBlockBlobClient(name).upload(body, blobDataLength(data), {
        conditions: { ifNoneMatch: '*' },
        blobHTTPHeaders: { blobContentType: 'application/octet-stream' },
      });
    } catch (error) {
      throw translateStorageError(error, `blob ${name}`);
    }
  }

  async get(name: string): Promise<Buffer | undefined> {
    try {
      return await this.container.getBlobClient(name).downloadToBuffer();
    } catch (error) {
      const translated = translateStorageError(error, `blob ${name}`);
      if (translated.code === 'not-found') return undefined;
      throw translated;
    }
  }

  async getRange(name: string, offset: number, count: number, into?: Buffer): Promise<Buffer> {
    try {
      const response = await this.container.getBlobClient(name).download(offset, count);
      // Copied into one buffer as the socket delivers it (the length is known), not collected and
      // joined: each socket read can be collected at once, and a range is not held twice.
      const length = response.contentLength ?? count;
      if (length > count) throw new Error(`range read of ${count} bytes answered ${length}`);
      const data = into && into.length >= length ? into.subarray(0, length) : Buffer.allocUnsafe(length);
      let at = 0;
      for await (const part of response.readableStreamBody!) {
        const piece = part as Buffer;
        if (at + piece.length > length) throw new Error(`range read longer than its ${length} bytes`);
        piece.copy(data, at);
        at += piece.length;
      }
      return at === length ? data : data.subarray(0, at);
    } catch (error) {
      throw translateStorageError(error, `blob ${name}`);
    }
  }

  async *list(prefix: string): AsyncIterable<{ name: string; size: number }> {
    try {
      for await (const blob of this.container.listBlobsFlat({ prefix })) {
        yield { name: blob.name, size: blob.properties.contentLength ?? 0 };
      }
    } catch (error) {
      throw translateStorageError(error, `listing ${prefix}`);
    }
  }

  async deleteIfExists(name: string): Promise<void> {
    try {
      await this.container.getBlobClient(name).deleteIfExists();
    } catch (error) {
      throw translateStorageError(error, `blob ${name}`);
    }
  }
}

/** An in-memory store: unit tests, and a reference for the BlobStore contract. */
export class MemoryBlobStore implements BlobStore {
  readonly blobs = new Map<string, Buffer>();

  async ensure(): Promise<void> {}

  async putNew(name: string, data: BlobData): Promise<void> {
    if (this.blobs.has(name)) throw new AppError('conflict', `blob ${name}: already exists`);
    this.blobs.set(name, Buffer.isBuffer(data) ? Buffer.from(data) : Buffer.concat(data));
  }

  async get(name: string): Promise<Buffer | undefined> {
    const data = this.blobs.get(name);
    return data ? Buffer.from(data) : undefined;
  }

  async getRange(name: string, offset: number, count: number, into?: Buffer): Promise<Buffer> {
    const data = this.blobs.get(name);
    if (!data) throw new AppError('not-found', `blob ${name}: not found`);
    const range = data.subarray(offset, offset + count);
    if (!into || into.length < range.length) return Buffer.from(range);
    range.copy(into);
    return into.subarray(0, range.length);
  }

  async *list(prefix: string): AsyncIterable<{ name: string; size: number }> {
    for (const [name, data] of [...this.blobs].sort(([a], [b]) => (a < b ? -1 : 1))) {
      if (name.startsWith(prefix)) yield { name, size: data.length };
    }
  }

  async deleteIfExists(name: string): Promise<void> {
    this.blobs.delete(name);
  }
}
