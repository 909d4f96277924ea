/**
 * Graph path normalisation and matching. Graph accepts several spellings of one resource:
 * `mailFolders('inbox')` and `mailFolders/inbox`, `delta` and `microsoft.graph.delta`, and drive
 * item paths `root:/a/b.txt:/content`. Paths are normalised to plain segments first (a drive path
 * becomes the two segments `$path`, `a/b.txt`), then matched against `{param}` patterns; a final
 * `{*rest}` captures the remaining segments.
 */

export function graphSegments(rawPath: string): string[] {
  let head = rawPath;
  let drivePath: string | undefined;
  let tail = '';
  const m = /^(.*?\/(?:root|items\/[^/]+)):(\/[^:]*)?(?::(\/.*)?)?$/.exec(rawPath);
  if (m) {
    head = m[1]!;
    drivePath = m[2] ?? '';
    tail = m[3] ?? '';
  }
  const split = (p: string) =>
    p
      .split('/')
      .filter(Boolean)
      .flatMap((segment) => {
        const decoded = safeDecode(segment);
        const key = /^([^(]+)\('?([^')]*)'?\)$/.exec(decoded);
        const parts = key ? [key[1]!, key[2]!] : [decoded];
        return parts.map((s) => s.replace(/^microsoft\.graph\./i, ''));
      });
  const segments = split(head);
  if (drivePath !== undefined) {
    segments.push('$path', drivePath.split('/').filter(Boolean).map(safeDecode).join('/'));
    segments.push(...split(tail));
  }
  return segments;
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

export interface Route<H> {
  method: string;
  pattern: string[];
  handler: H;
}

export class Router<H> {
  private readonly routes: Route<H>[] = [];

  add(method: string, pattern: string, handler: H): void {
    this.routes.push({ method, pattern: pattern.split('/').filter(Boolean), handler });
  }

  match(
    method: string,
    segments: string[],
  ): { handler: H; params: Record<string, string> } | 'method-not-allowed' | undefined {
    let methodMismatch = false;
    for (const route of this.routes) {
      const params = matchPattern(route.pattern, segments);
      if (!params) continue;
      if (route.method !== method && !(route.method === 'GET' && method === 'HEAD')) {
        methodMismatch = true;
        continue;
      }
      return { handler: route.handler, params };
    }
    return methodMismatch ? 'method-not-allowed' : undefined;
  }
}

function matchPattern(pattern: string[], segments: string[]): Record<string, string> | undefined {
  const params: Record<string, string> = {};
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i]!;
    if (p === '{*rest}') {
      params['rest'] = segments.slice(i).join('/');
      params['restCount'] = String(segments.length - i);
      return params;
    }
    const s = segments[i];
    if (s === undefined) return undefined;
    if (p.startsWith('{') && p.endsWith('}')) params[p.slice(1, -1)] = s;
    else if (p.toLowerCase() !== s.toLowerCase()) return undefined;
  }
  return pattern.length === segments.length ? params : undefined;
}
