/**
 * What the restore benchmarks share (bench:restore and bench:restore:variants): the local host
 * started from dist with a settings file, the simulator's CA trusted, peak RSS and CPU from /proc,
 * the waits for a snapshot or a job, the stores, protected resources and the restore core.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { withProcessSettings } from '../dev/host/process-settings';
import type { RunningSimulator } from '../dev/simulator';
import { ensureTlsMaterial } from '../dev/simulator/tls';
import { createBackupCore } from '../shared/backup/backup-core';
import type { SnapshotRecord } from '../shared/backup/snapshot-record';
import { SnapshotStore } from '../shared/backup/snapshot-store';
import type { Settings } from '../shared/config/settings';
import { GraphClientFactory } from '../shared/graph/graph-client';
import { StorageJobQueue } from '../shared/queues/job-queues';
import { resourceIdOf, type Resource, type ResourceKind } from '../shared/resources/resource';
import { ResourceStore } from '../shared/resources/resource-store';
import { createRestoreCore, type RestoreCore } from '../shared/restore/restore-core';
import { createStorageClients } from '../shared/storage/storage-clients';
import { Tables } from '../shared/storage/tables';
import { TenantStore } from '../shared/tenants/tenant-store';
import { systemClock } from '../shared/time/clock';

const repoRoot = resolve(__dirname, '../..');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

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

/**
 * Starts the local Functions host (dist) with `settingsFile` and resolves once it listens. Node
 * flags: `nodeArgs`, by default BENCH_HOST_NODE_ARGS (e.g. `--cpu-prof --cpu-prof-dir=prof`);
 * BENCH_HOST_LOG: a file that gets every line the host prints (e.g. with `--trace-gc`).
 */
export async function startHost(
  settingsFile: string,
  env: Record<string, string>,
  nodeArgs = (process.env.BENCH_HOST_NODE_ARGS ?? '').split(/\s+/).filter(Boolean),
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

/** The snapshot of run `runId` of a resource once it has finished (30 minutes at most). */
export async function waitForSnapshot(
  resources: ResourceStore,
  snapshots: SnapshotStore,
  tenantId: string,
  resourceId: string,
  runId: string,
): Promise<SnapshotRecord> {
  const deadline = Date.now() + 30 * 60_000;
  while (Date.now() < deadline) {
    const resource = await resources.get(tenantId, resourceId);
    if (resource.lastSnapshotId) {
      const record = await snapshots.get(resource.lastSnapshotId);
      if (record.runId === runId && record.status !== 'running') return record;
    }
    await sleep(500);
  }
  throw new Error(`the snapshot of ${resourceId} did not finish in 30 minutes`);
}

/** Polls a job until `done` says it is (30 minutes at most). */
export async function waitFor<T extends { state: string }>(
  read: () => Promise<T>,
  done: (job: T) => boolean,
  what: string,
): Promise<T> {
  const deadline = Date.now() + 30 * 60_000;
  while (Date.now() < deadline) {
    const job = await read();
    if (done(job)) return job;
    await sleep(200);
  }
  throw new Error(`${what} did not finish in 30 minutes`);
}

/** CPU time a process has used so far (user + system, all its threads), seconds. */
export function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(')').pop()!.trim().split(/\s+/);
  // After the command name: state is field 3; utime and stime are fields 14 and 15 (in clock ticks, 100 a second).
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** The stores the restore benchmarks read and write, over the bench settings' storage. */
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

/** A user's mailbox or OneDrive, protected (as the portal would leave it). */
export async function protectUserResource(
  resources: ResourceStore,
  tenantId: string,
  kind: ResourceKind,
  user: { id: string; userPrincipalName: string },
): Promise<Resource> {
  const now = new Date().toISOString();
  const resource: Resource = {
    tenantId,
    resourceId: resourceIdOf(kind, user.id),
    kind,
    graphId: user.id,
    displayName: user.userPrincipalName,
    address: user.userPrincipalName,
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

/** The restore and export core the benchmarks create and watch jobs with (the host runs them). */
export function benchRestoreCore(
  settings: Settings,
  stores: ReturnType<typeof benchStores>,
  sim: RunningSimulator,
): RestoreCore {
  return createRestoreCore({
    settings,
    storage: stores.storage,
    clock: systemClock,
    tenants: stores.tenants,
    resources: stores.resources,
    reader: createBackupCore(settings, stores.storage).reader,
    queue: stores.queue,
    graph: new GraphClientFactory({
      baseUrl: sim.graphBaseUrl,
      authorityHost: sim.authorityHost,
      clientId: sim.app.clientId,
      clientSecret: sim.app.clientSecret,
    }),
  });
}
