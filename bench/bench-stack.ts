/**
 * What bench:backup and the restore benchmarks all set up around the local host: its settings (the
 * sample with Azurite, the simulator and a fixed master key), the host itself started from dist,
 * this process relaunched trusting the simulator's CA, the stores over its storage, the benchmark's
 * customer tenant, active, and the resources they protect; and the worker's RSS and CPU from /proc.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { withProcessSettings } from '../dev/host/process-settings';
import type { RunningSimulator } from '../dev/simulator';
import { ensureTlsMaterial } from '../dev/simulator/tls';
import { SnapshotStore } from '../shared/backup/snapshot-store';
import { parseSettings, type Settings } from '../shared/config/settings';
import { StorageJobQueue } from '../shared/queues/job-queues';
import { resourceIdOf, type Resource, type ResourceKind } from '../shared/resources/resource';
import { ResourceStore } from '../shared/resources/resource-store';
import { createStorageClients } from '../shared/storage/storage-clients';
import { Tables } from '../shared/storage/tables';
import { TenantStore } from '../shared/tenants/tenant-store';

/** The repository (the benchmarks run from dist/bench). */
const repoRoot = resolve(__dirname, '../..');

/** The master key every benchmark repository is written with (a benchmark, not a secret). */
export const BENCH_MASTER_KEY = Buffer.alloc(32, 42);

/** Writes `<work>/local.settings.json` for the host; returns its path, the parsed settings and the values set over the sample. */
export function writeBenchSettings(
  work: string,
  azuriteConnectionString: string,
  sim: RunningSimulator,
): { settingsFile: string; settings: Settings; values: Record<string, string> } {
  const values: Record<string, string> = {
    FUNCTIONS_WORKER_RUNTIME: 'node',
    AzureWebJobsStorage: azuriteConnectionString,
    BACKUP_MASTER_KEY: BENCH_MASTER_KEY.toString('base64'),
    SNAPSHOT_SCHEDULE: '0 0 0 1 1 *',
    SNAPSHOT_JOB_BUDGET_SECONDS: '300',
    GRAPH_BASE_URL: sim.graphBaseUrl,
    ENTRA_AUTHORITY_HOST: sim.authorityHost,
    BACKUP_APP_CLIENT_ID: sim.app.clientId,
    BACKUP_APP_CLIENT_SECRET: sim.app.clientSecret,
  };
  const sample = JSON.parse(readFileSync(join(repoRoot, 'local.settings.sample.json'), 'utf8')) as {
    Values: Record<string, string>;
  };
  const settingsFile = join(work, 'local.settings.json');
  writeFileSync(
    settingsFile,
    JSON.stringify({ IsEncrypted: false, Values: { ...sample.Values, ...values } }, null, 2),
  );
  return { settingsFile, settings: parseSettings({ ...sample.Values, ...values }), values };
}

/** The simulator's first tenant as an active customer with licences to spare, nothing auto-protected. */
export async function putBenchTenant(tenants: TenantStore, sim: RunningSimulator): Promise<string> {
  const tenant = sim.tenants[0]!;
  const now = new Date().toISOString();
  await tenants.put({
    tenantId: tenant.tenantId,
    displayName: tenant.displayName,
    plan: 'full',
    licences: 1000,
    premiumSupport: false,
    adminContactEmail: `admin@${tenant.domain}`,
    timeZone: 'UTC',
    status: 'active',
    autoProtect: { mailbox: false, onedrive: false, site: false, group: false },
    createdAt: now,
    updatedAt: now,
  });
  return tenant.tenantId;
}

/** The stores a benchmark reads and writes, over the bench settings' storage. */
export function benchStores(settings: Settings) {
  const storage = createStorageClients(settings);
  const tables = new Tables(storage);
  return {
    storage,
    tables,
    tenants: new TenantStore(tables),
    resources: new ResourceStore(tables),
    snapshots: new SnapshotStore(tables),
    queue: new StorageJobQueue(storage.queues),
  };
}

export type BenchStores = ReturnType<typeof benchStores>;

/** A resource of the tenant, protected (as the portal would leave it; discovery is not run). */
export async function protectResource(
  resources: ResourceStore,
  tenantId: string,
  kind: ResourceKind,
  graphId: string,
  displayName: string,
): Promise<Resource> {
  const now = new Date().toISOString();
  const resource: Resource = {
    tenantId,
    resourceId: resourceIdOf(kind, graphId),
    kind,
    graphId,
    displayName,
    address: displayName,
    state: 'protected',
    protected: true,
    firstSeenAt: now,
    lastSeenAt: now,
    protectedAt: now,
    consecutiveFailures: 0,
  };
  await resources.put(resource);
  return resource;
}

/** Starts a new peak-RSS measurement of a process (Linux: "5" to clear_refs resets VmHWM). */
export function resetPeakRss(pid: number): void {
  writeFileSync(`/proc/${pid}/clear_refs`, '5');
}

/** Peak resident set of a process (Linux VmHWM), bytes. */
export function peakRss(pid: number): number {
  const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) * 1024 : 0;
}

/** Current resident set of a process (Linux VmRSS), bytes: what a finished job left behind. */
export function currentRss(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) * 1024 : 0;
}

/** Node flags for the worker host from BENCH_HOST_NODE_ARGS (e.g. `--cpu-prof --cpu-prof-dir=prof`). */
export function hostNodeArgs(): string[] {
  return (process.env.BENCH_HOST_NODE_ARGS ?? '').split(/\s+/).filter(Boolean);
}

/**
 * Starts the local Functions host (dist) with `settingsFile` and resolves once it listens. Node
 * flags: `nodeArgs`, by default `hostNodeArgs()`; BENCH_HOST_LOG: a file that gets every line the
 * host prints (e.g. with `--trace-gc`); BENCH_VERBOSE: its errors and warnings on stderr.
 */
export async function startHost(
  settingsFile: string,
  env: Record<string, string>,
  nodeArgs = hostNodeArgs(),
): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    [
      ...nodeArgs,
      join(repoRoot, 'dist/dev/host/cli.js'),
      '--script-root',
      repoRoot,
      '--port',
      '0',
      '--settings',
      settingsFile,
    ],
    {
      env: withProcessSettings(settingsFile, { ...process.env, ...env }),
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const lines: string[] = [];
  await new Promise<void>((resolveStarted, reject) => {
    const timer = setTimeout(() => reject(new Error(`host did not start:\n${lines.join('\n')}`)), 60_000);
    const onLine = (line: string) => {
      if (lines.length < 200) lines.push(line);
      if (process.env.BENCH_HOST_LOG) appendFileSync(process.env.BENCH_HOST_LOG, line + '\n');
      if (/Functions host listening on/.test(line)) {
        clearTimeout(timer);
        resolveStarted();
      }
      if (/"level":"(error|warn)"/.test(line) && process.env.BENCH_VERBOSE) console.error(line);
    };
    createInterface({ input: child.stdout! }).on('line', onLine);
    createInterface({ input: child.stderr! }).on('line', onLine);
    child.once('exit', (code) => reject(new Error(`host exited (${code}):\n${lines.join('\n')}`)));
  });
  return child;
}

/**
 * The simulator's CA must be trusted by this process too (read once, at start-up): relaunches this
 * script with it and a work directory (BENCH_WORK_DIR), and exits with the child's code. False in
 * the relaunched process.
 */
export async function relaunchTrustingSimulatorCa(prefix: string): Promise<boolean> {
  if (process.env.BENCH_WORK_DIR) return false;
  const work = mkdtempSync(join(tmpdir(), prefix));
  const tls = await ensureTlsMaterial(join(work, 'tls'));
  const child = spawn(process.execPath, [...process.execArgv, process.argv[1]!], {
    stdio: 'inherit',
    env: { ...process.env, NODE_EXTRA_CA_CERTS: tls.caCertPath, BENCH_WORK_DIR: work },
  });
  const code = await new Promise<number>((done) => child.once('exit', (c) => done(c ?? 1)));
  rmSync(work, { recursive: true, force: true });
  process.exit(code);
}

/** CPU time a process has used so far (user + system, all its threads), seconds. */
export function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(')').pop()!.trim().split(/\s+/);
  // After the command name: state is field 3; utime and stime are fields 14 and 15 (in clock ticks, 100 a second).
  return (Number(fields[11]) + Number(fields[12])) / 100;
}
