/**
 * The OData `$filter` subset Graph's directory and Outlook APIs accept and the service uses:
 * comparisons (eq, ne, gt, ge, lt, le) with string, number, boolean, null and date literals,
 * `startswith(prop,'x')`, `prop in ('a','b')`, lambda `coll/any(c:c eq 'x')`, `and`, `or`, `not`
 * and parentheses. Properties are read through a getter so each resource decides what is
 * filterable.
 */
import { GraphError } from '../http/errors';

type Value = string | number | boolean | null | Value[] | undefined;
export type Getter = (property: string) => Value;
type Predicate = (get: Getter) => boolean;

class Parser {
  private pos = 0;
  constructor(
    private readonly text: string,
    private readonly known: (p: string) => boolean,
    private readonly typeName: string,
  ) {}

  parse(): Predicate {
    const expr = this.or();
    this.ws();
    if (this.pos < this.text.length) throw this.error();
    return expr;
  }

  private error(): GraphError {
    return new GraphError(
      400,
      'BadRequest',
      `Invalid filter clause: syntax error at position ${this.pos} in '${this.text}'.`,
    );
  }

  private ws(): void {
    while (this.pos < this.text.length && /\s/.test(this.text[this.pos]!)) this.pos++;
  }

  private keyword(word: string): boolean {
    this.ws();
    const slice = this.text.slice(this.pos, this.pos + word.length);
    const after = this.text[this.pos + word.length];
    if (slice.toLowerCase() === word && (after === undefined || /[\s(]/.test(after))) {
      this.pos += word.length;
      return true;
    }
    return false;
  }

  private or(): Predicate {
    let left = this.and();
    while (this.keyword('or')) {
      const l = left;
      const r = this.and();
      left = (g) => l(g) || r(g);
    }
    return left;
  }

  private and(): Predicate {
    let left = this.unary();
    while (this.keyword('and')) {
      const l = left;
      const r = this.unary();
      left = (g) => l(g) && r(g);
    }
    return left;
  }

  private unary(): Predicate {
    if (this.keyword('not')) {
      const inner = this.unary();
      return (g) => !inner(g);
    }
    this.ws();
    if (this.text[this.pos] === '(') {
      this.pos++;
      const inner = this.or();
      this.ws();
      if (this.text[this.pos] !== ')') throw this.error();
      this.pos++;
      return inner;
    }
    return this.comparison();
  }

  private identifier(): string {
    this.ws();
    const m = /^[A-Za-z_][A-Za-z0-9_./]*/.exec(this.text.slice(this.pos));
    if (!m) throw this.error();
    this.pos += m[0].length;
    return m[0];
  }

  private literal(): Value {
    this.ws();
    const rest = this.text.slice(this.pos);
    let m: RegExpExecArray | null;
    if ((m = /^'((?:[^']|'')*)'/.exec(rest))) {
      this.pos += m[0].length;
      return m[1]!.replace(/''/g, "'");
    }
    if ((m = /^\d{4}-\d{2}-\d{2}T[0-9:.]+(Z|[+-]\d{2}:\d{2})?/.exec(rest))) {
      this.pos += m[0].length;
      return new Date(m[0]).toISOString();
    }
    if ((m = /^-?\d+(\.\d+)?/.exec(rest))) {
      this.pos += m[0].length;
      return Number(m[0]);
    }
    if ((m = /^(true|false|null)\b/i.exec(rest))) {
      this.pos += m[0].length;
      const word = m[0].toLowerCase();
      return word === 'null' ? null : word === 'true';
    }
    throw this.error();
  }

  private property(name: string): string {
    const root = name.split('/')[0]!;
    if (!this.known(root)) {
      throw new GraphError(
        400,
        'BadRequest',
        `Could not find a property named '${root}' on type '${this.typeName}'.`,
      );
    }
    return name;
  }

  private comparison(): Predicate {
    const name = this.identifier();
    this.ws();
    if (name.toLowerCase() === 'startswith' || name.toLowerCase() === 'endswith') {
      if (this.text[this.pos] !== '(') throw this.error();
      this.pos++;
      const prop = this.property(this.identifier());
      this.ws();
      if (this.text[this.pos] !== ',') throw this.error();
      this.pos++;
      const value = String(this.literal()).toLowerCase();
      this.ws();
      if (this.text[this.pos] !== ')') throw this.error();
      this.pos++;
      const starts = name.toLowerCase() === 'startswith';
      return (g) => {
        const v = g(prop);
        if (typeof v !== 'string') return false;
        return starts ? v.toLowerCase().startsWith(value) : v.toLowerCase().endsWith(value);
      };
    }
    const lambda = /^(.*)\/(any|all)$/i.exec(name);
    if (lambda && this.text[this.pos] === '(') {
      const prop = this.property(lambda[1]!);
      this.pos++;
      const variable = this.identifier();
      this.ws();
      if (this.text[this.pos] !== ':') throw this.error();
      this.pos++;
      const inner = this.comparisonOn(variable);
      this.ws();
      if (this.text[this.pos] !== ')') throw this.error();
      this.pos++;
      const isAny = lambda[2]!.toLowerCase() === 'any';
      return (g) => {
        const coll = g(prop);
        if (!Array.isArray(coll)) return false;
        return isAny ? coll.some((v) => inner(v)) : coll.every((v) => inner(v));
      };
    }
    const prop = this.property(name);
    if (this.keyword('in')) {
      this.ws();
      if (this.text[this.pos] !== '(') throw this.error();
      this.pos++;
      const values: Value[] = [];
      for (;;) {
        values.push(this.literal());
        this.ws();
        if (this.text[this.pos] === ',') {
          this.pos++;
          continue;
        }
        if (this.text[this.pos] === ')') {
          this.pos++;
          break;
        }
        throw this.error();
      }
      return (g) => values.some((v) => equal(g(prop), v));
    }
    const op = this.operator();
    const value = this.literal();
    return (g) => compare(g(prop), op, value);
  }

  /** `c eq 'x'` inside a lambda, where `c` is the element. */
  private comparisonOn(variable: string): (element: Value) => boolean {
    const name = this.identifier();
    if (name !== variable) throw this.error();
    const op = this.operator();
    const value = this.literal();
    return (element) => compare(element, op, value);
  }

  private operator(): string {
    for (const op of ['eq', 'ne', 'ge', 'gt', 'le', 'lt']) if (this.keyword(op)) return op;
    throw this.error();
  }
}

function equal(a: Value, b: Value): boolean {
  if (typeof a === 'string' && typeof b === 'string') return a.toLowerCase() === b.toLowerCase();
  return (a ?? null) === (b ?? null);
}

function compare(a: Value, op: string, b: Value): boolean {
  if (op === 'eq') return equal(a, b);
  if (op === 'ne') return !equal(a, b);
  if (a === null || a === undefined || b === null || b === undefined) return false;
  const x = typeof a === 'string' && typeof b === 'string' && /^\d{4}-/.test(a) ? new Date(a).getTime() : a;
  const y = typeof a === 'string' && typeof b === 'string' && /^\d{4}-/.test(b) ? new Date(b).getTime() : b;
  if (op === 'gt') return x > y;
  if (op === 'ge') return x >= y;
  if (op === 'lt') return x < y;
  return x <= y;
}

export function compileFilter(
  text: string,
  known: (property: string) => boolean,
  typeName: string,
): Predicate {
  return new Parser(text, known, typeName).parse();
}

/** A case-insensitive property getter over an entity (nested paths with `/`). */
export function getterFor(entity: Record<string, unknown>): Getter {
  return (property) => {
    let current: unknown = entity;
    for (const part of property.split('/')) {
      if (!current || typeof current !== 'object') return undefined;
      const obj = current as Record<string, unknown>;
      const key = Object.keys(obj).find((k) => k.toLowerCase() === part.toLowerCase());
      current = key === undefined ? undefined : obj[key];
    }
    return current as Value;
  };
}
