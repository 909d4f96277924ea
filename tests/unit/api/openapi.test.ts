import { describe, expect, it } from 'vitest';
import { allEndpoints } from '../../../shared/api/endpoints/openapi-document';
import { buildOpenApiDocument } from '../../../shared/api/openapi';

type Doc = ReturnType<typeof buildOpenApiDocument>;
const doc: Doc = buildOpenApiDocument(allEndpoints, { version: '1.2.3' });
const methods = ['get', 'put', 'post', 'patch', 'delete'] as const;

function operations(d: Doc) {
  return Object.entries(d.paths).flatMap(([path, item]) =>
    methods
      .filter((m) => m in item)
      .map((m) => ({ path, method: m, op: (item as Record<string, Record<string, unknown>>)[m]! })),
  );
}

function refs(value: unknown, out: string[] = []): string[] {
  if (Array.isArray(value)) value.forEach((v) => refs(v, out));
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (k === '$ref' && typeof v === 'string') out.push(v);
      else refs(v, out);
    }
  }
  return out;
}

function resolve(pointer: string): unknown {
  expect(pointer.startsWith('#/')).toBe(true);
  return pointer
    .slice(2)
    .split('/')
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce<unknown>((node, key) => (node as Record<string, unknown> | undefined)?.[key], doc);
}

describe('the OpenAPI document', () => {
  it('is OpenAPI 3.1 with a bearer security scheme', () => {
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.info.version).toBe('1.2.3');
    expect(doc.components.securitySchemes.entraId).toMatchObject({ type: 'http', scheme: 'bearer' });
  });

  it('describes every registered endpoint once, under its route', () => {
    const described = operations(doc).map((o) => `${o.method.toUpperCase()} ${o.path}`);
    expect(described.sort()).toEqual(allEndpoints.map((e) => `${e.method} /${e.route}`).sort());
  });

  it('gives every operation a unique operationId, responses, security, roles and tag', () => {
    const ids = new Set<string>();
    for (const { op, path } of operations(doc)) {
      expect(typeof op.operationId, path).toBe('string');
      expect(ids.has(op.operationId as string), `${op.operationId as string} twice`).toBe(false);
      ids.add(op.operationId as string);
      expect(Object.keys(op.responses as object).length).toBeGreaterThan(1);
      expect(Array.isArray(op.security)).toBe(true);
      expect(Array.isArray(op['x-roles'])).toBe(true);
      expect((op.tags as string[]).length).toBe(1);
    }
  });

  it('declares the errors: 401/403/429 on protected operations, 400 where there is input, 404 where there is an id', () => {
    for (const { op, path } of operations(doc)) {
      const codes = Object.keys(op.responses as object);
      const isPublic = (op.security as unknown[]).length === 0;
      if (!isPublic) expect(codes, path).toEqual(expect.arrayContaining(['401', '403', '429']));
      if (path.includes('{')) expect(codes, path).toEqual(expect.arrayContaining(['400', '404']));
      if (op.requestBody) expect(codes, path).toEqual(expect.arrayContaining(['400', '413', '415']));
    }
  });

  it('declares every path parameter of every route', () => {
    for (const { op, path } of operations(doc)) {
      const inPath = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
      const declared = ((op.parameters ?? []) as { name: string; in: string; required: boolean }[]).filter(
        (p) => p.in === 'path',
      );
      expect(declared.map((p) => p.name).sort(), path).toEqual(inPath.sort());
      expect(declared.every((p) => p.required)).toBe(true);
    }
  });

  it('documents paging on lists: limit (default 50, max 200) and cursor', () => {
    const list = operations(doc).find((o) => o.op.operationId === 'listResources')!.op;
    const limit = (list.parameters as { name: string; schema: Record<string, unknown> }[]).find(
      (p) => p.name === 'limit',
    );
    expect(limit?.schema).toMatchObject({ default: 50, maximum: 200 });
  });

  it('resolves every $ref', () => {
    const all = refs(doc);
    expect(all.length).toBeGreaterThan(50);
    for (const ref of all) expect(resolve(ref), ref).toBeDefined();
  });

  it('has no JSON Schema fragments that point outside the document', () => {
    expect(JSON.stringify(doc)).not.toMatch(/"\$schema"|"#\/\$defs/);
  });
});
