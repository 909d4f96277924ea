import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import type { ControlResponse, TenantSummary } from './simulator/control/control-client';

/**
 * The demo tenant `npm start` sets up, so a newcomer sees data: the simulator's first customer
 * tenant becomes an active customer of the app through the same doors an operator and a customer
 * admin use — the portal API (`POST /v1/operator/tenants`, the consent link), Entra's admin-consent
 * redirect to the app's callback (which starts discovery), then `POST /v1/protection/users/enable`,
 * `POST /v1/protection/collaboration/enable` and "back up now". Nothing is written to tables directly.
 * Idempotent: on a restart (state kept in .data/) each step sees it is done and moves on.
 */

/** The part of the running simulator this uses. */
export interface DemoSimulator {
  url: string;
  caCertPath: string;
  providerTenantId: string;
  tenants: { tenantId: string; displayName: string }[];
  portal: { clientId: string };
  control: {
    request<T = unknown>(
      method: string,
      path: string,
      body?: unknown,
      headers?: Record<string, string>,
    ): Promise<ControlResponse<T>>;
    tenant(tenantId: string): Promise<TenantSummary>;
  };
}

export interface DemoSetup {
  tenantId: string;
  displayName: string;
  admin: { id: string; userPrincipalName: string };
  /** What this start did (empty on a restart that found everything in place). */
  done: string[];
  resources: number;
  protected: string[];
  snapshotsStarted: number;
}

/** What `npm run demo:token` needs to mint a token for the demo admin (nothing secret: PKCE, no client secret). */
export interface DemoFile {
  simulatorUrl: string;
  caCertPath: string;
  portalClientId: string;
  hostUrl: string;
  tenantId: string;
  adminUserId: string;
  providerTenantId: string;
  operatorUserId: string;
}

/** Users protected in the demo (their mailboxes and OneDrives) and groups (with their sites). */
const DEMO_USERS = 3;
const DEMO_GROUPS = 1;
const DEMO_LICENCES = 25;
/** Where a portal user's authorization code is sent: never followed, the code is read from the redirect. */
const REDIRECT_URI = 'http://localhost/m365-backup-demo';

export class DemoSetupError extends Error {}

export async function setUpDemoTenant(options: {
  hostUrl: string;
  simulator: DemoSimulator;
  /** How long to wait for discovery (default 120 s). */
  timeoutMs?: number;
}): Promise<{ setup: DemoSetup; file: DemoFile }> {
  const { hostUrl, simulator } = options;
  const demo = simulator.tenants[0];
  if (!demo) throw new DemoSetupError('the simulator has no customer tenant');
  const directory = await simulator.control.tenant(demo.tenantId);
  const admin = directory.users.find((u) => u.portalRoles.includes('Backup.Admin'));
  const provider = await simulator.control.tenant(simulator.providerTenantId);
  const operator = provider.users.find((u) => u.portalRoles.includes('Backup.Operator'));
  if (!admin || !operator) throw new DemoSetupError('the simulator has no demo admin or operator user');
  const file: DemoFile = {
    simulatorUrl: simulator.url,
    caCertPath: simulator.caCertPath,
    portalClientId: simulator.portal.clientId,
    hostUrl,
    tenantId: demo.tenantId,
    adminUserId: admin.id,
    providerTenantId: simulator.providerTenantId,
    operatorUserId: operator.id,
  };
  const done: string[] = [];
  const api = apiClient(hostUrl);

  // 1. The operator creates the customer tenant (once) …
  const operatorToken = await portalToken(simulator, simulator.providerTenantId, operator.id);
  let tenant = await api<{ status: string }>('GET', `/v1/operator/tenants/${demo.tenantId}`, operatorToken, {
    allow: [404],
  });
  if (tenant.status === 404) {
    tenant = await api('POST', '/v1/operator/tenants', operatorToken, {
      body: {
        tenantId: demo.tenantId,
        displayName: demo.displayName,
        plan: 'full',
        licences: DEMO_LICENCES,
        adminContactEmail: admin.userPrincipalName,
        timeZone: 'Europe/Amsterdam',
      },
    });
    done.push(`created the customer tenant (plan full, ${DEMO_LICENCES} licences)`);
  }
  // 2. … and sends its admin the consent link; the admin consents, Entra redirects to the app.
  if (tenant.body.status === 'pending-consent') {
    const link = await api<{ url: string }>(
      'POST',
      `/v1/operator/tenants/${demo.tenantId}/consent-link`,
      operatorToken,
    );
    const consentUrl = new URL(link.body.url);
    consentUrl.searchParams.set('sim_user', admin.id);
    const consent = await simulator.control.request('GET', `${consentUrl.pathname}${consentUrl.search}`);
    const callback = consent.headers.location;
    if (consent.status !== 302 || typeof callback !== 'string') {
      throw new DemoSetupError(`admin consent in the simulator answered ${consent.status}`);
    }
    const activated = await fetch(callback);
    if (activated.status !== 200) {
      throw new DemoSetupError(
        `the consent callback answered ${activated.status}: ${await activated.text()}`,
      );
    }
    done.push('the demo admin consented: the tenant is active and discovery started');
  } else if (tenant.body.status !== 'active') {
    throw new DemoSetupError(`the demo tenant is ${tenant.body.status}; left as it is`);
  }

  // 3. Discovery finds every mailbox, OneDrive, site and group (waits for the queued pass).
  const adminToken = await portalToken(simulator, demo.tenantId, admin.id);
  const expected =
    directory.users.filter((u) => u.hasMailbox).length +
    directory.users.filter((u) => u.driveId).length +
    directory.sites.filter((s) => s.kind !== 'personal').length +
    directory.groups.length;
  const deadline = Date.now() + (options.timeoutMs ?? 120_000);
  let resources = await allResources(api, adminToken);
  while (resources.length < expected) {
    if (Date.now() > deadline) {
      throw new DemoSetupError(
        `discovery found ${resources.length} of ${expected} resources in time; it goes on in the background`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
    resources = await allResources(api, adminToken);
  }

  // 4. The admin protects a few users and a group, and backs up what has no snapshot yet.
  const users = directory.users.filter((u) => u.hasMailbox && u.userType === 'Member').slice(0, DEMO_USERS);
  const enabled = await api<{ protected: string[] }>('POST', '/v1/protection/users/enable', adminToken, {
    body: { userIds: users.map((u) => u.id) },
  });
  const groups = directory.groups.slice(0, DEMO_GROUPS).map((g) => `group:${g.id}`);
  const collaboration =
    groups.length > 0
      ? await api<{ protected: string[] }>('POST', '/v1/protection/collaboration/enable', adminToken, {
          body: { resourceIds: groups },
        })
      : { body: { protected: [] } };
  const newlyProtected = [...enabled.body.protected, ...collaboration.body.protected];
  if (newlyProtected.length > 0) done.push(`protected ${newlyProtected.length} resources`);
  resources = await allResources(api, adminToken);
  const protectedOnes = resources.filter((r) => r.protected);
  let snapshotsStarted = 0;
  for (const resource of protectedOnes) {
    if (resource.lastSnapshot) continue;
    await api('POST', `/v1/resources/${encodeURIComponent(resource.id)}/snapshots`, adminToken);
    snapshotsStarted++;
  }
  if (snapshotsStarted > 0) done.push(`started the first snapshot of ${snapshotsStarted} resources`);
  return {
    setup: {
      tenantId: demo.tenantId,
      displayName: demo.displayName,
      admin: { id: admin.id, userPrincipalName: admin.userPrincipalName },
      done,
      resources: resources.length,
      protected: protectedOnes.map((r) => `${r.kind} ${r.displayName}`),
      snapshotsStarted,
    },
    file,
  };
}

/** A portal access token for a user, the way the portal's SPA gets one: authorization code + PKCE. */
export async function portalToken(
  simulator: Pick<DemoSimulator, 'control' | 'portal'>,
  tenantId: string,
  userId: string,
): Promise<string> {
  const verifier = randomBytes(32).toString('base64url');
  const authorize = new URLSearchParams({
    client_id: simulator.portal.clientId,
    response_type: 'code',
    redirect_uri: REDIRECT_URI,
    scope: 'openid profile',
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
    sim_user: userId,
  });
  const redirect = await simulator.control.request('GET', `/${tenantId}/oauth2/v2.0/authorize?${authorize}`);
  const location = redirect.headers.location;
  const code = typeof location === 'string' ? new URL(location).searchParams.get('code') : null;
  if (redirect.status !== 302 || !code) {
    throw new DemoSetupError(`sign-in at the simulator answered ${redirect.status}`);
  }
  const token = await simulator.control.request<{ access_token?: string; error_description?: string }>(
    'POST',
    `/${tenantId}/oauth2/v2.0/token`,
    new URLSearchParams({
      grant_type: 'authorization_code',
      client_id: simulator.portal.clientId,
      code,
      redirect_uri: REDIRECT_URI,
      code_verifier: verifier,
    }).toString(),
    { 'content-type': 'application/x-www-form-urlencoded' },
  );
  if (token.status !== 200 || !token.body.access_token) {
    throw new DemoSetupError(`the simulator's token endpoint answered ${token.status}`);
  }
  return token.body.access_token;
}

interface ResourceRow {
  id: string;
  kind: string;
  displayName: string;
  protected: boolean;
  lastSnapshot: unknown;
}

type Api = <T = unknown>(
  method: string,
  route: string,
  token: string,
  options?: { body?: unknown; allow?: number[] },
) => Promise<{ status: number; body: T }>;

function apiClient(hostUrl: string): Api {
  return async <T>(
    method: string,
    route: string,
    token: string,
    options: { body?: unknown; allow?: number[] } = {},
  ) => {
    const response = await fetch(`${hostUrl}/api${route}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
    });
    const text = await response.text();
    if (response.status >= 400 && !options.allow?.includes(response.status)) {
      let detail = text;
      try {
        detail = (JSON.parse(text) as { detail?: string }).detail ?? text;
      } catch {
        // not JSON: the text as is
      }
      throw new DemoSetupError(`${method} /api${route} answered ${response.status}: ${detail}`);
    }
    return { status: response.status, body: (text ? JSON.parse(text) : undefined) as T };
  };
}

async function allResources(api: Api, token: string): Promise<ResourceRow[]> {
  const rows: ResourceRow[] = [];
  let cursor: string | null = null;
  do {
    const query: string = `limit=200${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
    const page = await api<{ items: ResourceRow[]; nextCursor: string | null }>(
      'GET',
      `/v1/resources?${query}`,
      token,
    );
    rows.push(...page.body.items);
    cursor = page.body.nextCursor;
  } while (cursor);
  return rows;
}

export function writeDemoFile(path: string, file: DemoFile): void {
  writeFileSync(path, `${JSON.stringify(file, null, 2)}\n`);
}

export function readDemoFile(path: string): DemoFile {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as DemoFile;
  } catch (error) {
    throw new DemoSetupError(
      `${path} is missing or unreadable (${(error as Error).message}); run npm start first`,
    );
  }
}

/** What `npm start` prints about the demo tenant: what is there, and how to call the API. */
export function demoSummary(setup: DemoSetup, hostUrl: string): string[] {
  return [
    `Demo tenant      ${setup.displayName} (${setup.tenantId}): active, ${setup.resources} resources discovered`,
    ...setup.done.map((line) => `                 - ${line}`),
    `  protected      ${setup.protected.join(', ') || 'nothing yet'}`,
    `  admin          ${setup.admin.userPrincipalName} (Backup.Admin in the simulator's Entra ID)`,
    '  call the API as the demo admin (a fresh 1-hour token from the simulator, authorization code + PKCE):',
    '    export TOKEN=$(npm run --silent demo:token)        # --operator: a provider operator instead',
    `    curl -s -H "Authorization: Bearer $TOKEN" ${hostUrl}/api/v1/dashboard`,
    `    curl -s -H "Authorization: Bearer $TOKEN" "${hostUrl}/api/v1/resources?protection=protected"`,
    `  OpenAPI        ${hostUrl}/api/openapi.json`,
  ];
}
