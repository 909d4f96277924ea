import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { withProcessSettings } from '../../dev/host/process-settings';

/**
 * Runs the local Functions host (the built `dist/dev/host/cli.js`) as a child process for a test.
 *
 *   const host = await startHost({
 *     scriptRoot: repoRoot, // the real app: dist/functions/*.js (build first)
 *     settingsFile: sampleSettings, // local.settings.json may not exist (CI); the sample always does
 *     env: { AzureWebJobsStorage: azurite.connectionString },
 *   });
 *   const response = await fetch(`${host.url}/api/health`);
 *   await host.stop();
 *
 * - Listens on a free port unless `port` is given; `url` is `http://127.0.0.1:<port>` (no `/api`).
 * - `env` is laid over this process's environment; a value of `undefined` removes a variable.
 *   Environment variables win over the settings file, so a test overrides one setting with `env`.
 * - Resolves once the host prints its listening line. If the host exits first (a bad setting,
 *   a busy port), rejects with a HostExitedError carrying the exit code and the host's output.
 * - `stop()` ends only this child (SIGTERM, then SIGKILL after a grace period) and resolves with its
 *   exit code. Build first (`npm test` does): this runs the compiled CLI, not the TypeScript.
 */
export interface StartHostOptions {
  /** App folder: package.json with `main`, host.json. */
  scriptRoot: string;
  env?: Record<string, string | undefined>;
  /** Default 0: a free port. */
  port?: number;
  /** local.settings.json to use; default `<scriptRoot>/local.settings.json` (if it exists). */
  settingsFile?: string;
  /** Extra CLI flags, e.g. ['--method-not-allowed', '--max-request-body', '1024']. */
  args?: string[];
  startTimeoutMs?: number;
}

export interface RunningHost {
  /** Base URL, e.g. http://127.0.0.1:43123 — HTTP functions are under `${url}/api/…`. */
  url: string;
  pid: number;
  /** Everything the host printed so far (stdout and stderr, one line each). */
  output(): string;
  /** Stops the host; resolves with its exit code (null if it was killed by a signal). */
  stop(): Promise<number | null>;
  /** Stops reading the host's output and closes it, as a parent process that died would. */
  closeOutput(): void;
  /** Resolves with the exit code when the host exits (null if killed by a signal). */
  exited: Promise<number | null>;
}

export class HostExitedError extends Error {
  constructor(
    readonly exitCode: number | null,
    readonly output: string,
  ) {
    super(`The Functions host exited with code ${exitCode} before it was listening:\n${output}`);
    this.name = 'HostExitedError';
  }
}

export const repoRoot = path.resolve(__dirname, '..', '..');
export const hostCli = path.join(repoRoot, 'dist', 'dev', 'host', 'cli.js');
/** The committed settings with values that work locally (Azurite on 10000-10002: override AzureWebJobsStorage). */
export const sampleSettings = path.join(repoRoot, 'local.settings.sample.json');

const LISTENING = /Functions host listening on (http:\/\/\S+)/;

export async function startHost(options: StartHostOptions): Promise<RunningHost> {
  if (!existsSync(hostCli)) throw new Error(`${hostCli} does not exist: run \`npm run build\` first`);
  const env: Record<string, string | undefined> = { ...process.env };
  for (const [name, value] of Object.entries(options.env ?? {})) {
    if (value === undefined) delete env[name];
    else env[name] = value;
  }
  const args = [hostCli, '--script-root', options.scriptRoot, '--port', String(options.port ?? 0)];
  if (options.settingsFile) args.push('--settings', options.settingsFile);
  args.push(...(options.args ?? []));

  const settingsFile = options.settingsFile ?? path.join(options.scriptRoot, 'local.settings.json'); // the host's default
  const child = spawn(process.execPath, args, {
    env: withProcessSettings(settingsFile, env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const timeoutMs = options.startTimeoutMs ?? 30_000;

  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`The Functions host did not listen within ${timeoutMs} ms:\n${lines.join('\n')}`));
    }, timeoutMs);
    const onLine = (line: string) => {
      lines.push(line);
      const match = LISTENING.exec(line);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    };
    createInterface({ input: child.stdout! }).on('line', onLine);
    createInterface({ input: child.stderr! }).on('line', onLine);
    void exited.then((code) => {
      clearTimeout(timer);
      // Let the last lines of output arrive before reporting.
      setImmediate(() => reject(new HostExitedError(code, lines.join('\n'))));
    });
  });

  return {
    url,
    pid: child.pid!,
    output: () => lines.join('\n'),
    exited,
    closeOutput: () => {
      child.stdout!.destroy();
      child.stderr!.destroy();
    },
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        const kill = setTimeout(() => child.kill('SIGKILL'), 15_000);
        child.kill('SIGTERM');
        const code = await exited;
        clearTimeout(kill);
        return code;
      }
      return exited;
    },
  };
}

/** Polls `check` until it returns a value other than undefined/false, or fails after `timeoutMs`. */
export async function eventually<T>(
  check: () => Promise<T | undefined | false> | T | undefined | false,
  { timeoutMs = 20_000, intervalMs = 100, what = 'condition' } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `Timed out after ${timeoutMs} ms waiting for ${what}${lastError ? `: ${String(lastError)}` : ''}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
