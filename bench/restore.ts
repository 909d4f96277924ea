/**
 * Restore and export benchmark (`npm run bench:restore`). The simulator runs with Microsoft's real
 * throttling limits and a Graph-like latency; one user's mailbox (~1,000 messages with attachments)
 * and OneDrive (a few hundred files up to 40 MB) are backed up, then restored and exported by the
 * real app's queue workers in the local Functions host (the process whose peak RSS is reported).
 * In the same run it measures the ceilings:
 *
 * - mail: the same JSON creates (and attachment uploads) the restore sends, built beforehand and
 *   sent straight to another mailbox at Outlook's 4 concurrent requests per mailbox;
 * - files: the same folders, PUTs and upload-session fragments (same sizes) sent straight to
 *   another OneDrive at 16 concurrent requests (SharePoint limits units per minute, not concurrency);
 *   each of these starts with a fresh SharePoint minute, as the restore does;
 * - export: a raw read of every pack blob of the tenant's repository from Azurite.
 *
 * Environment: BENCH_SCALE (default 1; 0.2 for a quick run), BENCH_LATENCY_MS (default 40),
 * BENCH_JITTER_MS (default 20); for profiling the worker host, BENCH_HOST_NODE_ARGS (node flags,
 * e.g. `--cpu-prof --cpu-prof-dir=prof` or `--trace-gc`) and BENCH_HOST_LOG (a file for every line
 * the host prints, with a marker line before each export). Results: stdout and
 * bench/results/restore.json.
 */
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join, resolve } from 'node:path';
import type { Attachment } from 'mailparser';
import { startAzurite, stopChild } from '../dev/azurite';
import { startSimulator } from '../dev/simulator';
import type { TenantShape } from '../dev/simulator/generator/contract';
import { backUpNow } from '../shared/backup/scheduler';
import type { SnapshotRecord } from '../shared/backup/snapshot-record';
import { mapWithConcurrency } from '../shared/concurrency/pool';
import { createExportJob } from '../shared/export/export-engine';
import type { ExportJob } from '../shared/export/export-job';
import { ExportJobStore } from '../shared/export/export-store';
import { GraphClientFactory, type TenantGraph } from '../shared/graph/graph-client';
import { silentLogger } from '../shared/observability/logger';
import {
  LocalMasterKey,
  containerNameForTenant,
  openRepository,
  type Repository,
  type TreeEntry,
} from '../shared/repository';
import { type ResourceKind } from '../shared/resources/resource';
import { FRAGMENT_BYTES, SIMPLE_UPLOAD_BYTES } from '../shared/restore/drive-restorer';
import { addAttachment, messageCreateRequest } from '../shared/restore/mail-restorer';
import { putFragment, encodePath } from '../shared/restore/restore-context';
import { createRestoreJob, queueRestoreJob } from '../shared/restore/restore-engine';
import type { RestoreJob, RestoreTarget } from '../shared/restore/restore-job';
import { createStorageClients } from '../shared/storage/storage-clients';
import { systemClock } from '../shared/time/clock';
import {
  BENCH_MASTER_KEY,
  benchStores,
  currentRss,
  peakRss,
  protectResource,
  putBenchTenant,
  relaunchTrustingSimulatorCa,
  resetPeakRss,
  startHost,
  writeBenchSettings,
} from './bench-stack';
import { benchRestoreCore, waitFor, waitForSnapshot } from './restore-host';

const repoRoot = resolve(__dirname, '../..');
const SCALE = Number(process.env.BENCH_SCALE ?? 1);
const LATENCY_MS = Number(process.env.BENCH_LATENCY_MS ?? 40);
const JITTER_MS = Number(process.env.BENCH_JITTER_MS ?? 20);
const MiB = 1024 * 1024;
/** Outlook's limit per app and mailbox. */
const MAIL_CEILING_CONCURRENCY = 4;
const FILE_CEILING_CONCURRENCY = 16;
const SHAREPOINT_WINDOW_MS = 61_000;

function shape(scale: number): TenantShape {
  const n = (value: number) => Math.max(1, Math.round(value * scale));
  return {
    users: 2,
    usersWithoutMailbox: 0,
    guests: 0,
    messagesPerMailbox: n(1000),
    customFoldersPerMailbox: 6,
    filesPerDrive: n(300),
    sites: 0,
    librariesPerSite: 1,
    filesPerLibrary: 0,
    groups: 0,
    filesPerGroupLibrary: 0,
    threadsPerGroup: 0,
    maxFileBytes: 40 * MiB,
    duplicateFileShare: 0,
  };
}

const round = (value: number, digits = 1) => Math.round(value * 10 ** digits) / 10 ** digits;
const mb = (bytes: number) => bytes / 1e6;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface SnapshotItem {
  path: string[];
  entry: TreeEntry;
}

async function snapshotItems(repository: Repository, root: string): Promise<SnapshotItem[]> {
  const items: SnapshotItem[] = [];
  for await (const item of repository.walk(root)) items.push(item);
  return items;
}

async function readAllContent(repository: Repository, entry: TreeEntry): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of repository.readContent(entry.content!)) parts.push(chunk as Buffer);
  return Buffer.concat(parts);
}

/** Mail ceiling: the restore's own requests, built beforehand, sent straight to another mailbox. */
async function mailCeiling(
  graph: TenantGraph,
  userId: string,
  repository: Repository,
  items: SnapshotItem[],
): Promise<{ seconds: number; messages: number; bytes: number; requests: number }> {
  const messages = items.filter((i) => i.entry.kind === 'message' && i.entry.content);
  const built: { message: Record<string, unknown>; separate: Attachment[] }[] = [];
  let bytes = 0;
  for (const item of messages) {
    const mime = await readAllContent(repository, item.entry);
    bytes += mime.length;
    built.push(await messageCreateRequest(mime, item.entry.metadata ?? {}));
  }
  const before = graph.stats.requests;
  const started = performance.now();
  const folder = await graph.post<{ id: string }>(`/users/${userId}/mailFolders/msgfolderroot/childFolders`, {
    displayName: 'Ceiling',
  });
  await mapWithConcurrency(built, MAIL_CEILING_CONCURRENCY, async ({ message, separate }) => {
    const created = await graph.post<{ id: string }>(
      `/users/${userId}/mailFolders/${folder.id}/messages`,
      message,
      {
        headers: { Prefer: 'IdType="ImmutableId"' },
      },
    );
    for (const attachment of separate) await addAttachment(graph, userId, created.id, attachment);
  });
  return {
    seconds: (performance.now() - started) / 1000,
    messages: messages.length,
    bytes,
    requests: graph.stats.requests - before,
  };
}

/** File ceiling: the restore's folders, PUTs and fragments (same sizes), sent straight to another drive. */
async function fileCeiling(
  graph: TenantGraph,
  driveId: string,
  items: SnapshotItem[],
): Promise<{ seconds: number; files: number; bytes: number; requests: number }> {
  const noise = randomBytes(64 * MiB);
  const slice = (size: number, offset = 0) => {
    const parts: Buffer[] = [];
    for (let left = size, at = offset % noise.length; left > 0;) {
      const n = Math.min(left, noise.length - at);
      parts.push(noise.subarray(at, at + n));
      left -= n;
      at = 0;
    }
    return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
  };
  const folders = items
    .filter((i) => i.entry.kind === 'folder')
    .map((i) => ['Ceiling', ...i.path, i.entry.name]);
  const files = items.filter((i) => i.entry.kind !== 'folder' && i.entry.content);
  const before = graph.stats.requests;
  const started = performance.now();
  const create = async (path: string[]) => {
    const parent = path.slice(0, -1);
    await graph.post(
      `/drives/${driveId}/${parent.length ? `root:/${encodePath(parent)}:` : 'root'}/children`,
      {
        name: path[path.length - 1],
        folder: {},
        '@microsoft.graph.conflictBehavior': 'replace',
      },
    );
  };
  await create(['Ceiling']);
  // Parents first: one depth at a time.
  for (let depth = 2; folders.some((f) => f.length >= depth); depth++) {
    await mapWithConcurrency(
      folders.filter((f) => f.length === depth),
      FILE_CEILING_CONCURRENCY,
      create,
    );
  }
  let bytes = 0;
  await mapWithConcurrency(files, FILE_CEILING_CONCURRENCY, async (item, index) => {
    const size = item.entry.content!.size;
    bytes += size;
    const path = ['Ceiling', ...item.path, item.entry.name];
    if (size <= SIMPLE_UPLOAD_BYTES) {
      await graph.put(
        `/drives/${driveId}/root:/${encodePath(path)}:/content?@microsoft.graph.conflictBehavior=replace`,
        slice(size, index * 4096),
        { headers: { 'Content-Type': 'application/octet-stream' } },
      );
      return;
    }
    const session = await graph.post<{ uploadUrl: string }>(
      `/drives/${driveId}/root:/${encodePath(path)}:/createUploadSession`,
      { item: { '@microsoft.graph.conflictBehavior': 'replace' } },
    );
    for (let start = 0; start < size; start += FRAGMENT_BYTES) {
      const length = Math.min(FRAGMENT_BYTES, size - start);
      const { status, body } = await putFragment(session.uploadUrl, slice(length, start), start, size);
      if (status >= 400) throw new Error(`ceiling fragment answered ${status}: ${body.slice(0, 200)}`);
    }
  });
  return {
    seconds: (performance.now() - started) / 1000,
    files: files.length,
    bytes,
    requests: graph.stats.requests - before,
  };
}

/** Export ceiling: every pack blob of the tenant's repository read raw from Azurite. */
async function rawRepositoryRead(
  storage: ReturnType<typeof createStorageClients>,
  tenantId: string,
): Promise<{ seconds: number; bytes: number; blobs: number }> {
  const container = storage.blobs.getContainerClient(containerNameForTenant(tenantId));
  const names: string[] = [];
  for await (const blob of container.listBlobsFlat({ prefix: 'packs/' })) names.push(blob.name);
  let bytes = 0;
  const started = performance.now();
  await mapWithConcurrency(names, 8, async (name) => {
    const response = await container.getBlobClient(name).download();
    for await (const chunk of response.readableStreamBody!) bytes += (chunk as Buffer).length;
  });
  return { seconds: (performance.now() - started) / 1000, bytes, blobs: names.length };
}

async function main(): Promise<void> {
  if (await relaunchTrustingSimulatorCa('m365-bench-restore-')) return;
  const work = process.env.BENCH_WORK_DIR!;
  const tenantShape = shape(SCALE);
  console.log(`Restore benchmark ×${SCALE}: ${JSON.stringify(tenantShape)}`);
  console.log(
    `Simulator: Microsoft's throttling limits, latency ${LATENCY_MS} ms + up to ${JITTER_MS} ms jitter`,
  );
  const azurite = await startAzurite({ location: join(work, 'azurite') });
  const sim = await startSimulator({
    seed: 2027,
    tenants: 1,
    shape: tenantShape,
    limits: { latencyMs: LATENCY_MS, latencyJitterMs: JITTER_MS },
    certDir: join(work, 'tls'),
  });
  let host: ChildProcess | undefined;
  try {
    const { settingsFile, settings } = writeBenchSettings(work, azurite.connectionString, sim);
    const stores = benchStores(settings);
    const { storage, tables, tenants, resources, snapshots, queue } = stores;
    const tenantId = await putBenchTenant(tenants, sim);
    const summary = await sim.control.tenant(tenantId);
    const [source, other] = summary.users.filter((u) => u.hasMailbox && u.driveId);
    if (!source || !other)
      throw new Error('the benchmark tenant needs two users with a mailbox and a OneDrive');
    const protect = (kind: ResourceKind, user: { id: string; userPrincipalName: string }) =>
      protectResource(resources, tenantId, kind, user.id, user.userPrincipalName);
    const mailbox = await protect('mailbox', source);
    const drive = await protect('onedrive', source);
    await protect('mailbox', other);
    const otherDrive = await protect('onedrive', other);

    host = await startHost(settingsFile, { NODE_EXTRA_CA_CERTS: sim.caCertPath });
    const schedulerDeps = { tenants, resources, queue, clock: systemClock };
    console.log('Backing up the mailbox and the OneDrive through the host…');
    const backups: SnapshotRecord[] = [];
    for (const resource of [mailbox, drive]) {
      const run = await backUpNow(schedulerDeps, tenantId, resource.resourceId);
      backups.push(await waitForSnapshot(resources, snapshots, tenantId, resource.resourceId, run.runId));
    }
    let sharePointUsedAt = Date.now();
    // A fresh host for the restores and exports, so its peak RSS is theirs, not the backup's.
    await stopChild(host, 15_000);
    host = await startHost(settingsFile, { NODE_EXTRA_CA_CERTS: sim.caCertPath });
    const [mailSnapshot, driveSnapshot] = backups as [SnapshotRecord, SnapshotRecord];
    for (const s of backups) {
      if (s.status !== 'completed') throw new Error(`the backup of ${s.resourceId} ended ${s.status}`);
      console.log(`  ${s.resourceId}: ${s.items} items, ${round(mb(s.logicalBytes))} MB`);
    }
    const repository = await openRepository({
      blobs: storage.blobs,
      tenantId,
      masterKey: new LocalMasterKey(BENCH_MASTER_KEY),
    });
    const mailItems = await snapshotItems(repository, mailSnapshot.manifestRoot!);
    const driveItems = await snapshotItems(repository, driveSnapshot.manifestRoot!);

    const graph = new GraphClientFactory({
      baseUrl: sim.graphBaseUrl,
      authorityHost: sim.authorityHost,
      clientId: sim.app.clientId,
      clientSecret: sim.app.clientSecret,
    }).forTenant(tenantId);
    const core = benchRestoreCore(settings, stores, sim);
    const restoreDeps = core.restore(silentLogger);
    const exportDeps = core.export(silentLogger);
    const restoreThroughHost = async (snapshotId: string, target: RestoreTarget) => {
      const created = await createRestoreJob(restoreDeps, {
        tenantId,
        snapshotId,
        scope: { kind: 'all' },
        target,
        conflict: 'rename',
        requestedBy: 'bench',
      });
      const counters0 = await sim.control.counters();
      resetPeakRss(host!.pid!);
      const t0 = performance.now();
      await queueRestoreJob(restoreDeps, tenantId, created.jobId);
      const job = await waitFor(
        () => restoreDeps.jobs.get(tenantId, created.jobId),
        (j: RestoreJob) => !['awaiting-verification', 'queued', 'running'].includes(j.state),
        'the restore',
      );
      const counters1 = await sim.control.counters();
      const wall = (performance.now() - t0) / 1000;
      const rss = peakRss(host!.pid!);
      // The worker's own time (from its first slice to the end), without the queue's pick-up delay.
      const seconds = (Date.parse(job.finishedAt!) - Date.parse(job.startedAt!)) / 1000;
      return {
        job,
        seconds,
        wall,
        requests: counters1.total - counters0.total,
        throttled: counters1.throttled - counters0.throttled,
        peakRss: rss,
      };
    };

    console.log('Mail ceiling: the same creates straight to another mailbox at 4 concurrent requests…');
    const mailRaw = await mailCeiling(graph, other.id, repository, mailItems);
    console.log(
      `  ${mailRaw.messages} messages, ${round(mb(mailRaw.bytes))} MB in ${round(mailRaw.seconds)} s`,
    );
    console.log('Mailbox restore through the host (into "Restored <snapshot time>")…');
    const mailRestore = await restoreThroughHost(mailSnapshot.snapshotId, { kind: 'original' });
    console.log(
      `  ${mailRestore.job.state}: ${mailRestore.job.report.restored} restored in ${round(mailRestore.seconds)} s`,
    );

    const waitForSharePointMinute = async () => {
      const left = sharePointUsedAt + SHAREPOINT_WINDOW_MS - Date.now();
      if (left > 0) {
        console.log(`  (waiting ${round(left / 1000, 0)} s for a fresh SharePoint minute)`);
        await sleep(left);
      }
    };
    await waitForSharePointMinute();
    console.log(
      `File ceiling: the same uploads straight to another OneDrive at ${FILE_CEILING_CONCURRENCY} concurrent requests…`,
    );
    const otherDriveId = (await graph.get<{ id: string }>(`/users/${other.id}/drive?$select=id`)).id;
    const fileRaw = await fileCeiling(graph, otherDriveId, driveItems);
    sharePointUsedAt = Date.now();
    console.log(`  ${fileRaw.files} files, ${round(mb(fileRaw.bytes))} MB in ${round(fileRaw.seconds)} s`);
    await waitForSharePointMinute();
    console.log('OneDrive restore through the host (into a folder of the other OneDrive)…');
    const driveRestore = await restoreThroughHost(driveSnapshot.snapshotId, {
      kind: 'resource',
      resourceId: otherDrive.resourceId,
      folderPath: ['Restored'],
    });
    console.log(
      `  ${driveRestore.job.state}: ${driveRestore.job.report.restored} restored in ${round(driveRestore.seconds)} s`,
    );

    console.log('Export ceiling: raw read of every pack blob from Azurite…');
    const raw = await rawRepositoryRead(storage, tenantId);
    console.log(`  ${raw.blobs} blobs, ${round(mb(raw.bytes))} MB in ${round(raw.seconds)} s`);
    const exportJobs = new ExportJobStore(tables);
    const exportThroughHost = async (snapshotId: string, includeAttachments = true) => {
      if (process.env.BENCH_HOST_LOG)
        appendFileSync(
          process.env.BENCH_HOST_LOG,
          `# bench: export of ${snapshotId} (attachments ${includeAttachments})\n`,
        );
      resetPeakRss(host!.pid!);
      const t0 = performance.now();
      const created = await createExportJob(exportDeps, {
        tenantId,
        snapshotId,
        scope: { kind: 'all' },
        includeAttachments,
        requestedBy: 'bench',
      });
      const job = await waitFor(
        () => exportJobs.get(tenantId, created.jobId),
        (j: ExportJob) => j.state === 'completed' || j.state === 'failed',
        'the export',
      );
      if (job.state !== 'completed') throw new Error(`the export ended ${job.state}: ${job.failureReason}`);
      // The worker's own time, without the queue's pick-up delay (the wall time is reported too).
      const seconds = (Date.parse(job.finishedAt!) - Date.parse(job.startedAt!)) / 1000;
      return {
        job,
        seconds,
        wall: (performance.now() - t0) / 1000,
        peakRss: peakRss(host!.pid!),
        rssAfter: currentRss(host!.pid!),
      };
    };
    console.log('Exports through the host…');
    const mailExport = await exportThroughHost(mailSnapshot.snapshotId);
    const driveExport = await exportThroughHost(driveSnapshot.snapshotId);
    const slimExport = await exportThroughHost(mailSnapshot.snapshotId, false);
    const exportSeconds = mailExport.seconds + driveExport.seconds;
    const exportBytes = (mailExport.job.zipBytes ?? 0) + (driveExport.job.zipBytes ?? 0);
    const peak = Math.max(
      mailRestore.peakRss,
      driveRestore.peakRss,
      mailExport.peakRss,
      driveExport.peakRss,
      slimExport.peakRss,
    );

    const mailRestoreRate = {
      itemsPerMinute: (mailRestore.job.report.restored / mailRestore.seconds) * 60,
      mbPerSecond: mb(mailRestore.job.progress.bytesDone) / mailRestore.seconds,
    };
    const mailCeilingRate = {
      itemsPerMinute: (mailRaw.messages / mailRaw.seconds) * 60,
      mbPerSecond: mb(mailRaw.bytes) / mailRaw.seconds,
    };
    const driveRestoreRate = {
      itemsPerMinute: (driveRestore.job.report.restored / driveRestore.seconds) * 60,
      mbPerSecond: mb(driveRestore.job.progress.bytesDone) / driveRestore.seconds,
    };
    const driveCeilingRate = {
      itemsPerMinute: (fileRaw.files / fileRaw.seconds) * 60,
      mbPerSecond: mb(fileRaw.bytes) / fileRaw.seconds,
    };
    const exportMbPerSecond = mb(exportBytes) / exportSeconds;
    const rawMbPerSecond = mb(raw.bytes) / raw.seconds;
    const share = (a: number, b: number) => round(a / b, 2);
    const targets = {
      mailRestoreShareOfCeiling: {
        value: share(mailRestoreRate.itemsPerMinute, mailCeilingRate.itemsPerMinute),
        target: '≥ 0.70',
        ok: mailRestoreRate.itemsPerMinute / mailCeilingRate.itemsPerMinute >= 0.7,
      },
      driveRestoreShareOfCeiling: {
        value: share(driveRestoreRate.mbPerSecond, driveCeilingRate.mbPerSecond),
        target: '≥ 0.70',
        ok: driveRestoreRate.mbPerSecond / driveCeilingRate.mbPerSecond >= 0.7,
      },
      mailRestoreItemsPerMinute: {
        value: round(mailRestoreRate.itemsPerMinute, 0),
        target: '≥ 300 (Microsoft 365 Backup: 200-300)',
        ok: mailRestoreRate.itemsPerMinute >= 300,
      },
      exportShareOfRawRead: {
        value: share(exportMbPerSecond, rawMbPerSecond),
        target: '≥ 0.50',
        ok: exportMbPerSecond / rawMbPerSecond >= 0.5,
      },
      peakRssMB: { value: round(mb(peak)), target: '≤ 300', ok: mb(peak) <= 300 },
      restoredAll: {
        value: `${mailRestore.job.report.restored + driveRestore.job.report.restored} of ${mailRaw.messages + fileRaw.files}`,
        target: 'all',
        ok:
          mailRestore.job.report.restored === mailRaw.messages &&
          driveRestore.job.report.restored === fileRaw.files &&
          mailRestore.job.state === 'completed' &&
          driveRestore.job.state === 'completed',
      },
    };
    const restoreFigures = (r: typeof mailRestore, rate: typeof mailRestoreRate) => ({
      state: r.job.state,
      items: r.job.report.restored,
      skipped: r.job.report.skippedCount,
      failed: r.job.report.failedCount,
      mb: round(mb(r.job.progress.bytesDone)),
      seconds: round(r.seconds),
      wallSeconds: round(r.wall),
      slices: r.job.slices,
      itemsPerMinute: round(rate.itemsPerMinute, 0),
      mbPerSecond: round(rate.mbPerSecond, 2),
      simulatorRequests: r.requests,
      simulator429s: r.throttled,
      workerPeakRssMB: round(mb(r.peakRss)),
    });
    const result = {
      when: new Date().toISOString(),
      machine: { cores: cpus().length, node: process.version },
      shape: tenantShape,
      latency: { fixedMs: LATENCY_MS, jitterMs: JITTER_MS },
      backup: backups.map((s) => ({
        resourceId: s.resourceId,
        items: s.items,
        mb: round(mb(s.logicalBytes)),
      })),
      mail: {
        ceiling: {
          concurrency: MAIL_CEILING_CONCURRENCY,
          messages: mailRaw.messages,
          mb: round(mb(mailRaw.bytes)),
          seconds: round(mailRaw.seconds),
          requests: mailRaw.requests,
          itemsPerMinute: round(mailCeilingRate.itemsPerMinute, 0),
          mbPerSecond: round(mailCeilingRate.mbPerSecond, 2),
        },
        restore: restoreFigures(mailRestore, mailRestoreRate),
      },
      drive: {
        ceiling: {
          concurrency: FILE_CEILING_CONCURRENCY,
          files: fileRaw.files,
          mb: round(mb(fileRaw.bytes)),
          seconds: round(fileRaw.seconds),
          requests: fileRaw.requests,
          itemsPerMinute: round(driveCeilingRate.itemsPerMinute, 0),
          mbPerSecond: round(driveCeilingRate.mbPerSecond, 2),
        },
        restore: restoreFigures(driveRestore, driveRestoreRate),
      },
      export: {
        rawRead: {
          blobs: raw.blobs,
          mb: round(mb(raw.bytes)),
          seconds: round(raw.seconds),
          mbPerSecond: round(rawMbPerSecond),
        },
        mailbox: {
          zipMB: round(mb(mailExport.job.zipBytes ?? 0)),
          seconds: round(mailExport.seconds),
          wallSeconds: round(mailExport.wall),
          workerPeakRssMB: round(mb(mailExport.peakRss)),
          workerRssAfterMB: round(mb(mailExport.rssAfter)),
        },
        onedrive: {
          zipMB: round(mb(driveExport.job.zipBytes ?? 0)),
          seconds: round(driveExport.seconds),
          wallSeconds: round(driveExport.wall),
          workerPeakRssMB: round(mb(driveExport.peakRss)),
          workerRssAfterMB: round(mb(driveExport.rssAfter)),
        },
        mailboxWithoutAttachments: {
          zipMB: round(mb(slimExport.job.zipBytes ?? 0)),
          seconds: round(slimExport.seconds),
          wallSeconds: round(slimExport.wall),
          workerPeakRssMB: round(mb(slimExport.peakRss)),
          workerRssAfterMB: round(mb(slimExport.rssAfter)),
        },
        mbPerSecond: round(exportMbPerSecond),
      },
      workerPeakRssMB: round(mb(peak)),
      targets,
    };
    mkdirSync(join(repoRoot, 'bench/results'), { recursive: true });
    writeFileSync(join(repoRoot, 'bench/results/restore.json'), JSON.stringify(result, null, 2) + '\n');

    console.log('\n=== Restore benchmark ===');
    console.log(
      `Mail ceiling (4 concurrent creates):  ${result.mail.ceiling.itemsPerMinute} items/min, ${result.mail.ceiling.mbPerSecond} MB/s (${mailRaw.messages} messages in ${result.mail.ceiling.seconds} s)`,
    );
    console.log(
      `Mailbox restore (host worker):        ${result.mail.restore.itemsPerMinute} items/min, ${result.mail.restore.mbPerSecond} MB/s (${result.mail.restore.items} in ${result.mail.restore.seconds} s, ${result.mail.restore.simulator429s} 429s)`,
    );
    console.log(
      `File ceiling (${FILE_CEILING_CONCURRENCY} concurrent uploads):   ${result.drive.ceiling.itemsPerMinute} items/min, ${result.drive.ceiling.mbPerSecond} MB/s (${fileRaw.files} files in ${result.drive.ceiling.seconds} s)`,
    );
    console.log(
      `OneDrive restore (host worker):       ${result.drive.restore.itemsPerMinute} items/min, ${result.drive.restore.mbPerSecond} MB/s (${result.drive.restore.items} in ${result.drive.restore.seconds} s, ${result.drive.restore.simulator429s} 429s)`,
    );
    console.log(
      `Export: ${result.export.mbPerSecond} MB/s of zip (mailbox ${result.export.mailbox.zipMB} MB in ${result.export.mailbox.seconds} s, OneDrive ${result.export.onedrive.zipMB} MB in ${result.export.onedrive.seconds} s); raw pack read ${result.export.rawRead.mbPerSecond} MB/s; mailbox without attachments ${result.export.mailboxWithoutAttachments.zipMB} MB in ${result.export.mailboxWithoutAttachments.seconds} s`,
    );
    console.log(
      `Worker peak RSS: ${result.workerPeakRssMB} MB (mailbox restore ${result.mail.restore.workerPeakRssMB}, OneDrive restore ${result.drive.restore.workerPeakRssMB}, exports ${result.export.mailbox.workerPeakRssMB} / ${result.export.onedrive.workerPeakRssMB} / ${result.export.mailboxWithoutAttachments.workerPeakRssMB} MB; after each export ${result.export.mailbox.workerRssAfterMB} / ${result.export.onedrive.workerRssAfterMB} / ${result.export.mailboxWithoutAttachments.workerRssAfterMB} MB)`,
    );
    console.log('Targets:');
    for (const [name, t] of Object.entries(targets))
      console.log(`  ${t.ok ? 'PASS' : 'FAIL'}  ${name}: ${t.value} (target ${t.target})`);
    console.log('Results written to bench/results/restore.json');
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
