/**
 * OneDrive and SharePoint document libraries: drives, their item trees and every change to them.
 * Each change stamps the item with the next sequence number (drive delta counts in it); deletes
 * leave the item in place flagged `deleted`, so delta can report it.
 */
import { driveItemId, etagGuid } from '../ids';
import type { ContentRef, DriveRec, IdentityRef, ItemRec, TenantState } from './model';
import type { SimState } from './state';

export const systemAccount: IdentityRef = { displayName: 'System Account' };

export interface NewDrive {
  id: string;
  driveType: DriveRec['driveType'];
  name: string;
  description?: string;
  owner: DriveRec['owner'];
  siteId: string;
  webUrl: string;
  createdDateTime: string;
}

export function createDrive(state: SimState, tenant: TenantState, spec: NewDrive): DriveRec {
  const rootId = driveItemId(spec.id, 'root');
  // A OneDrive's root is created by its owner; a library's by the system.
  const owner: IdentityRef =
    spec.owner.kind === 'user'
      ? { id: spec.owner.id, displayName: spec.owner.displayName, email: spec.owner.email }
      : systemAccount;
  const drive: DriveRec = {
    id: spec.id,
    tenantId: tenant.id,
    driveType: spec.driveType,
    name: spec.name,
    description: spec.description ?? '',
    createdDateTime: spec.createdDateTime,
    lastModifiedDateTime: spec.createdDateTime,
    webUrl: spec.webUrl,
    owner: spec.owner,
    siteId: spec.siteId,
    rootId,
    items: {},
    epoch: 0,
    quotaTotal: 1024 ** 4,
  };
  drive.items[rootId] = {
    id: rootId,
    parentId: null,
    name: 'root',
    isFolder: true,
    createdDateTime: spec.createdDateTime,
    lastModifiedDateTime: spec.createdDateTime,
    createdBy: owner,
    lastModifiedBy: owner,
    tagGuid: etagGuid(spec.id, 'root'),
    eTagN: 1,
    cTagN: 0,
    changeSeq: state.nextSeq(),
    children: {},
  };
  tenant.drives[drive.id] = drive;
  return drive;
}

export function liveItem(drive: DriveRec, itemId: string): ItemRec | undefined {
  const item = drive.items[itemId];
  return item && !item.deleted ? item : undefined;
}

export function childByName(drive: DriveRec, parent: ItemRec, name: string): ItemRec | undefined {
  const lower = name.toLowerCase();
  for (const childId of Object.keys(parent.children ?? {})) {
    const child = drive.items[childId];
    if (child && !child.deleted && child.name.toLowerCase() === lower) return child;
  }
  return undefined;
}

/** Resolves `a/b/c` below `from` (default the root); undefined when any segment is missing. */
export function itemByPath(drive: DriveRec, path: string, from?: ItemRec): ItemRec | undefined {
  let current: ItemRec | undefined = from ?? drive.items[drive.rootId];
  for (const segment of path.split('/').filter(Boolean)) {
    if (!current || !current.isFolder) return undefined;
    current = childByName(drive, current, segment);
  }
  return current;
}

/** The item's path from the root, as Graph's parentReference.path (`/drive/root:/a/b`). */
export function itemPath(drive: DriveRec, item: ItemRec): string {
  const names: string[] = [];
  let current: ItemRec | undefined = item;
  while (current && current.parentId) {
    names.unshift(current.name);
    current = drive.items[current.parentId];
  }
  return names.join('/');
}

export function isDescendant(drive: DriveRec, item: ItemRec, ancestorId: string): boolean {
  let current: ItemRec | undefined = item;
  while (current) {
    if (current.id === ancestorId) return true;
    current = current.parentId ? drive.items[current.parentId] : undefined;
  }
  return false;
}

/** Sum of live file sizes below a folder (Graph reports a folder's size that way). */
export function folderSize(drive: DriveRec, folder: ItemRec): number {
  let total = 0;
  for (const childId of Object.keys(folder.children ?? {})) {
    const child = drive.items[childId];
    if (!child || child.deleted) continue;
    total += child.isFolder ? folderSize(drive, child) : (child.content?.size ?? 0);
  }
  return total;
}

function touch(
  state: SimState,
  drive: DriveRec,
  item: ItemRec,
  by: IdentityRef,
  contentChanged: boolean,
): void {
  item.eTagN += 1;
  if (contentChanged) item.cTagN += 1;
  item.lastModifiedDateTime = state.nowIso();
  item.lastModifiedBy = by;
  item.changeSeq = state.nextSeq();
  drive.lastModifiedDateTime = item.lastModifiedDateTime;
}

function emit(
  state: SimState,
  drive: DriveRec,
  item: ItemRec,
  changeType: 'created' | 'updated' | 'deleted',
): void {
  state.emit({ kind: 'driveItem', tenantId: drive.tenantId, changeType, driveId: drive.id, itemId: item.id });
}

export interface NewItem {
  name: string;
  content?: ContentRef;
  mimeType?: string;
  createdDateTime?: string;
  lastModifiedDateTime?: string;
  by?: IdentityRef;
  /** Deterministic id key (generated tenants); default a fresh sequence-based key. */
  idKey?: string;
}

export function createItem(
  state: SimState,
  drive: DriveRec,
  parent: ItemRec,
  spec: NewItem,
  isFolder: boolean,
): ItemRec {
  const now = state.nowIso();
  const by = spec.by ?? systemAccount;
  const id = driveItemId(drive.id, spec.idKey ?? `new:${state.currentSeq}:${spec.name}`);
  const item: ItemRec = {
    id,
    parentId: parent.id,
    name: spec.name,
    isFolder,
    createdDateTime: spec.createdDateTime ?? now,
    lastModifiedDateTime: spec.lastModifiedDateTime ?? spec.createdDateTime ?? now,
    createdBy: by,
    lastModifiedBy: by,
    tagGuid: etagGuid(drive.id, id),
    eTagN: 1,
    cTagN: 1,
    changeSeq: state.nextSeq(),
  };
  if (isFolder) item.children = {};
  else {
    item.content = spec.content ?? { kind: 'blob', sha256: state.blobs.put(Buffer.alloc(0)), size: 0 };
    item.mimeType = spec.mimeType ?? 'application/octet-stream';
  }
  drive.items[id] = item;
  (parent.children ??= {})[id] = true;
  drive.lastModifiedDateTime = item.lastModifiedDateTime;
  emit(state, drive, item, 'created');
  return item;
}

/** `mkdir -p`: the folder at `path`, creating missing folders. */
export function ensureFolderPath(
  state: SimState,
  drive: DriveRec,
  path: string,
  spec: Omit<NewItem, 'name'> = {},
): ItemRec {
  let current = drive.items[drive.rootId]!;
  const done: string[] = [];
  for (const segment of path.split('/').filter(Boolean)) {
    done.push(segment);
    const existing = childByName(drive, current, segment);
    current =
      existing ??
      createItem(
        state,
        drive,
        current,
        { ...spec, name: segment, idKey: spec.idKey ? `${spec.idKey}:${done.join('/')}` : undefined },
        true,
      );
  }
  return current;
}

export function replaceContent(
  state: SimState,
  drive: DriveRec,
  item: ItemRec,
  content: ContentRef,
  by: IdentityRef = systemAccount,
  mimeType?: string,
): void {
  item.content = content;
  if (mimeType) item.mimeType = mimeType;
  touch(state, drive, item, by, true);
  emit(state, drive, item, 'updated');
}

export function renameOrMove(
  state: SimState,
  drive: DriveRec,
  item: ItemRec,
  change: { name?: string; parent?: ItemRec },
  by: IdentityRef = systemAccount,
): void {
  if (change.parent && change.parent.id !== item.parentId) {
    const oldParent = item.parentId ? drive.items[item.parentId] : undefined;
    if (oldParent?.children) delete oldParent.children[item.id];
    (change.parent.children ??= {})[item.id] = true;
    item.parentId = change.parent.id;
  }
  if (change.name !== undefined) item.name = change.name;
  touch(state, drive, item, by, false);
  emit(state, drive, item, 'updated');
}

/** Deletes an item and everything below it (each gets its own `deleted` entry in delta). */
export function deleteItem(state: SimState, drive: DriveRec, item: ItemRec): void {
  for (const childId of Object.keys(item.children ?? {})) {
    const child = drive.items[childId];
    if (child && !child.deleted) deleteItem(state, drive, child);
  }
  const parent = item.parentId ? drive.items[item.parentId] : undefined;
  if (parent?.children) delete parent.children[item.id];
  item.deleted = true;
  item.children = item.isFolder ? {} : undefined;
  item.changeSeq = state.nextSeq();
  drive.lastModifiedDateTime = state.nowIso();
  emit(state, drive, item, 'deleted');
}

/** A free name in `parent` for conflictBehavior=rename: `name 1.ext`, `name 2.ext`, … */
export function uniqueName(drive: DriveRec, parent: ItemRec, name: string): string {
  if (!childByName(drive, parent, name)) return name;
  const dot = name.lastIndexOf('.');
  const stem = dot > 0 ? name.slice(0, dot) : name;
  const ext = dot > 0 ? name.slice(dot) : '';
  for (let n = 1; ; n++) {
    const candidate = `${stem} ${n}${ext}`;
    if (!childByName(drive, parent, candidate)) return candidate;
  }
}

export function findDrive(tenant: TenantState, driveId: string): DriveRec | undefined {
  return tenant.drives[driveId];
}
