/**
 * Backup benchmark (`npm run bench:backup`). A documented standard tenant in the simulator, with
 * Microsoft's real throttling limits and a Graph-like latency, backed up through the real app in
 * the local Functions host (the worker process whose peak RSS is reported). In one run it measures:
 *
 * - the Graph ceiling: a raw read of everything the backup reads (same requests, as concurrent as
 *   the limits allow, bytes discarded), and the Azurite ceiling: raw upload of the same number of
 *   bytes as 8 MiB blobs at the best concurrency;
 * - a full snapshot of every resource (time, items/s, MB/s, Graph requests, 429s) and the same for
 *   an incremental snapshot after about 1% of the tenant changed;
 * - stored/logical bytes on mail; peak RSS of the worker, including a drive with one 1 GB file;
 * - every item of every snapshot checked against the simulator (counts and SHA-256).
 *
 * Environment: BENCH_SCALE (default 1: the standard tenant; 0.1 for a quick run), BENCH_LATENCY_MS
 * (default 40) and BENCH_JITTER_MS (default 20), BENCH_HUGE_MB (default 1024; 0 skips it),
 * BENCH_HOST_NODE_ARGS (node flags for the worker, e.g. `--heapsnapshot-signal=SIGUSR2`).
 * Results: stdout and bench/results/backup.json.
 */
import type { ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { startAzurite, stopChild } from '../dev/azurite';
import { startSimulator, type RunningSimulator } from '../dev/simulator';
import type { TenantShape } from '../dev/simulator/generator/contract';
import { backUpNow } from '../shared/backup/scheduler';
import type { SnapshotRecord } from '../shared/backup/snapshot-record';
import { SnapshotStore } from '../shared/backup/snapshot-store';
import { GraphClientFactory, type TenantGraph } from '../shared/graph/graph-client';
import { mapWithConcurrency } from '../shared/concurrency/pool';
import { LocalMasterKey, openRepository, type Repository } from '../shared/repository';
import { resourceIdOf, type Resource, type ResourceKind } from '../shared/resources/resource';
import { ResourceStore } from '../shared/resources/resource-store';
import { systemClock } from '../shared/time/clock';
import { rawUploadCeiling } from './azurite-ceiling';
import {
  benchStores,
  hostNodeArgs,
  peakRss,
  protectResource,
  putBenchTenant,
  relaunchTrustingSimulatorCa,
  startHost,
  writeBenchSettings,
} from './bench-stack';

const repoRoot = resolve(__dirname, '../..');
const SCALE = Number(process.env.BENCH_SCALE ?? 1);
const LATENCY_MS = Number(process.env.BENCH_LATENCY_MS ?? 40);
const JITTER_MS = Number(process.env.BENCH_JITTER_MS ?? 20);
const HUGE_MB = Number(process.env.BENCH_HUGE_MB ?? 1024);
const MiB = 1024 * 1024;

/** The standard tenant (BENCH_SCALE scales the counts). */
export function standardShape(scale: number): TenantShape {
  const n = (value: number, min = 1) => Math.max(min, Math.round(value * scale));
  return {
    users: n(20),
    usersWithoutMailbox: 2,
    guests: 1,
    messagesPerMailbox: n(1000),
    customFoldersPerMailbox: 8,
    filesPerDrive: n(250),
    sites: n(5),
    librariesPerSite: 2,
    filesPerLibrary: n(50),
    groups: n(5),
    filesPerGroupLibrary: n(40),
    threadsPerGroup: 10,
    maxFileBytes: 40 * MiB,
    duplicateFileShare: 0.1,
  };
}

const round = (value: number, digits = 1) => Math.round(value * 10 ** digits) / 10 ** digits;
/** Decimal megabytes, as the other benchmarks report. */
const mb = (bytes: number) => bytes / 1e6;

interface RunFigures {
  seconds: number;
  items: number;
  logicalBytes: number;
  storedBytes: number;
  itemsPerSecond: number;
  mbPerSecond: number;
  graphRequests: number;
  throttled: number;
  byKind: Record<string, { items: number; logicalBytes: number; storedBytes: number; newChunkBytes: number }>;
}

/** What held the worker's memory at its peak resident set (bench/worker-memory-probe.ts writes it). */
function memoryAtPeak(file: string): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as unknown;
  } catch {
    return null;
  }
}

/** Everything a backup reads, read raw as fast as the limits allow; bytes counted and dropped. */
async function rawGraphRead(
  graph: TenantGraph,
  resources: Resource[],
): Promise<{ seconds: number; requests: number; bytes: number; items: number }> {
  const started = performance.now();
  const before = graph.stats.requests;
  let bytes = 0;
  let items = 0;
  const drain = async (stream: AsyncIterable<Uint8Array>) => {
    for await (const chunk of stream) bytes += chunk.length;
  };
  const prefer = { Prefer: 'IdType="ImmutableId", odata.maxpagesize=100' };
  const readMailbox = async (userId: string) => {
    const user = encodeURIComponent(userId);
    const folders: string[] = [];
    for await (const page of graph.pages<{ id: string }>(
      `/users/${user}/mailFolders/delta?$select=displayName,parentFolderId`,
      { headers: prefer },
    )) {
      folders.push(...page.value.map((f) => f.id));
    }
    for (const folder of folders) {
      for await (const page of graph.pages<{ id: string; hasAttachments?: boolean }>(
        `/users/${user}/mailFolders/${encodeURIComponent(folder)}/messages/delta?$select=subject,hasAttachments`,
        { headers: prefer },
      )) {
        await mapWithConcurrency(page.value, 4, async (message) => {
          items++;
          const base = `/users/${user}/messages/${encodeURIComponent(message.id)}`;
          await Promise.all([
            graph.stream(`${base}/$value`, { headers: prefer }).then(drain),
            message.hasAttachments
              ? graph.get(`${base}/attachments?$select=name,contentType,size,isInline`, { headers: prefer })
              : undefined,
          ]);
        });
      }
    }
  };
  const readDrive = async (driveId: string) => {
    for await (const page of graph.pages<{ id: string; file?: object; deleted?: object }>(
      `/drives/${encodeURIComponent(driveId)}/root/delta`,
    )) {
      await mapWithConcurrency(
        page.value.filter((i) => i.file && !i.deleted),
        4,
        async (item) => {
          items++;
          await drain(
            await graph.stream(
              `/drives/${encodeURIComponent(driveId)}/items/${encodeURIComponent(item.id)}/content`,
            ),
          );
        },
      );
    }
  };
  const drivesOf = async (resource: Resource): Promise<string[]> => {
    if (resource.kind === 'onedrive')
      return [(await graph.get<{ id: string }>(`/users/${resource.graphId}/drive?$select=id`)).id];
    if (resource.kind === 'group')
      return [(await graph.get<{ id: string }>(`/groups/${resource.graphId}/drive?$select=id`)).id];
    const ids: string[] = [];
    for await (const page of graph.pages<{ id: string }>(
      `/sites/${encodeURIComponent(resource.graphId)}/drives?$select=id`,
    ))
      ids.push(...page.value.map((d) => d.id));
    return ids;
  };
  await mapWithConcurrency(resources, 16, async (resource) => {
    if (resource.kind === 'mailbox') return readMailbox(resource.graphId);
    for (const driveId of await drivesOf(resource)) await readDrive(driveId);
    if (resource.kind === 'group') {
      for await (const page of graph.pages<{ id: string }>(`/groups/${resource.graphId}/threads`)) {
        for (const thread of page.value) {
          items++;
          for await (const posts of graph.pages(`/groups/${resource.graphId}/threads/${thread.id}/posts`))
            void posts;
        }
      }
    }
  });
  return {
    seconds: (performance.now() - started) / 1000,
    requests: graph.stats.requests - before,
    bytes,
    items,
  };
}

async function waitForRun(
  resources: ResourceStore,
  snapshots: SnapshotStore,
  tenantId: string,
  ids: string[],
  runId: string,
): Promise<SnapshotRecord[]> {
  const done = new Map<string, SnapshotRecord>();
  const deadline = Date.now() + 3 * 3600_000;
  let lastReport = 0;
  while (done.size < ids.length) {
    if (Date.now() > deadline) throw new Error('the run did not finish in 3 hours');
    for (const id of ids) {
      if (done.has(id)) continue;
      const resource = await resources.get(tenantId, id);
      if (!resource.lastSnapshotId) continue;
      const record = await snapshots.get(resource.lastSnapshotId);
      if (record.runId === runId && record.status !== 'running') done.set(id, record);
    }
    if (Date.now() - lastReport > 15_000) {
      lastReport = Date.now();
      console.log(`  … ${done.size}/${ids.length} resources done`);
    }
    if (done.size < ids.length) await new Promise((r) => setTimeout(r, 1000));
  }
  return [...done.values()];
}

function figures(records: SnapshotRecord[], seconds: number, resources: Map<string, Resource>): RunFigures {
  const byKind: RunFigures['byKind'] = {};
  let items = 0;
  let logicalBytes = 0;
  let storedBytes = 0;
  let graphRequests = 0;
  let throttled = 0;
  for (const record of records) {
    const kind = resources.get(record.resourceId)!.kind;
    const k = (byKind[kind] ??= { items: 0, logicalBytes: 0, storedBytes: 0, newChunkBytes: 0 });
    k.items += record.items;
    k.newChunkBytes += record.newChunkBytes ?? 0;
    k.logicalBytes += record.logicalBytes;
    k.storedBytes += record.storedBytes;
    items += record.items;
    logicalBytes += record.logicalBytes;
    storedBytes += record.storedBytes;
    graphRequests += record.graphRequests;
    throttled += record.throttledRequests;
  }
  return {
    seconds: round(seconds),
    items,
    logicalBytes,
    storedBytes,
    itemsPerSecond: round(items / seconds),
    mbPerSecond: round(mb(logicalBytes) / seconds),
    graphRequests,
    throttled,
    byKind,
  };
}

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

/** Every item of every snapshot against the simulator: counts and SHA-256. Returns the items lost. */
async function verify(
  sim: RunningSimulator,
  tenantId: string,
  repository: Repository,
  records: SnapshotRecord[],
  resources: Map<string, Resource>,
): Promise<{ checked: number; lost: string[]; mismatched: string[] }> {
  const lost: string[] = [];
  const mismatched: string[] = [];
  let checked = 0;
  const snapshotHashes = async (root: string) => {
    const map = new Map<string, { path: string; sha256: string }>();
    for await (const { path, entry } of repository.walk(root)) {
      if (entry.kind === 'folder' || !entry.content) continue;
      map.set(entry.itemId ?? [...path, entry.name].join('/'), {
        path: [...path, entry.name].join('/'),
        sha256: entry.content.sha256,
      });
    }
    return map;
  };
  const tenant = await sim.control.tenant(tenantId);
  for (const record of records) {
    const resource = resources.get(record.resourceId)!;
    const stored = await snapshotHashes(record.manifestRoot!);
    if (resource.kind === 'mailbox') {
      const tree = await sim.control.mailbox(tenantId, resource.graphId);
      for (const folder of tree.folders) {
        await mapWithConcurrency(folder.messages, 8, async (message) => {
          checked++;
          const got = stored.get(message.immutableId);
          if (!got) return void lost.push(`${resource.displayName}: ${message.subject}`);
          const mime = await sim.control.messageMime(tenantId, resource.graphId, message.immutableId);
          if (sha256(mime) !== got.sha256) mismatched.push(`${resource.displayName}: ${message.subject}`);
        });
      }
    } else {
      const driveIds =
        resource.kind === 'onedrive'
          ? [tenant.users.find((u) => u.id === resource.graphId)!.driveId!]
          : resource.kind === 'site'
            ? tenant.sites.find((s) => s.id === resource.graphId)!.driveIds
            : [tenant.groups.find((g) => g.id === resource.graphId)!.driveId];
      const byPath = new Map([...stored.values()].map((v) => [v.path, v.sha256]));
      for (const driveId of driveIds) {
        const tree = await sim.control.driveTree(tenantId, driveId, true);
        await mapWithConcurrency(
          tree.items.filter((i) => !i.isFolder),
          4,
          async (item) => {
            checked++;
            const candidates = [...byPath.keys()].filter(
              (p) => p === item.path || p.endsWith(`/${item.path}`),
            );
            if (candidates.length === 0) return void lost.push(`${resource.displayName}: ${item.path}`);
            const bytes = await sim.control.fileContent(tenantId, driveId, item.path);
            if (!candidates.some((p) => byPath.get(p) === sha256(bytes)))
              mismatched.push(`${resource.displayName}: ${item.path}`);
          },
        );
      }
    }
  }
  return { checked, lost, mismatched };
}

async function main(): Promise<void> {
  if (await relaunchTrustingSimulatorCa('m365-bench-backup-')) return;
  const work = process.env.BENCH_WORK_DIR!;
  const shape = standardShape(SCALE);
  console.log(`Backup benchmark — standard tenant ×${SCALE}: ${JSON.stringify(shape)}`);
  console.log(
    `Simulator: Microsoft's throttling limits, latency ${LATENCY_MS} ms + up to ${JITTER_MS} ms jitter`,
  );
  const azurite = await startAzurite({ location: join(work, 'azurite') });
  const sim = await startSimulator({
    seed: 2026,
    tenants: 1,
    shape,
    limits: { latencyMs: LATENCY_MS, latencyJitterMs: JITTER_MS },
    certDir: join(work, 'tls'),
  });
  let host: ChildProcess | undefined;
  try {
    const {
      settingsFile,
      settings,
      values: settingsValues,
    } = writeBenchSettings(work, azurite.connectionString, sim);
    const { storage, tenants, resources: resourceStore, snapshots, queue } = benchStores(settings);
    const tenantId = await putBenchTenant(tenants, sim);
    const summary = await sim.control.tenant(tenantId);
    const protect = (kind: ResourceKind, graphId: string, displayName: string) =>
      protectResource(resourceStore, tenantId, kind, graphId, displayName);
    const all: Resource[] = [];
    for (const user of summary.users) {
      if (user.hasMailbox) all.push(await protect('mailbox', user.id, user.userPrincipalName));
      if (user.driveId) all.push(await protect('onedrive', user.id, user.userPrincipalName));
    }
    for (const site of summary.sites.filter((s) => s.kind !== 'personal' && s.kind !== 'group'))
      all.push(await protect('site', site.id, site.displayName));
    for (const group of summary.groups) all.push(await protect('group', group.id, group.displayName));
    const byId = new Map(all.map((r) => [r.resourceId, r]));
    console.log(
      `Resources: ${all.length} (${Object.entries(
        all.reduce<Record<string, number>>((a, r) => ((a[r.kind] = (a[r.kind] ?? 0) + 1), a), {}),
      )
        .map(([k, v]) => `${v} ${k}`)
        .join(', ')})`,
    );

    // Ceiling 1: Graph, read raw (this process trusts the simulator's CA: see relaunchTrustingSimulatorCa).
    const graph = new GraphClientFactory({
      baseUrl: sim.graphBaseUrl,
      authorityHost: sim.authorityHost,
      clientId: sim.app.clientId,
      clientSecret: sim.app.clientSecret,
    }).forTenant(tenantId);
    console.log('Measuring the Graph ceiling (raw read of the same data)…');
    const rawGraph = await rawGraphRead(graph, all);
    console.log(`  ${rawGraph.items} items, ${round(mb(rawGraph.bytes))} MB in ${round(rawGraph.seconds)} s`);
    // Microsoft's SharePoint limit is per minute: start the backup with a fresh minute.
    await new Promise((r) => setTimeout(r, 61_000));

    console.log('Measuring the Azurite ceiling (raw upload of the same bytes)…');
    const rawUpload = await rawUploadCeiling(storage.blobs, rawGraph.bytes);
    const uploadSeconds = mb(rawGraph.bytes) / rawUpload.best.mbPerSecond;
    console.log(`  best ${rawUpload.best.mbPerSecond} MB/s at concurrency ${rawUpload.best.concurrency}`);

    const probeFile = join(work, 'worker-memory.json');
    // The worker's memory at its peak, written by a probe loaded before the host (see the file).
    host = await startHost(
      settingsFile,
      { ...settingsValues, BENCH_MEMORY_PROBE_FILE: probeFile, NODE_EXTRA_CA_CERTS: sim.caCertPath },
      [...hostNodeArgs(), '--require', join(repoRoot, 'dist/bench/worker-memory-probe.js')],
    );
    const deps = { tenants, resources: resourceStore, queue, clock: systemClock };

    console.log('Full snapshot of every resource through the host…');
    const counters0 = await sim.control.counters();
    let t0 = performance.now();
    const fullRun = await backUpNow(deps, tenantId);
    const fullRecords = await waitForRun(resourceStore, snapshots, tenantId, [...byId.keys()], fullRun.runId);
    const full = figures(fullRecords, (performance.now() - t0) / 1000, byId);
    const counters1 = await sim.control.counters();
    const rssAfterFull = peakRss(host.pid!);
    const memoryAfterFull = memoryAtPeak(probeFile);
    console.log(`  ${full.items} items, ${round(mb(full.logicalBytes))} MB in ${full.seconds} s`);

    await new Promise((r) => setTimeout(r, 61_000));
    console.log('About 1% of the tenant changes…');
    const activity = await sim.control.activity(tenantId, 0.01, 99);
    console.log(`  ${activity.changes.length} changes`);
    t0 = performance.now();
    const incrementalRun = await backUpNow(deps, tenantId);
    const incrementalRecords = await waitForRun(
      resourceStore,
      snapshots,
      tenantId,
      [...byId.keys()],
      incrementalRun.runId,
    );
    const incremental = figures(incrementalRecords, (performance.now() - t0) / 1000, byId);
    const counters2 = await sim.control.counters();
    console.log(`  incremental in ${incremental.seconds} s, ${incremental.graphRequests} Graph requests`);

    const repository = await openRepository({
      blobs: storage.blobs,
      tenantId,
      masterKey: new LocalMasterKey(Buffer.alloc(32, 42)),
    });
    console.log('Verifying every item of both runs against the simulator…');
    const verifyFull = await verify(sim, tenantId, repository, incrementalRecords, byId);

    let huge: { seconds: number; mbPerSecond: number; peakRss: number } | undefined;
    if (HUGE_MB > 0) {
      console.log(`A drive with one ${HUGE_MB} MB file…`);
      const user = summary.users.find((u) => u.driveId)!;
      await sim.control.request(
        'PUT',
        `/_sim/tenants/${tenantId}/drives/${encodeURIComponent(user.driveId!)}/items?path=${encodeURIComponent('Huge/disk-image.vhdx')}&generatedSize=${HUGE_MB * MiB}&seed=7`,
      );
      const resource = byId.get(resourceIdOf('onedrive', user.id))!;
      t0 = performance.now();
      const run = await backUpNow(deps, tenantId, resource.resourceId);
      await waitForRun(resourceStore, snapshots, tenantId, [resource.resourceId], run.runId);
      const seconds = (performance.now() - t0) / 1000;
      huge = { seconds: round(seconds), mbPerSecond: round(HUGE_MB / seconds), peakRss: peakRss(host.pid!) };
    }
    const peak = peakRss(host.pid!);
    const memoryAtEnd = memoryAtPeak(probeFile);

    const mail = full.byKind.mailbox ?? { logicalBytes: 0, storedBytes: 0, items: 0, newChunkBytes: 0 };
    // Deduplication's share: the logical bytes that were not stored as new chunks; and what the
    // new chunks cost per plaintext byte (compression, encryption, pack headers): the ratio mail
    // would have without deduplication.
    const mailFigures = {
      logicalMB: round(mb(mail.logicalBytes)),
      storedMB: round(mb(mail.storedBytes)),
      storedOverLogical: round(mail.storedBytes / Math.max(1, mail.logicalBytes), 3),
      dedupSavedShare: round(1 - mail.newChunkBytes / Math.max(1, mail.logicalBytes), 3),
      storedOverNewBytes: round(mail.storedBytes / Math.max(1, mail.newChunkBytes), 3),
    };
    const graphCeilingSeconds = rawGraph.seconds;
    const lowerCeilingSeconds = Math.max(graphCeilingSeconds, uploadSeconds);
    const ceilingMbPerSecond = mb(rawGraph.bytes) / lowerCeilingSeconds;
    const shareOfCeiling = full.mbPerSecond / ceilingMbPerSecond;
    const targets = {
      fullThroughputShareOfLowerCeiling: {
        value: round(shareOfCeiling, 2),
        target: '≥ 0.70',
        ok: shareOfCeiling >= 0.7,
      },
      incrementalTimeShare: {
        value: round(incremental.seconds / full.seconds, 3),
        target: '≤ 0.05',
        ok: incremental.seconds / full.seconds <= 0.05,
      },
      incrementalRequestShare: {
        value: round(incremental.graphRequests / full.graphRequests, 3),
        target: '≤ 0.05',
        ok: incremental.graphRequests / full.graphRequests <= 0.05,
      },
      peakRssMB: { value: round(mb(peak)), target: '≤ 300', ok: mb(peak) <= 300 },
      storedOverLogicalMail: {
        value: round(mail.storedBytes / Math.max(1, mail.logicalBytes), 3),
        target: '≤ 0.6',
        ok: mail.storedBytes / Math.max(1, mail.logicalBytes) <= 0.6,
      },
      itemsLost: {
        value: verifyFull.lost.length + verifyFull.mismatched.length,
        target: '0',
        ok: verifyFull.lost.length + verifyFull.mismatched.length === 0,
      },
    };
    const result = {
      when: new Date().toISOString(),
      machine: { cores: (await import('node:os')).cpus().length, node: process.version },
      shape,
      latency: { fixedMs: LATENCY_MS, jitterMs: JITTER_MS },
      resources: all.length,
      ceilings: {
        graphRawRead: {
          seconds: round(rawGraph.seconds),
          items: rawGraph.items,
          mb: round(mb(rawGraph.bytes)),
          requests: rawGraph.requests,
          mbPerSecond: round(mb(rawGraph.bytes) / rawGraph.seconds),
          itemsPerSecond: round(rawGraph.items / rawGraph.seconds),
        },
        azuriteRawUpload: { ...rawUpload.best, secondsForSameBytes: round(uploadSeconds) },
        lower: graphCeilingSeconds >= uploadSeconds ? 'graph' : 'azurite',
        lowerMbPerSecond: round(ceilingMbPerSecond),
      },
      full: {
        ...full,
        simulatorRequests: counters1.total - counters0.total,
        simulator429s: counters1.throttled - counters0.throttled,
        peakRssMB: round(mb(rssAfterFull)),
        workerMemoryAtPeak: memoryAfterFull,
      },
      incremental: {
        ...incremental,
        changes: activity.changes.length,
        simulatorRequests: counters2.total - counters1.total,
      },
      hugeFile: huge ? { mb: HUGE_MB, ...huge, peakRss: round(mb(huge.peakRss)) } : null,
      workerMemoryAtPeak: memoryAtEnd,
      verification: {
        checked: verifyFull.checked,
        lost: verifyFull.lost.slice(0, 20),
        mismatched: verifyFull.mismatched.slice(0, 20),
      },
      mail: mailFigures,
      targets,
    };
    mkdirSync(join(repoRoot, 'bench/results'), { recursive: true });
    writeFileSync(join(repoRoot, 'bench/results/backup.json'), JSON.stringify(result, null, 2) + '\n');

    console.log('\n=== Backup benchmark ===');
    console.log(
      `Graph ceiling (raw read):   ${result.ceilings.graphRawRead.seconds} s, ${result.ceilings.graphRawRead.mbPerSecond} MB/s, ${result.ceilings.graphRawRead.itemsPerSecond} items/s, ${rawGraph.requests} requests`,
    );
    console.log(
      `Azurite ceiling (raw 8 MiB uploads): ${rawUpload.best.mbPerSecond} MB/s → ${round(uploadSeconds)} s for the same bytes`,
    );
    console.log(
      `Full snapshot:              ${full.seconds} s, ${full.items} items, ${full.itemsPerSecond} items/s, ${full.mbPerSecond} MB/s, ${full.graphRequests} Graph requests, ${full.throttled} throttled (simulator served ${result.full.simulator429s} 429s)`,
    );
    console.log(
      `Incremental (~1% changed):  ${incremental.seconds} s, ${incremental.graphRequests} Graph requests, ${incremental.throttled} throttled`,
    );
    if (huge) console.log(`One ${HUGE_MB} MB file:        ${huge.seconds} s (${huge.mbPerSecond} MB/s)`);
    console.log(
      `Worker peak RSS:            ${round(mb(rssAfterFull))} MB after the full snapshot, ${round(mb(peak))} MB at the end`,
    );
    console.log(`  what held it after the full snapshot: ${JSON.stringify(memoryAfterFull)}`);
    console.log(`  what held it at the end:              ${JSON.stringify(memoryAtEnd)}`);
    console.log(
      `Verification:               ${verifyFull.checked} items checked, ${verifyFull.lost.length} lost, ${verifyFull.mismatched.length} mismatched`,
    );
    console.log(
      `Mail storage:               ${mailFigures.logicalMB} MB logical, ${mailFigures.storedMB} MB stored, stored/logical ${mailFigures.storedOverLogical}; deduplication saved ${mailFigures.dedupSavedShare} of the logical bytes; new chunks stored at ${mailFigures.storedOverNewBytes} of their size`,
    );
    console.log('Targets:');
    for (const [name, t] of Object.entries(targets))
      console.log(`  ${t.ok ? 'PASS' : 'FAIL'}  ${name}: ${t.value} (target ${t.target})`);
    console.log('Results written to bench/results/backup.json');
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
