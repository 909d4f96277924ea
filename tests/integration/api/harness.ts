import { Readable } from 'node:stream';
import { HttpRequest, InvocationContext } from '@azure/functions';
import { createRemoteJWKSet } from 'jose';
import { startAzurite, type RunningAzurite } from '../../../dev/azurite';
import type { ApiRuntime } from '../../../shared/api/api-dependencies';
import { createApiRuntime } from '../../../shared/api/api-runtime';
import type { Endpoint } from '../../../shared/api/endpoint';
import { allEndpoints } from '../../../shared/api/endpoints/openapi-document';
import { createHttpHandler } from '../../../shared/api/http-adapter';
import { SnapshotReader } from '../../../shared/backup/snapshot-reader';
import type { SnapshotRecord } from '../../../shared/backup/snapshot-record';
import { SnapshotStore } from '../../../shared/backup/snapshot-store';
import { TenantTotalsStore } from '../../../shared/backup/tenant-totals';
import type { Settings } from '../../../shared/config/settings';
import { GraphClientFactory } from '../../../shared/graph/graph-client';
import { silentLogger } from '../../../shared/observability/logger';
import { StorageJobQueue } from '../../../shared/queues/job-queues';
import { LocalMasterKey, openRepository, type Repository } from '../../../shared/repository';
import { resourceIdOf, type Resource, type ResourceKind } from '../../../shared/resources/resource';
import { ResourceStore } from '../../../shared/resources/resource-store';
import { createRestoreCore, type RestoreCore } from '../../../shared/restore/restore-core';
import { createStorageClients, type StorageClients } from '../../../shared/storage/storage-clients';
import { Tables } from '../../../shared/storage/tables';
import type { Tenant } from '../../../shared/tenants/tenant';
import { TenantStore } from '../../../shared/tenants/tenant-store';
import { systemClock, type Clock } from '../../../shared/time/clock';
import type { BackupStack } from '../../support/backup-stack';
import { testSettings } from '../../support/settings';
import { TEST_AUDIENCE, TestIdentityProvider, type TokenOptions } from '../../support/tokens';

export const TENANT_A = '11111111-1111-4111-8111-111111111111';
export const TENANT_B = '22222222-2222-4222-8222-222222222222';
export const PROVIDER = '99999999-9999-4999-8999-999999999999';
export const STRANGER = '33333333-3333-4333-8333-333333333333';

export interface CallOptions {
  params?: Record<string, string>;
  query?: Record<string, string>;
  body?: unknown;
  /** Sent as is (instead of JSON of `body`). */
  rawBody?: string;
  contentType?: string;
  token?: string;
  headers?: Record<string, string>;
}

export interface CallResult {
  status: number;
  headers: Record<string, string>;
  text: string;
  json: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

export interface HarnessOptions {
  clock?: Clock;
  rateLimit?: { perMinute: number; burst: number };
  settings?: Record<string, string>;
  /**
   * Run over a BackupStack (Azurite and the simulator): Graph, mail and snapshots are the stack's,
   * codes go out through Graph sendMail (set NOTIFICATION_MAIL_SENDER in `settings`). Without it,
   * codes are recorded in `mailedCodes` and nothing talks to Graph.
   */
  stack?: BackupStack;
}

/** A verification code the harness's recording mailer "sent". */
export interface MailedCode {
  to: string;
  code: string;
  what: string;
}

/**
 * Azurite, a test identity provider and the API runtime wired as the app wires it; endpoints are
 * called through their real HTTP handlers (HttpRequest/InvocationContext built directly).
 */
export class ApiHarness {
  private constructor(
    readonly azurite: RunningAzurite,
    readonly idp: TestIdentityProvider,
    readonly settings: Settings,
    readonly storage: StorageClients,
    readonly tables: Tables,
    readonly runtime: ApiRuntime,
    readonly repositoryFor: (tenantId: string) => Promise<Repository>,
    readonly logs: string[],
    readonly clock: Clock,
    readonly restoreCore: RestoreCore,
    readonly mailedCodes: MailedCode[],
    private readonly issuer: ((tenantId: string) => string) | undefined,
    private readonly ownsAzurite: boolean,
  ) {}

  static async start(options: HarnessOptions = {}): Promise<ApiHarness> {
    const stack = options.stack;
    const [azurite, idp] = await Promise.all([
      stack ? stack.azurite : startAzurite(),
      TestIdentityProvider.start(),
    ]);
    const settings = testSettings({
      AzureWebJobsStorage: azurite.connectionString,
      // Over a stack, Entra is the simulator's (Graph's tokens); portal tokens then come from the
      // test identity provider's keys under the simulator's issuer.
      ENTRA_AUTHORITY_HOST: stack ? stack.settings.ENTRA_AUTHORITY_HOST : idp.authorityHost,
      ...(stack
        ? {
            GRAPH_BASE_URL: stack.settings.GRAPH_BASE_URL,
            BACKUP_APP_CLIENT_ID: stack.settings.BACKUP_APP_CLIENT_ID,
            BACKUP_APP_CLIENT_SECRET: stack.settings.BACKUP_APP_CLIENT_SECRET,
          }
        : {}),
      PORTAL_API_AUDIENCE: TEST_AUDIENCE,
      PROVIDER_TENANT_ID: PROVIDER,
      API_RATE_LIMIT_PER_MINUTE: String(options.rateLimit?.perMinute ?? 100_000),
      API_RATE_LIMIT_BURST: String(options.rateLimit?.burst ?? 100_000),
      ...options.settings,
    });
    const storage = createStorageClients(settings);
    const tables = new Tables(storage);
    const masterKey = new LocalMasterKey(Buffer.from(settings.BACKUP_MASTER_KEY!, 'base64'));
    const repositories = new Map<string, Promise<Repository>>();
    const repositoryFor = (tenantId: string) => {
      let repository = repositories.get(tenantId);
      if (!repository) {
        repository = openRepository({ blobs: storage.blobs, tenantId, masterKey });
        repositories.set(tenantId, repository);
      }
      return repository;
    };
    const snapshots = new SnapshotStore(tables);
    const clock = options.clock ?? systemClock;
    const tenants = new TenantStore(tables);
    const resources = new ResourceStore(tables);
    const reader = stack ? stack.reader : new SnapshotReader(snapshots, repositoryFor);
    const queue = new StorageJobQueue(storage.queues);
    const mailedCodes: MailedCode[] = [];
    const restoreCore = createRestoreCore({
      settings,
      storage,
      clock,
      tenants,
      resources,
      reader,
      queue,
      graph: new GraphClientFactory({
        baseUrl: settings.GRAPH_BASE_URL,
        authorityHost: settings.ENTRA_AUTHORITY_HOST,
        clientId: settings.BACKUP_APP_CLIENT_ID,
        clientSecret: settings.BACKUP_APP_CLIENT_SECRET,
      }),
      ...(stack
        ? {}
        : {
            mailer: {
              sendCode: (to: string, code: string, what: string) =>
                Promise.resolve(void mailedCodes.push({ to, code, what })),
            },
          }),
    });
    const runtime = createApiRuntime({
      settings,
      tables,
      clock,
      tenants,
      resources,
      snapshots,
      totals: new TenantTotalsStore(tables),
      reader,
      queue,
      log: silentLogger,
      restoreCore: () => restoreCore,
      tenantCacheMs: 0,
      ...(stack
        ? {
            keysFor: (tenantId: string) =>
              createRemoteJWKSet(new URL(`${idp.authorityHost}/${tenantId}/discovery/v2.0/keys`)),
          }
        : {}),
    });
    return new ApiHarness(
      azurite,
      idp,
      settings,
      storage,
      tables,
      runtime,
      repositoryFor,
      [],
      clock,
      restoreCore,
      mailedCodes,
      stack ? (tenantId) => `${stack.settings.ENTRA_AUTHORITY_HOST}/${tenantId}/v2.0` : undefined,
      !stack,
    );
  }

  async stop(): Promise<void> {
    await Promise.allSettled([...(this.ownsAzurite ? [this.azurite.stop()] : []), this.idp.stop()]);
  }

  endpoint(operationId: string): Endpoint {
    const endpoint = allEndpoints.find((e) => e.operationId === operationId);
    if (!endpoint) throw new Error(`no endpoint ${operationId}`);
    return endpoint;
  }

  async call(operationId: string, options: CallOptions = {}): Promise<CallResult> {
    const endpoint = this.endpoint(operationId);
    const params = options.params ?? {};
    const path = endpoint.route.replace(/\{(\w+)\}/g, (_, name: string) =>
      encodeURIComponent(params[name] ?? ''),
    );
    const url = new URL(`http://127.0.0.1:7071/api/${path}`);
    for (const [k, v] of Object.entries(options.query ?? {})) url.searchParams.set(k, v);
    const headers: Record<string, string> = { 'x-forwarded-for': '203.0.113.7', ...options.headers };
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    let body: string | undefined = options.rawBody;
    if (body === undefined && options.body !== undefined) body = JSON.stringify(options.body);
    if (body !== undefined) headers['content-type'] = options.contentType ?? 'application/json';
    const request = new HttpRequest({
      method: endpoint.method,
      url: url.toString(),
      headers,
      params,
      query: Object.fromEntries(url.searchParams.entries()),
      ...(body !== undefined ? { body: { string: body } } : {}),
    });
    const context = new InvocationContext({
      functionName: endpoint.operationId,
      logHandler: (_level, ...args) =>
        this.logs.push(args.map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join(' ')),
    });
    const response = await createHttpHandler(endpoint, () => this.runtime)(request, context);
    let text = '';
    if (response.body instanceof Readable) {
      const chunks: Buffer[] = [];
      for await (const chunk of response.body) chunks.push(Buffer.from(chunk as Uint8Array));
      text = Buffer.concat(chunks).toString('utf8');
    } else if (typeof response.body === 'string') {
      text = response.body;
    }
    const responseHeaders = Object.fromEntries(
      Object.entries((response.headers ?? {}) as Record<string, string>).map(([k, v]) => [
        k.toLowerCase(),
        v,
      ]),
    );
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    return { status: response.status ?? 200, headers: responseHeaders, text, json };
  }

  token(options: TokenOptions): Promise<string> {
    return this.idp.token({
      now: this.clock.now(),
      ...(this.issuer ? { issuer: this.issuer(options.tenantId) } : {}),
      ...options,
    });
  }

  async seedTenant(tenantId: string, overrides: Partial<Tenant> = {}): Promise<Tenant> {
    const now = new Date().toISOString();
    const tenant: Tenant = {
      tenantId,
      displayName: `Tenant ${tenantId.slice(0, 4)}`,
      plan: 'full',
      licences: 100,
      premiumSupport: false,
      adminContactEmail: 'admin@example.com',
      timeZone: 'Europe/Amsterdam',
      status: 'active',
      autoProtect: { mailbox: false, onedrive: false, site: false, group: false },
      createdAt: now,
      updatedAt: now,
      ...overrides,
    };
    await this.runtime.deps.tenants.put(tenant);
    return tenant;
  }

  async seedResource(
    tenantId: string,
    kind: ResourceKind,
    graphId: string,
    overrides: Partial<Resource> = {},
  ) {
    const now = new Date().toISOString();
    const resource: Resource = {
      tenantId,
      resourceId: resourceIdOf(kind, graphId),
      kind,
      graphId,
      displayName: `${kind} ${graphId}`,
      address: `${graphId}@example.com`,
      state: 'protected',
      protected: true,
      firstSeenAt: now,
      lastSeenAt: now,
      consecutiveFailures: 0,
      ...overrides,
    };
    await this.runtime.deps.resources.put(resource);
    return resource;
  }

  /** A committed snapshot with an Inbox holding two messages and a Documents folder with a file. */
  async seedSnapshot(tenantId: string, resourceId: string, startedAt = new Date()): Promise<SnapshotRecord> {
    const repository = await this.repositoryFor(tenantId);
    const builder = repository.treeBuilder();
    const mime = (subject: string) =>
      Buffer.from(`From: Alice <alice@example.com>\r\nSubject: ${subject}\r\n\r\nHello ${subject}\r\n`);
    const m1 = mime('Quarterly report');
    const m2 = mime('Lunch on Friday');
    builder.add(['Inbox'], {
      name: 'AAMkAD-1',
      kind: 'message',
      itemId: 'AAMkAD/1+x=',
      metadata: {
        subject: 'Quarterly report',
        from: { name: 'Alice', address: 'alice@example.com' },
        receivedDateTime: '2026-03-01T10:00:00Z',
      },
      content: await repository.putBuffer(m1),
    });
    builder.add(['Inbox'], {
      name: 'AAMkAD-2',
      kind: 'message',
      itemId: 'AAMkAD-2',
      metadata: {
        subject: 'Lunch on Friday',
        from: { name: 'Bob', address: 'bob@example.com' },
        receivedDateTime: '2026-04-01T10:00:00Z',
      },
      content: await repository.putBuffer(m2),
    });
    builder.add(['Documents'], {
      name: 'plan é.txt',
      kind: 'file',
      itemId: 'file-1',
      metadata: { lastModifiedDateTime: '2026-02-01T10:00:00Z', mimeType: 'text/plain' },
      content: await repository.putBuffer(Buffer.from('the plan')),
    });
    const root = await builder.finish();
    await repository.flush();
    const snapshotId = this.runtime.deps.snapshots.newSnapshotId(tenantId, resourceId, startedAt);
    const record: SnapshotRecord = {
      snapshotId,
      tenantId,
      resourceId,
      status: 'completed-with-warnings',
      reason: 'schedule',
      runId: 'run-1',
      startedAt: startedAt.toISOString(),
      updatedAt: startedAt.toISOString(),
      finishedAt: startedAt.toISOString(),
      items: 3,
      logicalBytes: m1.length + m2.length + 8,
      storedBytes: 100,
      added: 3,
      changed: 0,
      removed: 0,
      skippedCount: 1,
      skipped: [{ item: 'Inbox/huge.msg', reason: 'larger than 150 MB' }],
      processedItems: 3,
      slices: 1,
      graphRequests: 5,
      throttledRequests: 0,
      manifestRoot: root,
    };
    await this.runtime.deps.snapshots.put(record);
    return record;
  }
}
