import { z } from 'zod';
import { defineEndpoint } from '../endpoint';
import { decodeCursor, pageOf, pageQuery, pageResult } from '../paging';
import { boundedText, timeFilter, timestamp } from '../schemas';

const auditView = z.object({
  id: z.string(),
  at: timestamp,
  actor: z.object({ tenantId: z.string(), userId: z.string(), userName: z.string() }),
  address: z.string(),
  action: z.string(),
  target: z.string().nullable(),
  outcome: z.enum(['succeeded', 'failed', 'denied']),
  status: z.number().int(),
  details: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])),
});

export const auditEndpoints = [
  defineEndpoint({
    operationId: 'listAudit',
    method: 'GET',
    route: 'v1/audit',
    summary: "Your tenant's audit trail, newest first",
    description:
      "Every change, restore, export and download, by whom, from where, with its outcome. Operators see the provider's trail (their actions on every tenant); a customer's trail also holds what operators did to it.",
    tag: 'audit',
    access: 'signed-in',
    query: z
      .object({
        from: timeFilter.optional(),
        to: timeFilter.optional(),
        actor: boundedText(200, 'a user id or name').optional(),
        action: boundedText(100, 'an action').optional(),
        ...pageQuery,
      })
      .refine((q) => !q.from || !q.to || q.from <= q.to, {
        message: 'from must not be after to',
        path: ['from'],
      }),
    response: { status: 200, description: 'A page of audit records.', schema: pageOf(auditView) },
    handler: async ({ caller, deps, query }) => {
      const scope = ['audit', caller.tenantId, query.from, query.to, query.actor, query.action];
      const continuation = decodeCursor(query.cursor, scope);
      const page = await deps.audit.page(
        caller.tenantId,
        {
          ...(query.from ? { from: query.from } : {}),
          ...(query.to ? { to: query.to } : {}),
          ...(query.actor ? { actor: query.actor } : {}),
          ...(query.action ? { action: query.action } : {}),
        },
        { limit: query.limit, ...(continuation ? { continuation } : {}) },
      );
      return {
        body: pageResult(
          {
            items: page.items.map(({ auditId, tenantId: _t, ...rest }) => ({ id: auditId, ...rest })),
            ...(page.continuation ? { continuation: page.continuation } : {}),
          },
          scope,
        ),
      };
    },
  }),
];
