/**
 * Structural comparison of a simulator answer with a Microsoft sample: every key of the sample
 * must be present with the same JSON type, recursively for objects and for the first element of
 * arrays. A `null` in a sample says nothing about the type, so it matches anything. Arrays of
 * primitives may be empty in the answer.
 */
export type JsonType = 'null' | 'array' | 'object' | 'string' | 'number' | 'boolean';

export function jsonType(value: unknown): JsonType {
  if (value === null || value === undefined) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value as JsonType;
}

export interface ShapeOptions {
  /** Paths not compared (each use says why). */
  ignore?: string[];
  /** Accept null where the sample has a string, number or boolean (placeholder samples). */
  nullableScalars?: boolean;
}

export function shapeProblems(
  sample: unknown,
  actual: unknown,
  options: ShapeOptions = {},
  path = '$',
): string[] {
  const ignore = options.ignore ?? [];
  if (ignore.includes(path)) return [];
  const expected = jsonType(sample);
  if (expected === 'null') return [];
  const got = jsonType(actual);
  if (got === 'null' && options.nullableScalars && ['string', 'number', 'boolean'].includes(expected))
    return [];
  if (expected !== got) return [`${path}: expected ${expected}, got ${got}`];
  if (expected === 'array') {
    const s = sample as unknown[];
    const a = actual as unknown[];
    if (s.length === 0) return [];
    const first = s[0];
    if (a.length === 0)
      return jsonType(first) === 'object' || jsonType(first) === 'array'
        ? [`${path}: expected a non-empty array`]
        : [];
    return shapeProblems(first, a[0], options, `${path}[0]`);
  }
  if (expected === 'object') {
    const problems: string[] = [];
    const a = actual as Record<string, unknown>;
    for (const [key, value] of Object.entries(sample as Record<string, unknown>)) {
      const child = `${path}.${key}`;
      if (ignore.includes(child)) continue;
      if (!(key in a)) problems.push(`${child}: missing`);
      else problems.push(...shapeProblems(value, a[key], options, child));
    }
    return problems;
  }
  return [];
}
