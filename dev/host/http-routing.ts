/**
 * ASP.NET-style route templates as the Functions host reads an HTTP trigger's `route`: literal
 * segments (case-insensitive), `{name}`, optional `{name?}`, catch-all `{*rest}`, defaults
 * `{name=value}` and constraints `{id:int}`, `{flag:bool}`, `{id:guid}`, `{name:alpha}`,
 * `{n:long}`, `{x:double}`, `{x:minlength(2)}`, `{x:maxlength(9)}`, `{x:length(4)}`,
 * `{n:min(1)}`, `{n:max(9)}`, `{n:range(1,9)}`, `{x:regex(^a+$)}`.
 */
export interface CompiledRoute {
  template: string;
  regex: RegExp;
  params: { name: string; constraints: string[]; defaultValue?: string }[];
  /** Sort key: more specific templates are tried first, as ASP.NET orders them. */
  precedence: number[];
}

const PARAM = /\{([^{}]+)\}/g;

export function compileRoute(template: string): CompiledRoute {
  const trimmed = template.replace(/^\/+|\/+$/g, '');
  const params: CompiledRoute['params'] = [];
  const precedence: number[] = [];
  let source = '';
  for (const segment of trimmed === '' ? [] : trimmed.split('/')) {
    const whole = /^\{([^{}]+)\}$/.exec(segment);
    if (whole) {
      const param = parseParam(whole[1]!, template);
      params.push(param);
      const capture = param.catchAll ? '(.*)' : '([^/]+)';
      if (param.optional || param.defaultValue !== undefined || param.catchAll) {
        source += `(?:/${capture})?`;
        precedence.push(param.catchAll ? 5 : 4);
      } else {
        source += `/${capture}`;
        precedence.push(param.constraints.length > 0 ? 2 : 3);
      }
      continue;
    }
    // A literal segment, possibly with parameters inside it (`file.{ext}`).
    let segmentSource = '';
    let last = 0;
    let hasParam = false;
    for (const match of segment.matchAll(PARAM)) {
      segmentSource += escapeRegex(segment.slice(last, match.index));
      const param = parseParam(match[1]!, template);
      params.push(param);
      segmentSource += '([^/]+?)';
      last = match.index! + match[0].length;
      hasParam = true;
    }
    segmentSource += escapeRegex(segment.slice(last));
    source += `/${segmentSource}`;
    precedence.push(hasParam ? 2 : 1);
  }
  return {
    template,
    regex: new RegExp(`^${source}/?$`, 'i'),
    params: params.map(({ name, constraints, defaultValue }) => ({ name, constraints, defaultValue })),
    precedence,
  };
}

function parseParam(spec: string, template: string) {
  let text = spec;
  const catchAll = text.startsWith('*');
  if (catchAll) text = text.replace(/^\*+/, '');
  let defaultValue: string | undefined;
  const eq = text.indexOf('=');
  if (eq >= 0) {
    defaultValue = text.slice(eq + 1);
    text = text.slice(0, eq);
  }
  const optional = text.endsWith('?');
  if (optional) text = text.slice(0, -1);
  const [name, ...constraints] = splitConstraints(text);
  if (!name) throw new Error(`Route template '${template}' has an empty parameter name`);
  return { name, constraints, optional, catchAll, defaultValue };
}

/** Splits `id:regex(^a:b$):int` on colons outside parentheses. */
function splitConstraints(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let current = '';
  for (const c of text) {
    if (c === '(') depth++;
    if (c === ')') depth--;
    if (c === ':' && depth === 0) {
      parts.push(current);
      current = '';
    } else current += c;
  }
  parts.push(current);
  return parts;
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Matches a path (after the route prefix, starting with `/` or empty) against a compiled route. */
export function matchRoute(route: CompiledRoute, path: string): Record<string, string> | undefined {
  const match = route.regex.exec(path === '/' ? '' : path);
  if (!match) return undefined;
  const values: Record<string, string> = {};
  for (const [index, param] of route.params.entries()) {
    const raw = match[index + 1];
    let value: string | undefined;
    if (raw !== undefined && raw !== '') {
      try {
        value = decodeURIComponent(raw);
      } catch {
        return undefined;
      }
    } else value = param.defaultValue;
    if (value === undefined) continue;
    if (!param.constraints.every((c) => satisfies(c, value))) return undefined;
    values[param.name] = value;
  }
  return values;
}

function satisfies(constraint: string, value: string): boolean {
  const call = /^(\w+)(?:\((.*)\))?$/s.exec(constraint);
  if (!call) return true;
  const [, name, arg = ''] = call;
  const num = Number(value);
  switch (name!.toLowerCase()) {
    case 'int':
      return /^-?\d+$/.test(value) && Math.abs(num) <= 2 ** 31;
    case 'long':
      return /^-?\d+$/.test(value);
    case 'double':
    case 'decimal':
    case 'float':
      return value.trim() !== '' && Number.isFinite(num);
    case 'bool':
      return /^(true|false)$/i.test(value);
    case 'guid':
      return /^\{?[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}\}?$/i.test(value);
    case 'alpha':
      return /^[a-z]+$/i.test(value);
    case 'datetime':
      return !Number.isNaN(Date.parse(value));
    case 'minlength':
      return value.length >= Number(arg);
    case 'maxlength':
      return value.length <= Number(arg);
    case 'length': {
      const [min, max] = arg.split(',').map(Number);
      return max === undefined ? value.length === min : value.length >= min! && value.length <= max;
    }
    case 'min':
      return Number.isFinite(num) && num >= Number(arg);
    case 'max':
      return Number.isFinite(num) && num <= Number(arg);
    case 'range': {
      const [min, max] = arg.split(',').map(Number);
      return Number.isFinite(num) && num >= min! && num <= max!;
    }
    case 'regex':
      return new RegExp(arg, 'i').test(value);
    case 'required':
      return value !== '';
    default:
      return true;
  }
}

/** Orders routes so the most specific template wins (literals before parameters before catch-alls). */
export function comparePrecedence(a: CompiledRoute, b: CompiledRoute): number {
  for (let i = 0; i < Math.max(a.precedence.length, b.precedence.length); i++) {
    const x = a.precedence[i] ?? 0;
    const y = b.precedence[i] ?? 0;
    if (x !== y) return x - y;
  }
  return 0;
}
