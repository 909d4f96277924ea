import type { Readable } from 'node:stream';
import type { z } from 'zod';
import type { Access, Caller } from '../auth/caller';
import type { ErrorCode } from '../errors/app-error';
import type { ApiDependencies } from './api-dependencies';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** What a handler may set so the audit record says what was touched. */
export interface AuditNote {
  /** What the action was applied to (an id, a name). */
  target?: string;
  /** A tenant, other than the caller's, whose audit trail also gets the record (operator actions). */
  tenantId?: string;
  /** A few non-secret facts (e.g. the new status). */
  details?: Record<string, string | number | boolean | null>;
}

export interface ApiCall<P, Q, B> {
  params: P;
  query: Q;
  body: B;
  /** Absent only on public endpoints. */
  caller: Caller;
  /** Client address (see docs/api.md: x-forwarded-for). */
  address: string;
  deps: ApiDependencies;
  audit: AuditNote;
}

/** A JSON result; `status` defaults to the endpoint's declared success status. */
export interface JsonResult<R> {
  status?: number;
  body: R;
  headers?: Record<string, string>;
}

/** A streamed download. */
export interface StreamResult {
  stream: Readable;
  headers: Record<string, string>;
}

export type SuccessStatus = 200 | 201 | 202;

export type ResponseSpec<R extends z.ZodType> =
  | { status: SuccessStatus; description: string; schema: R }
  | { status: 200; description: string; stream: { contentType: string } };

/**
 * One endpoint, declared once: it registers the Azure Function and feeds the OpenAPI document.
 * Inputs are zod schemas (params and query are strings on the wire: coerce there); the response
 * schema both documents and filters what leaves (unknown fields are stripped).
 */
export interface EndpointSpec<
  P extends z.ZodType,
  Q extends z.ZodType,
  B extends z.ZodType,
  R extends z.ZodType,
> {
  /** Function name and OpenAPI operationId (camelCase, unique). */
  operationId: string;
  method: HttpMethod;
  /** Route under the host's prefix (`api`), e.g. `v1/resources/{id}`. */
  route: string;
  summary: string;
  description?: string;
  tag: string;
  access: Access;
  params?: P;
  query?: Q;
  body?: B;
  response: ResponseSpec<R>;
  /** Further errors the handler can answer, beyond those the platform adds. */
  errors?: ErrorCode[];
  /** Writes an audit record with this action name for every authenticated attempt. */
  audit?: { action: string };
  /** Largest JSON body accepted (default 64 KiB). */
  maxBodyBytes?: number;
  handler: (
    call: ApiCall<z.output<P>, z.output<Q>, z.output<B>>,
  ) => Promise<JsonResult<z.input<R>> | StreamResult>;
}

/** The erased form the registry, the HTTP adapter and the OpenAPI generator work with. */
export type Endpoint = EndpointSpec<z.ZodType, z.ZodType, z.ZodType, z.ZodType>;

export function defineEndpoint<
  P extends z.ZodType = z.ZodUndefined,
  Q extends z.ZodType = z.ZodUndefined,
  B extends z.ZodType = z.ZodUndefined,
  R extends z.ZodType = z.ZodUnknown,
>(spec: EndpointSpec<P, Q, B, R>): Endpoint {
  return spec as unknown as Endpoint;
}

export function isStream(result: JsonResult<unknown> | StreamResult): result is StreamResult {
  return 'stream' in result;
}

/** Errors the platform itself can answer for an endpoint. */
export function errorsOf(endpoint: Endpoint): ErrorCode[] {
  const codes = new Set<ErrorCode>(endpoint.errors ?? []);
  if (endpoint.params || endpoint.query || endpoint.body) codes.add('invalid');
  if (endpoint.access !== 'public') {
    codes.add('unauthenticated');
    codes.add('forbidden');
    codes.add('throttled');
  }
  if (endpoint.params) codes.add('not-found');
  if (endpoint.body) {
    codes.add('too-large');
    codes.add('unsupported-media-type');
  }
  codes.add('internal');
  return [...codes];
}
