/**
 * JSON of drives and drive items as ODfB/SharePoint return them: eTag/cTag, `file.hashes.quickXorHash`,
 * `@microsoft.graph.downloadUrl` (a pre-authenticated URL on the simulator), parentReference (with
 * `path` outside delta), `deleted` facets in delta.
 */
import type { SimContext } from '../context';
import type { DriveRec, IdentityRef, ItemRec } from '../store/model';
import { quickXorHashOf } from '../store/content';
import { folderSize, itemPath } from '../store/drive-store';

export function identitySet(identity: IdentityRef): Record<string, unknown> {
  const user: Record<string, unknown> = {};
  if (identity.email) user['email'] = identity.email;
  if (identity.id) user['id'] = identity.id;
  user['displayName'] = identity.displayName;
  return { user };
}

export function driveEntity(drive: DriveRec): Record<string, unknown> {
  let used = 0;
  for (const item of Object.values(drive.items)) if (!item.deleted && item.content) used += item.content.size;
  const owner =
    drive.owner.kind === 'group'
      ? { group: { email: drive.owner.email, id: drive.owner.id, displayName: drive.owner.displayName } }
      : drive.owner.kind === 'user'
        ? { user: { email: drive.owner.email, id: drive.owner.id, displayName: drive.owner.displayName } }
        : { user: { displayName: 'System Account' } };
  return {
    createdDateTime: drive.createdDateTime,
    description: drive.description,
    id: drive.id,
    lastModifiedDateTime: drive.lastModifiedDateTime,
    name: drive.name,
    webUrl: drive.webUrl,
    driveType: drive.driveType,
    createdBy: { user: { displayName: 'System Account' } },
    lastModifiedBy: owner.user ? { user: owner.user } : { user: { displayName: 'System Account' } },
    owner,
    quota: { deleted: 0, remaining: drive.quotaTotal - used, state: 'normal', total: drive.quotaTotal, used },
  };
}

export function etag(item: ItemRec): string {
  return `"{${item.tagGuid}},${item.eTagN}"`;
}

export function ctag(item: ItemRec): string {
  return `"c:{${item.tagGuid}},${item.cTagN}"`;
}

export interface ItemRenderOptions {
  /** Delta omits parentReference.path and (ODfB) cTag, and shows deleted items. */
  delta?: boolean;
  downloadUrl?: (item: ItemRec) => string;
}

export function itemEntity(
  sim: SimContext,
  drive: DriveRec,
  item: ItemRec,
  options: ItemRenderOptions = {},
): Record<string, unknown> {
  const parentReference: Record<string, unknown> = { driveType: drive.driveType, driveId: drive.id };
  if (item.parentId) {
    parentReference['id'] = item.parentId;
    const parent = drive.items[item.parentId];
    if (!options.delta && parent) {
      parentReference['name'] = parent.parentId ? parent.name : drive.name;
      parentReference['path'] =
        `/drives/${drive.id}/root:` + (itemPath(drive, parent) ? '/' + itemPath(drive, parent) : '');
    }
  }
  parentReference['siteId'] = drive.siteId;
  if (item.deleted) {
    return {
      '@odata.type': '#microsoft.graph.driveItem',
      id: item.id,
      parentReference,
      ...(item.isFolder ? { folder: { childCount: 0 } } : { file: {} }),
      deleted: { state: 'deleted' },
    };
  }
  const path = itemPath(drive, item);
  const body: Record<string, unknown> = { '@odata.type': '#microsoft.graph.driveItem' };
  if (!item.isFolder && options.downloadUrl) body['@microsoft.graph.downloadUrl'] = options.downloadUrl(item);
  Object.assign(body, {
    createdDateTime: item.createdDateTime,
    eTag: etag(item),
    id: item.id,
    lastModifiedDateTime: item.lastModifiedDateTime,
    name: item.parentId ? item.name : 'root',
    webUrl: path ? `${drive.webUrl}/${path.split('/').map(encodeURIComponent).join('/')}` : drive.webUrl,
  });
  // cTag is "not returned if the item is a folder" (driveItem resource), yet Microsoft's root sample
  // carries one; ODfB delta omits it on create/modify (driveitem-delta remarks).
  if (!options.delta && (!item.isFolder || !item.parentId)) body['cTag'] = ctag(item);
  body['size'] = item.isFolder ? folderSize(drive, item) : (item.content?.size ?? 0);
  body['createdBy'] = identitySet(item.createdBy);
  body['lastModifiedBy'] = identitySet(item.lastModifiedBy);
  if (item.parentId) body['parentReference'] = parentReference;
  else body['parentReference'] = { driveType: drive.driveType, driveId: drive.id, siteId: drive.siteId };
  if (item.isFolder) body['folder'] = { childCount: Object.keys(item.children ?? {}).length };
  else
    body['file'] = {
      mimeType: item.mimeType ?? 'application/octet-stream',
      hashes: { quickXorHash: quickXorHashOf(sim.state, item.content!) },
    };
  body['fileSystemInfo'] = {
    createdDateTime: item.createdDateTime,
    lastModifiedDateTime: item.lastModifiedDateTime,
  };
  if (!item.parentId) body['root'] = {};
  return body;
}
