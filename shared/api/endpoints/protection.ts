import { z } from 'zod';
import { customerTenantOf } from '../../auth/caller';
import { defineEndpoint } from '../endpoint';
import { decodeCursor, pageOf, pageQuery, pageResult } from '../paging';
import { resourceId, resourceKind, timestamp } from '../schemas';
import { overlapView } from './collaboration';

const userIds = z.strictObject({
  userIds: z
    .array(z.string().trim().min(1).max(100))
    .min(1, 'expected at least one user id')
    .max(500, 'expected at most 500 user ids per request'),
});

export const licencesView = z.object({
  plan: z.enum(['full', 'exchange-only']),
  total: z.number().int(),
  used: z.number().int(),
  free: z.number().int(),
});

const severity = z.enum(['red', 'yellow', 'blue', 'green']);

const notificationView = z.object({
  id: z.string(),
  severity,
  category: z.string(),
  resourceId: z.string().nullable(),
  message: z.string(),
  createdAt: timestamp,
  read: z.boolean(),
  resolved: z.boolean(),
  resolvedAt: timestamp.nullable(),
});

/** Licences, protection of users, and the bell (issue 5). */
export const protectionEndpoints = [
  defineEndpoint({
    operationId: 'getLicences',
    method: 'GET',
    route: 'v1/licences',
    summary: "The tenant's plan and user licences: total, used, free",
    tag: 'protection',
    access: 'reader',
    response: { status: 200, description: 'Licence counts.', schema: licencesView },
    handler: async ({ caller, deps }) => ({
      body: await deps.protection.licenceSummary(customerTenantOf(caller).tenantId),
    }),
  }),
  defineEndpoint({
    operationId: 'enableUserProtection',
    method: 'POST',
    route: 'v1/protection/users/enable',
    summary: "Protect users' mailboxes and OneDrives (mailbox only on exchange-only), one licence each",
    description:
      'All or nothing: asking for more users than free licences protects none and answers 409 saying how many were asked and how many are free.',
    tag: 'protection',
    access: 'admin',
    body: userIds,
    errors: ['conflict', 'not-found'],
    audit: { action: 'protection.enable-users' },
    response: {
      status: 200,
      description: 'Protected.',
      schema: z.object({ protected: z.array(z.string()), licensed: z.array(z.string()) }),
    },
    handler: async ({ caller, deps, body, audit }) => {
      const result = await deps.protection.enableUsers(customerTenantOf(caller).tenantId, body.userIds);
      audit.details = { users: body.userIds.length, licensed: result.licensed.length };
      return { body: result };
    },
  }),
  defineEndpoint({
    operationId: 'disableUserProtection',
    method: 'POST',
    route: 'v1/protection/users/disable',
    summary: 'Stop protecting users: their licences are freed, their backups kept',
    tag: 'protection',
    access: 'admin',
    body: userIds,
    audit: { action: 'protection.disable-users' },
    response: {
      status: 200,
      description: 'No longer protected.',
      schema: z.object({ unprotected: z.array(z.string()) }),
    },
    handler: async ({ caller, deps, body, audit }) => {
      const result = await deps.protection.disableUsers(customerTenantOf(caller).tenantId, body.userIds);
      audit.details = { users: body.userIds.length };
      return { body: result };
    },
  }),
  defineEndpoint({
    operationId: 'listNotifications',
    method: 'GET',
    route: 'v1/notifications',
    summary: 'The bell: notifications, newest first',
    tag: 'notifications',
    access: 'reader',
    query: z.object({
      unread: z.enum(['true', 'false']).optional(),
      open: z.enum(['true', 'false']).optional().describe('only alerts not yet resolved'),
      severity: severity.optional(),
      ...pageQuery,
    }),
    response: { status: 200, description: 'A page of notifications.', schema: pageOf(notificationView) },
    handler: async ({ caller, deps, query }) => {
      const tenantId = customerTenantOf(caller).tenantId;
      const scope = ['notifications', tenantId, query.unread, query.open, query.severity];
      const continuation = decodeCursor(query.cursor, scope);
      const page = await deps.notificationStore.page(
        tenantId,
        {
          ...(query.unread === 'true' ? { unread: true } : {}),
          ...(query.open === 'true' ? { open: true } : {}),
          ...(query.severity ? { severity: query.severity } : {}),
        },
        { limit: query.limit, ...(continuation ? { continuation } : {}) },
      );
      return {
        body: pageResult(
          {
            items: page.items.map((n) => ({
              id: n.notificationId,
              severity: n.severity,
              category: n.category,
              resourceId: n.resourceId ?? null,
              message: n.message,
              createdAt: n.createdAt,
              read: n.read,
              resolved: n.resolved,
              resolvedAt: n.resolvedAt ?? null,
            })),
            ...(page.continuation ? { continuation: page.continuation } : {}),
          },
          scope,
        ),
      };
    },
  }),
  defineEndpoint({
    operationId: 'markNotificationRead',
    method: 'POST',
    route: 'v1/notifications/{id}/read',
    summary: 'Mark a notification read',
    tag: 'notifications',
    access: 'admin',
    params: z.object({
      id: z
        .string()
        .regex(/^[\w|-]{1,100}$/, 'expected a notification id')
        .describe('notification id'),
    }),
    response: {
      status: 200,
      description: 'Marked read.',
      schema: z.object({ id: z.string(), read: z.boolean() }),
    },
    handler: async ({ caller, deps, params }) => {
      await deps.notificationStore.markRead(customerTenantOf(caller).tenantId, params.id);
      return { body: { id: params.id, read: true } };
    },
  }),
  // Issue 6: the general protection endpoint and "mark all read" (see docs/api.md, Protection).
  defineEndpoint({
    operationId: 'setProtection',
    method: 'POST',
    route: 'v1/protection',
    summary: 'Protect or stop protecting any mix of mailboxes, OneDrives, sites and groups',
    description:
      "The general form of /v1/protection/users/* and /v1/protection/collaboration/*. A mailbox or OneDrive id stands for its user: enabling takes one licence per user and protects the user's mailbox and OneDrive on the full plan (the mailbox only on exchange-only); disabling stops both and frees the licence (backups are kept). Site and group ids take no licence and cannot be enabled on exchange-only (409). All or nothing across the whole request: an id that is no resource of this tenant answers 404 naming `body.resourceIds.<i>`, too few free licences 409 saying how many were asked and how many are free; nothing is changed then.",
    tag: 'protection',
    access: 'admin',
    body: z.strictObject({
      resourceIds: z
        .array(resourceId)
        .min(1, 'expected at least one resource id')
        .max(500, 'expected at most 500 ids per request'),
      enabled: z.boolean({ error: 'expected true (protect) or false (stop protecting)' }),
    }),
    errors: ['conflict', 'not-found'],
    audit: { action: 'protection.set' },
    response: {
      status: 200,
      description: 'What the request covered, as it is now, and the licences.',
      schema: z.object({
        enabled: z.boolean(),
        resources: z
          .array(
            z.object({
              id: z.string(),
              kind: resourceKind,
              displayName: z.string(),
              protected: z.boolean(),
            }),
          )
          .describe("every resource the request covered: those named and their users' other resources"),
        changed: z
          .array(z.string())
          .describe('resources whose protection this call changed (the others already were so)'),
        licensed: z.array(z.string()).describe('users that took a licence now (enable)'),
        overlaps: z
          .array(overlapView)
          .describe('team sites now protected together with their group (enable)'),
        licences: licencesView.describe('the licences after the change'),
      }),
    },
    handler: async ({ caller, deps, body, audit }) => {
      const result = await deps.protection.setProtection(
        customerTenantOf(caller).tenantId,
        body.resourceIds,
        body.enabled,
      );
      audit.details = {
        enabled: body.enabled,
        resources: body.resourceIds.length,
        changed: result.changed.length,
        licensed: result.licensed.length,
        released: result.released,
      };
      return {
        body: {
          enabled: result.enabled,
          resources: result.resources.map((r) => ({
            id: r.resourceId,
            kind: r.kind,
            displayName: r.displayName,
            protected: r.protected,
          })),
          changed: result.changed,
          licensed: result.licensed,
          overlaps: result.overlaps,
          licences: result.licences,
        },
      };
    },
  }),
  defineEndpoint({
    operationId: 'markAllNotificationsRead',
    method: 'POST',
    route: 'v1/notifications/read-all',
    summary: 'Mark every unread notification read (or those of one severity)',
    description:
      "Notifications raised while this runs stay unread. The dashboard's unread counts follow at once.",
    tag: 'notifications',
    access: 'admin',
    query: z.object({ severity: severity.optional().describe('only notifications of this severity') }),
    audit: { action: 'notifications.read-all' },
    response: {
      status: 200,
      description: 'How many were marked read.',
      schema: z.object({ marked: z.number().int() }),
    },
    handler: async ({ caller, deps, query, audit }) => {
      const marked = await deps.notificationStore.markAllRead(
        customerTenantOf(caller).tenantId,
        query.severity ? { severity: query.severity } : {},
      );
      audit.details = { severity: query.severity ?? null, marked };
      return { body: { marked } };
    },
  }),
  defineEndpoint({
    operationId: 'updateAutoProtect',
    method: 'PATCH',
    route: 'v1/settings/auto-protect',
    summary: 'Per kind: protect automatically when discovered (on) or only report it (off)',
    description:
      'Mailboxes and OneDrives protected automatically take a licence per user; without a free licence the admin gets a yellow "licences exhausted" notification instead.',
    tag: 'protection',
    access: 'admin',
    body: z
      .strictObject({
        mailbox: z.boolean().optional(),
        onedrive: z.boolean().optional(),
        site: z.boolean().optional(),
        group: z.boolean().optional(),
      })
      .refine((b) => Object.keys(b).length > 0, {
        message: 'expected at least one of mailbox, onedrive, site, group',
      }),
    audit: { action: 'settings.auto-protect' },
    response: {
      status: 200,
      description: 'The auto-protect settings now.',
      schema: z.object({
        mailbox: z.boolean(),
        onedrive: z.boolean(),
        site: z.boolean(),
        group: z.boolean(),
      }),
    },
    handler: async ({ caller, deps, body, audit }) => {
      const tenantId = customerTenantOf(caller).tenantId;
      // Only the kinds in the body change; a concurrent change of another kind (or an operator's
      // change of the tenant) is kept.
      const { autoProtect } = await deps.tenants.modify(tenantId, (tenant) => ({
        ...tenant,
        autoProtect: { ...tenant.autoProtect, ...body },
        updatedAt: deps.clock.now().toISOString(),
      }));
      deps.tenantChanged(tenantId);
      audit.details = { ...autoProtect };
      return { body: autoProtect };
    },
  }),
  defineEndpoint({
    operationId: 'startDiscovery',
    method: 'POST',
    route: 'v1/discovery',
    summary: 'Rescan the tenant now (a full discovery pass)',
    description: 'Queued; requests made while one is pending are folded into it.',
    tag: 'protection',
    access: 'admin',
    audit: { action: 'discovery.start' },
    response: {
      status: 202,
      description: 'A full discovery pass is queued (or already pending).',
      schema: z.object({ queued: z.boolean().describe('false: a pass was already pending and covers this') }),
    },
    handler: async ({ caller, deps }) => ({
      body: { queued: await deps.discovery.requestPass(customerTenantOf(caller).tenantId, 'full') },
    }),
  }),
  defineEndpoint({
    operationId: 'createConsentLink',
    method: 'POST',
    route: 'v1/operator/tenants/{id}/consent-link',
    summary: "The admin-consent link for a tenant's administrator (one-time, 7 days)",
    description:
      "The customer's admin opens it and consents; the callback marks the tenant active and starts discovery and the Graph subscriptions. Each link works once.",
    tag: 'operator',
    access: 'operator',
    params: z.object({
      id: z.uuid({ error: 'expected an Entra tenant id (a GUID)' }).transform((v) => v.toLowerCase()),
    }),
    errors: ['conflict', 'unavailable'],
    audit: { action: 'tenant.consent-link' },
    response: {
      status: 200,
      description: 'The link.',
      schema: z.object({ url: z.string(), expiresAt: timestamp }),
    },
    handler: async ({ deps, params, audit }) => {
      audit.target = params.id;
      audit.tenantId = params.id;
      return { body: await deps.consentLink(params.id) };
    },
  }),
];
