import { z } from 'zod';
import { AppError } from '../../errors/app-error';
import { resourceKinds } from '../../resources/resource';
import { decodeRequestId } from '../../support/support-store';
import { slaStateOf, supportStatuses } from '../../support/support-request';
import type { Tenant } from '../../tenants/tenant';
import { defineEndpoint } from '../endpoint';
import { decodeCursor, pageOf, pageQuery, pageResult } from '../paging';
import { boundedText, ianaTimeZone, idParams, queryBoolean, timestamp } from '../schemas';
import { commentView, supportRequestView, toCommentView, toSupportRequestView } from './support';

const tenantStatuses = ['pending-consent', 'active', 'suspended', 'offboarded'] as const;
const plans = ['full', 'exchange-only'] as const;
const tenantIdSchema = z
  .uuid({ error: 'expected an Entra tenant id (a GUID)' })
  .transform((v) => v.toLowerCase());

const tenantView = z.object({
  id: z.string(),
  displayName: z.string(),
  plan: z.enum(plans),
  licences: z.number().int(),
  premiumSupport: z.boolean(),
  adminContactEmail: z.string(),
  timeZone: z.string(),
  status: z.enum(tenantStatuses),
  autoProtect: z.record(z.string(), z.boolean()),
  createdAt: timestamp,
  updatedAt: timestamp,
});

function toTenantView(t: Tenant): z.input<typeof tenantView> {
  const { tenantId, ...rest } = t;
  return { id: tenantId, ...rest };
}

const tenantFields = {
  displayName: boundedText(200, 'a display name'),
  plan: z.enum(plans),
  licences: z
    .number({ error: 'expected a whole number' })
    .int('expected a whole number')
    .min(0)
    .max(1_000_000),
  premiumSupport: z.boolean({ error: 'expected true or false' }),
  adminContactEmail: z.email({ error: 'expected an email address' }).max(254),
  timeZone: ianaTimeZone,
};

const tenantParams = z.object({ id: tenantIdSchema });

const operatorRequestView = supportRequestView.extend({ initialResponseMissedAt: timestamp.nullable() });

export const operatorEndpoints = [
  defineEndpoint({
    operationId: 'listTenants',
    method: 'GET',
    route: 'v1/operator/tenants',
    summary: 'Customer tenants',
    tag: 'operator',
    access: 'operator',
    query: z.object({ status: z.enum(tenantStatuses).optional(), ...pageQuery }),
    response: { status: 200, description: 'A page of tenants.', schema: pageOf(tenantView) },
    handler: async ({ deps, query }) => {
      const scope = ['tenants', query.status];
      const continuation = decodeCursor(query.cursor, scope);
      const page = await deps.tenants.page(query.status ? { status: query.status } : {}, {
        limit: query.limit,
        ...(continuation ? { continuation } : {}),
      });
      return {
        body: pageResult(
          {
            items: page.items.map(toTenantView),
            ...(page.continuation ? { continuation: page.continuation } : {}),
          },
          scope,
        ),
      };
    },
  }),
  defineEndpoint({
    operationId: 'getTenant',
    method: 'GET',
    route: 'v1/operator/tenants/{id}',
    summary: 'One customer tenant',
    tag: 'operator',
    access: 'operator',
    params: tenantParams,
    response: { status: 200, description: 'The tenant.', schema: tenantView },
    handler: async ({ deps, params }) => ({ body: toTenantView(await deps.tenants.get(params.id)) }),
  }),
  defineEndpoint({
    operationId: 'createTenant',
    method: 'POST',
    route: 'v1/operator/tenants',
    summary: 'Create a customer tenant (pending consent)',
    description:
      'The customer’s admin then grants consent through the onboarding link (discovery issue), which activates it.',
    tag: 'operator',
    access: 'operator',
    body: z.strictObject({
      tenantId: tenantIdSchema,
      ...tenantFields,
      premiumSupport: tenantFields.premiumSupport.default(false),
      autoProtect: z
        .strictObject(Object.fromEntries(resourceKinds.map((k) => [k, z.boolean().optional()])))
        .optional(),
    }),
    errors: ['conflict'],
    audit: { action: 'tenant.create' },
    response: { status: 201, description: 'The tenant.', schema: tenantView },
    handler: async ({ deps, body, audit }) => {
      const at = deps.clock.now().toISOString();
      const tenant: Tenant = {
        tenantId: body.tenantId,
        displayName: body.displayName,
        plan: body.plan,
        licences: body.licences,
        premiumSupport: body.premiumSupport,
        adminContactEmail: body.adminContactEmail,
        timeZone: body.timeZone,
        status: 'pending-consent',
        autoProtect: Object.fromEntries(
          resourceKinds.map((k) => [k, body.autoProtect?.[k] ?? false]),
        ) as Tenant['autoProtect'],
        createdAt: at,
        updatedAt: at,
      };
      audit.target = tenant.tenantId;
      audit.tenantId = tenant.tenantId;
      await deps.tenants.create(tenant);
      deps.tenantChanged(tenant.tenantId);
      return { status: 201, body: toTenantView(tenant) };
    },
  }),
  defineEndpoint({
    operationId: 'updateTenant',
    method: 'PATCH',
    route: 'v1/operator/tenants/{id}',
    summary: 'Change a tenant’s plan, licences, premium support, contact, time zone or status',
    description:
      'Status: `suspended` stops snapshots and keeps data; `offboarded` is final. (Lowering licences below those in use is refused once protection exists — issue 5.)',
    tag: 'operator',
    access: 'operator',
    params: tenantParams,
    body: z
      .strictObject({
        displayName: tenantFields.displayName.optional(),
        plan: tenantFields.plan.optional(),
        licences: tenantFields.licences.optional(),
        premiumSupport: tenantFields.premiumSupport.optional(),
        adminContactEmail: tenantFields.adminContactEmail.optional(),
        timeZone: tenantFields.timeZone.optional(),
        status: z.enum(tenantStatuses).optional(),
      })
      .refine((b) => Object.keys(b).length > 0, { message: 'change at least one field' }),
    errors: ['conflict'],
    audit: { action: 'tenant.update' },
    response: { status: 200, description: 'The tenant.', schema: tenantView },
    handler: async ({ deps, params, body, audit }) => {
      audit.target = params.id;
      // Only the fields in the body change, on the row as it is when written (ETag), so an admin's
      // concurrent settings change is kept and an offboarding in between is never undone.
      const updated: Tenant = await deps.tenants.modify(params.id, (tenant) => {
        if (tenant.status === 'offboarded') throw new AppError('conflict', 'This tenant is offboarded.');
        return { ...tenant, ...body, updatedAt: deps.clock.now().toISOString() };
      });
      audit.tenantId = updated.tenantId;
      deps.tenantChanged(updated.tenantId);
      audit.details = Object.fromEntries(
        Object.entries(body).map(([k, v]) => [
          k,
          typeof v === 'object' ? JSON.stringify(v) : (v as string | number | boolean),
        ]),
      );
      return { body: toTenantView(updated) };
    },
  }),
  defineEndpoint({
    operationId: 'listAllSupportRequests',
    method: 'GET',
    route: 'v1/operator/support/requests',
    summary: 'Support requests of every tenant, with their SLA state',
    tag: 'operator',
    access: 'operator',
    query: z.object({
      status: z.enum(supportStatuses).optional(),
      open: queryBoolean.optional().describe('only new, in progress and awaiting customer'),
      tenantId: tenantIdSchema.optional(),
      ...pageQuery,
    }),
    response: { status: 200, description: 'A page of requests.', schema: pageOf(operatorRequestView) },
    handler: async ({ deps, query }) => {
      const scope = ['operator-support', query.status, query.open, query.tenantId];
      const continuation = decodeCursor(query.cursor, scope);
      const page = await deps.supportStore.pageAll(
        {
          ...(query.status ? { status: query.status } : {}),
          ...(query.open ? { open: true } : {}),
          ...(query.tenantId ? { tenantId: query.tenantId } : {}),
        },
        { limit: query.limit, ...(continuation ? { continuation } : {}) },
      );
      const now = deps.clock.now();
      return {
        body: pageResult(
          {
            items: page.items.map((r) => ({
              ...toSupportRequestView(r, now),
              initialResponseMissedAt: r.initialResponseMissedAt,
              slaState: slaStateOf(r, now),
            })),
            ...(page.continuation ? { continuation: page.continuation } : {}),
          },
          scope,
        ),
      };
    },
  }),
  defineEndpoint({
    operationId: 'listOperatorSupportComments',
    method: 'GET',
    route: 'v1/operator/support/requests/{id}/comments',
    summary: "A request's comments (any tenant), oldest first",
    tag: 'operator',
    access: 'operator',
    params: idParams,
    query: z.object(pageQuery),
    response: { status: 200, description: 'A page of comments.', schema: pageOf(commentView) },
    handler: async ({ deps, params, query }) => {
      const { request } = await deps.supportStore.get(undefined, params.id);
      const scope = ['operator-comments', params.id];
      const continuation = decodeCursor(query.cursor, scope);
      const page = await deps.supportStore.pageComments(request.tenantId, params.id, {
        limit: query.limit,
        ...(continuation ? { continuation } : {}),
      });
      return {
        body: pageResult(
          {
            items: page.items.map(toCommentView),
            ...(page.continuation ? { continuation: page.continuation } : {}),
          },
          scope,
        ),
      };
    },
  }),
  defineEndpoint({
    operationId: 'respondToSupportRequest',
    method: 'POST',
    route: 'v1/operator/support/requests/{id}/responses',
    summary: 'Answer a request and/or change its status',
    description:
      'The first message is the initial response the target measures. `awaiting-customer` starts the 3-business-day clock after which the severity drops one level.',
    tag: 'operator',
    access: 'operator',
    params: idParams,
    body: z
      .strictObject({
        message: boundedText(8000, 'a message').optional(),
        status: z.enum(supportStatuses).optional(),
      })
      .refine((b) => b.message !== undefined || b.status !== undefined, {
        message: 'send a message, a status, or both',
      }),
    errors: ['conflict'],
    audit: { action: 'support.request.respond' },
    response: { status: 200, description: 'The request.', schema: operatorRequestView },
    handler: async ({ deps, params, body, caller, audit }) => {
      const key = decodeRequestId(params.id);
      if (key) audit.tenantId = key.tenantId;
      const request = await deps.support.respondAsOperator(
        params.id,
        { userId: caller.userId, userName: caller.userName },
        {
          ...(body.message ? { message: body.message } : {}),
          ...(body.status ? { status: body.status } : {}),
        },
      );
      audit.details = { status: request.status };
      return {
        body: {
          ...toSupportRequestView(request, deps.clock.now()),
          initialResponseMissedAt: request.initialResponseMissedAt,
        },
      };
    },
  }),
];
