/**
 * Injected faults: the next N requests whose method and path (with query) match a rule answer a
 * status (optionally with Retry-After), have their connection reset, stall for a while before
 * being served, or find their target item gone ("vanish": deleted between listing and download).
 */
import { randomUUID } from 'node:crypto';

export type FaultKind = 'status' | 'reset' | 'stall' | 'vanish';

export interface FaultRule {
  id: string;
  kind: FaultKind;
  /** HTTP method to match (any when omitted). */
  method?: string;
  /** JavaScript regular expression (case-insensitive) tested against `path?query`. */
  path: string;
  /** Requests still to be affected. */
  remaining: number;
  status?: number;
  /** Seconds, sent as Retry-After with `status`. */
  retryAfter?: number;
  /** Error code and message of the Graph error body sent with `status`. */
  code?: string;
  message?: string;
  stallMs?: number;
  hits: number;
}

export type NewFault = Omit<FaultRule, 'id' | 'hits' | 'remaining'> & { count?: number };

export class Faults {
  private rules: FaultRule[] = [];

  add(spec: NewFault): FaultRule {
    new RegExp(spec.path, 'i'); // reject bad patterns at creation
    const rule: FaultRule = { ...spec, id: randomUUID(), remaining: spec.count ?? 1, hits: 0 };
    this.rules.push(rule);
    return rule;
  }

  list(): FaultRule[] {
    return this.rules;
  }

  remove(id: string): boolean {
    const before = this.rules.length;
    this.rules = this.rules.filter((r) => r.id !== id);
    return this.rules.length !== before;
  }

  clear(): void {
    this.rules = [];
  }

  /** The first live rule matching the request, consuming one of its uses. */
  take(method: string, pathAndQuery: string): FaultRule | undefined {
    for (const rule of this.rules) {
      if (rule.remaining <= 0) continue;
      if (rule.method && rule.method.toUpperCase() !== method.toUpperCase()) continue;
      if (!new RegExp(rule.path, 'i').test(pathAndQuery)) continue;
      rule.remaining -= 1;
      rule.hits += 1;
      return rule;
    }
    return undefined;
  }
}
