import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { checkHealth } from '../shared/health/health';
import { services } from '../shared/runtime/services';

/** Liveness and dependency health for load balancers and the on-call engineer. */
export async function health(_request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  const report = await checkHealth({ storage: services.healthStorage, version: services.version });
  if (report.status !== 'healthy') {
    context.warn('health: storage not answering', { failing: report.failing });
  }
  return {
    status: report.status === 'healthy' ? 200 : 503,
    headers: { 'cache-control': 'no-store' },
    jsonBody: report,
  };
}

app.http('health', { methods: ['GET'], authLevel: 'anonymous', route: 'health', handler: health });
