import { randomUUID } from 'node:crypto';
import type {
  AppRegistry,
  CoreInvocationContext,
  FunctionCallback,
  HookName,
  InvocationState,
  RegisteredFunction,
  RpcBindingInfo,
  RpcInvocationRequest,
  RpcInvocationResponse,
  RpcLogCategory,
  RpcLogLevel,
  RpcParameterBinding,
  RpcTypedData,
} from './core-api';
import { describeError, fromRpcLevel, type Logger } from './logger';

/** What a trigger hands the invoker: the trigger binding's data and the trigger metadata. */
export interface InvocationInput {
  /** The trigger's data (the worker's `inputData` entry for the trigger binding). */
  data: RpcTypedData;
  triggerMetadata?: Record<string, RpcTypedData>;
  invocationId?: string;
}

/** Writes one output binding's value (queue messages, …) after a successful invocation. */
export type OutputWriter = (
  functionName: string,
  binding: RpcBindingInfo,
  data: RpcTypedData,
) => Promise<void>;

export class FunctionTimeoutError extends Error {
  constructor(functionName: string, invocationId: string, timeoutMs: number) {
    super(
      `Timeout value of ${formatDuration(timeoutMs)} exceeded by function '${functionName}' (Id: '${invocationId}')`,
    );
    this.name = 'FunctionTimeoutError';
  }
}

/**
 * Runs one invocation the way the Node.js worker does: the registered programming model builds the
 * real `InvocationContext` and inputs (`getArguments`), preInvocation hooks run, the handler runs
 * (bounded by host.json `functionTimeout`), postInvocation hooks run, then `getResponse` converts the
 * result and output bindings, which the host then writes.
 */
export class Invoker {
  constructor(
    private readonly registry: AppRegistry,
    private readonly logger: Logger,
    private readonly options: { functionTimeoutMs: number | undefined; writeOutput: OutputWriter },
  ) {}

  triggerBindingName(fn: RegisteredFunction): string {
    const entry = Object.entries(fn.metadata.bindings).find(([, b]) => /trigger$/i.test(b.type ?? ''));
    if (!entry) throw new Error(`Function ${fn.metadata.name} has no trigger binding`);
    return entry[0];
  }

  async invoke(fn: RegisteredFunction, input: InvocationInput): Promise<RpcInvocationResponse> {
    const model = this.registry.programmingModel;
    if (!model) throw new Error('The app did not register a programming model (is @azure/functions loaded?)');
    const functionName = fn.metadata.name;
    const invocationId = input.invocationId ?? randomUUID();
    const bindings: RpcParameterBinding[] = [{ name: this.triggerBindingName(fn), data: input.data }];
    const request: RpcInvocationRequest = {
      invocationId,
      functionId: functionName,
      inputData: bindings,
      triggerMetadata: input.triggerMetadata ?? {},
      retryContext: null,
      traceContext: { traceParent: `00-${hex(16)}-${hex(8)}-01`, traceState: '' },
    };
    let invocationContext: unknown;
    const coreContext: CoreInvocationContext = {
      invocationId,
      request,
      metadata: fn.metadata,
      state: undefined as InvocationState | undefined,
      log: (level: RpcLogLevel, category: RpcLogCategory, message: string) =>
        this.functionLog(functionName, invocationId, invocationContext, level, category, message),
    };

    const started = Date.now();
    this.logger.log({
      level: 'info',
      source: 'host',
      message: `Executing '${functionName}'`,
      function: functionName,
      invocationId,
    });
    try {
      const invocationModel = model.getInvocationModel(coreContext);
      const args = await invocationModel.getArguments();
      invocationContext = args.context;
      const hookData: Record<string, unknown> = {};
      const appHookData = this.registry.appHookData;

      const pre = {
        hookData,
        appHookData,
        invocationContext,
        inputs: args.inputs,
        functionCallback: fn.callback as FunctionCallback,
      };
      coreContext.state = 'preInvocationHooks';
      try {
        await this.runHooks('preInvocation', pre);
      } finally {
        coreContext.state = undefined;
      }

      const post = {
        hookData,
        appHookData,
        invocationContext,
        inputs: pre.inputs,
        result: null as unknown,
        error: null as unknown,
      };
      coreContext.state = 'invocation';
      try {
        post.result = await this.withTimeout(
          invocationModel.invokeFunction(invocationContext, pre.inputs, pre.functionCallback),
          functionName,
          invocationId,
        );
      } catch (error) {
        post.error = error;
      } finally {
        coreContext.state = undefined;
      }

      coreContext.state = 'postInvocationHooks';
      try {
        await this.runHooks('postInvocation', post);
      } finally {
        coreContext.state = undefined;
      }
      if (post.error !== null && post.error !== undefined) throw post.error;

      const response = await invocationModel.getResponse(invocationContext, post.result);
      await this.writeOutputs(fn, response);
      this.logger.log({
        level: 'info',
        source: 'host',
        message: `Executed '${functionName}' (Succeeded, Duration=${Date.now() - started}ms)`,
        function: functionName,
        invocationId,
      });
      return response;
    } catch (error) {
      this.logger.log({
        level: 'error',
        source: 'host',
        message: `Executed '${functionName}' (Failed, Duration=${Date.now() - started}ms)`,
        function: functionName,
        invocationId,
        ...describeError(error),
      });
      throw error;
    }
  }

  /** Runs app-level hooks (appStart, appTerminate) with the worker's context shape. */
  async runAppHook(name: 'appStart' | 'appTerminate', functionAppDirectory: string): Promise<void> {
    await this.runHooks(name, { hookData: {}, appHookData: this.registry.appHookData, functionAppDirectory });
  }

  private async runHooks(name: HookName, context: Record<string, unknown>): Promise<void> {
    for (const hook of [...this.registry.hooks[name]]) await hook(context);
  }

  private functionLog(
    functionName: string,
    invocationId: string,
    invocationContext: unknown,
    level: RpcLogLevel,
    category: RpcLogCategory,
    message: string,
  ): void {
    const hookContext = {
      level,
      message,
      category,
      invocationContext,
      hookData: {},
      appHookData: this.registry.appHookData,
    };
    for (const hook of this.registry.hooks.log) {
      try {
        void hook(hookContext);
      } catch (error) {
        this.logger.warn('a log hook threw', { function: functionName, ...describeError(error) });
      }
    }
    this.logger.log({
      level: fromRpcLevel(hookContext.level),
      source: category === 'user' ? 'function' : 'system',
      message: hookContext.message,
      function: functionName,
      invocationId,
    });
  }

  private withTimeout<T>(work: Promise<T>, functionName: string, invocationId: string): Promise<T> {
    const timeoutMs = this.options.functionTimeoutMs;
    if (timeoutMs === undefined) return work;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(
        () => reject(new FunctionTimeoutError(functionName, invocationId, timeoutMs)),
        timeoutMs,
      );
    });
    return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
  }

  private async writeOutputs(fn: RegisteredFunction, response: RpcInvocationResponse): Promise<void> {
    const writes: Promise<void>[] = [];
    for (const [name, binding] of Object.entries(fn.metadata.bindings)) {
      if (binding.direction !== 'out' || (binding.type ?? '').toLowerCase() === 'http') continue;
      const data =
        name === '$return' ? response.returnValue : response.outputData?.find((o) => o.name === name)?.data;
      if (data === null || data === undefined) continue;
      writes.push(this.options.writeOutput(fn.metadata.name, { ...binding, name }, data));
    }
    await Promise.all(writes);
  }
}

function hex(bytes: number): string {
  return randomUUID()
    .replace(/-/g, '')
    .slice(0, bytes * 2)
    .padEnd(bytes * 2, '0');
}

export function formatDuration(ms: number): string {
  const total = Math.floor(ms / 1000);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${pad(Math.floor(total / 3600))}:${pad(Math.floor((total % 3600) / 60))}:${pad(total % 60)}`;
}
