/**
 * A/B runs of the OneDrive restore (`npm run bench:restore:variants`): one OneDrive (the shape of
 * bench:restore, files up to 40 MB) is backed up once, then restored by the local host's queue
 * worker again and again, the host started afresh for each run with one of the variants' node
 * flags, the variants taking turns. For each run: the restore's own seconds and MB/s, the worker's
 * CPU seconds (all its threads) and its peak RSS; then each variant's median.
 *
 * This compares the worker's own cost between variants (V8 flags, or two builds run one after the
 * other): SharePoint's per-minute limit is lifted so that back-to-back restores are not throttled.
 * bench:restore measures against Microsoft's limits and the ceiling they allow.
 *
 * Environment: BENCH_VARIANTS (JSON array of node flag strings, default `[""]`), BENCH_REPEATS
 * (default 3), BENCH_SCALE (default 1), BENCH_HOST_LOG (every line the hosts print, with a marker
 * before each run).
 */
import type { ChildProcess } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { startAzurite, stopChild } from '../dev/azurite';
import { startSimulator } from '../dev/simulator';
import { backUpNow } from '../shared/backup/scheduler';
import { silentLogger } from '../shared/observability/logger';
import { createRestoreJob, queueRestoreJob } from '../shared/restore/restore-engine';
import type { RestoreJob } from '../shared/restore/restore-job';
import { systemClock } from '../shared/time/clock';
import {
  benchStores,
  cpuSeconds,
  peakRss,
  protectResource,
  putBenchTenant,
  relaunchTrustingSimulatorCa,
  startHost,
  writeBenchSettings,
} from './bench-stack';
import { benchRestoreCore, waitFor, waitForSnapshot } from './restore-host';

const SCALE = Number(process.env.BENCH_SCALE ?? 1);
const MiB = 1024 * 1024;
const round = (value: number, digits = 1) => Math.round(value * 10 ** digits) / 10 ** digits;
const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};

interface Run {
  seconds: number;
  mbPerSecond: number;
  cpuSeconds: number;
  peakRssMB: number;
}

async function main(): Promise<void> {
  if (await relaunchTrustingSimulatorCa('m365-bench-variants-')) return;
  const work = process.env.BENCH_WORK_DIR!;
  const variants = JSON.parse(process.env.BENCH_VARIANTS ?? '[""]') as unknown;
  if (!Array.isArray(variants) || !variants.every((v) => typeof v === 'string'))
    throw new Error(
      'BENCH_VARIANTS must be a JSON array of strings (node flags), e.g. ["", "--v8-pool-size=1"]',
    );
  const repeats = Number(process.env.BENCH_REPEATS ?? 3);
  if (!Number.isInteger(repeats) || repeats < 1)
    throw new Error(`BENCH_REPEATS must be a whole number of runs above 0, got ${process.env.BENCH_REPEATS}`);
  const azurite = await startAzurite({ location: join(work, 'azurite') });
  const sim = await startSimulator({
    seed: 2027,
    tenants: 1,
    shape: {
      users: 2,
      usersWithoutMailbox: 0,
      guests: 0,
      messagesPerMailbox: 1,
      customFoldersPerMailbox: 1,
      filesPerDrive: Math.max(1, Math.round(300 * SCALE)),
      sites: 0,
      librariesPerSite: 1,
      filesPerLibrary: 0,
      groups: 0,
      filesPerGroupLibrary: 0,
      threadsPerGroup: 0,
      maxFileBytes: 40 * MiB,
      duplicateFileShare: 0,
    },
    limits: { latencyMs: 40, latencyJitterMs: 20, sharePointUnits: 1_000_000_000 },
    certDir: join(work, 'tls'),
  });
  let host: ChildProcess | undefined;
  try {
    const { settingsFile, settings } = writeBenchSettings(work, azurite.connectionString, sim);
    const stores = benchStores(settings);
    const { tenants, resources, snapshots, queue } = stores;
    const tenantId = await putBenchTenant(tenants, sim);
    const [source, other] = (await sim.control.tenant(tenantId)).users.filter((u) => u.driveId);
    if (!source || !other) throw new Error('the benchmark tenant needs two users with a OneDrive');
    const protect = (user: { id: string; userPrincipalName: string }) =>
      protectResource(resources, tenantId, 'onedrive', user.id, user.userPrincipalName);
    const drive = await protect(source);
    const otherDrive = await protect(other);
    const env = { NODE_EXTRA_CA_CERTS: sim.caCertPath };

    host = await startHost(settingsFile, env, []);
    console.log('Backing up the OneDrive through the host…');
    const run = await backUpNow(
      { tenants, resources, queue, clock: systemClock },
      tenantId,
      drive.resourceId,
    );
    const snapshot = await waitForSnapshot(resources, snapshots, tenantId, drive.resourceId, run.runId);
    if (snapshot.status !== 'completed') throw new Error(`the backup ended ${snapshot.status}`);
    console.log(`  ${snapshot.items} items, ${round(snapshot.logicalBytes / 1e6)} MB`);
    await stopChild(host, 15_000);
    host = undefined;

    const deps = benchRestoreCore(settings, stores, sim).restore(silentLogger);
    const runs = new Map<string, Run[]>(variants.map((v) => [v, []]));
    let count = 0;
    for (let repeat = 0; repeat < repeats; repeat++) {
      for (const variant of variants) {
        host = await startHost(settingsFile, env, variant.split(/\s+/).filter(Boolean));
        if (process.env.BENCH_HOST_LOG)
          appendFileSync(
            process.env.BENCH_HOST_LOG,
            `# bench: variant ${JSON.stringify(variant)}, run ${repeat + 1}\n`,
          );
        const created = await createRestoreJob(deps, {
          tenantId,
          snapshotId: snapshot.snapshotId,
          scope: { kind: 'all' },
          target: { kind: 'resource', resourceId: otherDrive.resourceId, folderPath: [`Run ${++count}`] },
          conflict: 'rename',
          requestedBy: 'bench',
        });
        const cpuBefore = cpuSeconds(host.pid!);
        await queueRestoreJob(deps, tenantId, created.jobId);
        const job = await waitFor(
          () => deps.jobs.get(tenantId, created.jobId),
          (j: RestoreJob) => !['awaiting-verification', 'queued', 'running'].includes(j.state),
          'the restore',
        );
        if (job.state !== 'completed' || job.report.failed.length > 0)
          throw new Error(`the restore ended ${job.state} with ${job.report.failed.length} failed`);
        const seconds = (Date.parse(job.finishedAt!) - Date.parse(job.startedAt!)) / 1000;
        const result: Run = {
          seconds,
          mbPerSecond: job.progress.bytesDone / 1e6 / seconds,
          cpuSeconds: cpuSeconds(host.pid!) - cpuBefore,
          peakRssMB: peakRss(host.pid!) / 1e6,
        };
        runs.get(variant)!.push(result);
        console.log(
          `${JSON.stringify(variant)} run ${repeat + 1}: ${job.report.restored} files in ${round(seconds, 2)} s, ${round(result.mbPerSecond)} MB/s, worker CPU ${round(result.cpuSeconds, 2)} s, peak RSS ${round(result.peakRssMB)} MB`,
        );
        await stopChild(host, 15_000);
        host = undefined;
      }
    }
    console.log('\n=== OneDrive restore variants (medians) ===');
    for (const [variant, list] of runs) {
      console.log(
        `${JSON.stringify(variant)}: ${round(median(list.map((r) => r.seconds)), 2)} s, ${round(median(list.map((r) => r.mbPerSecond)))} MB/s, worker CPU ${round(median(list.map((r) => r.cpuSeconds)), 2)} s, peak RSS ${round(median(list.map((r) => r.peakRssMB)))} MB (${list.length} runs)`,
      );
    }
  } finally {
    if (host) await stopChild(host, 15_000);
    await sim.stop();
    await azurite.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
