/**
 * The delta engine shared by every delta function. A round covers the changes with sequence
 * numbers in (since, upto]; `upto` is fixed when the round starts, so changes made while a client
 * pages are reported in the next round, never lost. Pages are cut by a (seq, id) cursor sealed in
 * the skip token with the original query; the deltaLink's token starts the next round at `upto`.
 */
import type { SimContext } from '../context';
import { GraphError } from '../http/errors';
import type { ListQuery } from '../http/odata';

export interface DeltaToken {
  /** Kind of feed (users, groups, drive, messages, folders). */
  k: string;
  /** Tenant and resource the token belongs to. */
  t: string;
  r: string;
  /** Epoch of the resource when the token was issued; a bump invalidates it. */
  e: number;
  s: number;
  u: number;
  /** Cursor within the round. */
  cs: number;
  ci: string;
  q: ListQuery;
  /** Custom options (changeType, …). */
  x?: Record<string, string>;
  /** Issued at (ms). */
  i: number;
  /** 'skip' tokens continue a round, 'delta' tokens start the next. */
  m: 'skip' | 'delta';
}

export interface DeltaEntry<T> {
  seq: number;
  id: string;
  removed?: 'changed' | 'deleted';
  value: T;
}

export function pageOf<T>(
  entries: DeltaEntry<T>[],
  token: DeltaToken,
  size: number,
): { page: DeltaEntry<T>[]; last?: DeltaEntry<T>; done: boolean } {
  const candidates = entries
    .filter((e) => e.seq > token.s && e.seq <= token.u)
    .filter((e) => e.seq > token.cs || (e.seq === token.cs && e.id > token.ci))
    .sort((a, b) => a.seq - b.seq || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const page = candidates.slice(0, size);
  return { page, last: page[page.length - 1], done: candidates.length <= size };
}

/** Starts a round: no token (initial, since 0), or the round after a deltaLink. */
export function startRound(
  sim: SimContext,
  base: Omit<DeltaToken, 's' | 'u' | 'cs' | 'ci' | 'i' | 'm'>,
  since: number,
): DeltaToken {
  return {
    ...base,
    s: since,
    u: sim.state.currentSeq,
    cs: 0,
    ci: '',
    i: sim.state.now().getTime(),
    m: 'skip',
  };
}

export interface OpenedToken {
  token: DeltaToken;
  /** True when the request continued a round (skip token), false when it starts one from a deltaLink. */
  continuing: boolean;
}

/**
 * Opens a token from the request (`$skiptoken`, `$deltatoken`, or drive's `token`), checking it
 * belongs to this feed. Returns undefined when the request carries no token.
 */
export function openToken(
  sim: SimContext,
  raw: string | null,
  kind: string,
  tenantId: string,
  resource: string,
): DeltaToken | undefined {
  if (raw === null) return undefined;
  const token = sim.state.tokens.open<DeltaToken>(raw);
  if (!token || token.k !== kind || token.t !== tenantId || token.r !== resource) {
    throw new GraphError(400, 'BadRequest', 'The provided delta or skip token is invalid.');
  }
  return token;
}

/** The token that continues the round after `last`, or the one that starts the next round. */
export function continuation(
  sim: SimContext,
  token: DeltaToken,
  last: DeltaEntry<unknown> | undefined,
  done: boolean,
): { name: 'next' | 'delta'; token: string } {
  if (done) {
    return {
      name: 'delta',
      token: sim.state.tokens.seal({
        ...token,
        s: token.u,
        u: token.u,
        cs: 0,
        ci: '',
        m: 'delta',
        i: sim.state.now().getTime(),
      }),
    };
  }
  return {
    name: 'next',
    token: sim.state.tokens.seal({
      ...token,
      cs: last?.seq ?? token.cs,
      ci: last?.id ?? token.ci,
      m: 'skip',
    }),
  };
}

/** After a deltaLink token is opened: the next round covers (previous upto, now]. */
export function nextRound(sim: SimContext, token: DeltaToken): DeltaToken {
  if (token.m === 'delta')
    return {
      ...token,
      s: token.u,
      u: sim.state.currentSeq,
      cs: 0,
      ci: '',
      i: sim.state.now().getTime(),
      m: 'skip',
    };
  return token;
}
