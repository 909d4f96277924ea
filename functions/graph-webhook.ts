import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { handleGraphNotification } from '../shared/discovery/graph-webhook';
import { LIFECYCLE_ROUTE, NOTIFICATION_ROUTE } from '../shared/discovery/subscription-manager';
import { loggerFrom } from '../shared/observability/logger';
import { services } from '../shared/runtime/services';

/**
 * Microsoft Graph change notifications and lifecycle events: the validation handshake, clientState
 * checked per subscription, the work queued, 202 at once.
 */
export async function graphWebhook(
  request: HttpRequest,
  context: InvocationContext,
): Promise<HttpResponseInit> {
  const answer = await handleGraphNotification(services.discovery.webhook(loggerFrom(context)), {
    validationToken: request.query.get('validationToken'),
    body: await request.text(),
    address: request.headers.get('x-forwarded-for') ?? '',
  });
  return {
    status: answer.status,
    ...(answer.contentType ? { headers: { 'content-type': answer.contentType } } : {}),
    ...(answer.body !== undefined ? { body: answer.body } : {}),
  };
}

app.http('graph-webhook', {
  methods: ['POST'],
  authLevel: 'anonymous',
  route: NOTIFICATION_ROUTE,
  handler: graphWebhook,
});

app.http('graph-webhook-lifecycle', {
  methods: ['POST'],
  authLevel: 'anonymous',
  route: LIFECYCLE_ROUTE,
  handler: graphWebhook,
});
