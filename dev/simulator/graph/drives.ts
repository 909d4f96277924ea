/**
 * OneDrive and SharePoint libraries through every addressing Graph accepts: `/drives/{id}`,
 * `/users/{id}/drive`, `/groups/{id}/drive`, `/sites/{id}/drive`, `/sites/{id}/drives/{id}`, and
 * for items `root`, `items/{id}` and paths (`root:/a/b.txt:`). Items, children, delta, content
 * (302 to a pre-authenticated URL), simple upload, upload sessions, folder creation, rename/move
 * and delete. SharePoint resource units are charged per call.
 */
import { permissions } from '../auth/graph-auth';
import type { GraphCall } from '../context';
import { GraphError, notFound } from '../http/errors';
import { applySelect, contextUrl, pageSizeFor, parseListQuery, tokenLink } from '../http/odata';
import { empty, json, redirect } from '../http/types';
import type { SimResponse } from '../http/types';
import {
  childByName,
  createItem,
  deleteItem,
  ensureFolderPath,
  isDescendant,
  itemByPath,
  liveItem,
  renameOrMove,
  replaceContent,
  uniqueName,
} from '../store/drive-store';
import type { ContentRef, DriveRec, IdentityRef, ItemRec } from '../store/model';
import { ensureHashes } from '../store/content';
import {
  continuation,
  type DeltaEntry,
  type DeltaToken,
  nextRound,
  openToken,
  pageOf,
  startRound,
} from './delta';
import { downloadUrl } from './downloads';
import { driveEntity, ctag, etag, itemEntity } from './drive-entities';
import type { ConflictBehavior } from './drive-uploads';
import { mimeTypeFor } from './mime-types';
import { listQuery, pagedList, type GraphRouter } from './route';
import { resolveGroup } from './groups';
import { resolveSite } from './sites';

/** The contents of the live files among `items`. */
function contentsOf(items: ItemRec[]): ContentRef[] {
  return items.filter((i) => !i.deleted && i.content).map((i) => i.content!);
}

const appIdentity = (call: GraphCall): IdentityRef => ({
  id: call.token.appId,
  displayName: call.sim.app.displayName,
});

function charge(call: GraphCall, units: number): void {
  call.extraHeaders = {
    ...call.extraHeaders,
    ...call.sim.throttling.chargeSharePoint(call.tenant.id, units),
  };
}

function userDrive(call: GraphCall, idOrUpn: string): DriveRec {
  const user = call.sim.state.user(call.tenant, idOrUpn);
  if (!user) throw notFound.directory(idOrUpn);
  const drive = user.driveId ? call.tenant.drives[user.driveId] : undefined;
  // An unprovisioned OneDrive is not auto-provisioned for app-only callers.
  if (!drive) throw new GraphError(404, 'ResourceNotFound', "User's mysite not found.");
  return drive;
}

/** The drives a `.../drives` collection lists, or undefined when the path addresses one drive. */
function parseDriveAddress(call: GraphCall): { drive?: DriveRec; drives?: DriveRec[]; rest: string[] } {
  const s = call.segments;
  const root = s[0]!.toLowerCase();
  const byId = (id: string) => {
    const drive = call.tenant.drives[id];
    if (!drive) throw new GraphError(404, 'itemNotFound', 'The resource could not be found.');
    return drive;
  };
  if (root === 'drives') return { drive: byId(s[1]!), rest: s.slice(2) };
  const owner = s[2]!.toLowerCase();
  let drives: DriveRec[];
  if (root === 'users') {
    if (owner === 'drive') return { drive: userDrive(call, s[1]!), rest: s.slice(3) };
    drives = [userDrive(call, s[1]!)];
  } else if (root === 'groups') {
    const group = resolveGroup(call, s[1]!);
    if (owner === 'drive') return { drive: byId(group.driveId), rest: s.slice(3) };
    drives = [byId(group.driveId)];
  } else {
    const site = resolveSite(call, s[1]!);
    if (owner === 'drive') return { drive: byId(site.driveIds[0]!), rest: s.slice(3) };
    drives = site.driveIds.map(byId);
  }
  if (s.length > 3) {
    const drive = drives.find((d) => d.id === s[3]);
    if (!drive) throw new GraphError(404, 'itemNotFound', 'The resource could not be found.');
    return { drive, rest: s.slice(4) };
  }
  return { drives, rest: [] };
}

interface Target {
  drive: DriveRec;
  item?: ItemRec;
  /** For a path that does not exist (yet): the deepest existing folder and the missing path below it. */
  missing?: { base: ItemRec; path: string };
  action: string;
}

function parseTarget(call: GraphCall, drive: DriveRec, rest: string[]): Target {
  let item: ItemRec | undefined;
  let i = 0;
  const head = rest[0]?.toLowerCase();
  if (head === 'root') {
    item = drive.items[drive.rootId]!;
    i = 1;
  } else if (head === 'items') {
    const id = rest[1];
    if (!id) throw new GraphError(400, 'invalidRequest', 'An item id is required.');
    item = liveItem(drive, id) ?? (id === 'root' ? drive.items[drive.rootId] : undefined);
    if (!item) throw notFound.drive();
    i = 2;
  } else {
    throw notFound.segment(rest[0] ?? '');
  }
  let missing: Target['missing'];
  if (rest[i] === '$path') {
    const path = rest[i + 1] ?? '';
    const found = itemByPath(drive, path, item);
    if (found) item = found;
    else {
      missing = { base: item, path };
      item = undefined;
    }
    i += 2;
  }
  const action = (rest[i] ?? '').toLowerCase();
  if (rest.length > i + 1) throw notFound.segment(rest[i + 1]!);
  return { drive, item, missing, action };
}

function requireItem(target: Target): ItemRec {
  if (!target.item) throw notFound.drive();
  return target.item;
}

function render(call: GraphCall, drive: DriveRec, item: ItemRec, delta = false) {
  return itemEntity(call.sim, drive, item, { delta, downloadUrl: (i) => downloadUrl(call.sim, drive, i) });
}

function checkIfMatch(call: GraphCall, item: ItemRec): void {
  const ifMatch = call.req.headers['if-match'];
  if (ifMatch && ifMatch !== '*' && ifMatch !== etag(item) && ifMatch !== ctag(item)) {
    throw new GraphError(412, 'resourceModified', "ETag does not match current item's value");
  }
}

function conflictBehavior(value: string | null | undefined, fallback: ConflictBehavior): ConflictBehavior {
  if (value === 'fail' || value === 'replace' || value === 'rename') return value;
  if (value)
    throw new GraphError(
      400,
      'invalidRequest',
      `Invalid value '${value}' for @microsoft.graph.conflictBehavior.`,
    );
  return fallback;
}

function readJson(call: GraphCall): Record<string, unknown> {
  if (call.req.body.length === 0) return {};
  try {
    const value: unknown = JSON.parse(call.req.body.toString('utf8'));
    if (value && typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    // fall through
  }
  throw new GraphError(400, 'invalidRequest', 'Invalid request body: a JSON object was expected.');
}

/** Where a new file at a missing path goes: its folder (created as needed) and name. */
function newFileLocation(call: GraphCall, target: Target): { parent: ItemRec; name: string } {
  if (!target.missing) throw notFound.drive();
  const parts = target.missing.path.split('/').filter(Boolean);
  const name = parts.pop();
  if (!name) throw new GraphError(400, 'invalidRequest', 'A file name is required.');
  const folderPath = parts.join('/');
  const existingFolder = itemByPath(target.drive, folderPath, target.missing.base);
  if (existingFolder && !existingFolder.isFolder)
    throw new GraphError(400, 'invalidRequest', 'The parent is not a folder.');
  let parent = existingFolder;
  if (!parent) {
    parent = target.missing.base;
    for (const segment of parts) {
      parent =
        childByName(target.drive, parent, segment) ??
        createItem(call.sim.state, target.drive, parent, { name: segment, by: appIdentity(call) }, true);
    }
  }
  return { parent, name };
}

async function delta(call: GraphCall, target: Target): Promise<SimResponse> {
  const sim = call.sim;
  const drive = target.drive;
  const item = requireItem(target);
  if (item.parentId)
    throw new GraphError(400, 'invalidRequest', 'Delta is only supported on the root of a drive.');
  const q = call.req.query;
  const raw = q.get('token') ?? q.get('$skiptoken') ?? q.get('$deltatoken');
  const base = { k: 'drive', t: call.tenant.id, r: drive.id, e: drive.epoch };
  if (raw === 'latest') {
    charge(call, 1);
    const link = continuation(
      sim,
      startRound(sim, { ...base, q: {} }, sim.state.currentSeq),
      undefined,
      true,
    );
    return json(200, {
      '@odata.context': contextUrl(sim.graphBase, 'Collection(driveItem)'),
      '@odata.deltaLink': tokenLink(sim.baseUrl, call.req.path, 'token', link.token),
      value: [],
    });
  }
  let token: DeltaToken;
  const opened = raw ? openToken(sim, raw, 'drive', call.tenant.id, drive.id) : undefined;
  if (opened) {
    if (opened.e !== drive.epoch) {
      throw new GraphError(
        410,
        'resyncRequired',
        "Resync required. Replace any local items with the server's version (including deletes) if you're sure that the service was up to date with your local changes when you last sync'd. Upload any local changes that the server doesn't know about.",
        { location: `${sim.graphBase}/drives/${drive.id}/root/delta` },
      );
    }
    token = nextRound(sim, opened);
  } else {
    token = startRound(sim, { ...base, q: parseListQuery(call.req) }, 0);
  }
  charge(call, opened ? 1 : 2);
  const initial = token.s === 0;
  const entries: DeltaEntry<ItemRec>[] = [];
  for (const it of Object.values(drive.items)) {
    if (it.deleted && initial) continue;
    entries.push({ seq: it.changeSeq, id: it.id, value: it });
  }
  const { size } = pageSizeFor(call.req, token.q, { default: 200, max: 999 });
  const { page, last, done } = pageOf(entries, token, size);
  await ensureHashes(sim.state, contentsOf(page.map((e) => e.value)));
  const link = continuation(sim, token, last, done);
  return json(200, {
    '@odata.context': contextUrl(sim.graphBase, 'Collection(driveItem)'),
    [link.name === 'next' ? '@odata.nextLink' : '@odata.deltaLink']: tokenLink(
      sim.baseUrl,
      call.req.path,
      'token',
      link.token,
    ),
    value: page.map((e) =>
      e.value.deleted
        ? render(call, drive, e.value, true)
        : applySelect(render(call, drive, e.value, true), token.q.select),
    ),
  });
}

function getContent(call: GraphCall, target: Target): SimResponse {
  const item = requireItem(target);
  if (item.isFolder) throw new GraphError(400, 'invalidRequest', 'Folders have no content.');
  charge(call, 1);
  if (call.vanish) {
    deleteItem(call.sim.state, target.drive, item);
    throw notFound.drive();
  }
  const ifNoneMatch = call.req.headers['if-none-match'];
  if (ifNoneMatch && (ifNoneMatch === etag(item) || ifNoneMatch === ctag(item))) return empty(304);
  return redirect(downloadUrl(call.sim, target.drive, item));
}

function putContent(call: GraphCall, target: Target): SimResponse {
  if (call.req.body.length > call.sim.limits.maxSimpleUploadBytes) {
    throw new GraphError(
      413,
      'requestTooLarge',
      'The request is too large. Use an upload session for files over 250 MB.',
    );
  }
  charge(call, 2);
  const content = {
    kind: 'blob' as const,
    sha256: call.sim.state.blobs.put(call.req.body),
    size: call.req.body.length,
  };
  const behavior = conflictBehavior(call.req.query.get('@microsoft.graph.conflictBehavior'), 'replace');
  const by = appIdentity(call);
  if (target.item) {
    if (target.item.isFolder)
      throw new GraphError(400, 'invalidRequest', 'Cannot upload content to a folder.');
    checkIfMatch(call, target.item);
    if (target.missing === undefined && behavior !== 'replace' && call.segments.includes('$path')) {
      // PUT to an existing path with fail/rename: the name is taken.
      if (behavior === 'fail')
        throw new GraphError(409, 'nameAlreadyExists', 'The specified item name already exists.');
      const parent = target.drive.items[target.item.parentId!]!;
      const item = createItem(
        call.sim.state,
        target.drive,
        parent,
        {
          name: uniqueName(target.drive, parent, target.item.name),
          content,
          mimeType: mimeTypeFor(target.item.name),
          by,
        },
        false,
      );
      return json(201, render(call, target.drive, item));
    }
    replaceContent(call.sim.state, target.drive, target.item, content, by);
    return json(200, render(call, target.drive, target.item));
  }
  const { parent, name } = newFileLocation(call, target);
  const item = createItem(
    call.sim.state,
    target.drive,
    parent,
    { name, content, mimeType: mimeTypeFor(name), by },
    false,
  );
  return json(201, render(call, target.drive, item));
}

function createUploadSession(call: GraphCall, target: Target): SimResponse {
  charge(call, 2);
  const body = readJson(call);
  const item = (body['item'] ?? {}) as Record<string, unknown>;
  const behavior = conflictBehavior(item['@microsoft.graph.conflictBehavior'] as string | undefined, 'fail');
  const declared = typeof item['fileSize'] === 'number' ? item['fileSize'] : undefined;
  if (declared !== undefined && declared > target.drive.quotaTotal) {
    throw new GraphError(507, 'quotaLimitReached', 'Insufficient Space Available');
  }
  const by = appIdentity(call);
  if (target.item) {
    if (target.item.isFolder)
      throw new GraphError(400, 'invalidRequest', 'Cannot upload content to a folder.');
    checkIfMatch(call, target.item);
    const existingByPath = call.segments.includes('$path');
    return call.sim.driveUploads.create({
      tenantId: call.tenant.id,
      driveId: target.drive.id,
      itemId: existingByPath && behavior !== 'replace' ? undefined : target.item.id,
      parentId: target.item.parentId!,
      name: target.item.name,
      conflictBehavior: existingByPath ? behavior : 'replace',
      declaredSize: declared,
      by,
    });
  }
  const { parent, name } = newFileLocation(call, target);
  return call.sim.driveUploads.create({
    tenantId: call.tenant.id,
    driveId: target.drive.id,
    parentId: parent.id,
    name: typeof item['name'] === 'string' && item['name'] ? item['name'] : name,
    conflictBehavior: behavior,
    declaredSize: declared,
    by,
  });
}

function createChild(call: GraphCall, target: Target): SimResponse {
  const parent = requireItem(target);
  if (!parent.isFolder) throw new GraphError(400, 'invalidRequest', 'The parent is not a folder.');
  charge(call, 2);
  const body = readJson(call);
  const name = body['name'];
  if (typeof name !== 'string' || !name || /[\\/:*?"<>|]/.test(name)) {
    throw new GraphError(400, 'invalidRequest', 'The name is missing or contains invalid characters.');
  }
  if (!body['folder'])
    throw new GraphError(
      400,
      'invalidRequest',
      'Only folders can be created this way; upload files with PUT .../content.',
    );
  const behavior = conflictBehavior(
    (body['@microsoft.graph.conflictBehavior'] as string | undefined) ??
      call.req.query.get('@microsoft.graph.conflictBehavior'),
    'fail',
  );
  const existing = childByName(target.drive, parent, name);
  if (existing) {
    if (behavior === 'fail')
      throw new GraphError(409, 'nameAlreadyExists', 'The specified item name already exists.');
    if (behavior === 'replace') deleteItem(call.sim.state, target.drive, existing);
  }
  const finalName = existing && behavior === 'rename' ? uniqueName(target.drive, parent, name) : name;
  const item = createItem(
    call.sim.state,
    target.drive,
    parent,
    { name: finalName, by: appIdentity(call) },
    true,
  );
  return json(201, render(call, target.drive, item));
}

function patchItem(call: GraphCall, target: Target): SimResponse {
  const item = requireItem(target);
  if (!item.parentId) throw new GraphError(400, 'invalidRequest', 'The root cannot be renamed or moved.');
  checkIfMatch(call, item);
  charge(call, 2);
  const body = readJson(call);
  const change: { name?: string; parent?: ItemRec } = {};
  if (typeof body['name'] === 'string') change.name = body['name'];
  const ref = body['parentReference'] as { id?: string; path?: string } | undefined;
  if (ref?.id) {
    const parent = liveItem(target.drive, ref.id);
    if (!parent || !parent.isFolder) throw notFound.drive();
    if (isDescendant(target.drive, parent, item.id))
      throw new GraphError(400, 'invalidRequest', 'An item cannot be moved into itself.');
    change.parent = parent;
  } else if (ref?.path) {
    const path = ref.path.replace(/^\/drives?\/[^/]*\/root:?/, '').replace(/^\/drive\/root:?/, '');
    const parent = itemByPath(target.drive, path);
    if (!parent || !parent.isFolder) throw notFound.drive();
    change.parent = parent;
  }
  const destination = change.parent ?? target.drive.items[item.parentId]!;
  const newName = change.name ?? item.name;
  const clash = childByName(target.drive, destination, newName);
  if (clash && clash.id !== item.id)
    throw new GraphError(409, 'nameAlreadyExists', 'The specified item name already exists.');
  renameOrMove(call.sim.state, target.drive, item, change, appIdentity(call));
  return json(200, render(call, target.drive, item));
}

async function driveRequest(call: GraphCall): Promise<SimResponse> {
  const { drive, drives, rest } = parseDriveAddress(call);
  const method = call.req.method === 'HEAD' ? 'GET' : call.req.method;
  if (drives) {
    if (method !== 'GET') throw new GraphError(405, 'invalidRequest', 'The method is not allowed.');
    charge(call, 2);
    const { query, offset } = listQuery(call);
    return pagedList(call, query, offset, drives, (d) => applySelect(driveEntity(d), query.select), {
      default: 200,
      max: 999,
      context: contextUrl(call.sim.graphBase, 'drives'),
    });
  }
  if (!drive) throw notFound.drive();
  if (rest.length === 0) {
    if (method !== 'GET') throw new GraphError(405, 'invalidRequest', 'The method is not allowed.');
    charge(call, 1);
    const { query } = listQuery(call);
    return json(200, {
      '@odata.context': contextUrl(call.sim.graphBase, 'drives/$entity'),
      ...applySelect(driveEntity(drive), query.select),
    });
  }
  const target = parseTarget(call, drive, rest);
  switch (`${method} ${target.action}`) {
    case 'GET ': {
      const item = requireItem(target);
      charge(call, 1);
      await ensureHashes(call.sim.state, contentsOf([item]));
      const { query } = listQuery(call);
      return json(200, {
        '@odata.context': contextUrl(call.sim.graphBase, `drives('${drive.id}')/items/$entity`),
        ...applySelect(render(call, drive, item), query.select),
      });
    }
    case 'GET children': {
      const item = requireItem(target);
      charge(call, 2);
      const { query, offset } = listQuery(call);
      const children = Object.keys(item.children ?? {})
        .map((id) => drive.items[id]!)
        .filter((c) => !c.deleted)
        .sort((a, b) => a.name.localeCompare(b.name));
      const { size } = pageSizeFor(call.req, query, { default: 200, max: 999 });
      await ensureHashes(call.sim.state, contentsOf(children.slice(offset, offset + size)));
      return pagedList(
        call,
        query,
        offset,
        children,
        (c) => applySelect(render(call, drive, c), query.select),
        {
          default: 200,
          max: 999,
          context: contextUrl(call.sim.graphBase, `drives('${drive.id}')/items('${item.id}')/children`),
        },
      );
    }
    case 'GET delta':
      return delta(call, target);
    case 'GET content':
      return getContent(call, target);
    case 'PUT content':
      return putContent(call, target);
    case 'POST createuploadsession':
      return createUploadSession(call, target);
    case 'POST children':
      return createChild(call, target);
    case 'PATCH ':
      return patchItem(call, target);
    case 'DELETE ': {
      const item = requireItem(target);
      if (!item.parentId) throw new GraphError(403, 'accessDenied', 'The root of a drive cannot be deleted.');
      checkIfMatch(call, item);
      charge(call, 2);
      deleteItem(call.sim.state, drive, item);
      return empty(204);
    }
    default:
      if (!target.item && target.missing) throw notFound.drive();
      throw new GraphError(405, 'invalidRequest', `${call.req.method} is not supported on this resource.`);
  }
}

export function registerDrives(router: GraphRouter): void {
  const prefixes = [
    'drives/{driveId}/{*rest}',
    'users/{userId}/drive/{*rest}',
    'users/{userId}/drives/{*rest}',
    'groups/{groupId}/drive/{*rest}',
    'groups/{groupId}/drives/{*rest}',
    'sites/{siteId}/drive/{*rest}',
    'sites/{siteId}/drives/{*rest}',
  ];
  for (const prefix of prefixes) {
    router.add('GET', prefix, { roles: permissions.filesRead, deny: 'files', handle: driveRequest });
    for (const method of ['PUT', 'POST', 'PATCH', 'DELETE']) {
      router.add(method, prefix, { roles: permissions.filesWrite, deny: 'files', handle: driveRequest });
    }
  }
}

export { ensureFolderPath };
