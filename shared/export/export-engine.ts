import { createHash } from 'node:crypto';
import { PassThrough, Readable, Transform } from 'node:stream';
import type { BlobServiceClient, ContainerClient } from '@azure/storage-blob';
import type { SnapshotReader } from '../backup/snapshot-reader';
import { once } from '../concurrency/once';
import { Semaphore } from '../concurrency/semaphore';
import { AppError } from '../errors/app-error';
import type { Logger } from '../observability/logger';
import { QueueNames, type JobQueue } from '../queues/job-queues';
import type { ResourceStore } from '../resources/resource-store';
import { signedBlobUrl } from '../storage/blob-sas';
import type { RestoreScope } from '../restore/restore-job';
import type { TenantStore } from '../tenants/tenant-store';
import type { Clock } from '../time/clock';
import type { ContentRef, Repository, SegmentHold, TreeEntry } from '../repository';
import {
  EXPORT_FORMAT_VERSION,
  exportFileName,
  safeFileName,
  type ExportJob,
  type ExportJobMessage,
  type ExportManifest,
  type ExportManifestFolder,
  type ExportManifestItem,
} from './export-job';
import type { ExportJobStore } from './export-store';
import { listAttachments, withoutAttachments } from './mime-attachments';
import { prepareEntry, ZipWriter, type PreparedEntry } from './zip-writer';

export const EXPORTS_CONTAINER = 'exports';
export const DOWNLOAD_LINK_MINUTES = 15;

export interface ExportEngineDependencies {
  jobs: ExportJobStore;
  tenants: TenantStore;
  resources: ResourceStore;
  reader: SnapshotReader;
  blobs: BlobServiceClient;
  queue: JobQueue;
  clock: Clock;
  /** Days a finished export stays downloadable. */
  retentionDays: number;
  log: Logger;
}

export interface ExportRequest {
  tenantId: string;
  snapshotId: string;
  scope: RestoreScope;
  /** Mail only: false exports each message without its attachments (listed in the message and the manifest). Default true. */
  includeAttachments?: boolean;
  requestedBy: string;
}

const containerOf = new WeakMap<BlobServiceClient, () => Promise<ContainerClient>>();
function exportsContainer(blobs: BlobServiceClient): Promise<ContainerClient> {
  let ensure = containerOf.get(blobs);
  if (!ensure) {
    ensure = once(async () => {
      const container = blobs.getContainerClient(EXPORTS_CONTAINER);
      await container.createIfNotExists();
      return container;
    });
    containerOf.set(blobs, ensure);
  }
  return ensure();
}

/** A queued export of the tenant's snapshot (another tenant's snapshot id answers not-found). */
export async function createExportJob(
  deps: ExportEngineDependencies,
  request: ExportRequest,
): Promise<ExportJob> {
  const { record } = await deps.reader.open(request.tenantId, request.snapshotId);
  const [tenant, resource] = await Promise.all([
    deps.tenants.get(request.tenantId),
    deps.resources.get(request.tenantId, record.resourceId),
  ]);
  const now = deps.clock.now();
  const jobId = `${String(9_999_999_999_999 - now.getTime()).padStart(13, '0')}-${Math.random().toString(16).slice(2, 10)}`;
  const job: ExportJob = {
    jobId,
    tenantId: request.tenantId,
    resourceId: record.resourceId,
    resourceKind: resource.kind,
    snapshotId: request.snapshotId,
    scope: request.scope,
    includeAttachments: request.includeAttachments ?? true,
    state: 'queued',
    requestedBy: request.requestedBy,
    createdAt: now.toISOString(),
    updatedAt: now.toISOString(),
    fileName: exportFileName(tenant.displayName, resource.displayName, record.startedAt),
    blobName: `${request.tenantId}/${jobId}.zip`,
    progress: { itemsDone: 0, itemsTotal: 0, bytesDone: 0, bytesTotal: 0 },
  };
  await deps.jobs.put(job);
  await deps.queue.send(QueueNames.exportJobs, { tenantId: job.tenantId, jobId } satisfies ExportJobMessage);
  return job;
}

function inScope(scope: RestoreScope, path: string[], entry: TreeEntry): boolean {
  if (scope.kind === 'all') return true;
  if (scope.kind === 'items') return scope.itemIds.includes(entry.itemId ?? '');
  const full = [...path, entry.name];
  return scope.paths.some((p) => p.length <= full.length && p.every((name, i) => full[i] === name));
}

/** The zip path of an entry: mail as `<subject> (<id tail>).eml`, files as themselves. */
function zipPath(path: string[], entry: TreeEntry, used: Set<string>): string {
  const folders = path.map(safeFileName);
  let name: string;
  if (entry.kind === 'message' && isJsonDocument(entry)) {
    name = safeFileName(entry.name.endsWith('.json') ? entry.name : `${entry.name}.json`);
  } else if (entry.kind === 'message') {
    const subject =
      typeof entry.metadata?.subject === 'string' && entry.metadata.subject
        ? entry.metadata.subject
        : 'No subject';
    const tail = createHash('sha256')
      .update(entry.itemId ?? entry.name)
      .digest('hex')
      .slice(0, 8);
    name = `${safeFileName(subject).slice(0, 80)} (${tail}).eml`;
  } else {
    name = safeFileName(entry.name);
  }
  let candidate = ['content', ...folders, name].join('/');
  for (let i = 2; used.has(candidate.toLowerCase()); i++) {
    candidate = ['content', ...folders, name.replace(/(\.[^.]*)?$/, ` (${i})$1`)].join('/');
  }
  used.add(candidate.toLowerCase());
  return candidate;
}

/**
 * Runs an export: the zip is streamed entry by entry into a block blob upload (never held in
 * memory); each entry's SHA-256 is taken as it streams and `manifest.json` is written last.
 * A redelivered message restarts the export from the beginning (the blob is rewritten).
 */
export async function runExportJob(
  deps: ExportEngineDependencies,
  message: ExportJobMessage,
): Promise<ExportJob> {
  let job = await deps.jobs.get(message.tenantId, message.jobId);
  if (job.state !== 'queued' && job.state !== 'running') return job;
  const { record, repository, root } = await deps.reader.open(job.tenantId, job.snapshotId);
  const [tenant, resource] = await Promise.all([
    deps.tenants.get(job.tenantId),
    deps.resources.get(job.tenantId, job.resourceId),
  ]);
  const entries: { path: string[]; entry: TreeEntry }[] = [];
  const folders: ExportManifestFolder[] = [];
  for await (const { path, entry } of repository.walk(root)) {
    if (entry.kind === 'folder' && inScope(job.scope, path, entry)) {
      folders.push({ source: [...path, entry.name], metadata: entry.metadata ?? {} });
    }
    if (entry.kind !== 'folder' && entry.content && inScope(job.scope, path, entry))
      entries.push({ path, entry });
  }
  const startedAt = deps.clock.now().toISOString();
  job = {
    ...job,
    state: 'running',
    startedAt: job.startedAt ?? startedAt,
    updatedAt: startedAt,
    progress: {
      itemsDone: 0,
      itemsTotal: entries.length,
      bytesDone: 0,
      bytesTotal: entries.reduce((sum, e) => sum + (e.entry.content?.size ?? 0), 0),
    },
  };
  await deps.jobs.put(job);
  // Files have no attachments: the option concerns mail only.
  const stripAttachments = job.includeAttachments === false && job.resourceKind === 'mailbox';

  const container = await exportsContainer(deps.blobs);
  const blob = container.getBlockBlobClient(job.blobName);
  // The zip is written into the block blob upload (UPLOAD_BLOCK_BYTES blocks, a few in flight)
  // while the next entries are read and zipped.
  const output = new PassThrough({ highWaterMark: OUTPUT_BUFFER_BYTES });
  const zip = new ZipWriter(output);
  const upload = blob.uploadStream(output, UPLOAD_BLOCK_BYTES, UPLOAD_BLOCKS_IN_FLIGHT, {
    blobHTTPHeaders: {
      blobContentType: 'application/zip',
      blobContentDisposition: `attachment; filename*=UTF-8''${encodeURIComponent(job.fileName)}`,
    },
  });
  // Whatever happens to the upload, the writer must not wait on a stream nobody reads.
  upload.catch((error: unknown) => output.destroy(error instanceof Error ? error : new Error(String(error))));

  // Zip paths in the tree's order, so names (and their " (2)" suffixes) do not depend on the
  // order the entries are written in.
  const used = new Set<string>(['manifest.json']);
  const planned = entries.map(({ path, entry }) => ({ path, entry, zipPath: zipPath(path, entry, used) }));
  // The manifest lists items in the tree's order; the zip holds them in the order their content
  // is stored (see readOrder).
  const items: ExportManifestItem[] = new Array<ExportManifestItem>(planned.length);
  const order = readOrder(planned, repository);
  let lastSaved = Date.now();
  try {
    // Stored when compressed already (by its format, or because the backup found it did not
    // compress); else a fast deflate: an export is a download waited for, and level 6 costs
    // about three times the CPU for a few percent smaller mail.
    const levelOf = (itemPath: string, content: ContentRef) =>
      alreadyCompressed(itemPath) || !compressible(content, repository) ? 0 : 1;
    const rewritesMime = (entry: TreeEntry) =>
      stripAttachments && entry.kind === 'message' && !isJsonDocument(entry);
    // Small items are read ahead and, unless their MIME is to be rewritten, CRC'd and deflated
    // ahead too: their deflate runs in zlib's thread pool while this thread reads and decrypts.
    const ahead = new ContentReadAhead(
      order.map((index) => planned[index]!),
      async ({ entry, zipPath: itemPath }): Promise<Buffer | PreparedEntry> => {
        // Each item is read once: its chunks are not kept in the repository's read cache.
        const raw = await readAll(repository.readContent(entry.content!, { cache: false }));
        return rewritesMime(entry) ? raw : prepareEntry(raw, levelOf(itemPath, entry.content!));
      },
      ({ entry }) => repository.prefetch(entry.content!.chunks, SEGMENT_AHEAD_BYTES),
    );
    for (const [position, index] of order.entries()) {
      const { path, entry, zipPath: itemPath } = planned[index]!;
      const content = entry.content!;
      // Small items come from the read-ahead (already in memory); large ones stream from the
      // repository with a deeper chunk read-ahead than the repository's default.
      const prefetched = ahead.take(position);
      const open = async (): Promise<Buffer | PreparedEntry | Readable> =>
        prefetched ? await prefetched : repository.readContent(content, { bulk: true });
      // Without attachments: a first pass lists them (nothing kept), the second writes the rest.
      const omitted = rewritesMime(entry) ? await listAttachments(asStream(await open())) : undefined;
      const stripped = omitted !== undefined && omitted.omitted.length > 0;
      let size = content.size;
      let sha256 = content.sha256;
      let source: Buffer | PreparedEntry | Readable;
      if (stripped) {
        // A rewritten message: its size and SHA-256 are taken as it streams.
        const hash = createHash('sha256');
        size = 0;
        const hashing = new Transform({
          transform(chunk: Buffer, _encoding, callback) {
            hash.update(chunk);
            size += chunk.length;
            callback(null, chunk);
          },
          flush(callback) {
            sha256 = hash.digest('hex');
            callback();
          },
        });
        const rewritten = withoutAttachments(asStream(await open()), omitted.omitted, omitted.lineEnding);
        rewritten.on('error', (error) => hashing.destroy(error));
        source = rewritten.pipe(hashing);
        // A message read ahead (small) is small without its attachments too: zipped whole (one
        // deflate call of its exact size), not through a deflate stream, whose output buffer zlib
        // allocates up front at 256 KiB: a thousand of those kept the worker's memory high.
        if (prefetched) source = await readAll(source);
      } else {
        // The original bytes: the repository checks their size and SHA-256 against the snapshot's
        // as they stream (a mismatch fails the stream, and so the export), so they are not hashed again.
        source = await open();
      }
      await zip.add(itemPath, source, {
        mtime: modified(entry),
        compressionLevel: levelOf(itemPath, content),
        size: content.size,
      });
      items[index] = {
        path: itemPath,
        source: [...path, entry.name],
        kind: entry.kind === 'message' ? (isJsonDocument(entry) ? 'document' : 'message') : 'file',
        itemId: entry.itemId ?? null,
        size,
        sha256,
        metadata: entry.metadata ?? {},
        ...(omitted ? { attachmentsOmitted: omitted.omitted } : {}),
        ...(stripped ? { original: { size: content.size, sha256: content.sha256 } } : {}),
      };
      job.progress = {
        ...job.progress,
        itemsDone: job.progress.itemsDone + 1,
        bytesDone: job.progress.bytesDone + size,
      };
      if (Date.now() - lastSaved > 1000) {
        await deps.jobs.put({ ...job, updatedAt: deps.clock.now().toISOString() });
        lastSaved = Date.now();
      }
    }
    const manifest: ExportManifest = {
      formatVersion: EXPORT_FORMAT_VERSION,
      tenantId: job.tenantId,
      customer: tenant.displayName,
      resourceId: job.resourceId,
      resourceKind: resource.kind,
      resourceName: resource.displayName,
      snapshotId: job.snapshotId,
      snapshotTime: record.startedAt,
      createdAt: deps.clock.now().toISOString(),
      includeAttachments: job.includeAttachments,
      folders,
      items,
    };
    await zip.add('manifest.json', Buffer.from(JSON.stringify(manifest, null, 2), 'utf8'), {
      mtime: new Date(manifest.createdAt),
      compressionLevel: 6,
    });
    await zip.end();
    await upload;
  } catch (error) {
    // With the error, so the blob upload reading `output` fails too instead of committing a part.
    output.destroy(error instanceof Error ? error : new Error(String(error)));
    await Promise.allSettled([upload]);
    throw error;
  }
  const zipBytes = zip.bytesWritten;
  const now = deps.clock.now();
  job = {
    ...job,
    state: 'completed',
    zipBytes,
    updatedAt: now.toISOString(),
    finishedAt: now.toISOString(),
    expiresAt: new Date(now.getTime() + deps.retentionDays * 24 * 3600 * 1000).toISOString(),
  };
  await deps.jobs.put(job);
  deps.log.info('export finished', {
    tenantId: job.tenantId,
    jobId: job.jobId,
    items: items.length,
    zipBytes,
  });
  return job;
}

/** A message read ahead as a one-chunk stream (for the MIME splitter), a stream as it is. */
function asStream(content: Buffer | PreparedEntry | Readable): Readable {
  if (content instanceof Readable) return content;
  // Messages whose MIME is rewritten are read ahead as they are, never prepared.
  if (!Buffer.isBuffer(content)) throw new AppError('invalid', 'a prepared zip entry cannot be rewritten');
  return Readable.from([content]);
}

/**
 * Upload blocks of the zip: the upload holds at most UPLOAD_BLOCK_BYTES × UPLOAD_BLOCKS_IN_FLIGHT
 * (16 MiB), and sends three of them at once (the SDK keeps one buffer filling). With two, the writer
 * waited on the upload for 30% of a OneDrive export (1.8 s of 5.9 s, BENCH_SCALE 0.3); with four, 0.2 s.
 */
const UPLOAD_BLOCK_BYTES = 4 * 1024 * 1024;
const UPLOAD_BLOCKS_IN_FLIGHT = 4;
/** What the writer may run ahead of the upload before it waits. */
const OUTPUT_BUFFER_BYTES = 1024 * 1024;

async function readAll(stream: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of stream) parts.push(chunk as Buffer);
  // Most small items are one chunk: no copy.
  return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
}

/**
 * The order the zip's entries are written in: by where their content is stored (pack, then
 * offset of the first chunk). A snapshot's tree order (by name) is unrelated to the order the
 * backup stored items in, so reading in tree order fetched a pack segment for one or two messages
 * and threw the rest away; in stored order consecutive items come from the same segment, and the
 * read-ahead's readers fetch neighbouring ranges. The zip's order is not visible to a user (the
 * manifest keeps the tree's order; import goes by name). Items whose chunk is not in the index
 * keep their place at the end (reading them reports the error).
 */
function readOrder(
  planned: readonly { entry: TreeEntry }[],
  repository: Pick<Repository, 'locate'>,
): number[] {
  const keys = planned.map(({ entry }) => {
    const first = entry.content?.chunks[0];
    return first === undefined ? undefined : repository.locate(first);
  });
  return planned
    .map((_, index) => index)
    .sort((a, b) => {
      const ka = keys[a];
      const kb = keys[b];
      if (!ka || !kb) return ka ? -1 : kb ? 1 : a - b;
      if (ka.packId !== kb.packId) return ka.packId < kb.packId ? -1 : 1;
      return ka.offset - kb.offset || a - b;
    });
}

/** Items up to this size are read ahead into memory; larger ones stream when their turn comes. */
const READ_AHEAD_ITEM_BYTES = 4 * 1024 * 1024;
/** At most this much read ahead at once, in at most this many items, by this many readers. */
const READ_AHEAD_BYTES = 16 * 1024 * 1024;
const READ_AHEAD_ITEMS = 64;
const READ_AHEAD_READERS = 8;
/**
 * Pack segments (1 MiB) fetched ahead of the readers, in stored order, at most this much at once.
 * Consecutive small items share a segment, so the readers used to wait together on one range read
 * and then start the next: the segments came one after the other. (Larger segments, 8 MiB, cost
 * Azurite less per byte but took the worker's peak RSS over its 300 MB target.)
 */
const SEGMENT_AHEAD_BYTES = 8 * 1024 * 1024;

/**
 * Reads the content of the next small items while the current one is zipped: each item is a
 * separate range read of a pack blob, so reading them one after the other would leave the export
 * waiting on storage round trips. The pack segments of the items scheduled are fetched as they
 * are scheduled (`prefetch`, several range reads in flight, bounded in bytes), ahead of the
 * readers. The zip itself stays sequential (a zip is written in order).
 */
class ContentReadAhead<P extends { entry: TreeEntry }, T> {
  private readonly pending = new Map<number, Promise<T>>();
  /** Prefetched segments of the items scheduled, until they are read. */
  private readonly holds = new Map<number, SegmentHold>();
  private readonly readers: Semaphore;
  private next = 0;
  private heldBytes = 0;

  constructor(
    private readonly entries: readonly P[],
    private readonly read: (item: P) => Promise<T>,
    /** Starts fetching an item's stored bytes; undefined when the segments ahead are at their bound. */
    private readonly prefetch: (item: P) => SegmentHold | undefined,
  ) {
    this.readers = new Semaphore(READ_AHEAD_READERS);
  }

  private sizeOf(index: number): number {
    return this.entries[index]!.entry.content?.size ?? 0;
  }

  /** The content of item `index` if it is small (read ahead or read now; call in order), else undefined: stream it. */
  take(index: number): Promise<T> | undefined {
    const taken = this.pending.get(index);
    if (taken) {
      // The caller owns it now: its bytes no longer count against the read-ahead.
      this.pending.delete(index);
      this.heldBytes -= this.sizeOf(index);
    }
    const content =
      taken ?? (this.sizeOf(index) <= READ_AHEAD_ITEM_BYTES ? this.start(index, false) : undefined);
    this.fill(index + 1);
    return content;
  }

  private fill(from: number): void {
    this.next = Math.max(this.next, from);
    while (this.next < this.entries.length && this.pending.size < READ_AHEAD_ITEMS) {
      const size = this.sizeOf(this.next);
      if (size > READ_AHEAD_ITEM_BYTES) {
        this.next += 1;
        continue;
      }
      if (this.heldBytes + size > READ_AHEAD_BYTES) break;
      const hold = this.prefetch(this.entries[this.next]!);
      // Segments ahead at their bound: the next take (a read finished) tries again.
      if (!hold) break;
      this.holds.set(this.next, hold);
      this.pending.set(this.next, this.start(this.next, true));
      this.next += 1;
    }
  }

  private start(index: number, counted: boolean): Promise<T> {
    const size = this.sizeOf(index);
    if (counted) this.heldBytes += size;
    const reading = (async () => {
      const release = await this.readers.acquire();
      try {
        return await this.read(this.entries[index]!);
      } finally {
        release();
        this.holds.get(index)?.release();
        this.holds.delete(index);
      }
    })();
    // An item read ahead but never taken (the export failed) must not be an unhandled rejection.
    reading.catch(() => undefined);
    return reading;
  }
}

/**
 * Formats that are compressed already (Office Open XML and other zips, images, audio, video):
 * deflating them again costs the export most of its time and saves next to nothing, so they are
 * stored. Mail, text, PDF and everything else is deflated.
 */
const STORED_EXTENSIONS = new Set([
  'docx',
  'xlsx',
  'pptx',
  'docm',
  'xlsm',
  'pptm',
  'vsdx',
  'odt',
  'ods',
  'odp',
  'zip',
  '7z',
  'gz',
  'tgz',
  'bz2',
  'xz',
  'rar',
  'cab',
  'jar',
  'apk',
  'nupkg',
  'png',
  'gif',
  'jpg',
  'jpeg',
  'webp',
  'heic',
  'heif',
  'avif',
  'mp4',
  'm4v',
  'mov',
  'avi',
  'mkv',
  'webm',
  'wmv',
  'mp3',
  'm4a',
  'aac',
  'ogg',
  'opus',
  'flac',
  'wma',
]);

/**
 * Whether deflating the content can pay: false when the backup stored most of its bytes
 * uncompressed because compression did not save 5% (random-looking data: most PDFs, binaries,
 * media with unknown extensions). Deflating such data costs the export its throughput (zlib
 * hands back 16 KiB at a time, about as large as it went in) for nothing.
 */
function compressible(content: ContentRef, repository: Pick<Repository, 'locate'>): boolean {
  let compressed = 0;
  let raw = 0;
  for (const chunkId of content.chunks) {
    const placement = repository.locate(chunkId);
    if (!placement) return true; // reading it will report the missing chunk
    if (placement.compressed) compressed += placement.rawLength;
    else raw += placement.rawLength;
  }
  return compressed >= raw;
}

function alreadyCompressed(name: string): boolean {
  const dot = name.lastIndexOf('.');
  return dot > name.lastIndexOf('/') && STORED_EXTENSIONS.has(name.slice(dot + 1).toLowerCase());
}

/** Group conversation threads are JSON documents, not MIME. */
function isJsonDocument(entry: TreeEntry): boolean {
  return entry.kind === 'message' && entry.metadata?.contentType === 'application/json';
}

function modified(entry: TreeEntry): Date {
  const m = entry.metadata ?? {};
  const value = (m.receivedDateTime ?? m.lastModifiedDateTime ?? m.lastDeliveredDateTime) as
    string | undefined;
  const date = value ? new Date(value) : new Date(0);
  return Number.isNaN(date.getTime()) || date.getTime() < Date.UTC(1980, 0, 2)
    ? new Date(Date.UTC(1980, 0, 2))
    : date;
}

/**
 * A read-only link to this one export blob, valid 15 minutes: an account-key SAS when the app
 * holds a key (Azurite, connection strings), a user-delegation SAS with a managed identity (Azure).
 */
export async function exportDownloadLink(
  deps: Pick<ExportEngineDependencies, 'blobs' | 'clock'>,
  job: ExportJob,
): Promise<{ url: string; expiresAt: string }> {
  if (job.state !== 'completed') throw new AppError('conflict', `the export is ${job.state}`);
  await exportsContainer(deps.blobs);
  const now = deps.clock.now();
  const expiresOn = new Date(now.getTime() + DOWNLOAD_LINK_MINUTES * 60 * 1000);
  const url = await signedBlobUrl(deps.blobs, {
    containerName: EXPORTS_CONTAINER,
    blobName: job.blobName,
    permissions: 'r',
    startsOn: new Date(now.getTime() - 5 * 60 * 1000),
    expiresOn,
    contentDisposition: `attachment; filename*=UTF-8''${encodeURIComponent(job.fileName)}`,
  });
  return { url, expiresAt: expiresOn.toISOString() };
}

/** Deletes exports past their expiry (the cleanup timer); returns how many. */
export async function deleteExpiredExports(
  deps: Pick<ExportEngineDependencies, 'jobs' | 'blobs' | 'clock'>,
): Promise<number> {
  const container = await exportsContainer(deps.blobs);
  let count = 0;
  for await (const job of deps.jobs.expired(deps.clock.now())) {
    await container.getBlockBlobClient(job.blobName).deleteIfExists();
    await deps.jobs.put({ ...job, state: 'expired', updatedAt: deps.clock.now().toISOString() });
    count += 1;
  }
  return count;
}
