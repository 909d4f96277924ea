import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createInterface } from 'node:readline';

/** Azurite's well-known development account (public, documented by Microsoft; not a secret). */
export const AZURITE_ACCOUNT = 'devstoreaccount1';
export const AZURITE_KEY =
  'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

export interface AzuriteOptions {
  /** Data folder; omitted → in-memory (tests). */
  location?: string;
  /** 0 (default) picks free ports. */
  blobPort?: number;
  queuePort?: number;
  tablePort?: number;
  /** Where Azurite's own output goes (default: discarded). */
  onOutput?: (line: string) => void;
  startTimeoutMs?: number;
}

export interface RunningAzurite {
  connectionString: string;
  ports: { blob: number; queue: number; table: number };
  pid: number;
  stop(): Promise<void>;
}

export function azuriteConnectionString(ports: { blob: number; queue: number; table: number }): string {
  return (
    `DefaultEndpointsProtocol=http;AccountName=${AZURITE_ACCOUNT};AccountKey=${AZURITE_KEY};` +
    `BlobEndpoint=http://127.0.0.1:${ports.blob}/${AZURITE_ACCOUNT};` +
    `QueueEndpoint=http://127.0.0.1:${ports.queue}/${AZURITE_ACCOUNT};` +
    `TableEndpoint=http://127.0.0.1:${ports.table}/${AZURITE_ACCOUNT};`
  );
}

/**
 * Starts Azurite (the npm package) as a child process on loopback, with telemetry off and the API
 * version check skipped (it otherwise refuses the current SDKs' API version), and resolves once all
 * three services listen.
 */
export async function startAzurite(options: AzuriteOptions = {}): Promise<RunningAzurite> {
  const args = [
    require.resolve('azurite/dist/src/azurite.js'),
    '--blobHost',
    '127.0.0.1',
    '--queueHost',
    '127.0.0.1',
    '--tableHost',
    '127.0.0.1',
    '--blobPort',
    String(options.blobPort ?? 0),
    '--queuePort',
    String(options.queuePort ?? 0),
    '--tablePort',
    String(options.tablePort ?? 0),
    '--disableTelemetry',
    '--skipApiVersionCheck',
    '--loose',
  ];
  if (options.location) {
    mkdirSync(options.location, { recursive: true });
    args.push('--location', options.location);
  } else {
    args.push('--inMemoryPersistence');
  }
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const ports: Partial<Record<'blob' | 'queue' | 'table', number>> = {};
  const output: string[] = [];

  const ready = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () =>
        reject(
          new Error(
            `Azurite did not start within ${options.startTimeoutMs ?? 30000} ms:\n${output.join('\n')}`,
          ),
        ),
      options.startTimeoutMs ?? 30000,
    );
    const onLine = (line: string) => {
      output.push(line);
      options.onOutput?.(line);
      const match =
        /Azurite (Blob|Queue|Table) service is successfully listening at http:\/\/[^:]+:(\d+)/.exec(line);
      if (match) {
        ports[match[1]!.toLowerCase() as 'blob' | 'queue' | 'table'] = Number(match[2]);
        if (ports.blob && ports.queue && ports.table) {
          clearTimeout(timer);
          resolve();
        }
      }
    };
    createInterface({ input: child.stdout! }).on('line', onLine);
    createInterface({ input: child.stderr! }).on('line', onLine);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`Azurite exited with code ${code} before it was ready:\n${output.join('\n')}`));
    });
  });
  await ready;
  const resolvedPorts = { blob: ports.blob!, queue: ports.queue!, table: ports.table! };
  return {
    connectionString: azuriteConnectionString(resolvedPorts),
    ports: resolvedPorts,
    pid: child.pid!,
    stop: () => stopChild(child),
  };
}

/** Ends a child we started (SIGTERM, then SIGKILL after a grace period) and waits for it. */
export function stopChild(child: ChildProcess, graceMs = 5000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const kill = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
