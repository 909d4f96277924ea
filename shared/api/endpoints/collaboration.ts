import { z } from 'zod';
import { customerTenantOf } from '../../auth/caller';
import type { Resource } from '../../resources/resource';
import { defineEndpoint } from '../endpoint';
import { decodeCursor, pageOf, pageQuery, pageResult } from '../paging';
import { boundedText, resourceId } from '../schemas';
import { resourceView, searchResources, toResourceView } from './resources';

const collaborationKind = z.enum(['site', 'group']);

const collaborationView = resourceView.extend({
  kind: collaborationKind,
  teamSiteOf: z
    .string()
    .nullable()
    .describe(
      "sites only: the resource id of the group whose team site this is (the group's snapshot holds the site's default library too)",
    ),
});

function toCollaborationView(r: Resource): z.input<typeof collaborationView> {
  return {
    ...toResourceView(r),
    kind: r.kind as 'site' | 'group',
    teamSiteOf: r.kind === 'site' && r.groupId ? `group:${r.groupId}` : null,
  };
}

const resourceIds = z.strictObject({
  resourceIds: z
    .array(resourceId)
    .min(1, 'expected at least one site or group id')
    .max(500, 'expected at most 500 ids per request'),
});

export const overlapView = z.object({
  siteId: z.string(),
  groupId: z.string(),
  message: z.string(),
});

/**
 * Collaboration (issue 5): SharePoint sites and Microsoft 365 groups are protected separately from
 * users, take no licence, and are not part of the `exchange-only` plan.
 */
export const collaborationEndpoints = [
  defineEndpoint({
    operationId: 'listCollaboration',
    method: 'GET',
    route: 'v1/protection/collaboration',
    summary: "The tenant's SharePoint sites and Microsoft 365 groups with their protection state",
    description:
      "A group's team site is listed as a site too, with `teamSiteOf` naming the group. Without `q` a page is one Table Storage query; with `q` it is filled from at most 10, and may hold fewer than `limit` items while `nextCursor` says more may follow.",
    tag: 'protection',
    access: 'reader',
    query: z.object({
      kind: collaborationKind.optional(),
      protection: z.enum(['protected', 'unprotected']).optional(),
      q: boundedText(100, 'search text')
        .optional()
        .describe('display name or address contains (case-insensitive)'),
      ...pageQuery,
    }),
    response: {
      status: 200,
      description: 'A page of sites and groups.',
      schema: pageOf(collaborationView),
    },
    handler: async ({ caller, deps, query }) => {
      const tenantId = customerTenantOf(caller).tenantId;
      const scope = ['collaboration', tenantId, query.kind, query.protection, query.q];
      const continuation = decodeCursor(query.cursor, scope);
      const filter = {
        kind: query.kind ?? (['group', 'site'] as const),
        ...(query.protection ? { protected: query.protection === 'protected' } : {}),
      };
      const { items, continuation: next } = await searchResources(deps.resources, tenantId, filter, {
        limit: query.limit,
        q: query.q,
        continuation,
      });
      return {
        body: pageResult(
          { items: items.map(toCollaborationView), ...(next ? { continuation: next } : {}) },
          scope,
        ),
      };
    },
  }),
  defineEndpoint({
    operationId: 'enableCollaborationProtection',
    method: 'POST',
    route: 'v1/protection/collaboration/enable',
    summary: 'Protect SharePoint sites and Microsoft 365 groups (no licence taken)',
    description:
      "All or nothing. On the exchange-only plan: 409, nothing enabled. Ids of mailboxes or OneDrives: 400; ids that are no site or group of this tenant: 404; each named in `errors`. Protected resources are backed up in the next scheduled run (or now, with POST /v1/resources/{id}/snapshots). `overlaps` names team sites protected together with their group: the group's snapshot holds the site's default library too.",
    tag: 'protection',
    access: 'admin',
    body: resourceIds,
    errors: ['conflict', 'not-found'],
    audit: { action: 'protection.enable-collaboration' },
    response: {
      status: 200,
      description: 'Protected.',
      schema: z.object({
        protected: z.array(z.string()).describe('resources protected by this call (the others already were)'),
        overlaps: z.array(overlapView),
      }),
    },
    handler: async ({ caller, deps, body, audit }) => {
      const result = await deps.protection.enableCollaboration(
        customerTenantOf(caller).tenantId,
        body.resourceIds,
      );
      audit.details = { resources: body.resourceIds.length, protected: result.protected.length };
      return { body: result };
    },
  }),
  defineEndpoint({
    operationId: 'disableCollaborationProtection',
    method: 'POST',
    route: 'v1/protection/collaboration/disable',
    summary: 'Stop protecting SharePoint sites and groups: their backups are kept',
    description: 'Allowed on every plan (e.g. after a change to exchange-only). All or nothing, as enable.',
    tag: 'protection',
    access: 'admin',
    body: resourceIds,
    errors: ['not-found'],
    audit: { action: 'protection.disable-collaboration' },
    response: {
      status: 200,
      description: 'No longer protected.',
      schema: z.object({ unprotected: z.array(z.string()) }),
    },
    handler: async ({ caller, deps, body, audit }) => {
      const result = await deps.protection.disableCollaboration(
        customerTenantOf(caller).tenantId,
        body.resourceIds,
      );
      audit.details = { resources: body.resourceIds.length, unprotected: result.unprotected.length };
      return { body: result };
    },
  }),
];
