import type { TenantGraph } from '../../graph/graph-client';
import type { ByteBudget } from '../../concurrency/byte-budget';
import type { ResourceKind } from '../../resources/resource';
import {
  buildManifest,
  loadPreviousManifest,
  type FolderNode,
  type ItemEntry,
  type PreviousManifest,
} from '../manifest-model';
import type { SliceResult, SnapshotSlice, WorkloadHandler } from '../workload-handler';
import {
  collectDrivePage,
  initialDriveDelta,
  type DriveChanges,
  type DriveProgress,
} from './drive-collector';

/** Where a drive appears in the resource's manifest. */
export interface DriveMount {
  driveId: string;
  /** null: the drive's root is the manifest root (a OneDrive); else a top-level folder. */
  folder: FolderNode | null;
}

/** Extra, non-drive content of a resource (a group's conversations), collected in the last slice. */
export interface ExtraCollector {
  collect(slice: SnapshotSlice, previous: PreviousManifest | undefined, changes: DriveChanges): Promise<void>;
}

interface DriveState {
  v: 1;
  mounts: FolderNode[];
  drives: DriveProgress[];
  folders: [string, FolderNode][];
  removedFolders: string[];
  upserts: [string, ItemEntry][];
  removed: string[];
  complete: (string | null)[];
}

interface DriveCheckpoint {
  v: 1;
  deltaLinks: Record<string, string>;
  /** Each drive's root item id: incremental feeds name it as a parent without listing it. */
  rootItemIds?: Record<string, string>;
}

/**
 * OneDrive, SharePoint sites (every document library) and groups (their library plus
 * conversations): drive delta per drive, content only when the cTag changed, large files streamed.
 */
export class DriveResourceHandler implements WorkloadHandler {
  constructor(
    readonly kind: ResourceKind,
    private readonly mountsOf: (graph: TenantGraph, graphId: string) => Promise<DriveMount[]>,
    private readonly extra?: ExtraCollector,
    private readonly options: { downloadConcurrency?: number; downloadBuffers?: ByteBudget } = {},
  ) {}

  async runSlice(slice: SnapshotSlice): Promise<SliceResult> {
    const checkpoint = slice.previous?.checkpoint as DriveCheckpoint | undefined;
    const previous = slice.previous
      ? await loadPreviousManifest(slice.repository, slice.previous.manifestRoot)
      : undefined;
    let state = slice.state as DriveState | undefined;
    if (!state) {
      const mounts = await this.mountsOf(slice.graph, slice.resource.graphId);
      const drives: DriveProgress[] = [];
      for (const m of mounts) {
        const known = checkpoint?.deltaLinks?.[m.driveId];
        const progress: DriveProgress = {
          driveId: m.driveId,
          mountId: m.folder?.id ?? null,
          next: known ?? initialDriveDelta(m.driveId),
          full: !known,
          done: false,
        };
        const rootItemId =
          checkpoint?.rootItemIds?.[m.driveId] ??
          (known ? await driveRootId(slice.graph, m.driveId) : undefined);
        if (rootItemId) progress.rootItemId = rootItemId;
        drives.push(progress);
      }
      state = {
        v: 1,
        mounts: mounts.flatMap((m) => (m.folder ? [m.folder] : [])),
        drives,
        folders: [],
        removedFolders: [],
        upserts: [],
        removed: [],
        complete: [],
      };
    }
    const changes: DriveChanges = {
      folders: new Map(state.folders),
      removedFolders: new Set(state.removedFolders),
      upserts: new Map(state.upserts),
      removed: new Set(state.removed),
      complete: new Set(state.complete),
    };
    const save = (s: DriveState): DriveState => ({
      ...s,
      folders: [...changes.folders],
      removedFolders: [...changes.removedFolders],
      upserts: [...changes.upserts],
      removed: [...changes.removed],
      complete: [...changes.complete],
    });

    for (const drive of state.drives) {
      while (!drive.done) {
        await collectDrivePage(
          slice,
          drive,
          previous,
          changes,
          this.options.downloadConcurrency ?? 4,
          this.options.downloadBuffers,
        );
        if (!drive.done && slice.outOfTime()) return { kind: 'yield', state: save(state) };
      }
    }
    await this.extra?.collect(slice, previous, changes);

    const folders = this.currentFolders(state, previous, changes);
    const built = await buildManifest(
      slice.repository,
      previous,
      {
        folders,
        upserts: changes.upserts,
        removed: changes.removed,
        completeFolders: changes.complete,
      },
      { usage: slice.usage },
    );
    slice.report.added(built.added);
    slice.report.changed(built.changed);
    slice.report.removed(built.removed);
    const deltaLinks: Record<string, string> = {};
    const rootItemIds: Record<string, string> = {};
    for (const drive of state.drives) {
      if (drive.deltaLink) deltaLinks[drive.driveId] = drive.deltaLink;
      if (drive.rootItemId) rootItemIds[drive.driveId] = drive.rootItemId;
    }
    const next: DriveCheckpoint = { v: 1, deltaLinks, rootItemIds };
    return {
      kind: 'done',
      manifestRoot: built.root,
      checkpoint: next,
      items: built.items,
      logicalBytes: built.logicalBytes,
    };
  }

  /**
   * The folder list now: the previous one with this run's changes, except that a drive enumerated
   * in full keeps only the folders seen again (and all its folders count as complete).
   */
  private currentFolders(
    state: DriveState,
    previous: PreviousManifest | undefined,
    changes: DriveChanges,
  ): FolderNode[] {
    const fullDrives = new Set(state.drives.filter((d) => d.full).map((d) => d.driveId));
    const mountIds = new Set(state.mounts.map((m) => m.id));
    const folders = new Map<string, FolderNode>();
    for (const mount of state.mounts) folders.set(mount.id, mount);
    for (const [id, { node }] of previous?.folders ?? []) {
      if (mountIds.has(id) || changes.removedFolders.has(id)) continue;
      const driveId = node.metadata?.driveId;
      if (typeof driveId === 'string' && fullDrives.has(driveId)) continue;
      if (typeof driveId !== 'string') continue; // not a drive folder (e.g. conversations): re-declared by the extra collector
      folders.set(id, node);
    }
    for (const [id, node] of changes.folders) folders.set(id, node);
    for (const node of folders.values()) {
      const driveId = node.metadata?.driveId;
      if (typeof driveId === 'string' && fullDrives.has(driveId)) changes.complete.add(node.id);
    }
    return [...folders.values()];
  }
}

async function driveRootId(graph: TenantGraph, driveId: string): Promise<string> {
  const root = await graph.get<{ id: string }>(`/drives/${encodeURIComponent(driveId)}/root?$select=id`, {
    what: 'find the drive root',
  });
  return root.id;
}

/** A user's OneDrive: one drive, its root is the manifest root. */
export function oneDriveMounts(graph: TenantGraph, userId: string): Promise<DriveMount[]> {
  return graph
    .get<{ id: string }>(`/users/${encodeURIComponent(userId)}/drive?$select=id`, {
      what: 'find the OneDrive',
    })
    .then((drive) => [{ driveId: drive.id, folder: null }]);
}

/** A site: each document library is a top-level folder named after it. */
export async function siteMounts(graph: TenantGraph, siteId: string): Promise<DriveMount[]> {
  const mounts: DriveMount[] = [];
  for await (const page of graph.pages<{ id: string; name?: string }>(
    `/sites/${encodeURIComponent(siteId)}/drives?$select=id,name,driveType`,
    { what: 'list document libraries' },
  )) {
    for (const drive of page.value) mounts.push(libraryMount(drive.id, drive.name ?? drive.id));
  }
  return mounts;
}

export function libraryMount(driveId: string, name: string): DriveMount {
  return {
    driveId,
    folder: {
      id: `library:${driveId}`,
      parentId: null,
      name,
      metadata: { library: true, libraryDriveId: driveId },
    },
  };
}
