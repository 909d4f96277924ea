import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { ClientSecretCredential, type TokenCredential } from '@azure/identity';
import {
  AuthenticationHandler,
  Client,
  GraphError,
  HTTPMessageHandler,
  RedirectHandler,
  ResponseType,
  type Middleware,
} from '@microsoft/microsoft-graph-client';
import { TokenCredentialAuthenticationProvider } from '@microsoft/microsoft-graph-client/authProviders/azureTokenCredentials';
import type { JobUsage } from '../observability/job-usage';
import { CachedTokenCredential } from './cached-token-credential';
import { translateGraphError } from './graph-errors';
import { MailboxConcurrencyMiddleware } from './mailbox-concurrency-middleware';
import { JobUsageOption, RetryMiddleware, defaultRetryPolicy, type RetryPolicy } from './retry-middleware';
import { TenantGate, emptyStats, type GraphStats } from './tenant-gate';

export interface GraphConnection {
  /** e.g. `https://graph.microsoft.com/v1.0` (or the simulator's). */
  baseUrl: string;
  /** e.g. `https://login.microsoftonline.com` (or the simulator's). */
  authorityHost: string;
  clientId: string;
  clientSecret: string;
}

export interface GraphRequestOptions {
  headers?: Record<string, string>;
  /** A short description for error messages ("list mail folders of …"). */
  what?: string;
}

export interface GraphPage<T> {
  value: T[];
  nextLink?: string;
  deltaLink?: string;
}

/** Everything the app does with Graph for one customer tenant goes through this. */
export interface TenantGraph {
  readonly tenantId: string;
  get<T>(pathOrUrl: string, options?: GraphRequestOptions): Promise<T>;
  /** Follows `@odata.nextLink` page by page; the last page carries `deltaLink` when there is one. */
  pages<T>(pathOrUrl: string, options?: GraphRequestOptions): AsyncGenerator<GraphPage<T>>;
  /**
   * A body as it arrives (MIME, file content), read with `for await`; leaving the loop early
   * cancels the download. Redirects (drive `/content` → 302) are followed.
   */
  stream(pathOrUrl: string, options?: GraphRequestOptions): Promise<AsyncIterable<Uint8Array>>;
  /** As `stream`, with the body's length when the response says it (before any byte is read). */
  download(pathOrUrl: string, options?: GraphRequestOptions): Promise<GraphDownload>;
  post<T>(pathOrUrl: string, body: unknown, options?: GraphRequestOptions): Promise<T>;
  patch<T>(pathOrUrl: string, body: unknown, options?: GraphRequestOptions): Promise<T>;
  put<T>(pathOrUrl: string, body: unknown, options?: GraphRequestOptions): Promise<T>;
  delete(pathOrUrl: string, options?: GraphRequestOptions): Promise<void>;
  /**
   * The same client, also counting every request it sends (retries included) and every throttled
   * answer into one job's usage: jobs of a tenant share the client, and each snapshot records its
   * own share.
   */
  forJob(usage: JobUsage): TenantGraph;
  readonly stats: GraphStats;
}

export interface GraphDownload {
  /**
   * The response's own byte stream, not a Node.js stream made from it: a download is read once,
   * front to back, and each layer between the socket and the reader costs objects per network
   * piece (about 16 KiB over TLS), which a backup reads by the hundred thousand.
   */
  body: AsyncIterable<Uint8Array>;
  /** Content-Length, when Graph sent one: a size hint (with a content encoding, the encoded size). */
  length: number | undefined;
  /**
   * How many bytes the body will yield, when that is known: the Content-Length of a response
   * without a content encoding (fetch decodes gzip and the like, so then the count differs).
   */
  exactLength: number | undefined;
}

export interface GraphClientFactoryOptions {
  retryPolicy?: RetryPolicy;
  /** Overrides the credential per tenant (e.g. a certificate credential in Azure). */
  credentialFor?: (tenantId: string) => TokenCredential;
}

const MICROSOFT_AUTHORITIES = new Set([
  'login.microsoftonline.com',
  'login.microsoftonline.us',
  'login.chinacloudapi.cn',
  'login.partner.microsoftonline.cn',
]);

/** One Graph client per customer tenant, cached: its token cache and throttle state live with it. */
export class GraphClientFactory {
  private readonly clients = new Map<string, TenantGraph>();

  constructor(
    private readonly connection: GraphConnection,
    private readonly options: GraphClientFactoryOptions = {},
  ) {}

  forTenant(tenantId: string): TenantGraph {
    let client = this.clients.get(tenantId);
    if (!client) {
      client = createTenantGraph(tenantId, this.connection, this.options);
      this.clients.set(tenantId, client);
    }
    return client;
  }
}

export function createTenantGraph(
  tenantId: string,
  connection: GraphConnection,
  options: GraphClientFactoryOptions = {},
): TenantGraph {
  const base = new URL(connection.baseUrl.endsWith('/') ? connection.baseUrl : `${connection.baseUrl}/`);
  const version = base.pathname.split('/').filter(Boolean)[0] ?? 'v1.0';
  const authority = new URL(connection.authorityHost);
  const credential = new CachedTokenCredential(
    options.credentialFor?.(tenantId) ??
      new ClientSecretCredential(tenantId, connection.clientId, connection.clientSecret, {
        authorityHost: connection.authorityHost,
        // Instance discovery asks login.microsoftonline.com about the authority; only meaningful there.
        disableInstanceDiscovery: !MICROSOFT_AUTHORITIES.has(authority.hostname),
      }),
  );
  const stats = emptyStats();
  const gate = new TenantGate();
  const chain: Middleware[] = [
    new AuthenticationHandler(
      // Graph tokens are always for the audience https://graph.microsoft.com, whatever host serves it.
      new TokenCredentialAuthenticationProvider(credential, {
        scopes: ['https://graph.microsoft.com/.default'],
      }),
    ),
    new RetryMiddleware(gate, stats, options.retryPolicy ?? defaultRetryPolicy),
    new MailboxConcurrencyMiddleware(),
    new RedirectHandler(),
    new HTTPMessageHandler(),
  ];
  for (let i = 0; i < chain.length - 1; i++) chain[i]!.setNext?.(chain[i + 1]!);
  const client = Client.initWithMiddleware({
    middleware: chain[0]!,
    baseUrl: base.origin + '/',
    defaultVersion: version,
    customHosts: new Set([base.hostname]),
  });

  const run = async <T>(what: string, call: () => Promise<T>): Promise<T> => {
    try {
      return await call();
    } catch (error) {
      throw translateGraphError(error, what);
    }
  };

  const view = (usage?: JobUsage): TenantGraph => {
    const request = (pathOrUrl: string, opts: GraphRequestOptions = {}) => {
      const req = client.api(pathOrUrl);
      for (const [name, value] of Object.entries(opts.headers ?? {})) req.header(name, value);
      if (usage) req.middlewareOptions([new JobUsageOption(usage)]);
      return req;
    };

    // The raw response, for its Content-Length: the SDK then leaves non-2xx answers to us.
    const download = (path: string, opts?: GraphRequestOptions): Promise<GraphDownload> =>
      run(opts?.what ?? `download ${shortPath(path)}`, async () => {
        const response = (await request(path, opts).responseType(ResponseType.RAW).get()) as Response;
        if (!response.ok) throw await graphErrorOf(response);
        const header = response.headers.get('content-length');
        const length = header === null ? Number.NaN : Number(header);
        const stream = response.body as WebReadableStream<Uint8Array> | null;
        const body = stream ? lockedBody(stream) : emptyBody();
        const known = Number.isSafeInteger(length) && length >= 0 ? length : undefined;
        const encoding = (response.headers.get('content-encoding') ?? 'identity').trim().toLowerCase();
        return { body, length: known, exactLength: encoding === 'identity' ? known : undefined };
      });

    return {
      tenantId,
      stats,
      get: (path, opts) => run(opts?.what ?? `GET ${shortPath(path)}`, () => request(path, opts).get()),
      async *pages<T>(path: string, opts: GraphRequestOptions = {}): AsyncGenerator<GraphPage<T>> {
        let next: string | undefined = path;
        while (next) {
          const url: string = next;
          const page = await run<Record<string, unknown>>(opts.what ?? `GET ${shortPath(url)}`, () =>
            request(url, opts).get(),
          );
          const value = (page.value as T[] | undefined) ?? [];
          next = page['@odata.nextLink'] as string | undefined;
          const deltaLink = page['@odata.deltaLink'] as string | undefined;
          yield { value, ...(next ? { nextLink: next } : {}), ...(deltaLink ? { deltaLink } : {}) };
        }
      },
      stream: (path, opts) => download(path, opts).then((response) => response.body),
      download: (path, opts) => download(path, opts),
      post: (path, body, opts) =>
        run(opts?.what ?? `POST ${shortPath(path)}`, () => request(path, opts).post(body)),
      patch: (path, body, opts) =>
        run(opts?.what ?? `PATCH ${shortPath(path)}`, () => request(path, opts).patch(body)),
      put: (path, body, opts) =>
        run(opts?.what ?? `PUT ${shortPath(path)}`, () => request(path, opts).put(body)),
      delete: (path, opts) =>
        run(opts?.what ?? `DELETE ${shortPath(path)}`, async () => {
          await request(path, opts).delete();
        }),
      forJob: (jobUsage) => view(jobUsage),
    };
  };
  return view();
}

async function* emptyBody(): AsyncGenerator<Uint8Array> {}

/**
 * The body with its reader taken now. fetch (undici) cancels a body nobody has started reading
 * once its Response is garbage collected, and the body then ends early without an error; a
 * download can wait a while for its memory grant before it reads, and only the body is kept.
 */
function lockedBody(stream: WebReadableStream<Uint8Array>): AsyncIterable<Uint8Array> {
  const iterator = stream[Symbol.asyncIterator]();
  return { [Symbol.asyncIterator]: () => iterator };
}

/** A non-2xx raw response as the SDK's own error (what the other calls throw), for one translation. */
async function graphErrorOf(response: Response): Promise<GraphError> {
  const text = await response.text().catch(() => '');
  let detail: { code?: string; message?: string } | undefined;
  try {
    detail = (JSON.parse(text) as { error?: { code?: string; message?: string } }).error;
  } catch {
    detail = undefined; // not a Graph error body: the status says it all
  }
  const error = new GraphError(
    response.status,
    detail?.message ?? (text.slice(0, 200) || response.statusText),
  );
  error.code = detail?.code ?? null;
  error.headers = response.headers;
  error.body = text;
  return error;
}

function shortPath(pathOrUrl: string): string {
  const withoutQuery = pathOrUrl.split('?')[0] ?? pathOrUrl;
  return withoutQuery.replace(/^https?:\/\/[^/]+/, '');
}
