import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { findEntryPoints } from './app-loader';
import {
  createCoreApi,
  createRegistry,
  installCoreModule,
  type AppRegistry,
  type RegisteredFunction,
  type RpcBindingInfo,
  type RpcHttpCookie,
  type RpcHttpData,
  type RpcTypedData,
} from './core-api';
import { applyLocalSettings, readHostConfig, type HostConfig, type LoadedSettings } from './host-config';
import { compileRoute, comparePrecedence, matchRoute, type CompiledRoute } from './http-routing';
import { Invoker } from './invoker';
import { createLogger, describeError, fromRpcLevel, levelFromHostJson, type Logger } from './logger';
import { adminQueueInput, QueueOutputWriter, QueueTriggerListener } from './queue-trigger';
import { TimerTriggerListener } from './timer-trigger';

export const HOST_VERSION = '4.0.0-local';
/** The real host's request body limit (Kestrel's MaxRequestBodySize in the Functions host). */
export const DEFAULT_MAX_REQUEST_BODY_BYTES = 100 * 1024 * 1024;

export interface HostOptions {
  /** The app folder: package.json (`main`), host.json. */
  scriptRoot: string;
  /** 7071 by default; 0 picks a free port. */
  port?: number;
  /** Listen address; loopback by default. */
  hostname?: string;
  /** local.settings.json to apply; default `<scriptRoot>/local.settings.json`. */
  settingsFile?: string;
  /** Request bodies larger than this get 413 (default 100 MB, like the real host). */
  maxRequestBodyBytes?: number;
  /**
   * The real host answers 404 when a route exists but not for the request's method. Set this to
   * answer 405 with an `Allow` header instead (handy while developing a client).
   */
  methodNotAllowed405?: boolean;
  /** How long stop() waits for in-flight invocations (default 10 s). */
  shutdownGraceMs?: number;
  logger?: Logger;
  /** Where the default logger's lines go (default stdout); ignored when `logger` is given. */
  write?: (line: string) => void;
}

export interface FunctionDescription {
  name: string;
  trigger: string;
  /** HTTP: methods and URL; timer: schedule and next run; queue: queue and connection. */
  detail: string;
}

export class HostStartupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'HostStartupError';
  }
}

interface HttpFunction {
  fn: RegisteredFunction;
  route: CompiledRoute;
  /** Upper-case methods; undefined = every method. */
  methods: string[] | undefined;
}

/**
 * A local stand-in for the Azure Functions host: provides `@azure/functions-core`, loads the app
 * that package.json `main` names, and runs what it registered — HTTP routes on Node's http server,
 * timers, Storage queue triggers — plus the admin API to run a non-HTTP function now.
 */
export class FunctionHost {
  readonly registry: AppRegistry;
  readonly config: HostConfig;
  readonly settings: LoadedSettings;
  private readonly logger: Logger;
  private readonly invoker: Invoker;
  private readonly httpFunctions: HttpFunction[] = [];
  private readonly timers = new Map<string, TimerTriggerListener>();
  private readonly queues = new Map<string, QueueTriggerListener>();
  private readonly other = new Map<string, RegisteredFunction>();
  private readonly inFlight = new Set<Promise<unknown>>();
  private server: http.Server | undefined;
  private stopping: Promise<void> | undefined;
  private address: AddressInfo | undefined;
  /** Set when the app enabled HTTP streaming: the library's proxy that streamed requests go to. */
  private httpStreamUri: string | undefined;

  private constructor(private readonly options: HostOptions) {
    const scriptRoot = path.resolve(options.scriptRoot);
    this.settings = applyLocalSettings(options.settingsFile ?? path.join(scriptRoot, 'local.settings.json'));
    this.config = readHostConfig(scriptRoot);
    this.logger =
      options.logger ??
      createLogger({ minLevel: levelFromHostJson(readLogLevel(scriptRoot)), write: options.write });
    this.registry = createRegistry();
    const outputs = new QueueOutputWriter(process.env, this.config.queues.messageEncoding);
    this.invoker = new Invoker(this.registry, this.logger, {
      functionTimeoutMs: this.config.functionTimeoutMs,
      writeOutput: async (functionName, binding, data) => {
        if ((binding.type ?? '').toLowerCase() !== 'queue') {
          this.logger.warn(
            `Output binding type '${binding.type}' is not supported by the local host; ignored`,
            {
              function: functionName,
            },
          );
          return;
        }
        await outputs.write(functionName, binding, data);
      },
    });
  }

  /** Loads the app and starts every trigger; throws HostStartupError with a readable message. */
  static async start(options: HostOptions): Promise<FunctionHost> {
    let host: FunctionHost;
    try {
      host = new FunctionHost(options);
    } catch (error) {
      throw new HostStartupError((error as Error).message);
    }
    await host.load();
    await host.listen();
    host.startTriggers();
    return host;
  }

  get url(): string {
    const address = this.address;
    if (!address) throw new Error('The host is not listening');
    const hostname = address.address.includes(':') ? `[${address.address}]` : address.address;
    return `http://${hostname}:${address.port}`;
  }

  get port(): number {
    return this.address?.port ?? 0;
  }

  describeFunctions(): FunctionDescription[] {
    return this.registry.functions.map((fn) => {
      const name = fn.metadata.name;
      const http = this.httpFunctions.find((h) => h.fn === fn);
      if (http) {
        const url = `${this.url}/${[this.config.routePrefix, http.route.template.replace(/^\/+/, '')]
          .filter(Boolean)
          .join('/')}`;
        return { name, trigger: 'httpTrigger', detail: `[${(http.methods ?? ['ALL']).join(',')}] ${url}` };
      }
      const timer = this.timers.get(name);
      if (timer) {
        const next = timer.nextRun();
        return {
          name,
          trigger: 'timerTrigger',
          detail: `schedule '${timer.schedule}'${timer.runOnStartup ? ' runOnStartup' : ''}${
            next ? `, next ${next.toISOString()}` : ''
          }`,
        };
      }
      const queue = this.queues.get(name);
      if (queue) {
        return {
          name,
          trigger: 'queueTrigger',
          detail: `queue '${queue.queueName}' (connection ${queue.connectionName})`,
        };
      }
      const trigger = triggerOf(fn);
      return {
        name,
        trigger: String(trigger.type),
        detail: `not run by the local host; POST /admin/functions/${name} invokes it`,
      };
    });
  }

  /** Stops accepting work, lets in-flight invocations finish within the grace period, then ends. */
  stop(): Promise<void> {
    this.stopping ??= this.shutdown();
    return this.stopping;
  }

  private async shutdown(): Promise<void> {
    const graceMs = this.options.shutdownGraceMs ?? 10_000;
    this.logger.info('Host shutting down');
    const closed = new Promise<void>((resolve) =>
      this.server ? this.server.close(() => resolve()) : resolve(),
    );
    this.server?.closeIdleConnections();
    await Promise.all([
      ...[...this.timers.values()].map((t) => t.stop(graceMs)),
      ...[...this.queues.values()].map((q) => q.stop(graceMs)),
    ]);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled([...this.inFlight]),
      new Promise((resolve) => (timer = setTimeout(resolve, graceMs))),
    ]);
    clearTimeout(timer);
    this.server?.closeAllConnections();
    await closed;
    try {
      await this.invoker.runAppHook('appTerminate', path.resolve(this.options.scriptRoot));
    } catch (error) {
      this.logger.warn('An appTerminate hook failed', describeError(error));
    }
    this.logger.info('Host stopped');
  }

  private async load(): Promise<void> {
    const scriptRoot = path.resolve(this.options.scriptRoot);
    const coreApi = createCoreApi(this.registry, {
      version: HOST_VERSION,
      hostVersion: HOST_VERSION,
      log: (level, _category, message) =>
        this.logger.log({ level: fromRpcLevel(level), source: 'system', message }),
    });
    installCoreModule(coreApi);
    let files: string[];
    try {
      files = findEntryPoints(scriptRoot).files;
    } catch (error) {
      throw new HostStartupError((error as Error).message);
    }
    for (const file of files) {
      try {
        // CommonJS through require (so the core module hook applies); ES modules through import().
        if (file.endsWith('.mjs') || (file.endsWith('.js') && packageType(scriptRoot) === 'module')) {
          await import(pathToFileURL(file).href);
        } else {
          // eslint-disable-next-line @typescript-eslint/no-require-imports
          require(file);
        }
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        throw new HostStartupError(
          `Worker was unable to load entry point "${path.relative(scriptRoot, file)}": ${message}`,
        );
      }
    }
    const model = this.registry.programmingModel;
    if (this.registry.functions.length > 0 && !model) {
      throw new HostStartupError('Functions were registered without a programming model');
    }
    if (model?.getCapabilities) {
      const capabilities = await model.getCapabilities({});
      // app.setup({ enableHttpStream: true }): like the real host, forward HTTP requests to the
      // library's proxy and stream its response back instead of passing bodies through invocations.
      if (capabilities.HttpUri) this.httpStreamUri = capabilities.HttpUri;
    }
    try {
      this.registerTriggers();
    } catch (error) {
      throw new HostStartupError((error as Error).message);
    }
    try {
      await this.invoker.runAppHook('appStart', scriptRoot);
    } catch (error) {
      throw new HostStartupError(`An appStart hook failed: ${(error as Error).message}`);
    }
  }

  private registerTriggers(): void {
    for (const fn of this.registry.functions) {
      const trigger = triggerOf(fn);
      const type = String(trigger.type).toLowerCase();
      if (type === 'httptrigger') {
        const route = compileRoute(typeof trigger.route === 'string' ? trigger.route : fn.metadata.name);
        const methods = Array.isArray(trigger.methods)
          ? (trigger.methods as string[]).map((m) => m.toUpperCase())
          : undefined;
        this.httpFunctions.push({ fn, route, methods: methods && methods.length > 0 ? methods : undefined });
      } else if (type === 'timertrigger') {
        this.timers.set(
          fn.metadata.name,
          new TimerTriggerListener(fn, trigger, this.invoker, this.logger, process.env),
        );
      } else if (type === 'queuetrigger') {
        this.queues.set(
          fn.metadata.name,
          new QueueTriggerListener(fn, trigger, this.invoker, this.config.queues, this.logger, process.env),
        );
      } else {
        this.other.set(fn.metadata.name, fn);
      }
    }
    this.httpFunctions.sort((a, b) => comparePrecedence(a.route, b.route));
  }

  private listen(): Promise<void> {
    const server = http.createServer((req, res) => {
      const work = this.handle(req, res).catch((error: unknown) => {
        this.logger.error('The host failed to answer a request', describeError(error));
        if (!res.headersSent) res.writeHead(500).end();
        else res.destroy();
      });
      this.inFlight.add(work);
      void work.finally(() => this.inFlight.delete(work));
    });
    this.server = server;
    const port = this.options.port ?? 7071;
    const hostname = this.options.hostname ?? '127.0.0.1';
    return new Promise((resolve, reject) => {
      server.once('error', (error: NodeJS.ErrnoException) => {
        reject(
          new HostStartupError(
            error.code === 'EADDRINUSE'
              ? `Port ${port} is unavailable (already in use on ${hostname}). Stop whatever uses it or pass another --port.`
              : `Could not listen on ${hostname}:${port}: ${error.message}`,
          ),
        );
      });
      server.listen(port, hostname, () => {
        this.address = server.address() as AddressInfo;
        resolve();
      });
    });
  }

  private startTriggers(): void {
    for (const timer of this.timers.values()) timer.start();
    for (const queue of this.queues.values()) queue.start();
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', `http://${req.headers.host ?? `127.0.0.1:${this.port}`}`);
    const pathname = url.pathname.replace(/\/{2,}/g, '/');
    const method = (req.method ?? 'GET').toUpperCase();
    if (this.stopping) {
      empty(res, 503, { connection: 'close' });
      return;
    }
    if (/^\/admin(\/|$)/i.test(pathname)) return this.handleAdmin(req, res, pathname, method);
    if (pathname === '/' && (method === 'GET' || method === 'HEAD')) {
      res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
      res.end(method === 'HEAD' ? undefined : 'Your Functions 4.0 app is up and running (local host)\n');
      return;
    }
    const prefix = this.config.routePrefix ? `/${this.config.routePrefix}` : '';
    const lower = pathname.toLowerCase();
    if (prefix && !(lower === prefix.toLowerCase() || lower.startsWith(`${prefix.toLowerCase()}/`))) {
      return void empty(res, 404);
    }
    const rest = pathname.slice(prefix.length);
    let allowed: string[] = [];
    for (const candidate of this.httpFunctions) {
      const params = matchRoute(candidate.route, rest);
      if (!params) continue;
      if (candidate.methods && !candidate.methods.includes(method)) {
        allowed = allowed.concat(candidate.methods);
        continue;
      }
      return this.invokeHttp(candidate.fn, req, res, url, method, params);
    }
    if (allowed.length > 0 && this.options.methodNotAllowed405) {
      empty(res, 405, { allow: [...new Set(allowed)].join(', ') });
      return;
    }
    empty(res, 404);
  }

  private async invokeHttp(
    fn: RegisteredFunction,
    req: http.IncomingMessage,
    res: http.ServerResponse,
    url: URL,
    method: string,
    params: Record<string, string>,
  ): Promise<void> {
    if (this.httpStreamUri)
      return this.invokeHttpStreaming(fn, this.httpStreamUri, req, res, url, method, params);
    const body = await this.readBody(req, res);
    if (body === undefined) return;
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(req.headers)) {
      if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
    }
    const request: RpcHttpData = {
      method,
      url: url.toString(),
      headers,
      params,
      body: { bytes: body },
    };
    let response: RpcHttpData | undefined;
    try {
      const result = await this.invoker.invoke(fn, { data: { http: request } });
      response = result.returnValue?.http ?? undefined;
    } catch {
      // Logged by the invoker; the caller sees what the real host answers: 500 without details.
      empty(res, 500);
      return;
    }
    writeHttpResponse(res, response, method === 'HEAD');
  }

  /**
   * HTTP streaming (the real host's protocol with the library's proxy): the invocation carries the
   * headers and route parameters as trigger metadata, the request itself (body streamed) goes to the
   * proxy with `x-ms-invocation-id`, and the proxy's response streams back to the caller.
   */
  private async invokeHttpStreaming(
    fn: RegisteredFunction,
    proxyUri: string,
    req: http.IncomingMessage,
    res: http.ServerResponse,
    url: URL,
    method: string,
    params: Record<string, string>,
  ): Promise<void> {
    const limit = this.options.maxRequestBodyBytes ?? DEFAULT_MAX_REQUEST_BODY_BYTES;
    if (Number(req.headers['content-length']) > limit) {
      res.writeHead(413, { 'content-length': '0' }).end();
      req.resume();
      return;
    }
    const invocationId = randomUUID();
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(req.headers)) {
      if (value === undefined || HOP_BY_HOP.has(name)) continue;
      headers[name] = Array.isArray(value) ? value.join(', ') : value;
    }
    const triggerMetadata: Record<string, RpcTypedData> = { Headers: { json: JSON.stringify(headers) } };
    for (const [name, value] of Object.entries(params)) triggerMetadata[name] = { string: value };

    let proxyReq: http.ClientRequest | undefined;
    let tooLarge = false;
    const proxied = new Promise<void>((resolve, reject) => {
      proxyReq = http.request(new URL(url.pathname + url.search, proxyUri), {
        method,
        headers: {
          ...headers,
          'x-ms-invocation-id': invocationId,
          'x-forwarded-host': url.host,
          'x-forwarded-proto': url.protocol.replace(':', ''),
        },
      });
      proxyReq.on('response', (proxyRes) => {
        const outHeaders: http.OutgoingHttpHeaders = {};
        for (const [name, value] of Object.entries(proxyRes.headers)) {
          // Framing and connection headers belong to each hop; Node sets its own for the caller.
          if (value !== undefined && !HOP_BY_HOP.has(name) && name !== 'x-ms-invocation-id')
            outHeaders[name] = value;
        }
        res.writeHead(proxyRes.statusCode ?? 200, outHeaders);
        proxyRes.pipe(res);
        proxyRes.on('end', resolve);
        proxyRes.on('error', reject);
      });
      proxyReq.on('error', reject);
      let size = 0;
      req.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > limit && !tooLarge) {
          tooLarge = true;
          if (proxyReq) req.unpipe(proxyReq);
          proxyReq?.destroy(new Error('request body too large'));
          if (!res.headersSent) res.writeHead(413, { 'content-length': '0' }).end();
          req.resume(); // drain the rest so the client sees the answer instead of a reset
        }
      });
      req.pipe(proxyReq);
    });
    proxied.catch(() => undefined);
    try {
      await this.invoker.invoke(fn, { data: { http: {} }, triggerMetadata, invocationId });
      await proxied;
    } catch {
      proxyReq?.destroy();
      if (!res.headersSent) res.writeHead(500, { 'content-length': '0' }).end();
      else if (!tooLarge) res.destroy();
    }
  }

  /** Reads the request body; answers 413 and resolves undefined when it exceeds the limit. */
  private readBody(req: http.IncomingMessage, res: http.ServerResponse): Promise<Buffer | undefined> {
    const limit = this.options.maxRequestBodyBytes ?? DEFAULT_MAX_REQUEST_BODY_BYTES;
    const tooLarge = () => {
      // No `connection: close`: closing while the client still sends makes it see EPIPE, not 413.
      res.writeHead(413, { 'content-type': 'text/plain; charset=utf-8' });
      res.end(`Request body too large (limit ${limit} bytes)\n`);
      req.resume();
    };
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > limit) {
      tooLarge();
      return Promise.resolve(undefined);
    }
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      let size = 0;
      let over = false;
      req.on('data', (chunk: Buffer) => {
        if (over) return;
        size += chunk.length;
        if (size > limit) {
          over = true;
          chunks.length = 0;
          tooLarge();
          resolve(undefined);
          return;
        }
        chunks.push(chunk);
      });
      req.on('end', () => {
        if (!over) resolve(Buffer.concat(chunks));
      });
      req.on('error', reject);
    });
  }

  private async handleAdmin(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    pathname: string,
    method: string,
  ): Promise<void> {
    const json = (status: number, value: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify(value));
    };
    if (/^\/admin\/host\/status\/?$/i.test(pathname) && method === 'GET') {
      return json(200, {
        state: 'Running',
        version: HOST_VERSION,
        processUptime: Math.round(process.uptime() * 1000),
      });
    }
    if (/^\/admin\/functions\/?$/i.test(pathname) && method === 'GET') {
      return json(200, this.describeFunctions());
    }
    const match = /^\/admin\/functions\/([^/]+)\/?$/i.exec(pathname);
    if (!match) return void empty(res, 404);
    const name = decodeURIComponent(match[1]!);
    const fn = this.registry.functions.find((f) => f.metadata.name.toLowerCase() === name.toLowerCase());
    if (!fn) return void empty(res, 404);
    if (method === 'GET')
      return json(
        200,
        this.describeFunctions().find((d) => d.name === fn.metadata.name),
      );
    if (method !== 'POST') return void empty(res, 405, { allow: 'GET, POST' });
    if (this.httpFunctions.some((h) => h.fn === fn)) {
      return json(400, { error: `'${fn.metadata.name}' is HTTP-triggered: call its route instead` });
    }
    const body = await this.readBody(req, res);
    if (body === undefined) return;
    let input: unknown;
    if (body.length > 0) {
      try {
        input = (JSON.parse(body.toString('utf8')) as { input?: unknown }).input;
      } catch {
        return json(400, { error: 'expected a JSON body like { "input": "…" }' });
      }
    }
    const run = this.runNow(fn, input).catch(() => undefined); // failures are logged by the invoker
    this.inFlight.add(run);
    void run.finally(() => this.inFlight.delete(run));
    empty(res, 202);
  }

  /** Runs a non-HTTP function now, as the admin API does. */
  private runNow(fn: RegisteredFunction, input: unknown): Promise<unknown> {
    const timer = this.timers.get(fn.metadata.name);
    if (timer) return timer.runNow();
    const invocationId = randomUUID();
    if (this.queues.has(fn.metadata.name)) {
      return this.invoker.invoke(fn, { ...adminQueueInput(input, invocationId), invocationId });
    }
    const data: RpcTypedData =
      input === undefined
        ? {}
        : typeof input === 'string'
          ? { string: input }
          : { json: JSON.stringify(input) };
    return this.invoker.invoke(fn, { data, invocationId });
  }
}

const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'transfer-encoding',
  'upgrade',
  'proxy-connection',
  'te',
  'trailer',
]);

function triggerOf(fn: RegisteredFunction): RpcBindingInfo {
  const trigger = Object.values(fn.metadata.bindings).find((b) => /trigger$/i.test(b.type ?? ''));
  if (!trigger) throw new Error(`Function '${fn.metadata.name}' has no trigger binding`);
  return trigger;
}

function packageType(scriptRoot: string): string | undefined {
  try {
    return (JSON.parse(readFileSync(path.join(scriptRoot, 'package.json'), 'utf8')) as { type?: string })
      .type;
  } catch {
    return undefined;
  }
}

function readLogLevel(scriptRoot: string): string | undefined {
  try {
    const json = JSON.parse(readFileSync(path.join(scriptRoot, 'host.json'), 'utf8')) as {
      logging?: { logLevel?: Record<string, string> };
    };
    return json.logging?.logLevel?.Function ?? json.logging?.logLevel?.default;
  } catch {
    return undefined;
  }
}

function empty(res: http.ServerResponse, status: number, headers: Record<string, string> = {}): void {
  res.writeHead(status, { ...headers, 'content-length': '0' }).end();
}

function writeHttpResponse(res: http.ServerResponse, response: RpcHttpData | undefined, head: boolean): void {
  if (!response) {
    res.writeHead(204).end();
    return;
  }
  const status = Number.parseInt(response.statusCode ?? '200', 10) || 200;
  for (const [name, value] of Object.entries(response.headers ?? {})) {
    const lower = name.toLowerCase();
    // Framing and connection headers are the server's business (the library's proxy drops them too).
    if (HOP_BY_HOP.has(lower) || lower === 'content-length') continue;
    if (lower === 'set-cookie') res.appendHeader('set-cookie', value);
    else res.setHeader(name, value);
  }
  for (const cookie of response.cookies ?? []) res.appendHeader('set-cookie', serializeCookie(cookie));
  const body = response.body;
  const bytes = body?.bytes
    ? Buffer.from(body.bytes)
    : typeof body?.string === 'string'
      ? Buffer.from(body.string, 'utf8')
      : Buffer.alloc(0);
  const noBody = status === 204 || status === 304 || (status >= 100 && status < 200);
  if (!noBody) res.setHeader('content-length', String(bytes.length));
  res.writeHead(status);
  res.end(head || noBody ? undefined : bytes);
}

function serializeCookie(cookie: RpcHttpCookie): string {
  const parts = [`${cookie.name ?? ''}=${encodeURIComponent(cookie.value ?? '')}`];
  if (cookie.domain?.value) parts.push(`Domain=${cookie.domain.value}`);
  if (cookie.path?.value) parts.push(`Path=${cookie.path.value}`);
  if (cookie.expires?.value?.seconds !== undefined && cookie.expires.value.seconds !== null) {
    parts.push(`Expires=${new Date(Number(cookie.expires.value.seconds) * 1000).toUTCString()}`);
  }
  if (cookie.maxAge?.value !== undefined && cookie.maxAge.value !== null) {
    parts.push(`Max-Age=${Math.trunc(cookie.maxAge.value)}`);
  }
  if (cookie.secure?.value) parts.push('Secure');
  if (cookie.httpOnly?.value) parts.push('HttpOnly');
  if (cookie.sameSite === 'lax') parts.push('SameSite=Lax');
  else if (cookie.sameSite === 'strict') parts.push('SameSite=Strict');
  else if (cookie.sameSite === 'explicitNone') parts.push('SameSite=None');
  return parts.join('; ');
}
