import { z } from 'zod';
import { defineEndpoint } from '../endpoint';

const meResponse = z.object({
  user: z.object({ id: z.string(), name: z.string() }),
  tenant: z.object({
    id: z.string(),
    displayName: z.string().nullable(),
    status: z.string().nullable(),
    plan: z.string().nullable(),
  }),
  roles: z.array(z.string()),
  can: z.object({
    see: z.boolean().describe('reads the tenant’s data'),
    change: z.boolean().describe('changes, starts, restores, exports, files support requests'),
    operate: z.boolean().describe('manages tenants, health incidents and support across tenants'),
  }),
});

export const meEndpoints = [
  defineEndpoint({
    operationId: 'getMe',
    method: 'GET',
    route: 'v1/me',
    summary: 'The signed-in user, their tenant and roles',
    tag: 'me',
    access: 'signed-in',
    response: { status: 200, description: 'Who you are.', schema: meResponse },
    handler: ({ caller }) =>
      Promise.resolve({
        body: {
          user: { id: caller.userId, name: caller.userName },
          tenant: {
            id: caller.tenantId,
            displayName: caller.customerTenant?.displayName ?? null,
            status: caller.customerTenant?.status ?? null,
            plan: caller.customerTenant?.plan ?? null,
          },
          roles: caller.roles,
          can: { see: caller.isReader, change: caller.isAdmin, operate: caller.isOperator },
        },
      }),
  }),
];
