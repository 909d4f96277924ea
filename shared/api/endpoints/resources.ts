import { z } from 'zod';
import { customerTenantOf } from '../../auth/caller';
import { backUpNow } from '../../backup/scheduler';
import type { SnapshotRecord } from '../../backup/snapshot-record';
import { healthOf } from '../../backup/tenant-totals';
import { workloadOf, type Resource } from '../../resources/resource';
import type { ResourceStore } from '../../resources/resource-store';
import { defineEndpoint } from '../endpoint';
import { decodeCursor, pageOf, pageQuery, pageResult } from '../paging';
import { boundedText, resourceIdParams, resourceKind, timestamp, workload } from '../schemas';

export const resourceView = z.object({
  id: z.string(),
  kind: resourceKind,
  workload,
  displayName: z.string(),
  address: z.string(),
  state: z.enum(['discovered', 'protected', 'gone']),
  protected: z.boolean(),
  health: z.enum(['healthy', 'warning', 'failing']).nullable(),
  firstSeenAt: timestamp,
  lastSeenAt: timestamp,
  protectedAt: timestamp.nullable(),
  lastSnapshot: z
    .object({
      id: z.string(),
      at: timestamp,
      status: z.enum(['running', 'completed', 'completed-with-warnings', 'failed']),
    })
    .nullable(),
  lastGoodSnapshot: z.object({ id: z.string(), at: timestamp, logicalBytes: z.number().int() }).nullable(),
});

export function toResourceView(r: Resource): z.input<typeof resourceView> {
  return {
    id: r.resourceId,
    kind: r.kind,
    workload: workloadOf[r.kind],
    displayName: r.displayName,
    address: r.address,
    state: r.state,
    protected: r.protected,
    health: healthOf(r.lastSnapshotStatus) ?? null,
    firstSeenAt: r.firstSeenAt,
    lastSeenAt: r.lastSeenAt,
    protectedAt: r.protectedAt ?? null,
    lastSnapshot:
      r.lastSnapshotId && r.lastSnapshotAt && r.lastSnapshotStatus
        ? { id: r.lastSnapshotId, at: r.lastSnapshotAt, status: r.lastSnapshotStatus }
        : null,
    lastGoodSnapshot:
      r.lastGoodSnapshotId && r.lastGoodSnapshotAt
        ? { id: r.lastGoodSnapshotId, at: r.lastGoodSnapshotAt, logicalBytes: r.lastGoodLogicalBytes ?? 0 }
        : null,
  };
}

export const snapshotView = z.object({
  id: z.string(),
  resourceId: z.string(),
  status: z.enum(['running', 'completed', 'completed-with-warnings', 'failed']),
  reason: z.enum(['schedule', 'manual', 'continuation']),
  runId: z.string(),
  startedAt: timestamp,
  finishedAt: timestamp.nullable(),
  browsable: z.boolean().describe('committed: it can be browsed, searched, restored and exported'),
  items: z.number().int(),
  logicalBytes: z.number().int(),
  storedBytes: z.number().int(),
  added: z.number().int(),
  changed: z.number().int(),
  removed: z.number().int(),
  skippedCount: z.number().int(),
  skipped: z.array(z.object({ item: z.string(), reason: z.string() })).describe('the first skipped items'),
  failure: z.object({ code: z.string(), reason: z.string() }).nullable(),
});

export function toSnapshotView(s: SnapshotRecord): z.input<typeof snapshotView> {
  return {
    id: s.snapshotId,
    resourceId: s.resourceId,
    status: s.status,
    reason: s.reason,
    runId: s.runId,
    startedAt: s.startedAt,
    finishedAt: s.finishedAt ?? null,
    browsable: Boolean(s.manifestRoot),
    items: s.items,
    logicalBytes: s.logicalBytes,
    storedBytes: s.storedBytes,
    added: s.added,
    changed: s.changed,
    removed: s.removed,
    skippedCount: s.skippedCount,
    skipped: s.skipped,
    failure: s.failureCode ? { code: s.failureCode, reason: s.failureReason ?? '' } : null,
  };
}

const listQuery = z.object({
  kind: resourceKind.optional(),
  state: z.enum(['discovered', 'protected', 'gone']).optional(),
  protection: z.enum(['protected', 'unprotected']).optional(),
  q: boundedText(100, 'search text')
    .optional()
    .describe('display name or address contains (case-insensitive)'),
  ...pageQuery,
});

/** At most this many Table queries for one page of a text search. */
const MAX_QUERIES_PER_SEARCH_PAGE = 10;

/**
 * One page of a tenant's resources, optionally narrowed by a text (display name or address,
 * case-insensitive): a search reads up to MAX_QUERIES_PER_SEARCH_PAGE Table pages to fill it.
 */
export async function searchResources(
  resources: ResourceStore,
  tenantId: string,
  filter: Parameters<ResourceStore['page']>[1],
  request: { limit: number; q: string | undefined; continuation: string | undefined },
): Promise<{ items: Resource[]; continuation: string | undefined }> {
  const needle = request.q?.toLowerCase();
  const items: Resource[] = [];
  let continuation = request.continuation;
  for (let i = 0; i < (needle ? MAX_QUERIES_PER_SEARCH_PAGE : 1); i++) {
    const page = await resources.page(tenantId, filter, {
      limit: request.limit - items.length,
      ...(continuation ? { continuation } : {}),
    });
    continuation = page.continuation;
    items.push(
      ...(needle
        ? page.items.filter(
            (r) => r.displayName.toLowerCase().includes(needle) || r.address.toLowerCase().includes(needle),
          )
        : page.items),
    );
    if (!continuation || items.length >= request.limit) break;
  }
  return { items, continuation };
}

export const resourceEndpoints = [
  defineEndpoint({
    operationId: 'listResources',
    method: 'GET',
    route: 'v1/resources',
    summary: 'Discovered resources (mailboxes, OneDrives, sites, groups), filtered and paged',
    description:
      'Without `q` a page is one Table Storage query. With `q` the page is filled from at most 10 queries; a page may then hold fewer than `limit` items while `nextCursor` says more may follow.',
    tag: 'resources',
    access: 'reader',
    query: listQuery,
    response: { status: 200, description: 'A page of resources.', schema: pageOf(resourceView) },
    handler: async ({ caller, deps, query }) => {
      const tenant = customerTenantOf(caller);
      const scope = ['resources', tenant.tenantId, query.kind, query.state, query.protection, query.q];
      const continuation = decodeCursor(query.cursor, scope);
      const filter = {
        ...(query.kind ? { kind: query.kind } : {}),
        ...(query.state ? { state: query.state } : {}),
        ...(query.protection ? { protected: query.protection === 'protected' } : {}),
      };
      const { items, continuation: next } = await searchResources(deps.resources, tenant.tenantId, filter, {
        limit: query.limit,
        q: query.q,
        continuation,
      });
      return {
        body: pageResult(
          { items: items.map(toResourceView), ...(next ? { continuation: next } : {}) },
          scope,
        ),
      };
    },
  }),
  defineEndpoint({
    operationId: 'getResource',
    method: 'GET',
    route: 'v1/resources/{id}',
    summary: 'One resource',
    tag: 'resources',
    access: 'reader',
    params: resourceIdParams,
    response: { status: 200, description: 'The resource.', schema: resourceView },
    handler: async ({ caller, deps, params }) => {
      const tenant = customerTenantOf(caller);
      return { body: toResourceView(await deps.resources.get(tenant.tenantId, params.id)) };
    },
  }),
  defineEndpoint({
    operationId: 'startResourceSnapshot',
    method: 'POST',
    route: 'v1/resources/{id}/snapshots',
    summary: 'Back up now',
    description: 'Queues a snapshot of the resource now; answers with the run id at once.',
    tag: 'snapshots',
    access: 'admin',
    params: resourceIdParams,
    errors: ['conflict'],
    audit: { action: 'resource.back-up-now' },
    response: {
      status: 202,
      description: 'The snapshot is queued.',
      schema: z.object({ runId: z.string(), resourceId: z.string(), queuedAt: timestamp }),
    },
    handler: async ({ caller, deps, params, audit }) => {
      const tenant = customerTenantOf(caller);
      const run = await backUpNow(
        { tenants: deps.tenants, resources: deps.resources, queue: deps.queue, clock: deps.clock },
        tenant.tenantId,
        params.id,
      );
      audit.details = { runId: run.runId };
      return { body: { runId: run.runId, resourceId: params.id, queuedAt: deps.clock.now().toISOString() } };
    },
  }),
  defineEndpoint({
    operationId: 'listResourceSnapshots',
    method: 'GET',
    route: 'v1/resources/{id}/snapshots',
    summary: "A resource's snapshots, newest first",
    tag: 'snapshots',
    access: 'reader',
    params: resourceIdParams,
    query: z.object(pageQuery),
    response: { status: 200, description: 'A page of snapshots.', schema: pageOf(snapshotView) },
    handler: async ({ caller, deps, params, query }) => {
      const tenant = customerTenantOf(caller);
      // The resource must exist in this tenant: another tenant's id is not found, like a missing one.
      await deps.resources.get(tenant.tenantId, params.id);
      const scope = ['snapshots', tenant.tenantId, params.id];
      const continuation = decodeCursor(query.cursor, scope);
      const page = await deps.snapshots.pageForResource(tenant.tenantId, params.id, {
        limit: query.limit,
        ...(continuation ? { continuation } : {}),
      });
      return {
        body: pageResult(
          {
            items: page.items.map(toSnapshotView),
            ...(page.continuation ? { continuation: page.continuation } : {}),
          },
          scope,
        ),
      };
    },
  }),
];
