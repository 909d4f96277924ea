/**
 * OData conventions Graph follows: `$select`, page sizes from `$top` and `Prefer:
 * odata.maxpagesize`, `Prefer` parsing, `@odata.context` values and absolute next/delta links.
 */
import type { SimRequest } from './types';
import { GraphError } from './errors';

/** The query options a collection request may carry; sealed into skip and delta tokens. */
export interface ListQuery {
  select?: string[];
  top?: number;
  filter?: string;
  count?: boolean;
  search?: string;
  expand?: string;
}

export function parsePrefer(req: SimRequest): Map<string, string> {
  const prefs = new Map<string, string>();
  const raw = req.headers['prefer'];
  if (!raw) return prefs;
  for (const part of raw.split(',')) {
    const [name, ...rest] = part.trim().split('=');
    if (!name) continue;
    prefs.set(name.trim().toLowerCase(), rest.join('=').trim().replace(/^"|"$/g, ''));
  }
  return prefs;
}

export function wantsImmutableIds(req: SimRequest): boolean {
  return (parsePrefer(req).get('idtype') ?? '').toLowerCase() === 'immutableid';
}

export function parseListQuery(req: SimRequest): ListQuery {
  const q = req.query;
  const query: ListQuery = {};
  const select = q.get('$select') ?? q.get('select');
  if (select)
    query.select = select
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
  const top = q.get('$top') ?? q.get('top');
  if (top !== null) {
    const n = Number(top);
    if (!Number.isInteger(n) || n < 0)
      throw new GraphError(400, 'BadRequest', `Invalid value '${top}' for $top.`);
    query.top = n;
  }
  const filter = q.get('$filter') ?? q.get('filter');
  if (filter) query.filter = filter;
  const count = q.get('$count');
  if (count === 'true') query.count = true;
  const search = q.get('$search') ?? q.get('search');
  if (search) query.search = search;
  const expand = q.get('$expand') ?? q.get('expand');
  if (expand) query.expand = expand;
  return query;
}

/**
 * The page size for a request: `$top` (clamped to `max`), else `Prefer: odata.maxpagesize`, else
 * the default. Returns whether the preference was applied (Graph echoes `Preference-Applied`).
 */
export function pageSizeFor(
  req: SimRequest,
  query: ListQuery,
  limits: { default: number; max: number },
): { size: number; preferenceApplied: boolean } {
  if (query.top !== undefined)
    return { size: Math.max(1, Math.min(query.top, limits.max)), preferenceApplied: false };
  const pref = parsePrefer(req).get('odata.maxpagesize');
  if (pref) {
    const n = Number(pref);
    if (Number.isInteger(n) && n > 0) return { size: Math.min(n, limits.max), preferenceApplied: true };
  }
  return { size: limits.default, preferenceApplied: false };
}

/** Keeps the selected properties (and every `@odata.*` annotation); `id` is always kept. */
export function applySelect<T extends object>(
  entity: T,
  select: string[] | undefined,
  keep: string[] = ['id'],
): Partial<T> {
  if (!select || select.length === 0 || select.includes('*')) return entity;
  const wanted = new Set([...select.map((s) => s.toLowerCase()), ...keep.map((k) => k.toLowerCase())]);
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(entity)) {
    if (key.startsWith('@') || wanted.has(key.toLowerCase())) out[key] = value;
  }
  return out as Partial<T>;
}

export function contextUrl(graphBase: string, fragment: string): string {
  return `${graphBase}/$metadata#${fragment}`;
}

/** `users(displayName,mail)` when a select is given, as Graph writes contexts of projected sets. */
export function projectedContext(graphBase: string, set: string, select: string[] | undefined): string {
  if (!select || select.length === 0) return contextUrl(graphBase, set);
  return contextUrl(graphBase, `${set}(${select.join(',')})`);
}

/** Link to `path` on the simulator carrying only one token parameter. */
export function tokenLink(graphBase: string, path: string, name: string, token: string): string {
  return `${graphBase}${path}?${name}=${encodeURIComponent(token)}`;
}
