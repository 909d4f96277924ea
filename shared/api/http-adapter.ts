import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { authorize, resolveCaller, type Caller } from '../auth/caller';
import { refusalReason } from '../auth/token-verifier';
import { AppError, isAppError, type FieldProblem } from '../errors/app-error';
import { problemResponse } from '../http/problem';
import type { ApiRuntime } from './api-dependencies';
import { isStream, type ApiCall, type AuditNote, type Endpoint } from './endpoint';
import { invalid, parsePart } from './validation';

const DEFAULT_MAX_BODY = 64 * 1024;

/**
 * The client's address: the last `x-forwarded-for` entry (the one Azure's front end appended;
 * earlier entries are whatever the client claimed), without a port; `unknown` when absent (the v4
 * programming model does not expose the socket).
 */
export function clientAddress(headers: Headers): string {
  const forwarded = headers.get('x-forwarded-for');
  const last = forwarded?.split(',').pop()?.trim();
  if (!last) return 'unknown';
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(last);
  if (bracketed) return bracketed[1]!;
  return /^[\d.]+:\d+$/.test(last) ? last.slice(0, last.lastIndexOf(':')) : last;
}

const SECURITY_HEADERS = {
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
};

async function readJsonBody(request: HttpRequest, maxBytes: number): Promise<unknown> {
  const type = request.headers.get('content-type') ?? '';
  const length = Number(request.headers.get('content-length') ?? '0');
  if (Number.isFinite(length) && length > maxBytes) {
    throw new AppError('too-large', `The request body is larger than ${maxBytes} bytes.`);
  }
  const text = await request.text();
  if (text.length === 0 && !type) return undefined;
  if (!/^application\/([a-z0-9.+-]*\+)?json\s*(;|$)/i.test(type)) {
    throw new AppError('unsupported-media-type', 'Send the body as application/json.');
  }
  if (Buffer.byteLength(text, 'utf8') > maxBytes) {
    throw new AppError('too-large', `The request body is larger than ${maxBytes} bytes.`);
  }
  if (text.trim().length === 0) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw invalid([{ field: 'body', message: 'malformed JSON' }]);
  }
}

/**
 * The HTTP side of an endpoint: authenticate, resolve the caller (tenant onboarded?), count it
 * against its tenant's rate limit, authorise, validate every input, call the handler, filter the
 * response through its schema, and audit. Every failure leaves as problem+json.
 */
export function createHttpHandler(endpoint: Endpoint, runtime: () => ApiRuntime) {
  return async (request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> => {
    const rt = runtime();
    const address = clientAddress(request.headers);
    let caller: Caller | undefined;
    let audited = false;
    const note: AuditNote = {};
    const audit = async (status: number, error?: unknown) => {
      if (!endpoint.audit || !caller || audited) return;
      audited = true;
      const outcome = status < 400 ? 'succeeded' : status === 401 || status === 403 ? 'denied' : 'failed';
      const tenants = [caller.tenantId, ...(note.tenantId ? [note.tenantId] : [])];
      try {
        await rt.deps.audit.write(
          {
            at: rt.deps.clock.now().toISOString(),
            actor: { tenantId: caller.tenantId, userId: caller.userId, userName: caller.userName },
            address,
            action: endpoint.audit.action,
            target: note.target ?? (request.params.id ? request.params.id : null),
            outcome,
            status,
            details: {
              ...(note.details ?? {}),
              ...(isAppError(error) ? { error: error.code } : error ? { error: 'internal' } : {}),
            },
          },
          tenants,
        );
      } catch (auditError) {
        context.error('audit record not written', {
          action: endpoint.audit.action,
          tenantId: caller.tenantId,
          error: String(auditError),
        });
      }
    };

    try {
      if (endpoint.access !== 'public') {
        let token;
        try {
          token = await rt.verifier.verify(request.headers.get('authorization'));
        } catch (error) {
          context.log('api: token refused', {
            operation: endpoint.operationId,
            reason: refusalReason(error),
          });
          throw error;
        }
        caller = await resolveCaller(token, rt.directory, rt.providerTenantId);
        rt.rateLimiter.take(caller.tenantId);
        authorize(caller, endpoint.access);
      }

      const problems: FieldProblem[] = [];
      const params = parsePart('params', endpoint.params, { ...request.params }, problems);
      const query = parsePart('query', endpoint.query, Object.fromEntries(request.query.entries()), problems);
      let body: unknown;
      if (endpoint.body) {
        const raw = await readJsonBody(request, endpoint.maxBodyBytes ?? DEFAULT_MAX_BODY);
        if (raw === undefined) problems.push({ field: 'body', message: 'a JSON body is required' });
        else body = parsePart('body', endpoint.body, raw, problems);
      }
      if (problems.length > 0) throw invalid(problems);

      const call: ApiCall<unknown, unknown, unknown> = {
        params,
        query,
        body,
        caller: caller!,
        address,
        deps: rt.deps,
        audit: note,
      };
      const result = await endpoint.handler(call);
      if (isStream(result)) {
        await audit(200);
        return { status: 200, headers: { ...SECURITY_HEADERS, ...result.headers }, body: result.stream };
      }
      const spec = endpoint.response;
      const status = result.status ?? spec.status;
      const out = 'schema' in spec ? spec.schema.parse(result.body) : result.body;
      await audit(status);
      return {
        status,
        headers: {
          'content-type': 'application/json; charset=utf-8',
          ...SECURITY_HEADERS,
          ...result.headers,
        },
        body: JSON.stringify(out),
      };
    } catch (error) {
      if (!isAppError(error)) {
        context.error('api: unexpected error', {
          operation: endpoint.operationId,
          tenantId: caller?.tenantId,
          error:
            error instanceof Error ? `${error.name}: ${error.message}\n${error.stack ?? ''}` : String(error),
        });
      }
      const response = problemResponse(error, new URL(request.url).pathname);
      if (isAppError(error) && error.code === 'unauthenticated') {
        response.headers = {
          ...(response.headers as Record<string, string>),
          'www-authenticate': 'Bearer error="invalid_token"',
        };
      }
      response.headers = { ...(response.headers as Record<string, string>), ...SECURITY_HEADERS };
      await audit(response.status ?? 500, error);
      return response;
    }
  };
}

let streamingEnabled = false;

/** Registers each endpoint as an HTTP function (anonymous at the host: the API checks tokens itself). */
export function registerEndpoints(endpoints: readonly Endpoint[], runtime: () => ApiRuntime): void {
  if (!streamingEnabled) {
    // Downloads stream through the host's HTTP proxy instead of being buffered in memory.
    app.setup({ enableHttpStream: true });
    streamingEnabled = true;
  }
  for (const endpoint of endpoints) {
    app.http(endpoint.operationId, {
      methods: [endpoint.method],
      authLevel: 'anonymous',
      route: endpoint.route,
      handler: createHttpHandler(endpoint, runtime),
    });
  }
}
