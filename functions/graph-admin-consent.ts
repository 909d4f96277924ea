import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { isAppError } from '../shared/errors/app-error';
import { loggerFrom } from '../shared/observability/logger';
import { CONSENT_CALLBACK_ROUTE } from '../shared/onboarding/onboarding-service';
import { services } from '../shared/runtime/services';

const statusOf: Record<string, number> = { invalid: 400, forbidden: 403, conflict: 409, 'not-found': 404 };

/**
 * Entra ID's admin-consent redirect: the one-time state is checked and used up, the tenant becomes
 * active, a full discovery and the Graph subscriptions start. The admin sees a one-line outcome.
 */
export async function graphAdminConsent(
  request: HttpRequest,
  context: InvocationContext,
): Promise<HttpResponseInit> {
  const q = (name: string) => request.query.get(name) ?? undefined;
  try {
    const tenant = await services.discovery.onboarding(loggerFrom(context)).completeConsent({
      state: q('state'),
      tenant: q('tenant'),
      admin_consent: q('admin_consent'),
      error: q('error'),
      error_description: q('error_description'),
    });
    return {
      status: 200,
      headers: { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' },
      body: `${tenant.displayName} is connected. Discovery has started; you can close this window.`,
    };
  } catch (error) {
    if (!isAppError(error) || statusOf[error.code] === undefined) throw error;
    return {
      status: statusOf[error.code],
      headers: { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' },
      body: error.message,
    };
  }
}

app.http('graph-admin-consent', {
  methods: ['GET'],
  authLevel: 'anonymous',
  route: CONSENT_CALLBACK_ROUTE,
  handler: graphAdminConsent,
});
