import { z } from 'zod';
import { appVersion } from '../../config/app-version';
import { defineEndpoint, type Endpoint } from '../endpoint';
import { buildOpenApiDocument } from '../openapi';
import { portalEndpoints } from './index';

let cached: unknown;

/** `GET /api/openapi.json`: the OpenAPI 3.1 document of every endpoint, itself included. */
export const openApiEndpoint: Endpoint = defineEndpoint({
  operationId: 'getOpenApiDocument',
  method: 'GET',
  route: 'openapi.json',
  summary: 'This API’s OpenAPI 3.1 document',
  tag: 'meta',
  access: 'public',
  response: {
    status: 200,
    description: 'The OpenAPI document.',
    schema: z.record(z.string(), z.unknown()),
  },
  handler: () => {
    cached ??= buildOpenApiDocument(allEndpoints, { version: appVersion() });
    return Promise.resolve({
      body: cached as Record<string, unknown>,
      headers: { 'cache-control': 'public, max-age=300' },
    });
  },
});

/** Every endpoint the app registers through the API layer. */
export const allEndpoints: Endpoint[] = [...portalEndpoints, openApiEndpoint];
