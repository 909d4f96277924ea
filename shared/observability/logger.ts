/** Structured logging for core code. Function files pass an adapter over InvocationContext. */
export interface Logger {
  info(message: string, properties?: Record<string, unknown>): void;
  warn(message: string, properties?: Record<string, unknown>): void;
  error(message: string, properties?: Record<string, unknown>): void;
}

export const silentLogger: Logger = { info: () => undefined, warn: () => undefined, error: () => undefined };

/** Adapts anything with Functions-style log methods (InvocationContext) to Logger. */
export function loggerFrom(
  context: {
    log(...args: unknown[]): void;
    warn(...args: unknown[]): void;
    error(...args: unknown[]): void;
  },
  base: Record<string, unknown> = {},
): Logger {
  return {
    info: (message, properties) => context.log(message, { ...base, ...properties }),
    warn: (message, properties) => context.warn(message, { ...base, ...properties }),
    error: (message, properties) => context.error(message, { ...base, ...properties }),
  };
}
