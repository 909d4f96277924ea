import { AppError } from '../../errors/app-error';
import { mapWithConcurrency } from '../../concurrency/pool';
import type { ContentRef, TreeEntry } from '../../repository';
import type { FolderNode, ItemEntry, PreviousManifest } from '../manifest-model';
import type { ByteBudget } from '../../concurrency/byte-budget';
import type { SnapshotSlice } from '../workload-handler';

interface GraphDriveItem {
  id: string;
  name?: string;
  size?: number;
  cTag?: string;
  eTag?: string;
  createdDateTime?: string;
  lastModifiedDateTime?: string;
  webUrl?: string;
  root?: object;
  deleted?: object;
  folder?: object;
  file?: { mimeType?: string; hashes?: { quickXorHash?: string } };
  package?: object;
  parentReference?: { id?: string; driveId?: string };
}

/** One drive's progress in a run, persisted between slices. */
export interface DriveProgress {
  driveId: string;
  /** Folder id standing for the drive's root in the manifest (null: the manifest root). */
  mountId: string | null;
  next: string;
  full: boolean;
  rootItemId?: string;
  done: boolean;
  deltaLink?: string;
}

/** A run's changes to folders and files across the drives of one resource. */
export interface DriveChanges {
  folders: Map<string, FolderNode>;
  removedFolders: Set<string>;
  upserts: Map<string, ItemEntry>;
  removed: Set<string>;
  complete: Set<string | null>;
}

const SELECT =
  'id,name,size,cTag,eTag,createdDateTime,lastModifiedDateTime,webUrl,root,deleted,folder,file,package,parentReference';

export function initialDriveDelta(driveId: string): string {
  return `/drives/${encodeURIComponent(driveId)}/root/delta?$select=${SELECT}`;
}

/**
 * Runs a drive's delta round page by page: folders become folder nodes, files are downloaded
 * (streamed, never held whole in memory) only when their cTag changed since the stored version.
 */
export async function collectDrivePage(
  slice: SnapshotSlice,
  progress: DriveProgress,
  previous: PreviousManifest | undefined,
  changes: DriveChanges,
  concurrency: number,
  downloadBuffers?: ByteBudget,
): Promise<void> {
  let page: { value?: GraphDriveItem[]; '@odata.nextLink'?: string; '@odata.deltaLink'?: string };
  try {
    page = await slice.graph.get(progress.next, { what: `delta of drive ${progress.driveId}` });
  } catch (error) {
    if (error instanceof AppError && error.code === 'gone') {
      slice.log.warn('drive delta token expired: enumerating the drive again', { driveId: progress.driveId });
      const location = (error.cause as { headers?: Headers } | undefined)?.headers?.get('location');
      progress.next = location || initialDriveDelta(progress.driveId);
      progress.full = true;
      for (const [id, item] of changes.upserts) if (belongsTo(item, progress)) changes.upserts.delete(id);
      return;
    }
    throw error;
  }

  // The feed shows each item's latest state; an item may appear more than once: the last wins.
  const latest = new Map<string, GraphDriveItem>();
  for (const item of page.value ?? []) latest.set(item.id, item);
  const files: GraphDriveItem[] = [];
  for (const item of latest.values()) {
    if (item.root) {
      progress.rootItemId = item.id;
      continue;
    }
    const parentId = item.parentReference?.id;
    const mappedParent = !parentId || parentId === progress.rootItemId ? progress.mountId : parentId;
    if (item.deleted) {
      if (changes.folders.has(item.id) || previous?.folders.has(item.id) || item.folder) {
        changes.folders.delete(item.id);
        changes.removedFolders.add(item.id);
      }
      changes.upserts.delete(item.id);
      changes.removed.add(item.id);
      continue;
    }
    if (item.folder || item.package) {
      changes.removedFolders.delete(item.id);
      changes.folders.set(item.id, {
        id: item.id,
        parentId: mappedParent,
        name: item.name ?? item.id,
        metadata: { driveId: progress.driveId, itemId: item.id, webUrl: item.webUrl ?? null },
      });
      continue;
    }
    if (item.file)
      files.push({ ...item, parentReference: { ...item.parentReference, id: mappedParent ?? undefined } });
  }

  await mapWithConcurrency(files, concurrency, async (item) => {
    slice.report.processed();
    const folderId = item.parentReference?.id ?? null;
    const known = changes.upserts.get(item.id)?.entry ?? previous?.items.get(item.id)?.entry;
    const metadata: Record<string, unknown> = {
      driveId: progress.driveId,
      size: item.size ?? 0,
      mimeType: item.file?.mimeType ?? 'application/octet-stream',
      quickXorHash: item.file?.hashes?.quickXorHash ?? null,
      cTag: item.cTag ?? null,
      eTag: item.eTag ?? null,
      createdDateTime: item.createdDateTime ?? null,
      lastModifiedDateTime: item.lastModifiedDateTime ?? null,
    };
    let content: ContentRef | undefined;
    if (known?.content && item.cTag && known.metadata?.cTag === item.cTag) {
      content = known.content;
    } else {
      // What the stream buffers comes out of the worker's budget, reserved before it starts.
      const grant = await downloadBuffers?.acquire(slice.repository.bufferBytesFor(item.size));
      try {
        content = await download(slice, progress.driveId, item);
      } finally {
        grant?.release();
      }
      if (!content) return;
    }
    const entry: TreeEntry = { name: item.name ?? item.id, kind: 'file', itemId: item.id, metadata, content };
    changes.removed.delete(item.id);
    changes.upserts.set(item.id, { folderId, entry });
  });

  if (page['@odata.nextLink']) {
    progress.next = page['@odata.nextLink'];
  } else {
    progress.done = true;
    if (page['@odata.deltaLink']) progress.deltaLink = page['@odata.deltaLink'];
    if (progress.full) changes.complete.add(progress.mountId);
  }
}

function belongsTo(item: ItemEntry, progress: DriveProgress): boolean {
  return item.entry.metadata?.driveId === progress.driveId;
}

async function download(
  slice: SnapshotSlice,
  driveId: string,
  item: GraphDriveItem,
): Promise<ContentRef | undefined> {
  try {
    const stream = await slice.graph.stream(
      `/drives/${encodeURIComponent(driveId)}/items/${encodeURIComponent(item.id)}/content`,
      { what: `download ${item.name ?? item.id}` },
    );
    const content = await slice.repository.putStream(stream, { usage: slice.usage });
    if (item.size !== undefined && content.size !== item.size) {
      slice.report.skip(
        item.name ?? item.id,
        `downloaded ${content.size} bytes, the drive reports ${item.size}`,
      );
      return undefined;
    }
    return content;
  } catch (error) {
    if (error instanceof AppError && (error.code === 'not-found' || error.code === 'permanent')) {
      slice.report.skip(
        item.name ?? item.id,
        error.code === 'not-found' ? 'deleted before it could be read' : error.message,
      );
      return undefined;
    }
    throw error;
  }
}
