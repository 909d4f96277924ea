/**
 * The HTTPS transport: reads each request into a `SimRequest` (body buffered), hands it to the
 * dispatcher and writes the `SimResponse` back (buffers or streams), adding `request-id` and
 * echoing `client-request-id`. A response may ask for the connection to be reset (a fault).
 */
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import type { SimRequest, SimResponse } from './types';

export type Dispatch = (req: SimRequest) => Promise<SimResponse>;

const maxBody = 300 * 1024 * 1024;

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBody) {
        reject(new Error('body too large'));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

export function toSimRequest(req: IncomingMessage, body: Buffer): SimRequest {
  const url = new URL(req.url ?? '/', 'https://simulator.invalid');
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return {
    method: (req.method ?? 'GET').toUpperCase(),
    path: url.pathname,
    query: url.searchParams,
    headers,
    body,
    requestId: randomUUID(),
  };
}

async function writeResponse(req: SimRequest, res: ServerResponse, response: SimResponse): Promise<void> {
  if (response.resetConnection) {
    res.socket?.destroy();
    return;
  }
  const headers: Record<string, string> = { ...response.headers, 'request-id': req.requestId };
  headers['client-request-id'] = req.headers['client-request-id'] ?? req.requestId;
  headers['x-ms-ags-diagnostic'] ??=
    '{"ServerInfo":{"DataCenter":"Simulator","Slice":"E","Ring":"1","ScaleUnit":"000","RoleInstance":"sim"}}';
  const body = response.body;
  if (body === undefined || typeof body === 'string' || Buffer.isBuffer(body)) {
    const buffer = body === undefined ? undefined : typeof body === 'string' ? Buffer.from(body) : body;
    if (buffer) headers['content-length'] = String(buffer.length);
    else if (response.status !== 204 && response.status !== 304) headers['content-length'] = '0';
    res.writeHead(response.status, headers);
    res.end(req.method === 'HEAD' ? undefined : buffer);
    return;
  }
  res.writeHead(response.status, headers);
  if (req.method === 'HEAD') {
    res.end();
    (body as Readable).destroy?.();
    return;
  }
  await new Promise<void>((resolve) => {
    (body as Readable).on('error', () => {
      res.destroy();
      resolve();
    });
    res.on('close', resolve);
    (body as Readable).pipe(res);
  });
}

export function createSimServer(
  tls: { cert: string; key: string },
  dispatch: Dispatch,
  onError: (error: unknown) => void,
): Server {
  const server = createServer({ cert: tls.cert, key: tls.key, keepAlive: true }, (req, res) => {
    void (async () => {
      let simReq: SimRequest | undefined;
      try {
        const body = await readBody(req);
        simReq = toSimRequest(req, body);
        const response = await dispatch(simReq);
        await writeResponse(simReq, res, response);
      } catch (error) {
        onError(error);
        if (!res.headersSent) {
          res.writeHead(500, {
            'content-type': 'application/json',
            ...(simReq ? { 'request-id': simReq.requestId } : {}),
          });
          res.end(
            JSON.stringify({
              error: { code: 'generalException', message: 'An internal simulator error occurred.' },
            }),
          );
        } else {
          res.destroy();
        }
      }
    })();
  });
  server.keepAliveTimeout = 30_000;
  return server;
}

export { Readable };
