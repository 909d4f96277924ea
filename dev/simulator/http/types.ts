/**
 * The simulator's transport-independent request and response. Handlers see these, never Node's
 * objects, so `$batch` can run items through the same pipeline as real HTTP requests.
 */
import type { Readable } from 'node:stream';

export interface SimRequest {
  method: string;
  /** Path as sent (percent-encoded), without the query string. */
  path: string;
  query: URLSearchParams;
  /** Header names lower-cased. */
  headers: Record<string, string>;
  body: Buffer;
  requestId: string;
  /** True for items of a `$batch` (no connection of their own). */
  inBatch?: boolean;
}

export type SimBody = Buffer | string | Readable;

export interface SimResponse {
  status: number;
  headers: Record<string, string>;
  body?: SimBody;
  /** Close the connection without an answer (a fault). */
  resetConnection?: boolean;
}

export function json(status: number, body: unknown, headers: Record<string, string> = {}): SimResponse {
  return {
    status,
    headers: {
      'content-type':
        'application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8',
      ...headers,
    },
    body: JSON.stringify(body),
  };
}

export function text(
  status: number,
  body: string | Buffer,
  contentType = 'text/plain',
  headers: Record<string, string> = {},
): SimResponse {
  return { status, headers: { 'content-type': contentType, ...headers }, body };
}

export function empty(status: number, headers: Record<string, string> = {}): SimResponse {
  return { status, headers };
}

export function html(status: number, body: string): SimResponse {
  return { status, headers: { 'content-type': 'text/html; charset=utf-8' }, body };
}

export function redirect(location: string, status = 302): SimResponse {
  return { status, headers: { location } };
}
