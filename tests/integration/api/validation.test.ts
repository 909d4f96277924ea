import fc from 'fast-check';
import { z } from 'zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Endpoint } from '../../../shared/api/endpoint';
import { allEndpoints } from '../../../shared/api/endpoints/openapi-document';
import { QueueNames } from '../../../shared/queues/job-queues';
import { TableNames } from '../../../shared/storage/tables';
import { seedFixture, validRequests, type ApiFixture } from './fixture';
import { ApiHarness, PROVIDER, TENANT_A, type CallOptions } from './harness';

let h: ApiHarness;
let fixture: ApiFixture;
const tokens: Record<string, string> = {};

beforeAll(async () => {
  h = await ApiHarness.start();
  fixture = await seedFixture(h);
  tokens.admin = await h.token({ tenantId: TENANT_A, roles: ['Backup.Admin'] });
  tokens.operator = await h.token({ tenantId: PROVIDER, roles: ['Backup.Operator'] });
}, 60_000);

afterAll(async () => {
  await h?.stop();
});

const tokenFor = (e: Endpoint) => (e.access === 'operator' ? tokens.operator : tokens.admin);

/** Everything a change could touch (the audit trail aside: attempts are audited on purpose). */
async function state(): Promise<string> {
  const rows: string[] = [];
  for (const name of [
    TableNames.tenants,
    TableNames.resources,
    TableNames.snapshots,
    TableNames.tenantStats,
    TableNames.support,
    TableNames.serviceHealth,
    TableNames.restoreJobs,
    TableNames.exportJobs,
    TableNames.verificationCodes,
  ]) {
    const table = await h.tables.client(name);
    for await (const e of table.listEntities()) rows.push(`${name}/${e.partitionKey}/${e.rowKey}/${e.etag}`);
  }
  for (const name of [QueueNames.snapshotJobs, QueueNames.restoreJobs, QueueNames.exportJobs]) {
    const queue = h.storage.queues.getQueueClient(name);
    const props = await queue.getProperties().catch(() => ({ approximateMessagesCount: 0 }));
    rows.push(`queue:${name}:${props.approximateMessagesCount ?? 0}`);
  }
  return rows.sort().join('\n');
}

function shapeOf(schema: z.ZodType | undefined): {
  keys: string[];
  required: string[];
  properties: Record<string, { enum?: unknown; format?: unknown }>;
} {
  if (!schema) return { keys: [], required: [], properties: {} };
  const json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as {
    properties?: Record<string, { enum?: unknown; format?: unknown }>;
    required?: string[];
  };
  return {
    keys: Object.keys(json.properties ?? {}),
    required: json.required ?? [],
    properties: json.properties ?? {},
  };
}

/** Values wrong for any field of the API (no body field takes null, nested arrays or foreign objects). */
const wrongValue = fc.oneof(
  fc.constant(null),
  fc.constant([[1]]),
  fc.record({ unexpected: fc.array(fc.integer(), { minLength: 1, maxLength: 2 }) }),
  fc.integer({ min: 8001, max: 12000 }).map((n) => 'x'.repeat(n)),
);

/** Query values wrong for any query parameter (enums, numbers, times, booleans, bounded texts, cursors). */
const oversizedQueryValue = fc.integer({ min: 5000, max: 6000 }).map((n) => `~${'x'.repeat(n)}`);
/** Wrong for parameters with a fixed vocabulary or format (enums, times, booleans, GUIDs). */
const wrongFormattedValue = fc.oneof(
  oversizedQueryValue,
  fc.constantFrom('nonsense-value ~', '2026-13-45T99:99:99Z', 'TRUE', ''),
);

const wrongLimit = fc.oneof(
  fc.constantFrom('0', '201', '1.5', 'abc', '-1', '', '1e9'),
  fc.integer({ min: 201, max: 1_000_000 }).map(String),
);

/** Ids wrong for every id parameter: too long, or containing a space. */
const wrongId = fc.oneof(
  fc.integer({ min: 1100, max: 3000 }).map((n) => 'x'.repeat(n)),
  fc.string({ minLength: 0, maxLength: 20 }).map((s) => `bad ${s}`),
);

type Mutation = { options: CallOptions; field: string };

function mutations(endpoint: Endpoint, valid: CallOptions): fc.Arbitrary<Mutation>[] {
  const out: fc.Arbitrary<Mutation>[] = [];
  const params = shapeOf(endpoint.params);
  const query = shapeOf(endpoint.query);
  const body = shapeOf(endpoint.body);
  if (params.keys.length > 0) {
    out.push(
      fc.tuple(fc.constantFrom(...params.keys), wrongId).map(([key, value]) => ({
        options: { ...valid, params: { ...valid.params, [key]: value } },
        field: `params.${key}`,
      })),
    );
  }
  for (const key of query.keys) {
    const formatted =
      query.properties[key]?.enum !== undefined || query.properties[key]?.format !== undefined;
    const values =
      key === 'limit'
        ? wrongLimit
        : key === 'cursor'
          ? fc.constantFrom('not-a-cursor', 'e30')
          : formatted
            ? wrongFormattedValue
            : oversizedQueryValue;
    out.push(
      values.map((value) => ({
        options: { ...valid, query: { ...valid.query, [key]: value } },
        field: `query.${key}`,
      })),
    );
  }
  if (endpoint.body) {
    const validBody = valid.body as Record<string, unknown>;
    out.push(
      fc.tuple(fc.constantFrom(...body.keys), wrongValue).map(([key, value]) => ({
        options: { ...valid, body: { ...validBody, [key]: value } },
        field: `body.${key}`,
      })),
    );
    out.push(
      fc
        .string({ minLength: 1, maxLength: 12 })
        .filter((k) => !body.keys.includes(k) && /^\w+$/.test(k))
        .map((key) => ({
          options: { ...valid, body: { ...validBody, [key]: 1 } },
          field: `body.${key}`,
        })),
    );
    if (body.required.length > 0) {
      out.push(
        fc.constantFrom(...body.required).map((key) => {
          const { [key]: _gone, ...rest } = validBody;
          return { options: { ...valid, body: rest }, field: `body.${key}` };
        }),
      );
    } else {
      out.push(fc.constant({ options: { ...valid, body: {} }, field: 'body' }));
    }
    out.push(
      fc
        .constantFrom('{"title":', '[1,2', 'nul', '{}}')
        .map((raw) => ({ options: { ...valid, rawBody: raw }, field: 'body' })),
    );
    out.push(fc.constant({ options: { ...valid, body: undefined, rawBody: undefined }, field: 'body' }));
  }
  return out;
}

describe('every endpoint refuses malformed, missing, oversized and wrongly typed input with 400 naming the field, changing nothing', () => {
  for (const endpoint of allEndpoints) {
    const hasInput = endpoint.params || endpoint.query || endpoint.body;
    if (!hasInput) continue;
    it(`${endpoint.method} /${endpoint.route}`, async () => {
      const valid = validRequests[endpoint.operationId]!(fixture);
      const before = await state();
      await fc.assert(
        fc.asyncProperty(fc.oneof(...mutations(endpoint, valid)), async ({ options, field }) => {
          const result = await h.call(endpoint.operationId, { ...options, token: tokenFor(endpoint) });
          expect(result.status, `${field}: ${result.text.slice(0, 300)}`).toBe(400);
          expect(result.headers['content-type']).toBe('application/problem+json');
          const fields = (result.json.errors as { field: string }[]).map((e) => e.field);
          expect(
            fields.some((f) => f === field || f.startsWith(`${field}.`)),
            `${field} not in ${fields.join(', ')}`,
          ).toBe(true);
        }),
        { numRuns: 25, seed: 4242 },
      );
      expect(await state()).toBe(before);
    });
  }

  for (const endpoint of allEndpoints.filter((e) => e.body)) {
    it(`${endpoint.method} /${endpoint.route}: 415 for a body that is not JSON, 413 for one too large`, async () => {
      const valid = validRequests[endpoint.operationId]!(fixture);
      const before = await state();
      const asText = await h.call(endpoint.operationId, {
        ...valid,
        rawBody: JSON.stringify(valid.body),
        contentType: 'text/plain',
        token: tokenFor(endpoint),
      });
      expect(asText.status).toBe(415);
      expect(asText.json.code).toBe('unsupported-media-type');
      const huge = await h.call(endpoint.operationId, {
        ...valid,
        body: { ...(valid.body as object), padding: 'x'.repeat(70 * 1024) },
        token: tokenFor(endpoint),
      });
      expect(huge.status).toBe(413);
      expect(huge.json.code).toBe('too-large');
      expect(await state()).toBe(before);
    });
  }
});

describe('problem details', () => {
  it('name every bad field at once', async () => {
    const result = await h.call('fileSupportRequest', {
      token: tokens.admin,
      body: {
        category: 'sales',
        severity: 'Z',
        title: '',
        contact: { email: 'nope', phone: 'x', preferredMethod: 'fax' },
      },
    });
    expect(result.status).toBe(400);
    const fields = (result.json.errors as { field: string }[]).map((e) => e.field).sort();
    expect(fields).toEqual([
      'body.category',
      'body.contact.email',
      'body.contact.phone',
      'body.contact.preferredMethod',
      'body.description',
      'body.severity',
      'body.title',
    ]);
    expect(result.json).toMatchObject({ status: 400, code: 'invalid', title: 'Bad Request' });
  });
});
