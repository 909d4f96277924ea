/**
 * Graph's error shape: `{"error":{"code","message","innerError":{"date","request-id","client-request-id"}}}`.
 * Handlers throw `GraphError`; the pipeline renders it with the request's ids.
 */
import type { SimRequest, SimResponse } from './types';
import { json } from './types';

export class GraphError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
    /** Extra members of innerError (throttling adds code/status/message). */
    readonly inner: Record<string, string> = {},
  ) {
    super(message);
  }
}

/** Graph's innerError date: UTC, seconds precision, no zone designator. */
export function graphDate(now: Date): string {
  return now.toISOString().slice(0, 19);
}

export function renderGraphError(error: GraphError, req: SimRequest, now: Date): SimResponse {
  const innerError: Record<string, string> = { date: graphDate(now), 'request-id': req.requestId };
  // Graph echoes the caller's client-request-id, or repeats its own request id.
  innerError['client-request-id'] = req.headers['client-request-id'] ?? req.requestId;
  return json(
    error.status,
    { error: { code: error.code, message: error.message, innerError: { ...innerError, ...error.inner } } },
    error.headers,
  );
}

export const notFound = {
  directory: (id: string) =>
    new GraphError(
      404,
      'Request_ResourceNotFound',
      `Resource '${id}' does not exist or one of its queried reference-property objects are not present.`,
    ),
  outlook: () => new GraphError(404, 'ErrorItemNotFound', 'The specified object was not found in the store.'),
  drive: () => new GraphError(404, 'itemNotFound', 'Item not found'),
  segment: (segment: string) =>
    new GraphError(400, 'BadRequest', `Resource not found for the segment '${segment}'.`),
};

export const badRequest = (message: string, code = 'BadRequest') => new GraphError(400, code, message);
