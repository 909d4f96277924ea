import Module from 'node:module';

/**
 * The module `@azure/functions-core` that the real Node.js worker provides at run time (it is not on
 * npm). `@azure/functions` requires it lazily and registers the programming model, every function
 * and every hook through it. Only the part of the contract the library uses is typed here.
 */

export type RpcLogLevel = 'trace' | 'debug' | 'information' | 'warning' | 'error' | 'critical' | 'none';
export type RpcLogCategory = 'user' | 'system' | 'customMetric';

export interface RpcTypedData {
  string?: string | null;
  json?: string | null;
  bytes?: Uint8Array | null;
  stream?: Uint8Array | null;
  http?: RpcHttpData | null;
  int?: number | null;
  double?: number | null;
  collectionString?: { string?: string[] | null } | null;
  collectionBytes?: { bytes?: Uint8Array[] | null } | null;
}

export interface RpcNullable<T> {
  value?: T | null;
}

export interface RpcHttpCookie {
  name?: string | null;
  value?: string | null;
  domain?: RpcNullable<string> | null;
  path?: RpcNullable<string> | null;
  expires?: RpcNullable<{ seconds?: number | null; nanos?: number | null }> | null;
  secure?: RpcNullable<boolean> | null;
  httpOnly?: RpcNullable<boolean> | null;
  sameSite?: 'none' | 'lax' | 'strict' | 'explicitNone' | null;
  maxAge?: RpcNullable<number> | null;
}

export interface RpcHttpData {
  method?: string | null;
  url?: string | null;
  headers?: Record<string, string> | null;
  body?: RpcTypedData | null;
  params?: Record<string, string> | null;
  statusCode?: string | null;
  query?: Record<string, string> | null;
  cookies?: RpcHttpCookie[] | null;
}

export interface RpcBindingInfo {
  type?: string | null;
  direction?: 'in' | 'out' | 'inout' | null;
  [property: string]: unknown;
}

export interface FunctionMetadata {
  name: string;
  functionId?: string;
  bindings: Record<string, RpcBindingInfo>;
  retryOptions?: unknown;
}

export interface RpcParameterBinding {
  name?: string | null;
  data?: RpcTypedData | null;
}

export interface RpcInvocationRequest {
  invocationId?: string | null;
  functionId?: string | null;
  inputData?: RpcParameterBinding[] | null;
  triggerMetadata?: Record<string, RpcTypedData> | null;
  traceContext?: { traceParent?: string | null; traceState?: string | null } | null;
  retryContext?: { retryCount?: number | null; maxRetryCount?: number | null } | null;
}

export interface RpcInvocationResponse {
  invocationId?: string | null;
  outputData?: RpcParameterBinding[] | null;
  returnValue?: RpcTypedData | null;
}

export type InvocationState = 'preInvocationHooks' | 'postInvocationHooks' | 'invocation';

export interface CoreInvocationContext {
  invocationId: string;
  request: RpcInvocationRequest;
  metadata: FunctionMetadata;
  state?: InvocationState;
  log(level: RpcLogLevel, category: RpcLogCategory, message: string): void;
}

export type FunctionCallback = (...args: unknown[]) => unknown;

export interface InvocationModel {
  getArguments(): Promise<{ context: unknown; inputs: unknown[] }>;
  invokeFunction(context: unknown, inputs: unknown[], callback: FunctionCallback): Promise<unknown>;
  getResponse(context: unknown, result: unknown): Promise<RpcInvocationResponse>;
}

export interface ProgrammingModel {
  name: string;
  version: string;
  getInvocationModel(coreContext: CoreInvocationContext): InvocationModel;
  getCapabilities?(capabilities: Record<string, string>): Promise<Record<string, string>>;
}

export type HookName = 'appStart' | 'appTerminate' | 'preInvocation' | 'postInvocation' | 'log';
export type HookCallback = (context: Record<string, unknown>) => void | Promise<void>;

export interface Disposable {
  dispose(): void;
}

export interface RegisteredFunction {
  metadata: FunctionMetadata;
  callback: FunctionCallback;
}

/** What the host learns from the app while it loads: the programming model, functions and hooks. */
export interface AppRegistry {
  programmingModel?: ProgrammingModel;
  functions: RegisteredFunction[];
  hooks: Record<HookName, HookCallback[]>;
  /** Shared by every hook for the app's lifetime (the worker's `appHookData`). */
  appHookData: Record<string, unknown>;
}

export interface CoreApiOptions {
  version: string;
  hostVersion: string;
  /** System logs from the library (`coreApi.log`). */
  log(level: RpcLogLevel, category: RpcLogCategory, message: string): void;
}

class CoreDisposable implements Disposable {
  #dispose: (() => unknown) | undefined;
  constructor(callOnDispose: () => unknown) {
    this.#dispose = callOnDispose;
  }
  static from(...items: { dispose: () => unknown }[]): CoreDisposable {
    return new CoreDisposable(() => items.forEach((item) => item.dispose()));
  }
  dispose(): void {
    this.#dispose?.();
    this.#dispose = undefined;
  }
}

export function createRegistry(): AppRegistry {
  return {
    functions: [],
    hooks: { appStart: [], appTerminate: [], preInvocation: [], postInvocation: [], log: [] },
    appHookData: {},
  };
}

/** Builds the object `require('@azure/functions-core')` returns, recording into `registry`. */
export function createCoreApi(registry: AppRegistry, options: CoreApiOptions): Record<string, unknown> {
  return {
    version: options.version,
    hostVersion: options.hostVersion,
    Disposable: CoreDisposable,
    setProgrammingModel(model: ProgrammingModel) {
      registry.programmingModel = model;
    },
    getProgrammingModel() {
      return registry.programmingModel;
    },
    registerFunction(metadata: FunctionMetadata, callback: FunctionCallback): Disposable {
      if (registry.functions.some((f) => f.metadata.name.toLowerCase() === metadata.name.toLowerCase())) {
        throw new Error(`A function with the name "${metadata.name}" has already been registered.`);
      }
      const entry: RegisteredFunction = { metadata, callback };
      registry.functions.push(entry);
      return new CoreDisposable(() => {
        registry.functions = registry.functions.filter((f) => f !== entry);
      });
    },
    registerHook(hookName: string, callback: HookCallback): Disposable {
      const list = registry.hooks[hookName as HookName];
      if (!list) throw new RangeError(`Unrecognized hook "${hookName}"`);
      list.push(callback);
      return new CoreDisposable(() => {
        const index = list.indexOf(callback);
        if (index >= 0) list.splice(index, 1);
      });
    },
    log(level: RpcLogLevel, category: RpcLogCategory, message: string) {
      options.log(level, category, message);
    },
  };
}

let installed: Record<string, unknown> | undefined;

/**
 * Makes `require('@azure/functions-core')` return `coreApi`, the way the real worker does it (by
 * intercepting the module load). Must run before anything requires `@azure/functions`, which looks
 * the module up once and caches the answer.
 */
export function installCoreModule(coreApi: Record<string, unknown>): void {
  if (installed) {
    installed = coreApi;
    return;
  }
  installed = coreApi;
  const moduleWithLoad = Module as unknown as {
    _load: (request: string, parent: unknown, isMain: boolean) => unknown;
  };
  const originalLoad = moduleWithLoad._load;
  moduleWithLoad._load = function load(request: string, parent: unknown, isMain: boolean) {
    if (request === '@azure/functions-core') return installed;
    return originalLoad.call(this, request, parent, isMain);
  };
}
