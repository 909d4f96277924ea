/**
 * Composition: builds the state (from a snapshot or the generator), the services and the HTTPS
 * server, and dispatches each request to the control API, the Graph pipeline, the download and
 * upload URLs, or Entra ID, after faults and latency.
 */
import { X509Certificate, createPublicKey } from 'node:crypto';
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:https';
import { EntraId } from './auth/entra';
import { thumbprints } from './auth/jwt';
import { SigningKeys } from './auth/keys';
import { RequestCounters, type SimContext } from './context';
import { ControlApi } from './control/control-api';
import { Faults, type FaultRule } from './faults';
import { generator } from './generator';
import type { TenantShape } from './generator/contract';
import { DriveUploadSessions } from './graph/drive-uploads';
import { handleDownload } from './graph/downloads';
import { MailUploadSessions } from './graph/mail-uploads';
import { applyLatency, GraphPipeline } from './graph/pipeline';
import { GraphError, renderGraphError } from './http/errors';
import { createSimServer } from './http/server';
import type { SimRequest, SimResponse } from './http/types';
import { json } from './http/types';
import { Subscriptions } from './notifications/subscriptions';
import { defaultAppRoles, defaults, resolveLimits, type SimulatorOptions } from './options';
import { BlobStore } from './store/blobs';
import { buildTenant } from './store/build-tenant';
import { DebouncedSaver, loadSnapshot, saveSnapshot } from './store/persistence';
import { SimState } from './store/state';
import { Throttling } from './throttling';
import { ensureAppCertificate, ensureTlsMaterial, type AppCertificate, type TlsMaterial } from './tls';

export interface SimulatorInternals {
  sim: SimContext;
  entra: EntraId;
  pipeline: GraphPipeline;
  server: Server;
  tls: TlsMaterial;
  appCertificate: AppCertificate;
  buildOptions: { shape: TenantShape; now: Date };
  clock: { offsetMs: number };
}

export function resolveShape(partial: Partial<TenantShape> | undefined): TenantShape {
  return { ...generator.defaultShape(), ...partial };
}

const providerShape = (): TenantShape => ({
  ...generator.defaultShape(),
  users: 3,
  usersWithoutMailbox: 0,
  guests: 0,
  messagesPerMailbox: 5,
  customFoldersPerMailbox: 0,
  filesPerDrive: 2,
  sites: 0,
  librariesPerSite: 1,
  filesPerLibrary: 0,
  groups: 0,
  filesPerGroupLibrary: 0,
  threadsPerGroup: 0,
  maxFileBytes: 64 * 1024,
});

export async function createSimulator(
  options: SimulatorOptions & { certDir?: string },
): Promise<SimulatorInternals & { listen(): Promise<void>; stop(): Promise<void> }> {
  const dataDir = options.dataDir;
  if (dataDir) mkdirSync(dataDir, { recursive: true });
  // Without a data or certificate directory, the certificate lives in a temporary directory removed at stop.
  const tempCertDir = options.certDir || dataDir ? undefined : mkdtempSync(join(tmpdir(), 'm365-sim-tls-'));
  const certDir = options.certDir ?? (dataDir ? join(dataDir, 'tls') : tempCertDir!);
  const tls = await ensureTlsMaterial(certDir);
  const appCertificate = await ensureAppCertificate(certDir);
  const keys = SigningKeys.load(dataDir);
  const limits = resolveLimits(options.limits);
  const seed = options.seed ?? defaults.seed;
  const clock = { offsetMs: 0 };
  const now = () => new Date(Date.now() + clock.offsetMs);
  const snapshot = dataDir ? loadSnapshot(dataDir) : undefined;
  const usable = snapshot && snapshot.data.seed === seed ? snapshot : undefined;
  const state = new SimState(
    usable?.data ?? SimState.empty(seed),
    new BlobStore(dataDir ? join(dataDir, 'blobs') : undefined),
    generator,
    now,
  );
  const appCert = new X509Certificate(appCertificate.certPem);

  const sim: SimContext = {
    state,
    limits,
    baseUrl: '',
    graphBase: '',
    keys,
    app: {
      clientId: options.appClientId ?? defaults.appClientId,
      clientSecret: options.appClientSecret ?? defaults.appClientSecret,
      displayName: 'M365 Backup',
      certificates: [
        {
          ...thumbprints(appCert.raw),
          publicKey: createPublicKey(appCertificate.certPem),
          pem: appCertificate.certPem,
        },
      ],
      consentRoles: options.appRoles ?? defaultAppRoles,
    },
    portal: {
      clientId: options.portalClientId ?? defaults.portalClientId,
      audience: options.portalApiAudience ?? options.portalClientId ?? defaults.portalClientId,
    },
    providerTenantId: defaults.providerTenantId,
    throttling: new Throttling(limits),
    faults: new Faults(),
    allowHttpNotificationUrls: options.allowHttpNotificationUrls ?? false,
    counters: new RequestCounters(),
    driveUploads: undefined as never,
    mailUploads: undefined as never,
    subscriptions: undefined as never,
  };
  sim.driveUploads = new DriveUploadSessions(sim);
  sim.mailUploads = new MailUploadSessions(sim);
  sim.subscriptions = new Subscriptions(sim);

  const shape = resolveShape(options.shape);
  const buildOptions = { shape, now: options.now ?? new Date() };
  if (!usable) {
    buildTenant(state, {
      tenantIndex: 1000,
      shape: providerShape(),
      now: buildOptions.now,
      isProvider: true,
      id: defaults.providerTenantId,
      displayName: 'M365 Backup Provider',
    });
    const consent =
      options.preconsented === false
        ? undefined
        : { clientId: sim.app.clientId, roles: sim.app.consentRoles };
    for (let i = 0; i < (options.tenants ?? defaults.tenants); i++)
      buildTenant(state, { tenantIndex: i, shape, now: buildOptions.now, consent });
  } else {
    sim.subscriptions.restore(usable.subscriptions);
    // The app registration may have changed since the snapshot (settings): consent follows the app.
    for (const tenant of state.tenants()) {
      const granted = Object.values(tenant.consent)[0];
      if (!tenant.isProvider && granted && !tenant.consent[sim.app.clientId])
        tenant.consent[sim.app.clientId] = granted;
    }
  }

  const saver = dataDir
    ? new DebouncedSaver(() =>
        saveSnapshot(dataDir, { data: state.data, subscriptions: sim.subscriptions.snapshot() }),
      )
    : undefined;
  if (saver) {
    state.onDirty(() => saver.markDirty());
    saver.markDirty();
  }

  const entra = new EntraId(sim);
  const pipeline = new GraphPipeline(sim);
  const internals = { sim, entra, pipeline, tls, appCertificate, buildOptions, clock } as SimulatorInternals;
  const control = new ControlApi(internals);
  const log = options.logRequests ? (line: string) => process.stderr.write(line + '\n') : undefined;

  const faultResponse = (rule: FaultRule, req: SimRequest): SimResponse => {
    const status = rule.status ?? 503;
    const code =
      rule.code ??
      (status === 429
        ? 'TooManyRequests'
        : status === 503
          ? 'serviceNotAvailable'
          : status === 404
            ? 'itemNotFound'
            : status >= 500
              ? 'generalException'
              : 'invalidRequest');
    const headers: Record<string, string> =
      rule.retryAfter !== undefined ? { 'retry-after': String(rule.retryAfter) } : {};
    // An injected 429 looks like a real one (innerError carries code, status and message).
    const inner: Record<string, string> =
      status === 429 ? { code: '429', message: 'Please retry after', status: '429' } : {};
    const message = rule.message ?? (status === 429 ? 'Please retry again later.' : 'Injected fault.');
    return renderGraphError(new GraphError(status, code, message, headers, inner), req, state.now());
  };

  const dispatch = async (req: SimRequest): Promise<SimResponse> => {
    if (req.path.startsWith('/_sim/') || req.path === '/_sim') return control.handle(req);
    let endpoint = `${req.method} ${req.path.split('/').slice(0, 3).join('/')}`;
    const started = Date.now();
    const response = await (async (): Promise<SimResponse> => {
      const rule = sim.faults.take(req.method, req.path + (req.query.size ? '?' + req.query.toString() : ''));
      let vanish = false;
      if (rule?.kind === 'status') return faultResponse(rule, req);
      if (rule?.kind === 'reset') return { status: 0, headers: {}, resetConnection: true };
      if (rule?.kind === 'stall') await new Promise((resolve) => setTimeout(resolve, rule.stallMs ?? 1000));
      if (rule?.kind === 'vanish') vanish = true;
      // Graph calls take their latency inside the pipeline, holding their throttling slot meanwhile.
      if (!req.path.startsWith('/v1.0/')) await applyLatency(limits);
      try {
        if (req.path.startsWith('/v1.0/') || req.path === '/v1.0')
          return await pipeline.handle(req, vanish, (name) => (endpoint = name));
        if (req.path.startsWith('/_dl/')) {
          endpoint = 'GET /_dl (download URL)';
          return handleDownload(sim, req, vanish);
        }
        if (req.path.startsWith('/_up/drive/')) {
          endpoint = `${req.method} /_up/drive (upload session)`;
          return sim.driveUploads.handle(req);
        }
        if (req.path.startsWith('/_up/outlook/')) {
          endpoint = `${req.method} /_up/outlook (attachment upload session)`;
          return sim.mailUploads.handle(req);
        }
        const answer = await entra.handle(req);
        if (answer) {
          endpoint = `${req.method} /{tenant}/${req.path.split('/').slice(2).join('/')}`;
          return answer;
        }
        return json(404, { error: { code: 'NotFound', message: `No simulator endpoint at ${req.path}.` } });
      } catch (error) {
        if (error instanceof GraphError) return renderGraphError(error, req, state.now());
        throw error;
      }
    })();
    sim.counters.count(endpoint, response.status);
    log?.(`${req.method} ${req.path} ${response.status} ${Date.now() - started}ms`);
    return response;
  };

  const server = createSimServer({ cert: tls.serverCertPem, key: tls.serverKeyPem }, dispatch, (error) => {
    process.stderr.write(
      `[simulator] ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
  });
  internals.server = server;

  return Object.assign(internals, {
    async listen() {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(options.port ?? 0, options.host ?? defaults.host, () => resolve());
      });
      const address = server.address() as AddressInfo;
      const host = options.host ?? defaults.host;
      sim.baseUrl = `https://${host.includes(':') ? `[${host}]` : host}:${address.port}`;
      sim.graphBase = `${sim.baseUrl}/v1.0`;
      sim.subscriptions.start();
    },
    async stop() {
      sim.subscriptions.stop();
      saver?.flush();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      if (tempCertDir) rmSync(tempCertDir, { recursive: true, force: true });
    },
  });
}
