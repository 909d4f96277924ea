import { z } from 'zod';
import { customerTenantOf } from '../../auth/caller';
import {
  contactMethods,
  severities,
  slaStateOf,
  supportCategories,
  supportStatuses,
  type SupportComment,
  type SupportRequest,
} from '../../support/support-request';
import { defineEndpoint } from '../endpoint';
import { decodeCursor, pageOf, pageQuery, pageResult } from '../paging';
import { boundedText, idParams, timestamp } from '../schemas';

export const supportRequestView = z.object({
  id: z.string(),
  tenantId: z.string(),
  category: z.enum(supportCategories),
  severity: z.enum(severities),
  filedSeverity: z.enum(severities),
  title: z.string(),
  description: z.string(),
  contact: z.object({ email: z.string(), phone: z.string(), preferredMethod: z.enum(contactMethods) }),
  status: z.enum(supportStatuses),
  filedAt: timestamp,
  filedBy: z.object({ userId: z.string(), userName: z.string() }),
  initialResponseDueAt: timestamp,
  firstResponseAt: timestamp.nullable(),
  slaState: z.enum(['pending', 'met', 'missed']),
  awaitingCustomerSince: timestamp.nullable(),
  updatedAt: timestamp,
  history: z.array(
    z.object({
      at: timestamp,
      by: z.string(),
      event: z.enum(['filed', 'status', 'severity', 'response', 'comment']),
      from: z.string().optional(),
      to: z.string().optional(),
      note: z.string().optional(),
    }),
  ),
});

export function toSupportRequestView(r: SupportRequest, now: Date): z.input<typeof supportRequestView> {
  const { requestId, initialResponseMissedAt: _flag, ...rest } = r;
  return { id: requestId, ...rest, slaState: slaStateOf(r, now) };
}

export const commentView = z.object({
  id: z.string(),
  at: timestamp,
  author: z.object({ userName: z.string(), role: z.enum(['customer', 'operator']) }),
  text: z.string(),
});

export function toCommentView(c: SupportComment): z.input<typeof commentView> {
  return {
    id: c.commentId,
    at: c.at,
    author: { userName: c.author.userName, role: c.author.role },
    text: c.text,
  };
}

const newRequestBody = z.strictObject({
  category: z.enum(supportCategories),
  severity: z
    .enum(severities)
    .describe('A: critical (premium support only); B: high; C: non-critical. Billing: B or C.'),
  title: boundedText(200, 'a title'),
  description: boundedText(8000, 'a description'),
  contact: z.strictObject({
    email: z.email({ error: 'expected an email address' }).max(254),
    phone: z
      .string({ error: 'expected a phone number' })
      .trim()
      .regex(/^\+?[0-9 ()./-]{6,32}$/, 'expected a phone number, e.g. +31 20 123 4567'),
    preferredMethod: z.enum(contactMethods),
  }),
});

export const supportEndpoints = [
  defineEndpoint({
    operationId: 'fileSupportRequest',
    method: 'POST',
    route: 'v1/support/requests',
    summary: 'File a support request',
    description:
      'Initial response targets: A within 1 hour around the clock, B within 1 business day, C within 3 business days (business hours of the support calendar in the tenant’s time zone).',
    tag: 'support',
    access: 'admin',
    body: newRequestBody,
    audit: { action: 'support.request.file' },
    response: {
      status: 201,
      description: 'The request, with its initial response target.',
      schema: supportRequestView,
    },
    handler: async ({ caller, deps, body, audit }) => {
      const tenant = customerTenantOf(caller);
      const request = await deps.support.file(
        tenant,
        { userId: caller.userId, userName: caller.userName },
        body,
      );
      audit.target = request.requestId;
      audit.details = { category: request.category, severity: request.severity };
      return { status: 201, body: toSupportRequestView(request, deps.clock.now()) };
    },
  }),
  defineEndpoint({
    operationId: 'listSupportRequests',
    method: 'GET',
    route: 'v1/support/requests',
    summary: "Your tenant's support requests, newest first",
    tag: 'support',
    access: 'reader',
    query: z.object({ status: z.enum(supportStatuses).optional(), ...pageQuery }),
    response: { status: 200, description: 'A page of requests.', schema: pageOf(supportRequestView) },
    handler: async ({ caller, deps, query }) => {
      const tenant = customerTenantOf(caller);
      const scope = ['support', tenant.tenantId, query.status];
      const continuation = decodeCursor(query.cursor, scope);
      const page = await deps.supportStore.pageForTenant(
        tenant.tenantId,
        query.status ? { status: query.status } : {},
        { limit: query.limit, ...(continuation ? { continuation } : {}) },
      );
      const now = deps.clock.now();
      return {
        body: pageResult(
          {
            items: page.items.map((r) => toSupportRequestView(r, now)),
            ...(page.continuation ? { continuation: page.continuation } : {}),
          },
          scope,
        ),
      };
    },
  }),
  defineEndpoint({
    operationId: 'getSupportRequest',
    method: 'GET',
    route: 'v1/support/requests/{id}',
    summary: 'One support request, with its history',
    tag: 'support',
    access: 'reader',
    params: idParams,
    response: { status: 200, description: 'The request.', schema: supportRequestView },
    handler: async ({ caller, deps, params }) => {
      const tenant = customerTenantOf(caller);
      const { request } = await deps.supportStore.get(tenant.tenantId, params.id);
      return { body: toSupportRequestView(request, deps.clock.now()) };
    },
  }),
  defineEndpoint({
    operationId: 'listSupportComments',
    method: 'GET',
    route: 'v1/support/requests/{id}/comments',
    summary: "A request's comments (yours and the provider's), oldest first",
    tag: 'support',
    access: 'reader',
    params: idParams,
    query: z.object(pageQuery),
    response: { status: 200, description: 'A page of comments.', schema: pageOf(commentView) },
    handler: async ({ caller, deps, params, query }) => {
      const tenant = customerTenantOf(caller);
      await deps.supportStore.get(tenant.tenantId, params.id);
      const scope = ['comments', tenant.tenantId, params.id];
      const continuation = decodeCursor(query.cursor, scope);
      const page = await deps.supportStore.pageComments(tenant.tenantId, params.id, {
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
    operationId: 'addSupportComment',
    method: 'POST',
    route: 'v1/support/requests/{id}/comments',
    summary: 'Comment on a request (an answer while it awaits you puts it back in progress)',
    tag: 'support',
    access: 'admin',
    params: idParams,
    body: z.strictObject({ text: boundedText(8000, 'a comment') }),
    errors: ['conflict'],
    audit: { action: 'support.request.comment' },
    response: { status: 201, description: 'The comment.', schema: commentView },
    handler: async ({ caller, deps, params, body }) => {
      const tenant = customerTenantOf(caller);
      const comment = await deps.support.commentAsCustomer(
        tenant.tenantId,
        params.id,
        { userId: caller.userId, userName: caller.userName },
        body.text,
      );
      return { status: 201, body: toCommentView(comment) };
    },
  }),
];
