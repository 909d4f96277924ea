import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTenantGraph } from '../../../shared/graph/graph-client';

// A full collection on demand: what happens to a download while it waits for its memory grant.
setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

const MIME = Buffer.alloc(300 * 1024, 'MIME-Version: 1.0\r\nSubject: kept whole\r\n\r\nbody\r\n');

describe('Graph downloads', () => {
  let server: Server;
  let baseUrl: string;
  beforeAll(async () => {
    server = createServer((request, response) => {
      if (request.url?.includes('/gzipped/')) {
        const body = gzipSync(MIME);
        response.writeHead(200, {
          'content-type': 'message/rfc822',
          'content-encoding': 'gzip',
          'content-length': body.length,
        });
        response.end(body);
        return;
      }
      response.writeHead(200, { 'content-type': 'message/rfc822', 'content-length': MIME.length });
      response.end(MIME);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1.0`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const tenantGraph = () =>
    createTenantGraph(
      'tenant-a',
      { baseUrl, authorityHost: 'https://login.example', clientId: 'c', clientSecret: 's' },
      {
        credentialFor: () => ({
          getToken: async () => ({ token: 'token', expiresOnTimestamp: Date.now() + 3_600_000 }),
        }),
      },
    );

  it('keeps a body that is read only after garbage collections, byte for byte', async () => {
    const download = await tenantGraph().download('/users/u/messages/m/$value');
    expect(download.length).toBe(MIME.length);
    expect(download.exactLength).toBe(MIME.length);
    // Nothing but the body is kept; fetch's Response is garbage by now.
    for (let round = 0; round < 3; round++) {
      collectGarbage();
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const pieces: Buffer[] = [];
    for await (const piece of download.body) pieces.push(Buffer.from(piece));
    expect(Buffer.concat(pieces).equals(MIME)).toBe(true);
  });

  it('does not take the length of a compressed answer for the length of what it yields', async () => {
    const download = await tenantGraph().download('/users/u/messages/gzipped/$value');
    expect(download.length).toBeLessThan(MIME.length);
    expect(download.exactLength).toBeUndefined();
    const pieces: Buffer[] = [];
    for await (const piece of download.body) pieces.push(Buffer.from(piece));
    expect(Buffer.concat(pieces).equals(MIME)).toBe(true);
  });
});
