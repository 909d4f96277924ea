/**
 * Change-notification subscriptions: create (resource and changeType validation, per-type maximum
 * lifetime, the validation handshake against notificationUrl and lifecycleNotificationUrl), read,
 * renew, delete; deliveries when users, groups, messages or drive items change (batched per
 * endpoint, retried with back-off on failure or a slow answer); lifecycle notifications
 * (reauthorizationRequired before expiry, subscriptionRemoved, missed).
 */
import { randomUUID } from 'node:crypto';
import { permissions, requireRoles } from '../auth/graph-auth';
import type { AppToken, GraphCall, SimContext } from '../context';
import { GraphError } from '../http/errors';
import { contextUrl, wantsImmutableIds } from '../http/odata';
import { empty, json } from '../http/types';
import type { SimResponse } from '../http/types';
import type { GraphRouter } from '../graph/route';
import type { ChangeEvent } from '../store/events';
import { folderById } from '../store/mail-store';
import type { TenantState } from '../store/model';
import { postWithDeadline, withQuery } from './webhook-client';

type ResourceKind = 'user' | 'group' | 'message' | 'driveItem';

interface Matcher {
  kind: ResourceKind;
  userId?: string;
  folderId?: string;
  driveId?: string;
}

export interface SubscriptionRec {
  id: string;
  tenantId: string;
  applicationId: string;
  creatorId: string;
  resource: string;
  changeType: string;
  notificationUrl: string;
  lifecycleNotificationUrl: string | null;
  expirationDateTime: string;
  clientState: string | null;
  latestSupportedTlsVersion: string;
  includeResourceData: boolean;
  immutableIds: boolean;
  matcher: Matcher;
  nextReauthAt: number;
}

export interface DeliveryRecord {
  url: string;
  kind: 'change' | 'lifecycle';
  count: number;
  attempt: number;
  status?: number;
  ok: boolean;
  slow: boolean;
  at: string;
  error?: string;
}

interface Pending {
  url: string;
  kind: 'change' | 'lifecycle';
  items: Record<string, unknown>[];
  attempt: number;
}

const allowedChangeTypes: Record<ResourceKind, string[]> = {
  user: ['updated', 'deleted'],
  group: ['updated', 'deleted'],
  message: ['created', 'updated', 'deleted'],
  driveItem: ['updated'],
};

const rolesFor: Record<ResourceKind, string[]> = {
  user: permissions.userRead,
  group: permissions.groupRead,
  message: permissions.mailRead,
  driveItem: permissions.filesRead,
};

export class Subscriptions {
  private readonly byId = new Map<string, SubscriptionRec>();
  private readonly queue = new Map<string, Pending>();
  private flushScheduled = false;
  private sweepTimer: NodeJS.Timeout | undefined;
  private readonly timers = new Set<NodeJS.Timeout>();
  readonly deliveries: DeliveryRecord[] = [];
  private stopped = false;

  constructor(private readonly sim: SimContext) {}

  start(): void {
    this.sim.state.onChange((event) => this.onChange(event));
    this.sweepTimer = setInterval(() => this.sweep(), this.sim.limits.lifecycleSweepMs);
    this.sweepTimer.unref();
  }

  stop(): void {
    this.stopped = true;
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }

  list(tenantId?: string): SubscriptionRec[] {
    return [...this.byId.values()].filter((s) => !tenantId || s.tenantId === tenantId);
  }

  get(id: string): SubscriptionRec | undefined {
    return this.byId.get(id);
  }

  /** Persisted form (the matcher is derived again on load). */
  snapshot(): SubscriptionRec[] {
    return this.list();
  }

  restore(records: SubscriptionRec[]): void {
    for (const r of records) this.byId.set(r.id, r);
  }

  private entity(sub: SubscriptionRec): Record<string, unknown> {
    return {
      id: sub.id,
      resource: sub.resource,
      applicationId: sub.applicationId,
      changeType: sub.changeType,
      clientState: sub.clientState,
      notificationUrl: sub.notificationUrl,
      notificationQueryOptions: null,
      notificationContentType: 'application/json',
      lifecycleNotificationUrl: sub.lifecycleNotificationUrl,
      expirationDateTime: sub.expirationDateTime,
      creatorId: sub.creatorId,
      includeResourceData: sub.includeResourceData,
      latestSupportedTlsVersion: sub.latestSupportedTlsVersion,
      encryptionCertificate: null,
      encryptionCertificateId: null,
      notificationUrlAppId: null,
    };
  }

  private parseResource(tenant: TenantState, resource: string): Matcher {
    const r = resource.replace(/^\/+/, '').replace(/\('([^']*)'\)/g, '/$1');
    const parts = r.split('/').filter(Boolean);
    const lower = parts.map((p) => p.toLowerCase());
    const invalid = () =>
      new GraphError(400, 'InvalidRequest', `Resource '${resource}' is not supported for subscriptions.`);
    if (lower[0] === 'me')
      throw new GraphError(
        400,
        'InvalidRequest',
        '/me request is only valid with delegated authentication flow.',
      );
    const userOf = (idOrUpn: string) => {
      const user = this.sim.state.user(tenant, idOrUpn);
      if (!user) throw new GraphError(404, 'ResourceNotFound', `Resource '${idOrUpn}' does not exist.`);
      return user;
    };
    if (lower.length === 1 && lower[0] === 'users') return { kind: 'user' };
    if (lower.length === 1 && lower[0] === 'groups') return { kind: 'group' };
    if (lower[0] === 'users' && parts[1]) {
      const user = userOf(parts[1]);
      if (lower.length === 3 && lower[2] === 'messages') return { kind: 'message', userId: user.id };
      if (lower.length === 5 && lower[2] === 'mailfolders' && lower[4] === 'messages') {
        const box = tenant.mailboxes[user.id];
        const folder = box ? folderById(box, parts[3]!) : undefined;
        if (!folder)
          throw new GraphError(404, 'ErrorItemNotFound', 'The specified object was not found in the store.');
        return { kind: 'message', userId: user.id, folderId: folder.id };
      }
      if (lower.length === 4 && lower[2] === 'drive' && lower[3] === 'root' && user.driveId)
        return { kind: 'driveItem', driveId: user.driveId };
    }
    if (lower[0] === 'drives' && parts[1] && lower[2] === 'root' && lower.length === 3) {
      if (!tenant.drives[parts[1]]) throw new GraphError(404, 'itemNotFound', 'Item not found');
      return { kind: 'driveItem', driveId: parts[1] };
    }
    if (
      (lower[0] === 'groups' || lower[0] === 'sites') &&
      parts[1] &&
      lower[2] === 'drive' &&
      lower[3] === 'root' &&
      lower.length === 4
    ) {
      const driveId =
        lower[0] === 'groups' ? tenant.groups[parts[1]]?.driveId : tenant.sites[parts[1]]?.driveIds[0];
      if (!driveId) throw new GraphError(404, 'itemNotFound', 'Item not found');
      return { kind: 'driveItem', driveId };
    }
    throw invalid();
  }

  private maxMinutes(kind: ResourceKind): number {
    const m = this.sim.limits.subscriptionMaxMinutes;
    return kind === 'message' ? m.message : kind === 'driveItem' ? m.driveItem : m.directory;
  }

  private checkExpiry(kind: ResourceKind, value: unknown): string {
    const date = new Date(String(value ?? ''));
    if (Number.isNaN(date.getTime()))
      throw new GraphError(400, 'InvalidRequest', 'expirationDateTime is required and must be a date.');
    const now = this.sim.state.now().getTime();
    if (date.getTime() <= now)
      throw new GraphError(400, 'InvalidRequest', 'Subscription expiration date time is in the past.');
    const max = this.maxMinutes(kind);
    if (date.getTime() > now + max * 60_000 + 60_000) {
      throw new GraphError(
        400,
        'InvalidRequest',
        `Subscription expiration can only be ${max} minutes in the future.`,
      );
    }
    return date.toISOString().replace('Z', '0000Z');
  }

  private checkUrl(url: unknown, field: string): string {
    let u: URL;
    try {
      u = new URL(String(url));
    } catch {
      throw new GraphError(400, 'InvalidRequest', `Invalid ${field}.`);
    }
    const loopback = ['127.0.0.1', 'localhost', '[::1]'].includes(u.hostname);
    if (
      u.protocol !== 'https:' &&
      !(u.protocol === 'http:' && (loopback || this.sim.allowHttpNotificationUrls))
    ) {
      throw new GraphError(400, 'InvalidRequest', `Subscription ${field} must be an HTTPS URL.`);
    }
    return u.toString();
  }

  private async validate(url: string): Promise<void> {
    const token = `Validation: Testing client application reachability for subscription Request-Id: ${randomUUID()}`;
    const result = await postWithDeadline(
      withQuery(url, 'validationToken', token),
      '',
      'text/plain; charset=utf-8',
      this.sim.limits.validationTimeoutMs,
    );
    if (result.error && /timeout|aborted/i.test(result.error)) {
      throw new GraphError(400, 'ValidationError', 'Subscription validation request timed out.');
    }
    if (result.status !== 200 || result.body !== token) {
      throw new GraphError(
        400,
        'ValidationError',
        `Subscription validation request failed. Notification endpoint must respond with 200 OK to validation request${result.status ? ` (got ${result.status})` : ''}.`,
      );
    }
  }

  private async create(call: GraphCall): Promise<SimResponse> {
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(call.req.body.toString('utf8') || '{}') as Record<string, unknown>;
    } catch {
      throw new GraphError(400, 'InvalidRequest', 'Invalid JSON in the request body.');
    }
    const resource = String(body['resource'] ?? '');
    const matcher = this.parseResource(call.tenant, resource);
    requireRoles(
      call.token,
      rolesFor[matcher.kind],
      matcher.kind === 'message' ? 'mail' : matcher.kind === 'driveItem' ? 'files' : 'directory',
    );
    const changeType = String(body['changeType'] ?? '');
    const types = changeType
      .split(',')
      .map((t) => t.trim())
      .filter(Boolean);
    if (types.length === 0 || types.some((t) => !allowedChangeTypes[matcher.kind].includes(t))) {
      throw new GraphError(
        400,
        'InvalidRequest',
        `The changeType '${changeType}' is not supported for resource '${resource}'; allowed: ${allowedChangeTypes[matcher.kind].join(', ')}.`,
      );
    }
    const clientState =
      body['clientState'] === undefined || body['clientState'] === null ? null : String(body['clientState']);
    if (clientState !== null && clientState.length > 128)
      throw new GraphError(400, 'InvalidRequest', 'clientState must be at most 128 characters.');
    const expirationDateTime = this.checkExpiry(matcher.kind, body['expirationDateTime']);
    const notificationUrl = this.checkUrl(body['notificationUrl'], 'notificationUrl');
    const lifecycleNotificationUrl = body['lifecycleNotificationUrl']
      ? this.checkUrl(body['lifecycleNotificationUrl'], 'lifecycleNotificationUrl')
      : null;
    await this.validate(notificationUrl);
    if (lifecycleNotificationUrl) await this.validate(lifecycleNotificationUrl);
    const sub: SubscriptionRec = {
      id: randomUUID(),
      tenantId: call.tenant.id,
      applicationId: call.token.appId,
      creatorId: call.token.oid,
      resource,
      changeType: types.join(','),
      notificationUrl: String(body['notificationUrl']),
      lifecycleNotificationUrl: lifecycleNotificationUrl ? String(body['lifecycleNotificationUrl']) : null,
      expirationDateTime,
      clientState,
      latestSupportedTlsVersion: String(body['latestSupportedTlsVersion'] ?? 'v1_2'),
      includeResourceData: body['includeResourceData'] === true,
      immutableIds: wantsImmutableIds(call.req),
      matcher,
      nextReauthAt: 0,
    };
    this.scheduleReauth(sub);
    this.byId.set(sub.id, sub);
    this.sim.state.markDirty();
    return json(201, {
      '@odata.context': contextUrl(this.sim.graphBase, 'subscriptions/$entity'),
      ...this.entity(sub),
    });
  }

  private scheduleReauth(sub: SubscriptionRec): void {
    const now = this.sim.state.now().getTime();
    const remaining = new Date(sub.expirationDateTime).getTime() - now;
    sub.nextReauthAt =
      remaining <= 60 * 60_000 ? now + Math.min(15 * 60_000, remaining / 2) : now + (remaining * 3) / 4;
  }

  private owned(call: GraphCall, token: AppToken): SubscriptionRec {
    const sub = this.byId.get(call.params['subscriptionId'] ?? '');
    if (!sub || sub.tenantId !== call.tenant.id || sub.applicationId !== token.appId) {
      throw new GraphError(404, 'ResourceNotFound', `The object was not found.`);
    }
    return sub;
  }

  register(router: GraphRouter): void {
    const any = { roles: permissions.any, deny: 'directory' as const };
    router.add('POST', 'subscriptions', { ...any, handle: (call) => this.create(call) });
    router.add('GET', 'subscriptions', {
      ...any,
      handle: (call) =>
        json(200, {
          '@odata.context': contextUrl(this.sim.graphBase, 'subscriptions'),
          value: this.list(call.tenant.id)
            .filter((s) => s.applicationId === call.token.appId)
            .map((s) => this.entity(s)),
        }),
    });
    router.add('GET', 'subscriptions/{subscriptionId}', {
      ...any,
      handle: (call) =>
        json(200, {
          '@odata.context': contextUrl(this.sim.graphBase, 'subscriptions/$entity'),
          ...this.entity(this.owned(call, call.token)),
        }),
    });
    router.add('PATCH', 'subscriptions/{subscriptionId}', {
      ...any,
      handle: async (call) => {
        const sub = this.owned(call, call.token);
        const body = JSON.parse(call.req.body.toString('utf8') || '{}') as Record<string, unknown>;
        if (body['lifecycleNotificationUrl'] !== undefined) {
          throw new GraphError(
            400,
            'InvalidRequest',
            'lifecycleNotificationUrl cannot be changed; delete and recreate the subscription.',
          );
        }
        if (body['expirationDateTime'] !== undefined)
          sub.expirationDateTime = this.checkExpiry(sub.matcher.kind, body['expirationDateTime']);
        if (body['notificationUrl'] !== undefined) {
          const url = this.checkUrl(body['notificationUrl'], 'notificationUrl');
          await this.validate(url);
          sub.notificationUrl = String(body['notificationUrl']);
        }
        this.scheduleReauth(sub);
        this.sim.state.markDirty();
        return json(200, {
          '@odata.context': contextUrl(this.sim.graphBase, 'subscriptions/$entity'),
          ...this.entity(sub),
        });
      },
    });
    router.add('POST', 'subscriptions/{subscriptionId}/reauthorize', {
      ...any,
      handle: (call) => {
        this.scheduleReauth(this.owned(call, call.token));
        return empty(204);
      },
    });
    router.add('DELETE', 'subscriptions/{subscriptionId}', {
      ...any,
      handle: (call) => {
        this.byId.delete(this.owned(call, call.token).id);
        this.sim.state.markDirty();
        return empty(204);
      },
    });
  }

  // ---- deliveries ----

  private onChange(event: ChangeEvent): void {
    const now = this.sim.state.now().getTime();
    for (const sub of this.byId.values()) {
      if (sub.tenantId !== event.tenantId || new Date(sub.expirationDateTime).getTime() < now) continue;
      const item = this.notificationFor(sub, event);
      if (item)
        this.enqueue(
          sub.notificationUrl,
          'change',
          item,
          sub.matcher.kind === 'driveItem' ? sub.id : undefined,
        );
    }
  }

  private notificationFor(sub: SubscriptionRec, event: ChangeEvent): Record<string, unknown> | undefined {
    const m = sub.matcher;
    const types = sub.changeType.split(',');
    const base = {
      id: randomUUID(),
      subscriptionId: sub.id,
      subscriptionExpirationDateTime: sub.expirationDateTime,
      clientState: sub.clientState,
      tenantId: sub.tenantId,
    };
    if (event.kind === 'message' && m.kind === 'message') {
      if (m.userId !== event.userId || (m.folderId && m.folderId !== event.folderId)) return undefined;
      if (!types.includes(event.changeType)) return undefined;
      const id = sub.immutableIds ? event.immutableId : event.restId;
      const resource = `Users/${event.userId}/Messages/${id}`;
      return {
        ...base,
        changeType: event.changeType,
        resource,
        resourceData: {
          '@odata.type': '#Microsoft.Graph.Message',
          '@odata.id': resource,
          '@odata.etag': `W/"${event.etag}"`,
          id,
        },
      };
    }
    if ((event.kind === 'user' && m.kind === 'user') || (event.kind === 'group' && m.kind === 'group')) {
      // Directory resources report creations as updates.
      const changeType = event.changeType === 'created' ? 'updated' : event.changeType;
      if (!types.includes(changeType)) return undefined;
      const id = event.kind === 'user' ? event.userId : event.groupId;
      const set = event.kind === 'user' ? 'Users' : 'Groups';
      return {
        ...base,
        changeType,
        resource: `${set}/${id}`,
        resourceData: {
          '@odata.type': `#Microsoft.Graph.${event.kind === 'user' ? 'User' : 'Group'}`,
          '@odata.id': `${set}/${id}`,
          id,
          organizationId: sub.tenantId,
        },
      };
    }
    if (event.kind === 'driveItem' && m.kind === 'driveItem' && m.driveId === event.driveId) {
      return { ...base, changeType: 'updated', resource: sub.resource, resourceData: {} };
    }
    return undefined;
  }

  private enqueue(
    url: string,
    kind: 'change' | 'lifecycle',
    item: Record<string, unknown>,
    coalesceKey?: string,
  ): void {
    if (this.stopped) return;
    const key = `${kind}|${url}`;
    let pending = this.queue.get(key);
    if (!pending) {
      pending = { url, kind, items: [], attempt: 0 };
      this.queue.set(key, pending);
    }
    // OneDrive sends one notification for a burst of changes in a drive.
    if (coalesceKey && pending.items.some((i) => i['subscriptionId'] === coalesceKey)) return;
    pending.items.push(item);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => {
        this.flushScheduled = false;
        const batches = [...this.queue.values()];
        this.queue.clear();
        for (const batch of batches) void this.deliver(batch);
      });
    }
  }

  private async deliver(batch: Pending): Promise<void> {
    if (this.stopped) return;
    const timeout = this.sim.limits.notificationTimeoutMs;
    const result = await postWithDeadline(
      batch.url,
      JSON.stringify({ value: batch.items }),
      'application/json; charset=utf-8',
      timeout,
    );
    const slow = result.elapsedMs > timeout * 0.966;
    const ok = result.ok && !slow;
    this.deliveries.push({
      url: batch.url,
      kind: batch.kind,
      count: batch.items.length,
      attempt: batch.attempt,
      status: result.status,
      ok,
      slow,
      at: this.sim.state.nowIso(),
      error: result.error,
    });
    if (this.deliveries.length > 1000) this.deliveries.shift();
    if (ok) return;
    const delay = this.sim.limits.notificationRetryDelaysMs[batch.attempt];
    if (delay === undefined || this.stopped) return;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      void this.deliver({ ...batch, attempt: batch.attempt + 1 });
    }, delay);
    timer.unref();
    this.timers.add(timer);
  }

  // ---- lifecycle ----

  lifecycle(
    sub: SubscriptionRec,
    event: 'reauthorizationRequired' | 'subscriptionRemoved' | 'missed',
  ): boolean {
    if (event === 'subscriptionRemoved') {
      this.byId.delete(sub.id);
      this.sim.state.markDirty();
    }
    if (!sub.lifecycleNotificationUrl) return false;
    this.enqueue(sub.lifecycleNotificationUrl, 'lifecycle', {
      subscriptionId: sub.id,
      subscriptionExpirationDateTime: sub.expirationDateTime,
      tenantId: sub.tenantId,
      clientState: sub.clientState,
      lifecycleEvent: event,
    });
    return true;
  }

  private sweep(): void {
    const now = this.sim.state.now().getTime();
    for (const sub of [...this.byId.values()]) {
      if (new Date(sub.expirationDateTime).getTime() <= now) {
        this.byId.delete(sub.id);
        this.sim.state.markDirty();
        continue;
      }
      if (sub.lifecycleNotificationUrl && now >= sub.nextReauthAt) {
        this.lifecycle(sub, 'reauthorizationRequired');
        this.scheduleReauth(sub);
      }
    }
  }
}
