import { z } from 'zod';
import { statusFor } from '../http/problem';
import { errorsOf, type Endpoint } from './endpoint';

const accessText: Record<Endpoint['access'], string> = {
  public: 'Anonymous.',
  'signed-in':
    'Roles: Backup.Reader or Backup.Admin (customer tenant), or Backup.Operator (provider tenant).',
  reader: 'Roles: Backup.Reader or Backup.Admin of the customer tenant.',
  admin: 'Roles: Backup.Admin of the customer tenant.',
  operator: "Roles: Backup.Operator of the provider's tenant.",
};

const rolesOf: Record<Endpoint['access'], string[]> = {
  public: [],
  'signed-in': ['Backup.Reader', 'Backup.Admin', 'Backup.Operator'],
  reader: ['Backup.Reader', 'Backup.Admin'],
  admin: ['Backup.Admin'],
  operator: ['Backup.Operator'],
};

type JsonSchema = Record<string, unknown>;

function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const result = z.toJSONSchema(schema, {
    io,
    unrepresentable: 'any',
    target: 'draft-2020-12',
  }) as JsonSchema;
  delete result.$schema;
  return result;
}

function pascal(operationId: string): string {
  return operationId.charAt(0).toUpperCase() + operationId.slice(1);
}

const problemSchema: JsonSchema = {
  type: 'object',
  description: 'RFC 9457 problem details.',
  required: ['type', 'title', 'status', 'detail', 'code'],
  properties: {
    type: { type: 'string', format: 'uri' },
    title: { type: 'string' },
    status: { type: 'integer' },
    detail: { type: 'string' },
    code: { type: 'string', enum: Object.keys(statusFor) },
    instance: { type: 'string' },
    errors: {
      type: 'array',
      description: 'One entry per bad field (400).',
      items: {
        type: 'object',
        required: ['field', 'message'],
        properties: { field: { type: 'string' }, message: { type: 'string' } },
      },
    },
  },
};

/** The OpenAPI 3.1 document of the given endpoints, generated from their zod schemas. */
export function buildOpenApiDocument(endpoints: readonly Endpoint[], info: { version: string }) {
  const schemas: Record<string, JsonSchema> = { Problem: problemSchema };
  const responses: Record<string, unknown> = {};
  const paths: Record<string, Record<string, unknown>> = {};
  const usedErrors = new Set<number>();

  for (const endpoint of endpoints) {
    const path = `/${endpoint.route}`;
    const parameters: unknown[] = [];
    for (const [location, schema] of [
      ['path', endpoint.params],
      ['query', endpoint.query],
    ] as const) {
      if (!schema) continue;
      const object = jsonSchema(schema, 'input') as {
        properties?: Record<string, JsonSchema>;
        required?: string[];
      };
      for (const [name, property] of Object.entries(object.properties ?? {})) {
        const { description, ...rest } = property as { description?: string };
        parameters.push({
          name,
          in: location,
          required: location === 'path' || (object.required ?? []).includes(name),
          ...(description ? { description } : {}),
          schema: rest,
        });
      }
    }
    const operationResponses: Record<string, unknown> = {};
    const spec = endpoint.response;
    if ('schema' in spec) {
      const name = `${pascal(endpoint.operationId)}Response`;
      schemas[name] = jsonSchema(spec.schema, 'output');
      operationResponses[String(spec.status)] = {
        description: spec.description,
        content: { 'application/json': { schema: { $ref: `#/components/schemas/${name}` } } },
      };
    } else {
      operationResponses['200'] = {
        description: spec.description,
        content: {
          [spec.stream.contentType]: {
            schema: { type: 'string', contentMediaType: spec.stream.contentType },
          },
        },
      };
    }
    for (const code of errorsOf(endpoint)) {
      const status = statusFor[code];
      usedErrors.add(status);
      operationResponses[String(status)] = { $ref: `#/components/responses/Problem${status}` };
    }
    let requestBody: unknown;
    if (endpoint.body) {
      const name = `${pascal(endpoint.operationId)}Request`;
      schemas[name] = jsonSchema(endpoint.body, 'input');
      requestBody = {
        required: true,
        content: { 'application/json': { schema: { $ref: `#/components/schemas/${name}` } } },
      };
    }
    paths[path] ??= {};
    paths[path][endpoint.method.toLowerCase()] = {
      operationId: endpoint.operationId,
      summary: endpoint.summary,
      description: [
        endpoint.description,
        accessText[endpoint.access],
        endpoint.audit ? `Audited as \`${endpoint.audit.action}\`.` : '',
      ]
        .filter(Boolean)
        .join('\n\n'),
      tags: [endpoint.tag],
      'x-roles': rolesOf[endpoint.access],
      security: endpoint.access === 'public' ? [] : [{ entraId: [] }],
      ...(parameters.length > 0 ? { parameters } : {}),
      ...(requestBody ? { requestBody } : {}),
      responses: operationResponses,
    };
  }

  for (const status of [...usedErrors].sort()) {
    responses[`Problem${status}`] = {
      description: `Problem (${status}).`,
      ...(status === 429 || status === 503
        ? { headers: { 'Retry-After': { description: 'Seconds to wait.', schema: { type: 'integer' } } } }
        : {}),
      ...(status === 401
        ? {
            headers: { 'WWW-Authenticate': { description: 'Bearer challenge.', schema: { type: 'string' } } },
          }
        : {}),
      content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
    };
  }

  return {
    openapi: '3.1.0',
    info: {
      title: 'M365 Backup Portal API',
      version: info.version,
      description:
        'The API behind the M365 Backup portal. Times are RFC 3339 UTC; ids are opaque strings; lists are paged with `limit` (default 50, max 200) and an opaque `cursor` (`nextCursor` of the previous page). Errors are RFC 9457 problem+json.',
    },
    servers: [{ url: '/api' }],
    security: [{ entraId: [] }],
    paths,
    components: {
      securitySchemes: {
        entraId: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description:
            'An Entra ID v2 access token for the portal API (aud = the API app id), with app roles Backup.Reader, Backup.Admin or Backup.Operator.',
        },
      },
      schemas,
      responses,
    },
  };
}
