/**
 * The shape of a Graph route and the helpers collection endpoints share: resolving the query
 * (from the request, or from the skip token that sealed it), and paging a list with an absolute
 * `@odata.nextLink` that carries nothing but the token.
 */
import type { GraphCall } from '../context';
import type { DenyStyle } from '../auth/graph-auth';
import { GraphError } from '../http/errors';
import { type ListQuery, pageSizeFor, parseListQuery, tokenLink } from '../http/odata';
import type { SimResponse } from '../http/types';
import { json } from '../http/types';
import type { Router } from '../http/router';

export interface GraphRoute {
  /** Application roles that allow the call (any of them). */
  roles: string[];
  deny: DenyStyle;
  /** Route parameter naming the mailbox, for Outlook's per-app-per-mailbox throttling. */
  mailbox?: string;
  handle(call: GraphCall): Promise<SimResponse> | SimResponse;
}

export type GraphRouter = Router<GraphRoute>;

interface ListToken {
  k: 'list';
  t: string;
  p: string;
  o: number;
  q: ListQuery;
}

/** The query of a list request: sealed in `$skiptoken` when following a nextLink. */
export function listQuery(call: GraphCall): { query: ListQuery; offset: number } {
  const raw = call.req.query.get('$skiptoken');
  if (raw === null) return { query: parseListQuery(call.req), offset: 0 };
  const token = call.sim.state.tokens.open<ListToken>(raw);
  if (!token || token.k !== 'list' || token.t !== call.tenant.id || token.p !== call.req.path) {
    throw new GraphError(400, 'BadRequest', 'The provided skip token is invalid.');
  }
  return { query: token.q, offset: token.o };
}

export interface PageOptions {
  default: number;
  max: number;
  context: string;
  /** Appended after `value` on every page (e.g. `@odata.count` on the first). */
  extra?: Record<string, unknown>;
}

export function pagedList<T>(
  call: GraphCall,
  query: ListQuery,
  offset: number,
  items: T[],
  render: (item: T) => unknown,
  options: PageOptions,
): SimResponse {
  const { size, preferenceApplied } = pageSizeFor(call.req, query, options);
  const page = items.slice(offset, offset + size);
  const body: Record<string, unknown> = { '@odata.context': options.context };
  if (query.count && offset === 0) body['@odata.count'] = items.length;
  if (offset + size < items.length) {
    const token = call.sim.state.tokens.seal({
      k: 'list',
      t: call.tenant.id,
      p: call.req.path,
      o: offset + size,
      q: query,
    } satisfies ListToken);
    body['@odata.nextLink'] = tokenLink(call.sim.baseUrl, call.req.path, '$skiptoken', token);
  }
  body['value'] = page.map(render);
  Object.assign(body, options.extra);
  const headers: Record<string, string> = preferenceApplied
    ? { 'preference-applied': `odata.maxpagesize=${size}` }
    : {};
  return json(200, body, headers);
}
