import { app, type InvocationContext, type Timer } from '@azure/functions';
import { loggerFrom } from '../shared/observability/logger';
import { services } from '../shared/runtime/services';

/** %NOTIFICATION_CHECK_SCHEDULE%: red alerts for protected resources without a good snapshot for 24 hours. */
export async function notificationChecks(timer: Timer, context: InvocationContext): Promise<void> {
  const opened = await services.discovery.notifier(loggerFrom(context)).checkStaleSnapshots();
  context.log('notification checks', { staleAlertsOpened: opened, isPastDue: timer.isPastDue });
}

app.timer('notification-checks', { schedule: '%NOTIFICATION_CHECK_SCHEDULE%', handler: notificationChecks });
