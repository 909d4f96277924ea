import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot, startHost, type RunningHost } from '../support/host';

const fixture = path.join(repoRoot, 'tests', 'fixtures', 'host-app-stream');

describe('local Functions host: an app with HTTP streaming enabled (app.setup({ enableHttpStream: true }))', () => {
  let host: RunningHost;
  beforeAll(async () => {
    host = await startHost({
      scriptRoot: fixture,
      env: { FUNCTIONS_WORKER_RUNTIME: 'node' },
      args: ['--max-request-body', String(4 * 1024 * 1024)],
    });
  });
  afterAll(async () => {
    await host?.stop();
  });

  it('streams the response: the first chunk arrives while the function is still producing the rest', async () => {
    const response = await fetch(`${host.url}/api/live`);
    expect(response.status).toBe(200);
    expect(response.headers.get('x-streamed')).toBe('yes');
    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    let text = '';
    while (!text.includes('first\n')) {
      const { value, done } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
    }
    expect(text).toBe('first\n');

    expect((await fetch(`${host.url}/api/release`, { method: 'POST' })).status).toBe(204);
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
    }
    expect(text).toBe('first\nsecond\n');
  });

  it('streams the request body to the function, with route parameters and headers', async () => {
    const body = Buffer.alloc(3 * 1024 * 1024, 1);
    const response = await fetch(`${host.url}/api/count/big`, {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream' },
      body,
    });
    expect(await response.json()).toEqual({
      label: 'big',
      total: body.length,
      contentType: 'application/octet-stream',
    });
  });

  it('answers 413 to a body over the limit, whether its length is declared or it is sent in chunks', async () => {
    const declared = await fetch(`${host.url}/api/count/declared`, {
      method: 'POST',
      body: Buffer.alloc(4 * 1024 * 1024 + 1),
    });
    expect(declared.status).toBe(413);

    const chunk = new Uint8Array(1024 * 1024);
    let sent = 0;
    const chunked = await fetch(`${host.url}/api/count/chunked`, {
      method: 'POST',
      body: new ReadableStream({
        pull(controller) {
          if (sent++ < 6) controller.enqueue(chunk);
          else controller.close();
        },
      }),
      duplex: 'half',
    } as RequestInit).catch((error: unknown) => error);
    // Either the 413 arrives, or the host closed the connection while the client was still sending.
    if (chunked instanceof Response) expect(chunked.status).toBe(413);
    else expect(chunked).toBeInstanceOf(Error);
    expect((await fetch(`${host.url}/api/count/small`, { method: 'POST', body: 'ok' })).status).toBe(200);
  });

  it('answers 500 when a streaming handler throws, and keeps serving', async () => {
    expect((await fetch(`${host.url}/api/fail`)).status).toBe(500);
    expect(host.output()).toContain('streaming fixture failed on purpose');
    const again = await fetch(`${host.url}/api/count/after`, { method: 'POST', body: 'abc' });
    expect(await again.json()).toMatchObject({ label: 'after', total: 3 });
  });
});
