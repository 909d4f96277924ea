/**
 * JSON batching (`POST /$batch`): at most 20 requests with unique ids, relative URLs, per-item
 * headers and bodies, `dependsOn` (a failed prerequisite gives its dependents 424). Independent
 * items run concurrently (at most 4 at a time per mailbox, as Outlook does); each is throttled on
 * its own, so a batch can carry per-item 429s. Responses come back in completion order.
 */
import type { AppToken, SimContext } from '../context';
import { GraphError } from '../http/errors';
import type { SimRequest, SimResponse } from '../http/types';
import { json } from '../http/types';

interface BatchItem {
  id: string;
  method: string;
  url: string;
  headers?: Record<string, string>;
  body?: unknown;
  dependsOn?: string[];
}

const canonical: Record<string, string> = {
  'content-type': 'Content-Type',
  'odata-version': 'OData-Version',
  'cache-control': 'Cache-Control',
  location: 'Location',
  'retry-after': 'Retry-After',
  'preference-applied': 'Preference-Applied',
};

/** Item headers as Graph writes them in batch responses (`Content-Type`, `OData-Version`, …). */
function canonicalHeaders(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([k, v]) => [canonical[k] ?? k, v]));
}

async function bodyOf(response: SimResponse): Promise<{ body: unknown; binary: boolean }> {
  let buffer: Buffer;
  if (response.body === undefined) return { body: undefined, binary: false };
  if (typeof response.body === 'string') buffer = Buffer.from(response.body);
  else if (Buffer.isBuffer(response.body)) buffer = response.body;
  else {
    const chunks: Buffer[] = [];
    for await (const chunk of response.body) chunks.push(Buffer.from(chunk as Buffer));
    buffer = Buffer.concat(chunks);
  }
  const type = response.headers['content-type'] ?? '';
  if (type.includes('json')) {
    try {
      return { body: JSON.parse(buffer.toString('utf8')), binary: false };
    } catch {
      return { body: buffer.toString('utf8'), binary: false };
    }
  }
  if (type.startsWith('text/')) return { body: buffer.toString('utf8'), binary: false };
  return { body: buffer.toString('base64'), binary: true };
}

export async function runBatch(
  sim: SimContext,
  req: SimRequest,
  _token: AppToken,
  run: (item: SimRequest) => Promise<SimResponse>,
): Promise<SimResponse> {
  let parsed: { requests?: BatchItem[] };
  try {
    parsed = JSON.parse(req.body.toString('utf8')) as typeof parsed;
  } catch {
    throw new GraphError(400, 'BadRequest', 'Invalid batch payload format.');
  }
  const items = parsed.requests;
  if (!Array.isArray(items) || items.length === 0)
    throw new GraphError(400, 'BadRequest', 'Invalid batch payload format.');
  if (items.length > 20)
    throw new GraphError(400, 'BadRequest', 'Number of requests in a batch cannot exceed 20.');
  const ids = new Set<string>();
  for (const item of items) {
    if (
      !item ||
      typeof item.id !== 'string' ||
      typeof item.method !== 'string' ||
      typeof item.url !== 'string'
    ) {
      throw new GraphError(400, 'BadRequest', 'Each batch request needs an id, a method and a url.');
    }
    if (ids.has(item.id))
      throw new GraphError(400, 'BadRequest', `Batch request ids must be unique; '${item.id}' is repeated.`);
    ids.add(item.id);
    if (
      item.body !== undefined &&
      !Object.keys(item.headers ?? {}).some((h) => h.toLowerCase() === 'content-type')
    ) {
      throw new GraphError(
        400,
        'BadRequest',
        `Batch request '${item.id}' has a body but no Content-Type header.`,
      );
    }
    for (const dep of item.dependsOn ?? []) {
      if (!items.some((other) => other.id === dep))
        throw new GraphError(400, 'BadRequest', `Batch request '${item.id}' depends on unknown id '${dep}'.`);
    }
  }
  const responses: Record<string, unknown>[] = [];
  const results = new Map<string, Promise<number>>();
  const perMailbox = new Map<string, number>();
  const waiters: (() => void)[] = [];

  const execute = async (item: BatchItem): Promise<number> => {
    const statuses = await Promise.all((item.dependsOn ?? []).map((dep) => results.get(dep)!));
    if (statuses.some((s) => s < 200 || s >= 300)) {
      responses.push({
        id: item.id,
        status: 424,
        headers: {},
        body: { error: { code: 'FailedDependency', message: 'A dependency of this request failed.' } },
      });
      return 424;
    }
    const url = new URL(
      item.url.replace(/^\/?/, '/v1.0/').replace(/^\/v1\.0\/v1\.0\//, '/v1.0/'),
      'https://batch.invalid',
    );
    const mailbox = /^\/v1\.0\/users\/([^/]+)\/(messages|mailfolders|mailboxsettings|sendmail)/i
      .exec(url.pathname)?.[1]
      ?.toLowerCase();
    if (mailbox) {
      while ((perMailbox.get(mailbox) ?? 0) >= 4) await new Promise<void>((resolve) => waiters.push(resolve));
      perMailbox.set(mailbox, (perMailbox.get(mailbox) ?? 0) + 1);
    }
    const headers: Record<string, string> = { authorization: req.headers['authorization'] ?? '' };
    for (const [k, v] of Object.entries(req.headers))
      if (k === 'prefer' || k === 'client-request-id') headers[k] = v;
    for (const [k, v] of Object.entries(item.headers ?? {})) headers[k.toLowerCase()] = String(v);
    let body = Buffer.alloc(0);
    if (item.body !== undefined) {
      const type = headers['content-type'] ?? '';
      body =
        typeof item.body === 'string'
          ? Buffer.from(item.body, type.startsWith('text/plain') ? 'utf8' : 'base64')
          : Buffer.from(JSON.stringify(item.body));
      if (typeof item.body === 'string' && type.includes('json')) body = Buffer.from(item.body);
    }
    try {
      const response = await run({
        method: item.method.toUpperCase(),
        path: url.pathname,
        query: url.searchParams,
        headers,
        body,
        requestId: req.requestId,
        inBatch: true,
      });
      const { body: rendered } = await bodyOf(response);
      const entry: Record<string, unknown> = {
        id: item.id,
        status: response.status,
        headers: canonicalHeaders(response.headers),
      };
      if (rendered !== undefined && rendered !== '') entry['body'] = rendered;
      responses.push(entry);
      return response.status;
    } finally {
      if (mailbox) {
        perMailbox.set(mailbox, (perMailbox.get(mailbox) ?? 1) - 1);
        waiters.shift()?.();
      }
    }
  };
  for (const item of items)
    results.set(
      item.id,
      Promise.resolve().then(() => execute(item)),
    );
  await Promise.all(results.values());
  void sim;
  return json(200, { responses });
}
