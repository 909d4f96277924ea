import { AppError } from '../errors/app-error';
import type { TenantGraph } from '../graph/graph-client';
import type { Resource } from '../resources/resource';
import { BufferPool } from '../concurrency/buffer-pool';
import { ByteBudget } from '../concurrency/byte-budget';
import { BULK_READ_BYTES } from '../repository';
import type { ConflictPolicy } from './restore-job';
import {
  encodePath,
  putFragment,
  type ItemOutcome,
  type RestoreContext,
  type RestoreItem,
  type WorkloadRestorer,
} from './restore-context';

/** Files up to this size go in one PUT; larger ones through an upload session. */
export const SIMPLE_UPLOAD_BYTES = 4 * 1024 * 1024;
/** Upload session fragments: a multiple of 320 KiB (Graph's rule), 3.2 MiB. */
export const FRAGMENT_BYTES = 10 * 320 * 1024;
/**
 * What a file in an upload session holds: its fragment buffer, the run of stored chunks being
 * decoded (a bulk read: up to BULK_READ_BYTES, one range request) and the chunk being copied (at
 * most 4 MiB).
 */
const SESSION_FILE_BYTES = FRAGMENT_BYTES + BULK_READ_BYTES + 4 * 1024 * 1024;
/** Files in flight per drive restore. */
export const DRIVE_RESTORE_CONCURRENCY = 16;
/**
 * File bytes all drive restores of this worker hold at once (whole small files and the
 * in-flight part of large ones), so 16 files in flight per job, and several jobs, keep the
 * worker's memory bounded.
 */
export const DRIVE_RESTORE_BUFFER_BYTES = 64 * 1024 * 1024;
const workerFileBudget = new ByteBudget(DRIVE_RESTORE_BUFFER_BYTES);
/**
 * Fragment buffers, reused from file to file (two wait for reuse at most, for 2 s) rather than one
 * allocated per file (see `BufferPool`).
 */
const fragmentBuffers = new BufferPool(FRAGMENT_BYTES, 2, 2_000);

const conflictBehavior: Record<ConflictPolicy, 'fail' | 'rename' | 'replace'> = {
  skip: 'fail',
  rename: 'rename',
  overwrite: 'replace',
};

/** Where an entry of the snapshot goes: a drive and a path in it. */
interface Placement {
  driveId: string;
  path: string[];
}

/**
 * OneDrive, SharePoint library and group library restore. Original target: each library's own
 * drive at the original paths. Another resource: its default drive, under the chosen folder, with
 * the library folders (sites, groups) kept as folders. Group conversations cannot be written back
 * through Graph and are reported as skipped.
 */
export class DriveRestorer implements WorkloadRestorer {
  /**
   * Files in flight at once. SharePoint and OneDrive limit a tenant by resource units per minute,
   * not by concurrency, so a restore is bound by Graph's latency: 16 at a time (the raw ceiling's
   * concurrency) keep the units busy. Memory is bounded by the worker's file budget, not by this:
   * a small file holds its bytes, a large one streams one 3.2 MiB fragment at a time.
   */
  readonly concurrency = DRIVE_RESTORE_CONCURRENCY;

  constructor(private readonly budget: ByteBudget = workerFileBudget) {}
  /** Folder creations under way in this slice, so concurrent files of one folder create it once. */
  private readonly folders = new Map<string, Promise<void>>();

  async prepare(ctx: RestoreContext): Promise<string> {
    if (ctx.job.target.kind === 'resource') {
      const driveId = await defaultDriveId(ctx.graph, ctx.target);
      ctx.checkpoint.folders['drive:target'] = driveId;
      for (let i = 1; i <= ctx.job.target.folderPath.length; i++) {
        await this.ensureFolder(ctx, driveId, ctx.job.target.folderPath.slice(0, i));
      }
      return `${ctx.target.displayName}/${ctx.job.target.folderPath.join('/')}`;
    }
    if (ctx.source.kind === 'onedrive') {
      ctx.checkpoint.folders['drive:target'] = await defaultDriveId(ctx.graph, ctx.target);
    }
    return 'original location';
  }

  /** Creates a folder, parents first, once per slice however many files wait for it; an existing one is fine. */
  private ensureFolder(ctx: RestoreContext, driveId: string, path: string[]): Promise<void> {
    const key = `${driveId}:${path.join('/')}`;
    if (ctx.checkpoint.folders[`drivefolder:${key}`]) return Promise.resolve();
    let creating = this.folders.get(key);
    if (!creating) {
      creating = (async () => {
        if (path.length > 1) await this.ensureFolder(ctx, driveId, path.slice(0, -1));
        await createFolder(ctx, driveId, path);
      })();
      creating.catch(() => this.folders.delete(key));
      this.folders.set(key, creating);
    }
    return creating;
  }

  /** The drive and path of an entry, or a reason it cannot be restored. */
  private async place(ctx: RestoreContext, item: RestoreItem): Promise<Placement | string> {
    const full = [...item.path, item.entry.name];
    const target = ctx.job.target;
    if (ctx.source.kind !== 'onedrive') {
      const library = await libraryOf(ctx, item.path[0] ?? item.entry.name);
      if (!library) return 'group conversations cannot be restored to Microsoft 365';
      if (target.kind === 'original') return { driveId: library, path: full.slice(1) };
    }
    if (target.kind === 'resource') {
      return { driveId: ctx.checkpoint.folders['drive:target']!, path: [...target.folderPath, ...full] };
    }
    return { driveId: ctx.checkpoint.folders['drive:target']!, path: full };
  }

  async restore(ctx: RestoreContext, item: RestoreItem): Promise<ItemOutcome> {
    const placement = await this.place(ctx, item);
    if (typeof placement === 'string') return { kind: 'skipped', reason: placement };
    const { driveId, path } = placement;
    if (item.entry.kind === 'folder') {
      if (path.length > 0) await this.ensureFolder(ctx, driveId, path);
      return { kind: 'restored', bytes: 0 };
    }
    if (!item.entry.content) return { kind: 'skipped', reason: 'no content in the snapshot' };
    // Its folder may still be being created by another slot (items run a few at a time).
    if (path.length > 1) await this.ensureFolder(ctx, driveId, path.slice(0, -1));
    const size = item.entry.content.size;
    const behavior = conflictBehavior[ctx.job.conflict];
    const grant = await this.budget.acquire(size <= SIMPLE_UPLOAD_BYTES ? size : SESSION_FILE_BYTES);
    try {
      if (size <= SIMPLE_UPLOAD_BYTES) {
        const bytes = await readBuffer(ctx, item);
        await ctx.graph.put(
          `/drives/${driveId}/root:/${encodePath(path)}:/content?@microsoft.graph.conflictBehavior=${behavior}`,
          bytes,
          { headers: { 'Content-Type': 'application/octet-stream' }, what: 'restore a file' },
        );
      } else {
        await uploadInSession(ctx, item, driveId, path, behavior);
      }
    } catch (error) {
      if (error instanceof AppError && error.code === 'conflict' && ctx.job.conflict === 'skip') {
        return { kind: 'skipped', reason: 'a file with this name exists (conflict policy: skip)' };
      }
      throw error;
    } finally {
      grant.release();
    }
    return { kind: 'restored', bytes: size };
  }
}

/**
 * A small file's bytes: the one piece the source read when it came in one (most small files are a
 * single chunk: no copy), else the pieces copied into one buffer of its size (not held twice).
 */
async function readBuffer(ctx: RestoreContext, item: RestoreItem): Promise<Buffer> {
  const size = item.entry.content!.size;
  let first: Buffer | undefined;
  let bytes: Buffer | undefined;
  let at = 0;
  for await (const chunk of ctx.repository.readContent(item.entry.content!, { bulk: true })) {
    const piece = chunk as Buffer;
    if (!first && !bytes) {
      first = piece;
      continue;
    }
    if (!bytes) {
      bytes = Buffer.allocUnsafe(size);
      at = append(bytes, 0, first!);
      first = undefined;
    }
    at = append(bytes, at, piece);
  }
  return bytes ?? first ?? Buffer.alloc(0);
}

/** Copies `piece` into `bytes` at `at`; the repository checks the size as it streams, this only keeps a bad ref from overrunning. */
function append(bytes: Buffer, at: number, piece: Buffer): number {
  if (at + piece.length > bytes.length)
    throw new AppError('permanent', 'repository integrity check failed: content is longer than its size');
  return at + piece.copy(bytes, at);
}

/** Streams the file from the repository into an upload session, fragment by fragment. */
async function uploadInSession(
  ctx: RestoreContext,
  item: RestoreItem,
  driveId: string,
  path: string[],
  behavior: string,
): Promise<void> {
  const total = item.entry.content!.size;
  const session = await ctx.graph.post<{ uploadUrl: string }>(
    `/drives/${driveId}/root:/${encodePath(path)}:/createUploadSession`,
    { item: { '@microsoft.graph.conflictBehavior': behavior } },
    { what: 'start a file upload' },
  );
  // One fragment buffer per file (from the pool: files in sessions are larger than a fragment),
  // filled chunk by chunk and reused once its PUT has completed; back to the pool when the file
  // is done (after a failure it is dropped: a PUT might still be reading it).
  const slab = fragmentBuffers.take();
  const fragment = slab.subarray(0, Math.min(FRAGMENT_BYTES, total));
  let filled = 0;
  let offset = 0;
  const send = async (bytes: Buffer) => {
    const { status, body } = await putFragment(session.uploadUrl, bytes, offset, total);
    offset += bytes.length;
    if (status === 409) throw new AppError('conflict', 'a file with this name exists');
    if (status >= 400) {
      throw new AppError(
        status >= 500 ? 'unavailable' : 'permanent',
        `file upload answered ${status}: ${body.slice(0, 200)}`,
      );
    }
  };
  for await (const chunk of ctx.repository.readContent(item.entry.content!, { bulk: true })) {
    const bytes = chunk as Buffer;
    for (let at = 0; at < bytes.length;) {
      // A full fragment is sent only when more bytes follow: the last one (any size) after the loop.
      if (filled === fragment.length) {
        if (offset + filled >= total)
          throw new AppError(
            'permanent',
            'repository integrity check failed: content is longer than its size',
          );
        await send(fragment);
        filled = 0;
      }
      const copied = bytes.copy(
        fragment,
        filled,
        at,
        at + Math.min(bytes.length - at, fragment.length - filled),
      );
      filled += copied;
      at += copied;
    }
  }
  if (filled > 0 || offset < total) await send(fragment.subarray(0, filled));
  fragmentBuffers.give(slab);
}

async function defaultDriveId(graph: TenantGraph, resource: Resource): Promise<string> {
  const owner =
    resource.kind === 'onedrive'
      ? 'users'
      : resource.kind === 'site'
        ? 'sites'
        : resource.kind === 'group'
          ? 'groups'
          : undefined;
  if (!owner) throw new AppError('invalid', `a ${resource.kind} has no drive`);
  const drive = await graph.get<{ id: string }>(`/${owner}/${resource.graphId}/drive?$select=id`, {
    what: 'find the target drive',
  });
  return drive.id;
}

/** The drive of a top-level library folder of a site or group snapshot (undefined: not a library). */
async function libraryOf(ctx: RestoreContext, name: string): Promise<string | undefined> {
  const key = `library:${name}`;
  if (key in ctx.checkpoint.folders) return ctx.checkpoint.folders[key] || undefined;
  const top = await ctx.repository.listFolder(ctx.snapshot.manifestRoot!, []);
  const folder = top.find((e) => e.kind === 'folder' && e.name === name);
  const driveId = folder?.metadata?.libraryDriveId;
  ctx.checkpoint.folders[key] = typeof driveId === 'string' ? driveId : '';
  return typeof driveId === 'string' ? driveId : undefined;
}

/** Creates one folder (its parent must exist); an existing one is fine. */
async function createFolder(ctx: RestoreContext, driveId: string, path: string[]): Promise<void> {
  const key = `drivefolder:${driveId}:${path.join('/')}`;
  if (ctx.checkpoint.folders[key]) return;
  const parent = path.slice(0, -1);
  const parentRef = parent.length ? `root:/${encodePath(parent)}:` : 'root';
  try {
    await ctx.graph.post(
      `/drives/${driveId}/${parentRef}/children`,
      { name: path[path.length - 1], folder: {}, '@microsoft.graph.conflictBehavior': 'fail' },
      { what: 'create a folder' },
    );
  } catch (error) {
    if (!(error instanceof AppError) || error.code !== 'conflict') throw error;
  }
  ctx.checkpoint.folders[key] = '1';
}
