import type { RpcLogLevel } from './core-api';

/**
 * Structured, single-line JSON logs: one object per line with `time`, `level`, `source` (`host`,
 * `function` for context.log and friends, `system` for the library's own messages), and for function
 * logs the function name and invocation id.
 */
export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'critical';

const rank: Record<LogLevel, number> = { trace: 0, debug: 1, info: 2, warn: 3, error: 4, critical: 5 };

export interface LogEntry {
  level: LogLevel;
  source: 'host' | 'function' | 'system';
  message: string;
  function?: string;
  invocationId?: string;
  [field: string]: unknown;
}

export interface Logger {
  log(entry: LogEntry): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
  debug(message: string, fields?: Record<string, unknown>): void;
}

/** Level names (RPC levels, host.json's Information/Warning/…) to a log level. */
function levelNamed(name: string | undefined): LogLevel {
  switch ((name ?? '').toLowerCase()) {
    case 'trace':
      return 'trace';
    case 'debug':
      return 'debug';
    case 'warning':
      return 'warn';
    case 'error':
      return 'error';
    case 'critical':
      return 'critical';
    default:
      return 'info';
  }
}

export function fromRpcLevel(level: RpcLogLevel | string): LogLevel {
  return levelNamed(level);
}

/** host.json `logging.logLevel.default` names (Information, Warning, …) to a minimum level. */
export function levelFromHostJson(name: string | undefined): LogLevel {
  return levelNamed(name);
}

export function createLogger(
  options: { minLevel?: LogLevel; write?: (line: string) => void; now?: () => Date } = {},
): Logger {
  const minLevel = options.minLevel ?? 'info';
  const write = options.write ?? ((line: string) => process.stdout.write(line + '\n'));
  const now = options.now ?? (() => new Date());
  const log = (entry: LogEntry) => {
    if (rank[entry.level] < rank[minLevel]) return;
    const { level, source, message, ...rest } = entry;
    write(JSON.stringify({ time: now().toISOString(), level, source, ...rest, message }));
  };
  const at =
    (level: LogLevel) =>
    (message: string, fields: Record<string, unknown> = {}) =>
      log({ ...fields, level, source: 'host', message });
  return { log, info: at('info'), warn: at('warn'), error: at('error'), debug: at('debug') };
}

/** A short, non-secret description of an error for a log line (message and stack). */
export function describeError(error: unknown): { error: string; stack?: string } {
  if (error instanceof Error) return { error: `${error.name}: ${error.message}`, stack: error.stack };
  return { error: String(error) };
}
