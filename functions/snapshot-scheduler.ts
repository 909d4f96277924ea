import { app, type InvocationContext, type Timer } from '@azure/functions';
import { startScheduledRun } from '../shared/backup/scheduler';
import { services } from '../shared/runtime/services';

/** Every 6 hours (%SNAPSHOT_SCHEDULE%): one snapshot job per protected resource of every active tenant. */
export async function snapshotScheduler(timer: Timer, context: InvocationContext): Promise<void> {
  const run = await startScheduledRun({
    tenants: services.tenants,
    resources: services.resources,
    queue: services.queue,
    clock: services.clock,
    spreadSeconds: services.settings.SNAPSHOT_SPREAD_SECONDS,
  });
  context.log('snapshot run scheduled', { ...run, isPastDue: timer.isPastDue });
}

app.timer('snapshot-scheduler', { schedule: '%SNAPSHOT_SCHEDULE%', handler: snapshotScheduler });
