import { app, type InvocationContext, type Timer } from '@azure/functions';
import { services } from '../shared/runtime/services';

/**
 * Every 5 minutes: requests awaiting the customer for 3 business days drop one severity level;
 * unanswered requests past their initial response target are flagged and operators alerted.
 */
export async function supportTimers(_timer: Timer, context: InvocationContext): Promise<void> {
  const result = await services.api.deps.support.runTimers();
  if (result.downgraded > 0 || result.missed > 0) context.log('support timers', result);
}

app.timer('support-timers', { schedule: '0 */5 * * * *', handler: supportTimers });
