import { z } from 'zod';
import { customerTenantOf } from '../../auth/caller';
import type { SnapshotItem } from '../../backup/snapshot-reader';
import { decodeSnapshotId, type SnapshotRecord } from '../../backup/snapshot-record';
import { AppError } from '../../errors/app-error';
import type { ApiDependencies } from '../api-dependencies';
import { defineEndpoint } from '../endpoint';
import { decodeCursor, encodeCursor, pageOf, pageQuery } from '../paging';
import { boundedText, idParams, opaqueId, timeFilter } from '../schemas';
import { snapshotView, toSnapshotView } from './resources';

/** Folder paths on the wire: segments joined by `/`, `~` written `~0` and `/` written `~1` (as JSON Pointer). */
export function encodeFolderPath(path: readonly string[]): string {
  return path.map((s) => s.replace(/~/g, '~0').replace(/\//g, '~1')).join('/');
}

export function decodeFolderPath(text: string): string[] {
  if (text === '' || text === '/') return [];
  return text
    .replace(/^\/+|\/+$/g, '')
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/** Longest item id on the wire (as `opaqueId` takes it). */
const MAX_ITEM_ID_LENGTH = 1024;
/** First byte of an item id that carries its folder; a Graph id never starts with NUL. */
const FOLDER_HINT = 0x00;

/**
 * Item ids on the wire: base64url, safe in a path segment, opaque to clients. They carry the
 * source (Graph) id and the path of the folder that holds the item, so a lookup reads that
 * folder's trees instead of walking the snapshot: `base64url(0x00 ‖ JSON [path, sourceId])`.
 * The reader follows the path from the snapshot's own root, so an edited path finds nothing
 * rather than something outside the snapshot. Ids that would exceed 1024 characters (very deep
 * folders), and ids issued before the hint, are `base64url(sourceId)`: still valid, looked up by
 * walking the snapshot.
 */
export function encodeItemId(sourceId: string, folder?: readonly string[]): string {
  const plain = Buffer.from(sourceId, 'utf8').toString('base64url');
  if (!folder) return plain;
  const hinted = Buffer.concat([
    Buffer.of(FOLDER_HINT),
    Buffer.from(JSON.stringify([folder, sourceId]), 'utf8'),
  ]).toString('base64url');
  return hinted.length <= MAX_ITEM_ID_LENGTH ? hinted : plain;
}

const hintedItemId = z.tuple([z.array(z.string()), z.string().min(1)]);

/** The source id and, for ids that carry it, the folder path; a malformed id is `invalid`. */
export function decodeItemId(encoded: string): { sourceId: string; folder?: string[] } {
  const bytes = Buffer.from(encoded, 'base64url');
  if (bytes[0] !== FOLDER_HINT) return { sourceId: bytes.toString('utf8') };
  let parsed: unknown;
  try {
    parsed = JSON.parse(bytes.subarray(1).toString('utf8'));
  } catch {
    parsed = undefined;
  }
  const hinted = hintedItemId.safeParse(parsed);
  if (!hinted.success) {
    throw new AppError('invalid', 'The item id is not valid.', {
      details: [{ field: 'params.itemId', message: 'not an item id from this API' }],
    });
  }
  return { sourceId: hinted.data[1], folder: hinted.data[0] };
}

export const itemView = z.object({
  id: z.string().nullable().describe('null for folders without a source id'),
  name: z.string(),
  kind: z.enum(['file', 'folder', 'message']),
  path: z.string().describe('the containing folder, as `path` takes it'),
  size: z.number().int().nullable(),
  metadata: z
    .record(z.string(), z.unknown())
    .describe('subject, from, dates, flags, … as the source had them'),
});

function toItemView(item: SnapshotItem): z.input<typeof itemView> {
  return {
    id: item.itemId ? encodeItemId(item.itemId, item.path) : null,
    name: item.name,
    kind: item.kind,
    path: encodeFolderPath(item.path),
    size: item.size,
    metadata: item.metadata,
  };
}

/** Refuses another tenant's snapshot id (not found, like a missing one) before any lookup. */
function ownSnapshotId(tenantId: string, snapshotId: string): void {
  const key = decodeSnapshotId(snapshotId);
  if (!key || key.tenantId !== tenantId) throw new AppError('not-found', 'snapshot not found');
}

/** The tenant's snapshot record. */
async function snapshotOf(
  deps: ApiDependencies,
  tenantId: string,
  snapshotId: string,
): Promise<SnapshotRecord> {
  ownSnapshotId(tenantId, snapshotId);
  return deps.snapshots.get(snapshotId);
}

const itemParams = z.object({ id: opaqueId, itemId: opaqueId });

const itemsQuery = z.object({
  path: z
    .string()
    .max(2048, 'at most 2048 characters')
    .optional()
    .describe('folder to list (default: the root)'),
  q: boundedText(200, 'search text').optional().describe('name, subject, sender or attachment name contains'),
  from: timeFilter.optional().describe('received/modified at or after'),
  to: timeFilter.optional().describe('received/modified at or before'),
  ...pageQuery,
});

/** Searches stop after this many matches (a search that needs more must be narrowed). */
const MAX_SEARCH_RESULTS = 5000;

function contentDisposition(name: string): string {
  const ascii = name.replace(/[^\x20-\x7e]|["\\]/g, '_');
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(name)}`;
}

function contentTypeOf(item: SnapshotItem): string {
  if (item.kind === 'message') return 'message/rfc822';
  const declared =
    item.metadata.mimeType ?? (item.metadata.file as { mimeType?: unknown } | undefined)?.mimeType;
  return typeof declared === 'string' && /^[\w.+-]+\/[\w.+-]+$/.test(declared)
    ? declared
    : 'application/octet-stream';
}

function downloadName(item: SnapshotItem): string {
  if (item.kind === 'message' && !/\.eml$/i.test(item.name)) {
    const subject = typeof item.metadata.subject === 'string' ? item.metadata.subject : item.name;
    return `${subject.replace(/[\\/:*?"<>|]/g, '_').slice(0, 120) || 'message'}.eml`;
  }
  return item.name;
}

export const snapshotEndpoints = [
  defineEndpoint({
    operationId: 'getSnapshot',
    method: 'GET',
    route: 'v1/snapshots/{id}',
    summary: 'One snapshot, with its skipped items',
    tag: 'snapshots',
    access: 'reader',
    params: idParams,
    response: { status: 200, description: 'The snapshot.', schema: snapshotView },
    handler: async ({ caller, deps, params }) => {
      const tenant = customerTenantOf(caller);
      return { body: toSnapshotView(await snapshotOf(deps, tenant.tenantId, params.id)) };
    },
  }),
  defineEndpoint({
    operationId: 'listSnapshotItems',
    method: 'GET',
    route: 'v1/snapshots/{id}/items',
    summary: 'Browse a folder of a snapshot, or search it',
    description:
      'Without `q`, `from` and `to`: the entries of the folder `path`. With any of them: items of the whole snapshot (under `path` when given) that match.',
    tag: 'snapshots',
    access: 'reader',
    params: idParams,
    query: itemsQuery,
    errors: ['conflict'],
    response: { status: 200, description: 'A page of items.', schema: pageOf(itemView) },
    handler: async ({ caller, deps, params, query }) => {
      const tenant = customerTenantOf(caller);
      // The reader reads (and tenant-checks) the record itself: one point read per page, not two.
      ownSnapshotId(tenant.tenantId, params.id);
      const path = decodeFolderPath(query.path ?? '');
      const searching = query.q !== undefined || query.from !== undefined || query.to !== undefined;
      const scope = ['items', tenant.tenantId, params.id, query.path, query.q, query.from, query.to];
      const offsetText = decodeCursor(query.cursor, scope);
      const offset = offsetText === undefined ? 0 : Number(offsetText);
      let items: SnapshotItem[];
      if (searching) {
        const wanted = Math.min(offset + query.limit + 1, MAX_SEARCH_RESULTS);
        const matches = await deps.reader.search(tenant.tenantId, params.id, {
          ...(query.q ? { text: query.q } : {}),
          ...(query.from ? { from: query.from } : {}),
          ...(query.to ? { to: query.to } : {}),
          limit: path.length > 0 ? MAX_SEARCH_RESULTS : wanted,
        });
        items =
          path.length > 0
            ? matches.filter((m) => path.every((segment, i) => m.path[i] === segment))
            : matches;
      } else {
        // A path that is not a folder of this snapshot is not found (the repository says which part).
        items = await deps.reader.listFolder(tenant.tenantId, params.id, path);
      }
      const page = items.slice(offset, offset + query.limit);
      const more = items.length > offset + query.limit;
      return {
        body: {
          items: page.map(toItemView),
          nextCursor: more ? encodeCursor(String(offset + query.limit), scope) : null,
        },
      };
    },
  }),
  defineEndpoint({
    operationId: 'getSnapshotItem',
    method: 'GET',
    route: 'v1/snapshots/{id}/items/{itemId}',
    summary: "An item's metadata",
    tag: 'snapshots',
    access: 'reader',
    params: itemParams,
    errors: ['conflict'],
    response: { status: 200, description: 'The item.', schema: itemView },
    handler: async ({ caller, deps, params }) => {
      const tenant = customerTenantOf(caller);
      ownSnapshotId(tenant.tenantId, params.id);
      const { sourceId, folder } = decodeItemId(params.itemId);
      const { item } = await deps.reader.findItem(tenant.tenantId, params.id, sourceId, folder);
      return { body: toItemView(item) };
    },
  }),
  defineEndpoint({
    operationId: 'downloadSnapshotItem',
    method: 'GET',
    route: 'v1/snapshots/{id}/items/{itemId}/content',
    summary: "Download an item's content (mail as .eml, files as themselves), streamed",
    tag: 'snapshots',
    access: 'admin',
    params: itemParams,
    errors: ['conflict'],
    audit: { action: 'snapshot.item.download' },
    response: { status: 200, description: 'The bytes.', stream: { contentType: 'application/octet-stream' } },
    handler: async ({ caller, deps, params, audit }) => {
      const tenant = customerTenantOf(caller);
      ownSnapshotId(tenant.tenantId, params.id);
      const { sourceId, folder } = decodeItemId(params.itemId);
      const { item, content } = await deps.reader.readItem(tenant.tenantId, params.id, sourceId, folder);
      audit.target = `${params.id}/${params.itemId}`;
      audit.details = { name: item.name, size: item.size };
      return {
        stream: content,
        headers: {
          'content-type': contentTypeOf(item),
          'content-disposition': contentDisposition(downloadName(item)),
          ...(item.size !== null ? { 'content-length': String(item.size) } : {}),
        },
      };
    },
  }),
];
