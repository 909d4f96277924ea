import type { PutOptions, Repository, TreeEntry } from '../repository';

/**
 * A resource as the backup sees it: folders (with source ids and parents) and items in them. Both
 * mailboxes (mail folders, messages) and drives (folders, files) fit. Snapshots are built from the
 * previous snapshot's manifest plus this run's changes; folders whose contents did not change, and
 * none of whose descendants did, keep their previous tree ids and cost nothing.
 */
export interface FolderNode {
  id: string;
  /** null: directly under the resource root. */
  parentId: string | null;
  name: string;
  metadata?: Record<string, unknown>;
}

export interface ItemEntry {
  folderId: string | null;
  entry: TreeEntry;
}

export interface PreviousManifest {
  folders: Map<string, { node: FolderNode; subtree: string }>;
  items: Map<string, ItemEntry>;
}

/** What a run learned: the complete current folder list, and item changes. */
export interface ManifestChanges {
  folders: FolderNode[];
  upserts: Map<string, ItemEntry>;
  removed: Set<string>;
  /** Folders enumerated in full this run: their previous items not seen again are gone. */
  completeFolders: Set<string | null>;
}

export interface BuiltManifest {
  root: string;
  items: number;
  logicalBytes: number;
  added: number;
  changed: number;
  removed: number;
}

/** Reads a previous snapshot into folder and item maps (by source id). */
export async function loadPreviousManifest(repository: Repository, root: string): Promise<PreviousManifest> {
  const folders = new Map<string, { node: FolderNode; subtree: string }>();
  const items = new Map<string, ItemEntry>();
  const visit = async (treeId: string, folderId: string | null): Promise<void> => {
    const tree = await repository.readTree(treeId);
    for (const entry of tree.entries) {
      if (entry.kind === 'folder') {
        if (!entry.itemId || !entry.subtree) continue;
        const node: FolderNode = { id: entry.itemId, parentId: folderId, name: entry.name };
        if (entry.metadata) node.metadata = entry.metadata;
        folders.set(entry.itemId, { node, subtree: entry.subtree });
        await visit(entry.subtree, entry.itemId);
      } else if (entry.itemId) {
        items.set(entry.itemId, { folderId, entry });
      }
    }
  };
  await visit(root, null);
  return { folders, items };
}

/** Stable JSON (sorted keys) for comparing entries regardless of key order. */
export function stableJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1)))
      : v,
  );
}

export async function buildManifest(
  repository: Repository,
  previous: PreviousManifest | undefined,
  changes: ManifestChanges,
  options: PutOptions = {},
): Promise<BuiltManifest> {
  const folderById = new Map(changes.folders.map((f) => [f.id, f]));
  // Current items: previous ones (unless their folder was enumerated in full, or they are removed),
  // then this run's upserts. Items of folders that no longer exist go with them.
  const current = new Map<string, ItemEntry>();
  if (previous) {
    for (const [id, item] of previous.items) {
      if (changes.removed.has(id) || changes.completeFolders.has(item.folderId)) continue;
      if (item.folderId !== null && !folderById.has(item.folderId)) continue;
      current.set(id, item);
    }
  }
  for (const [id, item] of changes.upserts) {
    if (changes.removed.has(id)) continue;
    if (item.folderId !== null && !folderById.has(item.folderId)) continue;
    current.set(id, item);
  }

  // What changed, item by item; and which folders are dirty (their own contents differ).
  let added = 0;
  let changed = 0;
  let removed = 0;
  const dirty = new Set<string | null>();
  for (const [id, item] of current) {
    const before = previous?.items.get(id);
    if (!before) {
      added++;
      dirty.add(item.folderId);
    } else if (before.folderId !== item.folderId || stableJson(before.entry) !== stableJson(item.entry)) {
      changed++;
      dirty.add(item.folderId);
      dirty.add(before.folderId);
    }
  }
  if (previous) {
    for (const [id, item] of previous.items) {
      if (!current.has(id)) {
        removed++;
        dirty.add(item.folderId);
      }
    }
  }
  // A folder renamed, moved, re-described, new or gone dirties its old and new parents.
  for (const folder of changes.folders) {
    const before = previous?.folders.get(folder.id);
    if (
      !before ||
      before.node.name !== folder.name ||
      before.node.parentId !== folder.parentId ||
      stableJson(before.node.metadata ?? null) !== stableJson(folder.metadata ?? null)
    ) {
      dirty.add(folder.id);
      dirty.add(folder.parentId);
      if (before) dirty.add(before.node.parentId);
    }
  }
  if (previous) {
    for (const [id, before] of previous.folders) if (!folderById.has(id)) dirty.add(before.node.parentId);
  }

  // A folder can reuse its previous tree when neither it nor any descendant is dirty.
  const children = new Map<string | null, FolderNode[]>();
  for (const folder of changes.folders) {
    const list = children.get(folder.parentId) ?? [];
    list.push(folder);
    children.set(folder.parentId, list);
  }
  const dirtyBelow = new Map<string, boolean>();
  const isDirtyBelow = (id: string): boolean => {
    const known = dirtyBelow.get(id);
    if (known !== undefined) return known;
    dirtyBelow.set(id, true); // cycle guard: a malformed tree is rebuilt, never reused
    const value = dirty.has(id) || (children.get(id) ?? []).some((child) => isDirtyBelow(child.id));
    dirtyBelow.set(id, value);
    return value;
  };

  const itemsByFolder = new Map<string | null, TreeEntry[]>();
  let logicalBytes = 0;
  for (const item of current.values()) {
    const list = itemsByFolder.get(item.folderId) ?? [];
    list.push(item.entry);
    itemsByFolder.set(item.folderId, list);
    logicalBytes += item.entry.content?.size ?? 0;
  }

  const builder = repository.treeBuilder(options);
  const place = (parentPath: string[], parentId: string | null, depth: number): void => {
    if (depth > 64) return; // deeper than any real mailbox or drive: a cycle
    for (const entry of itemsByFolder.get(parentId) ?? []) builder.add(parentPath, entry);
    for (const folder of children.get(parentId) ?? []) {
      const path = [...parentPath, folder.name];
      const before = previous?.folders.get(folder.id);
      if (before && !isDirtyBelow(folder.id)) {
        builder.folder(path, {
          itemId: folder.id,
          ...(folder.metadata ? { metadata: folder.metadata } : {}),
        });
        builder.reuseFolder(path, before.subtree);
        continue;
      }
      builder.folder(path, { itemId: folder.id, ...(folder.metadata ? { metadata: folder.metadata } : {}) });
      place(path, folder.id, depth + 1);
    }
  };
  place([], null, 0);
  const root = await builder.finish();
  return { root, items: current.size, logicalBytes, added, changed, removed };
}
