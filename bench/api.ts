/**
 * Portal API benchmark (`npm run bench:api`): one tenant with 10,000 resources and 50,000 snapshot
 * records in an in-memory Azurite (seeded with batched entity-group transactions), a committed
 * snapshot whose Inbox holds 1,000 messages, and the real app in the local Functions host. Reports
 * p50/p95/p99 of the dashboard, resource list pages (first, deep through the cursor, filtered), a
 * resource's snapshot list and snapshot browsing, against the targets (dashboard p95 ≤ 100 ms, list
 * pages p95 ≤ 150 ms). Tokens come from the bench's own JWKS server, which the app's
 * ENTRA_AUTHORITY_HOST points at. Results: stdout and bench/results/api.json.
 *
 * Sizes: BENCH_RESOURCES (10000), BENCH_SNAPSHOTS (50000), BENCH_REQUESTS per scenario (200).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { cpus, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import type { TableClient, TableEntity, TransactionAction } from '@azure/data-tables';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { startAzurite, stopChild } from '../dev/azurite';
import { withProcessSettings } from '../dev/host/process-settings';
import { encodeSnapshotId, invertedTime } from '../shared/backup/snapshot-record';
import { SnapshotStore } from '../shared/backup/snapshot-store';
import { TenantTotalsStore } from '../shared/backup/tenant-totals';
import { parseSettings } from '../shared/config/settings';
import { LocalMasterKey, openRepository } from '../shared/repository';
import { ResourceCountsStore } from '../shared/resources/resource-counts';
import { resourceKinds, type ResourceKind } from '../shared/resources/resource';
import { createStorageClients } from '../shared/storage/storage-clients';
import { TableNames, Tables } from '../shared/storage/tables';
import { TenantStore } from '../shared/tenants/tenant-store';

const RESOURCES = Number(process.env.BENCH_RESOURCES ?? 10_000);
const SNAPSHOTS = Number(process.env.BENCH_SNAPSHOTS ?? 50_000);
const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 200);
const TENANT = '7e57a000-0000-4000-8000-000000000001';
const AUDIENCE = 'api://m365-backup-bench';
const TARGETS = { dashboard: 100, list: 150 };
const root = resolve(__dirname, '..', '..');

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}
const round = (n: number) => Math.round(n * 10) / 10;

async function jwksServer() {
  const { publicKey, privateKey } = await generateKeyPair('RS256', { extractable: true });
  const jwk = { ...(await exportJWK(publicKey)), kid: 'bench', alg: 'RS256', use: 'sig' };
  const server = createServer((req, res) => {
    if (/\/discovery\/v2\.0\/keys$/.test(req.url ?? '')) {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] }));
    } else res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const authority = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const token = await new SignJWT({ tid: TENANT, oid: 'bench-user', name: 'Bench', roles: ['Backup.Admin'] })
    .setProtectedHeader({ alg: 'RS256', kid: 'bench' })
    .setIssuer(`${authority}/${TENANT}/v2.0`)
    .setAudience(AUDIENCE)
    .setIssuedAt()
    .setExpirationTime('2h')
    .sign(privateKey);
  return { authority, token, stop: () => new Promise<void>((r) => server.close(() => r())) };
}

async function startHost(env: Record<string, string>): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(
    process.execPath,
    [
      join(root, 'dist/dev/host/cli.js'),
      '--script-root',
      root,
      '--port',
      '0',
      '--settings',
      join(root, 'local.settings.sample.json'),
    ],
    {
      env: withProcessSettings(join(root, 'local.settings.sample.json'), { ...process.env, ...env }),
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const output: string[] = [];
  const url = await new Promise<string>((resolveUrl, reject) => {
    const onLine = (line: string) => {
      output.push(line);
      const match = /Functions host listening on (http:\/\/\S+)/.exec(line);
      if (match) resolveUrl(match[1]!);
    };
    createInterface({ input: child.stdout! }).on('line', onLine);
    createInterface({ input: child.stderr! }).on('line', onLine);
    child.once('exit', (code) => reject(new Error(`host exited ${code}:\n${output.join('\n')}`)));
  });
  return { url, child };
}

/**
 * Batched inserts into a fresh table: entity group transactions of 100 (one partition), like
 * `upsertMany`, but `create` — Azurite processes batched creates about 3x faster than batched
 * upserts (it looks each upserted row up first), and the bench always starts from an empty store.
 */
async function createMany(table: TableClient, entities: TableEntity[]): Promise<void> {
  for (let i = 0; i < entities.length; i += 100) {
    await table.submitTransaction(entities.slice(i, i + 100).map((e) => ['create', e] as TransactionAction));
  }
}

async function seed(connectionString: string, authority: string) {
  const settings = parseSettings({
    FUNCTIONS_WORKER_RUNTIME: 'node',
    AzureWebJobsStorage: connectionString,
    BACKUP_MASTER_KEY: 'ZGV2ZWxvcG1lbnQtb25seS1tYXN0ZXIta2V5LTMyYnk=',
    SNAPSHOT_SCHEDULE: '0 0 */6 * * *',
    BACKUP_APP_CLIENT_ID: '6d5c7a3e-1b8f-4f0e-9a51-2c3d4e5f6a7b',
    BACKUP_APP_CLIENT_SECRET: 'bench',
    ENTRA_AUTHORITY_HOST: authority,
  });
  const storage = createStorageClients(settings);
  const tables = new Tables(storage);
  const now = new Date();
  await new TenantStore(tables).put({
    tenantId: TENANT,
    displayName: 'Bench Corp',
    plan: 'full',
    licences: 10_000,
    premiumSupport: true,
    adminContactEmail: 'admin@bench.example',
    timeZone: 'Europe/Amsterdam',
    status: 'active',
    autoProtect: { mailbox: true, onedrive: true, site: false, group: false },
    createdAt: now.toISOString(),
    updatedAt: now.toISOString(),
  });

  const started = Date.now();
  const kinds: ResourceKind[] = [];
  const resources = Array.from({ length: RESOURCES }, (_, i) => {
    const kind = resourceKinds[i % 10 < 4 ? 0 : i % 10 < 8 ? 1 : i % 10 < 9 ? 2 : 3]!;
    kinds.push(kind);
    const at = new Date(now.getTime() - 3600_000).toISOString();
    return {
      partitionKey: TENANT,
      rowKey: `${kind}:${String(i).padStart(6, '0')}-${randomBytes(4).toString('hex')}`,
      kind,
      graphId: String(i),
      displayName: `User ${i}`,
      address: `user${i}@bench.example`,
      state: i % 5 === 0 ? 'discovered' : 'protected',
      protected: i % 5 !== 0,
      firstSeenAt: at,
      lastSeenAt: at,
      consecutiveFailures: 0,
      lastSnapshotAt: at,
      lastSnapshotStatus: 'completed',
    };
  });
  const resourceTable = await tables.client(TableNames.resources);
  for (let i = 0; i < resources.length; i += 2500) {
    await createMany(resourceTable, resources.slice(i, i + 2500));
    console.log(
      `  resources ${Math.min(i + 2500, resources.length)} (${round((Date.now() - started) / 1000)} s)`,
    );
  }
  const resourceSeconds = (Date.now() - started) / 1000;

  const snapStarted = Date.now();
  const perResource = Math.max(1, Math.ceil(SNAPSHOTS / RESOURCES));
  const snapshots = [];
  for (let s = 0; s < SNAPSHOTS; s++) {
    const resource = resources[Math.floor(s / perResource) % RESOURCES]!;
    const startedAt = new Date(now.getTime() - (s % perResource) * 6 * 3600_000);
    snapshots.push({
      partitionKey: TENANT,
      rowKey: `${resource.rowKey}|${invertedTime(startedAt)}|${randomBytes(3).toString('hex')}`,
      resourceId: resource.rowKey,
      status: 'completed',
      reason: 'schedule',
      runId: `schedule-${startedAt.toISOString()}`,
      startedAt: startedAt.toISOString(),
      updatedAt: startedAt.toISOString(),
      finishedAt: startedAt.toISOString(),
      items: 1000,
      logicalBytes: 50_000_000,
      storedBytes: 1_000_000,
      added: 10,
      changed: 0,
      removed: 0,
      skippedCount: 0,
      skipped: '[]',
      processedItems: 1000,
      slices: 1,
      graphRequests: 20,
      throttledRequests: 0,
      manifestRoot: '0'.repeat(64),
    });
  }
  const snapshotTable = await tables.client(TableNames.snapshots);
  for (let i = 0; i < snapshots.length; i += 5000) {
    await createMany(snapshotTable, snapshots.slice(i, i + 5000));
    console.log(
      `  snapshots ${Math.min(i + 5000, snapshots.length)} (${round((Date.now() - snapStarted) / 1000)} s)`,
    );
  }
  const snapshotSeconds = (Date.now() - snapStarted) / 1000;

  // The dashboard's rows: kept by the snapshot engine and discovery; set here as they would be.
  const counts = Object.fromEntries(
    resourceKinds.map((k) => [k, { discovered: 0, protected: 0 }]),
  ) as Parameters<ResourceCountsStore['set']>[1];
  resources.forEach((r, i) => {
    counts[kinds[i]!].discovered++;
    if (r.protected) counts[kinds[i]!].protected++;
  });
  await new ResourceCountsStore(tables).set(TENANT, counts);
  const totals = new TenantTotalsStore(tables);
  await totals.apply(TENANT, {
    kind: 'mailbox',
    previousStatus: undefined,
    status: 'completed',
    committed: true,
    previousGoodBytes: 0,
    logicalBytes: 50_000_000,
    finishedAt: now.toISOString(),
  });

  // One real, browsable snapshot: an Inbox of 1,000 messages.
  const repository = await openRepository({
    blobs: storage.blobs,
    tenantId: TENANT,
    masterKey: new LocalMasterKey(Buffer.from(settings.BACKUP_MASTER_KEY!, 'base64')),
  });
  const builder = repository.treeBuilder();
  for (let i = 0; i < 1000; i++) {
    const mime = Buffer.from(`Subject: Message ${i}\r\nFrom: a${i}@bench.example\r\n\r\nBody ${i}\r\n`);
    builder.add(['Inbox'], {
      name: `msg-${String(i).padStart(4, '0')}`,
      kind: 'message',
      itemId: `AAMk-${i}`,
      metadata: {
        subject: `Message ${i}`,
        from: { address: `a${i}@bench.example` },
        receivedDateTime: now.toISOString(),
      },
      content: await repository.putBuffer(mime),
    });
  }
  const manifestRoot = await builder.finish();
  await repository.flush();
  const browsable = resources[0]!.rowKey;
  const snapshotId = new SnapshotStore(tables).newSnapshotId(TENANT, browsable, now);
  await new SnapshotStore(tables).put({
    snapshotId,
    tenantId: TENANT,
    resourceId: browsable,
    status: 'completed',
    reason: 'manual',
    runId: 'bench',
    startedAt: now.toISOString(),
    updatedAt: now.toISOString(),
    finishedAt: now.toISOString(),
    items: 1000,
    logicalBytes: 100_000,
    storedBytes: 50_000,
    added: 1000,
    changed: 0,
    removed: 0,
    skippedCount: 0,
    skipped: [],
    processedItems: 1000,
    slices: 1,
    graphRequests: 0,
    throttledRequests: 0,
    manifestRoot,
  });
  void encodeSnapshotId;
  return {
    resourceSeconds,
    snapshotSeconds,
    snapshotId,
    browsable,
    resources: resources.map((r) => r.rowKey),
  };
}

async function measure(name: string, next: () => string, token: string, target: number) {
  const times: number[] = [];
  for (let i = 0; i < REQUESTS + 20; i++) {
    const url = next();
    const started = performance.now();
    const response = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
    const body = await response.text();
    const ms = performance.now() - started;
    if (response.status !== 200) throw new Error(`${name}: ${response.status} ${body.slice(0, 300)}`);
    if (i >= 20) times.push(ms); // the first 20 warm caches and connections
  }
  times.sort((a, b) => a - b);
  const result = {
    scenario: name,
    requests: times.length,
    p50: round(percentile(times, 50)),
    p95: round(percentile(times, 95)),
    p99: round(percentile(times, 99)),
    targetP95: target,
    met: percentile(times, 95) <= target,
  };
  console.log(
    `${name.padEnd(44)} p50 ${String(result.p50).padStart(6)} ms  p95 ${String(result.p95).padStart(6)} ms  p99 ${String(result.p99).padStart(6)} ms  target p95 ≤ ${target} ms ${result.met ? 'met' : 'MISSED'}`,
  );
  return result;
}

async function main() {
  const azurite = await startAzurite();
  const idp = await jwksServer();
  let host: { url: string; child: ChildProcess } | undefined;
  try {
    console.log(`seeding ${RESOURCES} resources and ${SNAPSHOTS} snapshot records…`);
    const seeded = await seed(azurite.connectionString, idp.authority);
    console.log(
      `seeded: resources ${round(seeded.resourceSeconds)} s, snapshots ${round(seeded.snapshotSeconds)} s (batched: 100 inserts per transaction)`,
    );
    host = await startHost({
      AzureWebJobsStorage: azurite.connectionString,
      ENTRA_AUTHORITY_HOST: idp.authority,
      PORTAL_API_AUDIENCE: AUDIENCE,
      API_RATE_LIMIT_PER_MINUTE: '1000000',
      API_RATE_LIMIT_BURST: '1000000',
    });
    const api = `${host.url}/api/v1`;
    const t = idp.token;

    // Deep pages: follow the cursor through the list (wrapping around at the end).
    const cursors: string[] = [''];
    let cursor: string | null = '';
    while (cursor !== null && cursors.length < 60) {
      const res = await fetch(`${api}/resources?limit=50${cursor ? `&cursor=${cursor}` : ''}`, {
        headers: { authorization: `Bearer ${t}` },
      });
      cursor = ((await res.json()) as { nextCursor: string | null }).nextCursor;
      if (cursor) cursors.push(cursor);
    }
    let deep = 0;
    let resourceIndex = 0;
    const results = [
      await measure('GET /dashboard', () => `${api}/dashboard`, t, TARGETS.dashboard),
      await measure('GET /resources (first page, 50)', () => `${api}/resources?limit=50`, t, TARGETS.list),
      await measure(
        'GET /resources (pages 1-60 via cursor)',
        () =>
          `${api}/resources?limit=50${cursors[deep % cursors.length] ? `&cursor=${cursors[deep++ % cursors.length]}` : (deep++, '')}`,
        t,
        TARGETS.list,
      ),
      await measure(
        'GET /resources?kind=onedrive&protection=protected',
        () => `${api}/resources?kind=onedrive&protection=protected&limit=50`,
        t,
        TARGETS.list,
      ),
      await measure(
        'GET /resources/{id}/snapshots (50)',
        () =>
          `${api}/resources/${encodeURIComponent(seeded.resources[resourceIndex++ % seeded.resources.length]!)}/snapshots?limit=50`,
        t,
        TARGETS.list,
      ),
      await measure(
        'GET /snapshots/{id}/items (root)',
        () => `${api}/snapshots/${seeded.snapshotId}/items`,
        t,
        TARGETS.list,
      ),
      await measure(
        'GET /snapshots/{id}/items?path=Inbox (50 of 1,000)',
        () => `${api}/snapshots/${seeded.snapshotId}/items?path=Inbox&limit=50`,
        t,
        TARGETS.list,
      ),
    ];
    const report = {
      at: new Date().toISOString(),
      machine: { cpus: cpus().length, loadavg: loadavg().map(round), node: process.version },
      sizes: {
        resources: RESOURCES,
        snapshots: SNAPSHOTS,
        requestsPerScenario: REQUESTS,
        inboxMessages: 1000,
      },
      seeding: {
        resourcesSeconds: round(seeded.resourceSeconds),
        snapshotsSeconds: round(seeded.snapshotSeconds),
      },
      targets: { dashboardP95Ms: TARGETS.dashboard, listP95Ms: TARGETS.list },
      results,
      notes:
        'Through the local Functions host (HTTP streaming proxy) on loopback; state in in-memory Azurite. Each list page is one Table Storage query; the dashboard is three point reads.',
    };
    mkdirSync(join(root, 'bench/results'), { recursive: true });
    writeFileSync(join(root, 'bench/results/api.json'), JSON.stringify(report, null, 2) + '\n');
    console.log(
      `written bench/results/api.json; ${results.every((r) => r.met) ? 'all targets met' : 'SOME TARGETS MISSED'}`,
    );
  } finally {
    if (host) await stopChild(host.child, 15_000);
    await idp.stop();
    await azurite.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
