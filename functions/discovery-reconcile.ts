import { app, type InvocationContext, type Timer } from '@azure/functions';
import { loggerFrom } from '../shared/observability/logger';
import { services } from '../shared/runtime/services';

/** Daily (%DISCOVERY_SCHEDULE%): a full discovery pass queued for every active tenant. */
export async function discoveryReconcile(timer: Timer, context: InvocationContext): Promise<void> {
  const discovery = services.discovery.discovery(loggerFrom(context));
  let queued = 0;
  for await (const tenant of services.tenants.list('active')) {
    if (await discovery.requestPass(tenant.tenantId, 'full')) queued += 1;
  }
  context.log('discovery reconciliation queued', { queued, isPastDue: timer.isPastDue });
}

app.timer('discovery-reconcile', { schedule: '%DISCOVERY_SCHEDULE%', handler: discoveryReconcile });
