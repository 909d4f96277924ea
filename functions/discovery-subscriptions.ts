import { app, type InvocationContext, type Timer } from '@azure/functions';
import { loggerFrom } from '../shared/observability/logger';
import { services } from '../shared/runtime/services';

/** %SUBSCRIPTION_RENEWAL_SCHEDULE%: users/groups subscriptions created where missing, renewed before expiry. */
export async function discoverySubscriptions(timer: Timer, context: InvocationContext): Promise<void> {
  const counts = await services.discovery.subscriptions(loggerFrom(context)).upkeep();
  context.log('subscription upkeep', { ...counts, isPastDue: timer.isPastDue });
}

app.timer('discovery-subscriptions', {
  schedule: '%SUBSCRIPTION_RENEWAL_SCHEDULE%',
  handler: discoverySubscriptions,
});
