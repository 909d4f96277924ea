import type { StorageClients } from '../storage/storage-clients';

export type HealthPart = 'table' | 'blob' | 'queue';

export interface PartHealth {
  ok: boolean;
  latencyMs: number;
  /** Why the part failed; a short, non-secret description. */
  error?: string;
}

export interface HealthReport {
  status: 'healthy' | 'unhealthy';
  version: string;
  checkedAt: string;
  storage: Record<HealthPart, PartHealth>;
  /** Names of the parts that did not answer. */
  failing: HealthPart[];
}

export interface HealthDependencies {
  storage: StorageClients;
  version: string;
  now?: () => Date;
  timeoutMs?: number;
}

/** Asks each Storage service one cheap question (list one entry), in parallel, with a deadline. */
export async function checkHealth(deps: HealthDependencies): Promise<HealthReport> {
  const timeoutMs = deps.timeoutMs ?? 3000;
  const probe = async (run: (signal: AbortSignal) => Promise<unknown>): Promise<PartHealth> => {
    const started = performance.now();
    try {
      await run(AbortSignal.timeout(timeoutMs));
      return { ok: true, latencyMs: Math.round(performance.now() - started) };
    } catch (error) {
      return { ok: false, latencyMs: Math.round(performance.now() - started), error: describe(error) };
    }
  };
  const [table, blob, queue] = await Promise.all([
    probe((abortSignal) => deps.storage.tables.listTables({ abortSignal }).byPage({ maxPageSize: 1 }).next()),
    probe((abortSignal) =>
      deps.storage.blobs.listContainers({ abortSignal }).byPage({ maxPageSize: 1 }).next(),
    ),
    probe((abortSignal) => deps.storage.queues.listQueues({ abortSignal }).byPage({ maxPageSize: 1 }).next()),
  ]);
  const storage = { table, blob, queue };
  const failing = (Object.keys(storage) as HealthPart[]).filter((part) => !storage[part].ok);
  return {
    status: failing.length === 0 ? 'healthy' : 'unhealthy',
    version: deps.version,
    checkedAt: (deps.now?.() ?? new Date()).toISOString(),
    storage,
    failing,
  };
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    if (error.name === 'AbortError' || error.name === 'TimeoutError') return 'did not answer in time';
    return typeof code === 'string' ? `${code}` : error.name;
  }
  return 'unknown error';
}
