import { z } from 'zod';
import { customerTenantOf } from '../../auth/caller';
import { resourceKinds, workloadOf, workloads, type Workload } from '../../resources/resource';
import { defineEndpoint } from '../endpoint';
import { timestamp } from '../schemas';

const workloadSummary = z.object({
  discovered: z.number().int(),
  protected: z.number().int(),
  healthy: z.number().int(),
  warning: z.number().int(),
  failing: z.number().int(),
  lastGoodSnapshotAt: timestamp.nullable(),
});

const dashboardResponse = z.object({
  tenant: z.object({ id: z.string(), displayName: z.string(), plan: z.string(), status: z.string() }),
  snapshotCount: z.number().int().describe('restore points (committed snapshots)'),
  dataUnderProtectionBytes: z.number().int(),
  workloads: z.object({
    exchange: workloadSummary,
    onedrive: workloadSummary,
    sharepoint: workloadSummary,
    groups: workloadSummary,
  }),
  unreadNotifications: z.object({
    red: z.number().int(),
    yellow: z.number().int(),
    blue: z.number().int(),
    green: z.number().int(),
  }),
});

export const dashboardEndpoints = [
  defineEndpoint({
    operationId: 'getDashboard',
    method: 'GET',
    route: 'v1/dashboard',
    summary: 'Snapshot count, data under protection and protection status per workload',
    description:
      'Three point reads (totals, resource counts, notification counts): the cost does not grow with the tenant.',
    tag: 'dashboard',
    access: 'reader',
    response: { status: 200, description: 'The dashboard.', schema: dashboardResponse },
    handler: async ({ caller, deps }) => {
      const tenant = customerTenantOf(caller);
      const [totals, counts, unread] = await Promise.all([
        deps.totals.get(tenant.tenantId),
        deps.resourceCounts.get(tenant.tenantId),
        deps.notifications.unreadBySeverity(tenant.tenantId),
      ]);
      const perWorkload = Object.fromEntries(
        workloads.map((w) => [w, { ...totals.workloads[w], discovered: 0, protected: 0 }]),
      ) as Record<Workload, z.input<typeof workloadSummary>>;
      for (const kind of resourceKinds) {
        perWorkload[workloadOf[kind]].discovered += counts[kind].discovered;
        perWorkload[workloadOf[kind]].protected += counts[kind].protected;
      }
      return {
        body: {
          tenant: {
            id: tenant.tenantId,
            displayName: tenant.displayName,
            plan: tenant.plan,
            status: tenant.status,
          },
          snapshotCount: totals.snapshotCount,
          dataUnderProtectionBytes: totals.dataUnderProtectionBytes,
          workloads: perWorkload,
          unreadNotifications: unread,
        },
      };
    },
  }),
];
