/**
 * A typed client for the control API. It trusts the simulator's CA itself (node:https with `ca`),
 * so it works in processes started without NODE_EXTRA_CA_CERTS.
 */
import { Agent, request } from 'node:https';

export interface ControlResponse<T = unknown> {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: T;
  raw: Buffer;
}

export interface FaultSpec {
  kind: 'status' | 'reset' | 'stall' | 'vanish';
  path: string;
  method?: string;
  count?: number;
  status?: number;
  retryAfter?: number;
  code?: string;
  message?: string;
  stallMs?: number;
}

export class ControlClient {
  /** Its own connection pool: sockets never outlive the simulator they were opened to. */
  private readonly agent: Agent;

  constructor(
    private readonly baseUrl: string,
    caCertPem: string,
  ) {
    this.agent = new Agent({ keepAlive: true, ca: caCertPem });
  }

  /** Closes pooled connections. */
  close(): void {
    this.agent.destroy();
  }

  /** Any request to the simulator (control API, Graph, download URLs), trusting its CA. */
  async request<T = unknown>(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<ControlResponse<T>> {
    const url = new URL(path, this.baseUrl);
    let payload: Buffer | undefined;
    if (Buffer.isBuffer(body)) payload = body;
    else if (typeof body === 'string') payload = Buffer.from(body);
    else if (body !== undefined) {
      payload = Buffer.from(JSON.stringify(body));
      headers = { 'content-type': 'application/json', ...headers };
    }
    return new Promise((resolve, reject) => {
      const req = request(
        url,
        {
          method,
          headers: { ...headers, ...(payload ? { 'content-length': String(payload.length) } : {}) },
          agent: this.agent,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const raw = Buffer.concat(chunks);
            let parsed: unknown = raw;
            if ((res.headers['content-type'] ?? '').includes('json') && raw.length)
              parsed = JSON.parse(raw.toString('utf8'));
            resolve({ status: res.statusCode ?? 0, headers: res.headers, body: parsed as T, raw });
          });
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(payload);
    });
  }

  private async ok<T>(
    method: string,
    path: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<T> {
    const res = await this.request<T>(method, path, body, headers);
    if (res.status >= 400)
      throw new Error(`control ${method} ${path} failed: ${res.status} ${res.raw.toString('utf8')}`);
    return res.body;
  }

  info() {
    return this.ok<Record<string, unknown>>('GET', '/_sim/info');
  }
  tenants() {
    return this.ok<TenantSummary[]>('GET', '/_sim/tenants');
  }
  tenant(tenantId: string) {
    return this.ok<TenantSummary>('GET', `/_sim/tenants/${tenantId}`);
  }
  createTenant(spec: { shape?: Record<string, number>; consented?: boolean } = {}) {
    return this.ok<TenantSummary>('POST', '/_sim/tenants', spec);
  }
  resetTenant(tenantId: string) {
    return this.ok<TenantSummary>('POST', `/_sim/tenants/${tenantId}/reset`);
  }
  setConsent(tenantId: string, granted: boolean, roles?: string[]) {
    return this.ok('PUT', `/_sim/tenants/${tenantId}/consent`, { granted, roles });
  }
  addUser(
    tenantId: string,
    spec: {
      displayName: string;
      mailNickname?: string;
      withMailbox?: boolean;
      withDrive?: boolean;
      userType?: 'Member' | 'Guest';
    },
  ) {
    return this.ok<{ id: string; userPrincipalName: string; driveId: string | null }>(
      'POST',
      `/_sim/tenants/${tenantId}/users`,
      spec,
    );
  }
  removeUser(tenantId: string, userId: string, permanent = false) {
    return this.ok('DELETE', `/_sim/tenants/${tenantId}/users/${userId}?permanent=${permanent}`);
  }
  unlicenseUser(tenantId: string, userId: string) {
    return this.ok('POST', `/_sim/tenants/${tenantId}/users/${userId}/unlicense`);
  }
  setPortalRoles(tenantId: string, userId: string, roles: string[]) {
    return this.ok('PUT', `/_sim/tenants/${tenantId}/users/${userId}/roles`, { roles });
  }
  mailbox(tenantId: string, userId: string) {
    return this.ok<MailboxTree>('GET', `/_sim/tenants/${tenantId}/users/${userId}/mailbox`);
  }
  deliverMessage(
    tenantId: string,
    userId: string,
    mime: Buffer,
    options: { folder?: string; isRead?: boolean; receivedDateTime?: string } = {},
  ) {
    const q = new URLSearchParams({
      folder: options.folder ?? 'inbox',
      isRead: String(options.isRead ?? false),
    });
    if (options.receivedDateTime) q.set('receivedDateTime', options.receivedDateTime);
    return this.ok<{ id: string; immutableId: string; folderId: string }>(
      'POST',
      `/_sim/tenants/${tenantId}/users/${userId}/messages?${q}`,
      mime,
      { 'content-type': 'message/rfc822' },
    );
  }
  messageMime(tenantId: string, userId: string, messageId: string) {
    return this.ok<Buffer>(
      'GET',
      `/_sim/tenants/${tenantId}/users/${userId}/messages/${encodeURIComponent(messageId)}/mime`,
    );
  }
  moveMessage(tenantId: string, userId: string, messageId: string, folder: string) {
    return this.ok<{ id: string; immutableId: string; folderId: string }>(
      'POST',
      `/_sim/tenants/${tenantId}/users/${userId}/messages/${encodeURIComponent(messageId)}/move`,
      { folder },
    );
  }
  updateMessage(
    tenantId: string,
    userId: string,
    messageId: string,
    change: { isRead?: boolean; flagStatus?: string },
  ) {
    return this.ok(
      'PATCH',
      `/_sim/tenants/${tenantId}/users/${userId}/messages/${encodeURIComponent(messageId)}`,
      change,
    );
  }
  deleteMessage(tenantId: string, userId: string, messageId: string) {
    return this.ok(
      'DELETE',
      `/_sim/tenants/${tenantId}/users/${userId}/messages/${encodeURIComponent(messageId)}`,
    );
  }
  createMailFolder(tenantId: string, userId: string, displayName: string, parent = 'msgfolderroot') {
    return this.ok<{ id: string }>('POST', `/_sim/tenants/${tenantId}/users/${userId}/folders`, {
      displayName,
      parent,
    });
  }
  driveTree(tenantId: string, driveId: string, hashes = false) {
    return this.ok<{
      driveId: string;
      items: { id: string; path: string; isFolder: boolean; size: number; quickXorHash?: string }[];
    }>('GET', `/_sim/tenants/${tenantId}/drives/${encodeURIComponent(driveId)}/tree?hashes=${hashes}`);
  }
  fileContent(tenantId: string, driveId: string, path: string) {
    return this.ok<Buffer>(
      'GET',
      `/_sim/tenants/${tenantId}/drives/${encodeURIComponent(driveId)}/content?path=${encodeURIComponent(path)}`,
    );
  }
  putFile(tenantId: string, driveId: string, path: string, bytes: Buffer) {
    return this.ok<{ id: string; path: string; size: number }>(
      'PUT',
      `/_sim/tenants/${tenantId}/drives/${encodeURIComponent(driveId)}/items?path=${encodeURIComponent(path)}`,
      bytes,
      { 'content-type': 'application/octet-stream' },
    );
  }
  editFile(tenantId: string, driveId: string, path: string) {
    return this.ok<{ id: string; size: number }>(
      'POST',
      `/_sim/tenants/${tenantId}/drives/${encodeURIComponent(driveId)}/edit?path=${encodeURIComponent(path)}`,
    );
  }
  moveFile(tenantId: string, driveId: string, path: string, change: { name?: string; parentPath?: string }) {
    return this.ok<{ id: string; path: string }>(
      'PATCH',
      `/_sim/tenants/${tenantId}/drives/${encodeURIComponent(driveId)}/items?path=${encodeURIComponent(path)}`,
      change,
    );
  }
  deleteFile(tenantId: string, driveId: string, path: string) {
    return this.ok(
      'DELETE',
      `/_sim/tenants/${tenantId}/drives/${encodeURIComponent(driveId)}/items?path=${encodeURIComponent(path)}`,
    );
  }
  createSite(tenantId: string, spec: { displayName: string; name?: string; libraries?: string[] }) {
    return this.ok<{ id: string; driveIds: string[] }>('POST', `/_sim/tenants/${tenantId}/sites`, spec);
  }
  createGroup(
    tenantId: string,
    spec: { displayName: string; mailNickname?: string; memberIds?: string[]; team?: boolean },
  ) {
    return this.ok<{ id: string; driveId: string; siteId: string }>(
      'POST',
      `/_sim/tenants/${tenantId}/groups`,
      spec,
    );
  }
  deleteGroup(tenantId: string, groupId: string, permanent = false) {
    return this.ok('DELETE', `/_sim/tenants/${tenantId}/groups/${groupId}?permanent=${permanent}`);
  }
  activity(tenantId: string, share: number, seed?: number) {
    return this.ok<{ changes: { kind: string }[] }>('POST', `/_sim/tenants/${tenantId}/activity`, {
      share,
      seed,
    });
  }
  expireDelta(
    tenantId: string,
    spec: {
      kind: 'users' | 'groups' | 'drive' | 'mailFolders' | 'messages';
      driveId?: string;
      userId?: string;
      folderId?: string;
    },
  ) {
    return this.ok('POST', `/_sim/tenants/${tenantId}/expire-delta`, spec);
  }
  addFault(spec: FaultSpec) {
    return this.ok<{ id: string }>('POST', '/_sim/faults', spec);
  }
  faults() {
    return this.ok<(FaultSpec & { id: string; hits: number; remaining: number })[]>('GET', '/_sim/faults');
  }
  clearFaults() {
    return this.ok('DELETE', '/_sim/faults');
  }
  counters() {
    return this.ok<{
      total: number;
      byEndpoint: Record<string, number>;
      byStatus: Record<string, number>;
      throttled: number;
    }>('GET', '/_sim/counters');
  }
  resetCounters() {
    return this.ok('DELETE', '/_sim/counters');
  }
  subscriptions() {
    return this.ok<{ id: string; resource: string; expirationDateTime: string }[]>(
      'GET',
      '/_sim/subscriptions',
    );
  }
  deliveries() {
    return this.ok<
      {
        url: string;
        kind: string;
        count: number;
        attempt: number;
        ok: boolean;
        slow: boolean;
        status?: number;
      }[]
    >('GET', '/_sim/deliveries');
  }
  lifecycle(subscriptionId: string, event: 'reauthorizationRequired' | 'subscriptionRemoved' | 'missed') {
    return this.ok<{ sent: boolean }>('POST', `/_sim/subscriptions/${subscriptionId}/lifecycle`, { event });
  }
  sentMail() {
    return this.ok<{ fromUserId: string; to: string[]; subject: string; deliveredTo: string[] }[]>(
      'GET',
      '/_sim/sent-mail',
    );
  }
  advanceClock(ms: number) {
    return this.ok<{ now: string }>('POST', '/_sim/clock', { advanceMs: ms });
  }
  /** An app-only Graph token minted directly (for tests of roles and expiry). */
  appToken(tenantId: string, spec: { roles?: string[]; lifetimeSec?: number } = {}) {
    return this.ok<{ access_token: string }>('POST', `/_sim/tenants/${tenantId}/app-token`, spec);
  }
}

export interface TenantSummary {
  tenantId: string;
  domain: string;
  displayName: string;
  isProvider: boolean;
  consented: boolean;
  users: {
    id: string;
    userPrincipalName: string;
    displayName: string;
    userType: string;
    hasMailbox: boolean;
    licensed: boolean;
    driveId: string | null;
    portalRoles: string[];
  }[];
  groups: { id: string; displayName: string; mail: string; driveId: string; siteId: string }[];
  sites: { id: string; displayName: string; kind: string; webUrl: string; driveIds: string[] }[];
}

export interface MailboxTree {
  userId: string;
  enabled: boolean;
  folders: {
    id: string;
    parentId: string | null;
    displayName: string;
    wellKnownName: string | null;
    isHidden: boolean;
    messages: {
      id: string;
      immutableId: string;
      subject: string;
      internetMessageId: string | null;
      isRead: boolean;
      isDraft: boolean;
      flagStatus: string;
      receivedDateTime: string;
      sentDateTime: string | null;
      hasAttachments: boolean;
    }[];
  }[];
}
