/**
 * The control API under `/_sim/…` (no Graph auth, JSON): tenants, users, mail, drive items, sites
 * and groups, activity, read-back for assertions, faults, delta-token expiry, counters,
 * subscriptions and lifecycle events, portal role assignments, consent and the clock. Every
 * endpoint is listed in dev/simulator/README.md.
 */
import { contentBytes, quickXorHashOf } from '../store/content';
import {
  addGroupFromGen,
  addSite,
  addUser,
  emitGroup,
  removeUser,
  unlicenseUser,
} from '../store/directory-store';
import {
  createItem,
  deleteItem,
  ensureFolderPath,
  itemByPath,
  itemPath,
  renameOrMove,
  replaceContent,
} from '../store/drive-store';
import {
  addFolder,
  deleteMessage,
  folderById,
  messageById,
  moveMessage,
  updateMessage,
} from '../store/mail-store';
import { messageMime } from '../store/message-mime';
import { buildTenant } from '../store/build-tenant';
import type { DriveRec, MailboxRec, TenantState } from '../store/model';
import { guid } from '../ids';
import { messageFromMime } from '../graph/mail-create';
import { mimeTypeFor } from '../graph/mime-types';
import { Router } from '../http/router';
import type { SimRequest, SimResponse } from '../http/types';
import { empty, json, text } from '../http/types';
import type { SimulatorInternals } from '../simulator';
import type { NewFault } from '../faults';
import { editedContent, runActivity } from './activity';
import { resolveShape } from '../simulator';

class ControlError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

interface Ctx {
  req: SimRequest;
  params: Record<string, string>;
  body: () => Record<string, unknown>;
}

type Handler = (ctx: Ctx) => Promise<SimResponse> | SimResponse;

export class ControlApi {
  private readonly router = new Router<Handler>();

  constructor(private readonly internals: SimulatorInternals) {
    this.routes();
  }

  private get sim() {
    return this.internals.sim;
  }

  async handle(req: SimRequest): Promise<SimResponse> {
    const segments = req.path.split('/').filter(Boolean).slice(1).map(decodeURIComponent);
    const match = this.router.match(req.method, segments);
    if (!match || match === 'method-not-allowed')
      return json(404, { error: `no control endpoint ${req.method} ${req.path}` });
    const ctx: Ctx = {
      req,
      params: match.params,
      body: () => {
        try {
          return JSON.parse(req.body.toString('utf8') || '{}') as Record<string, unknown>;
        } catch {
          throw new ControlError(400, 'invalid JSON body');
        }
      },
    };
    try {
      return await match.handler(ctx);
    } catch (error) {
      if (error instanceof ControlError) return json(error.status, { error: error.message });
      throw error;
    }
  }

  private tenant(ctx: Ctx): TenantState {
    const tenant = this.sim.state.tenantByIdOrDomain(ctx.params['tenantId']!);
    if (!tenant) throw new ControlError(404, `unknown tenant ${ctx.params['tenantId']}`);
    return tenant;
  }

  private user(ctx: Ctx, tenant = this.tenant(ctx)) {
    const user = this.sim.state.user(tenant, ctx.params['userId']!);
    if (!user) throw new ControlError(404, `unknown user ${ctx.params['userId']}`);
    return user;
  }

  private mailbox(ctx: Ctx): { tenant: TenantState; box: MailboxRec } {
    const tenant = this.tenant(ctx);
    const user = this.user(ctx, tenant);
    const box = tenant.mailboxes[user.id];
    if (!box) throw new ControlError(404, `user ${user.id} has no mailbox`);
    return { tenant, box };
  }

  private drive(ctx: Ctx): { tenant: TenantState; drive: DriveRec } {
    const tenant = this.tenant(ctx);
    let drive = tenant.drives[ctx.params['driveId'] ?? ''];
    if (!drive && ctx.params['userId']) {
      const user = this.user(ctx, tenant);
      drive = user.driveId ? tenant.drives[user.driveId] : undefined;
    }
    if (!drive) throw new ControlError(404, 'unknown drive');
    return { tenant, drive };
  }

  private tenantSummary(t: TenantState) {
    return {
      tenantId: t.id,
      domain: t.domain,
      displayName: t.displayName,
      isProvider: t.isProvider,
      consented: Object.keys(t.consent).length > 0,
      users: Object.values(t.users)
        .filter((u) => !u.removed)
        .map((u) => ({
          id: u.id,
          userPrincipalName: u.userPrincipalName,
          displayName: u.displayName,
          userType: u.userType,
          hasMailbox: u.hasMailbox,
          licensed: u.licensed,
          driveId: u.driveId,
          portalRoles: t.portalRoles[u.id] ?? [],
        })),
      groups: Object.values(t.groups)
        .filter((g) => !g.removed)
        .map((g) => ({
          id: g.id,
          displayName: g.displayName,
          mail: g.mail,
          driveId: g.driveId,
          siteId: g.siteId,
        })),
      sites: Object.values(t.sites).map((s) => ({
        id: s.id,
        displayName: s.displayName,
        kind: s.kind,
        webUrl: `https://${s.host}${s.urlPath}`,
        driveIds: s.driveIds,
      })),
    };
  }

  private routes(): void {
    const r = this.router;
    const sim = () => this.sim;

    r.add('GET', 'health', () => json(200, { ok: true }));
    r.add('GET', 'info', () =>
      json(200, {
        url: sim().baseUrl,
        graphBaseUrl: sim().graphBase,
        caCertPath: this.internals.tls.caCertPath,
        app: { clientId: sim().app.clientId, clientSecret: sim().app.clientSecret },
        portal: sim().portal,
        providerTenantId: sim().providerTenantId,
        tenants: sim()
          .state.tenants()
          .map((t) => ({
            tenantId: t.id,
            domain: t.domain,
            displayName: t.displayName,
            isProvider: t.isProvider,
          })),
      }),
    );

    // ---- tenants ----
    r.add('GET', 'tenants', () =>
      json(
        200,
        sim()
          .state.tenants()
          .map((t) => this.tenantSummary(t)),
      ),
    );
    r.add('GET', 'tenants/{tenantId}', (ctx) => json(200, this.tenantSummary(this.tenant(ctx))));
    r.add('POST', 'tenants', (ctx) => {
      const body = ctx.body();
      const index =
        Math.max(
          -1,
          ...sim()
            .state.tenants()
            .filter((t) => !t.isProvider)
            .map((t) => t.index),
        ) + 1;
      const tenant = buildTenant(sim().state, {
        tenantIndex: index,
        shape: resolveShape({ ...this.internals.buildOptions.shape, ...(body['shape'] as object) }),
        now: this.internals.buildOptions.now,
        consent:
          body['consented'] === false
            ? undefined
            : { clientId: sim().app.clientId, roles: sim().app.consentRoles },
      });
      return json(201, this.tenantSummary(tenant));
    });
    r.add('POST', 'tenants/{tenantId}/reset', (ctx) => {
      const old = this.tenant(ctx);
      if (old.isProvider) throw new ControlError(400, 'the provider tenant cannot be reset');
      delete sim().state.data.tenants[old.id];
      const tenant = buildTenant(sim().state, {
        tenantIndex: old.index,
        shape: old.shape ?? this.internals.buildOptions.shape,
        now: this.internals.buildOptions.now,
        consent: Object.keys(old.consent).length
          ? { clientId: sim().app.clientId, roles: sim().app.consentRoles }
          : undefined,
      });
      return json(200, this.tenantSummary(tenant));
    });
    r.add('DELETE', 'tenants/{tenantId}', (ctx) => {
      delete sim().state.data.tenants[this.tenant(ctx).id];
      sim().state.markDirty();
      return empty(204);
    });
    r.add('PUT', 'tenants/{tenantId}/consent', (ctx) => {
      const tenant = this.tenant(ctx);
      const body = ctx.body();
      if (body['granted'] === false) delete tenant.consent[sim().app.clientId];
      else
        tenant.consent[sim().app.clientId] = {
          roles: (body['roles'] as string[]) ?? sim().app.consentRoles,
          consentedAt: sim().state.nowIso(),
        };
      sim().state.markDirty();
      return json(200, { consent: tenant.consent });
    });

    // ---- users ----
    r.add('POST', 'tenants/{tenantId}/users', (ctx) => {
      const tenant = this.tenant(ctx);
      const body = ctx.body();
      const displayName = String(body['displayName'] ?? 'New User');
      const user = addUser(sim().state, tenant, {
        displayName,
        mailNickname: String(body['mailNickname'] ?? displayName.toLowerCase().replace(/[^a-z0-9]+/g, '.')),
        withMailbox: body['withMailbox'] !== false,
        withDrive: body['withDrive'] as boolean | undefined,
        userType: body['userType'] === 'Guest' ? 'Guest' : 'Member',
        jobTitle: (body['jobTitle'] as string | undefined) ?? null,
      });
      return json(201, user);
    });
    r.add('DELETE', 'tenants/{tenantId}/users/{userId}', (ctx) => {
      const tenant = this.tenant(ctx);
      removeUser(sim().state, tenant, this.user(ctx, tenant), ctx.req.query.get('permanent') === 'true');
      return empty(204);
    });
    r.add('POST', 'tenants/{tenantId}/users/{userId}/unlicense', (ctx) => {
      const tenant = this.tenant(ctx);
      unlicenseUser(sim().state, tenant, this.user(ctx, tenant));
      return empty(204);
    });
    r.add('PUT', 'tenants/{tenantId}/users/{userId}/roles', (ctx) => {
      const tenant = this.tenant(ctx);
      const user = this.user(ctx, tenant);
      const roles = ctx.body()['roles'];
      if (!Array.isArray(roles)) throw new ControlError(400, 'roles must be an array');
      tenant.portalRoles[user.id] = roles.map(String);
      sim().state.markDirty();
      return json(200, { userId: user.id, roles: tenant.portalRoles[user.id] });
    });

    // ---- mail ----
    r.add('GET', 'tenants/{tenantId}/users/{userId}/mailbox', (ctx) => {
      const { box } = this.mailbox(ctx);
      const folders = Object.values(box.folders)
        .filter((f) => !f.removed)
        .map((f) => ({
          id: f.id,
          parentId: f.parentId,
          displayName: f.displayName,
          wellKnownName: f.wellKnownName,
          isHidden: f.isHidden,
          messages: Object.keys(f.messageIds).map((id) => {
            const m = box.messages[id]!;
            return {
              id: m.restId,
              immutableId: m.immutableId,
              subject: m.subject,
              internetMessageId: m.internetMessageId,
              isRead: m.isRead,
              isDraft: m.isDraft,
              flagStatus: m.flagStatus,
              receivedDateTime: m.receivedDateTime,
              sentDateTime: m.sentDateTime,
              hasAttachments: m.hasAttachments,
            };
          }),
        }));
      return json(200, { userId: box.userId, enabled: box.enabled, folders });
    });
    r.add('POST', 'tenants/{tenantId}/users/{userId}/folders', (ctx) => {
      const { tenant, box } = this.mailbox(ctx);
      const body = ctx.body();
      const parent = folderById(box, String(body['parent'] ?? 'msgfolderroot'));
      if (!parent) throw new ControlError(404, 'unknown parent folder');
      const folder = addFolder(sim().state, tenant, box, parent, String(body['displayName'] ?? 'New folder'));
      return json(201, { id: folder.id, displayName: folder.displayName, parentId: folder.parentId });
    });
    r.add('POST', 'tenants/{tenantId}/users/{userId}/messages', async (ctx) => {
      const { tenant, box } = this.mailbox(ctx);
      const folder = folderById(box, ctx.req.query.get('folder') ?? 'inbox');
      if (!folder) throw new ControlError(404, 'unknown folder');
      if (!/^message\/rfc822/i.test(ctx.req.headers['content-type'] ?? ''))
        throw new ControlError(415, 'send the message as Content-Type: message/rfc822');
      const q = ctx.req.query;
      const message = await messageFromMime(sim(), tenant, box, folder, ctx.req.body, {
        isRead: q.get('isRead') === 'true',
        isDraft: q.get('isDraft') === 'true',
        ...(q.get('receivedDateTime')
          ? { receivedDateTime: new Date(q.get('receivedDateTime')!).toISOString().replace(/\.\d{3}Z$/, 'Z') }
          : {}),
      });
      return json(201, {
        id: message.restId,
        immutableId: message.immutableId,
        folderId: message.folderId,
        subject: message.subject,
      });
    });
    const message = (ctx: Ctx) => {
      const { tenant, box } = this.mailbox(ctx);
      const m = messageById(box, ctx.params['messageId']!);
      if (!m) throw new ControlError(404, 'unknown message');
      return { tenant, box, m };
    };
    r.add('GET', 'tenants/{tenantId}/users/{userId}/messages/{messageId}/mime', (ctx) =>
      text(200, messageMime(sim().state, message(ctx).m), 'message/rfc822'),
    );
    r.add('POST', 'tenants/{tenantId}/users/{userId}/messages/{messageId}/move', (ctx) => {
      const { tenant, box, m } = message(ctx);
      const destination = folderById(box, String(ctx.body()['folder'] ?? ''));
      if (!destination) throw new ControlError(404, 'unknown folder');
      moveMessage(sim().state, tenant, box, m, destination);
      return json(200, { id: m.restId, immutableId: m.immutableId, folderId: m.folderId });
    });
    r.add('PATCH', 'tenants/{tenantId}/users/{userId}/messages/{messageId}', (ctx) => {
      const { tenant, box, m } = message(ctx);
      const body = ctx.body();
      updateMessage(sim().state, tenant, box, m, (msg) => {
        if (typeof body['isRead'] === 'boolean') msg.isRead = body['isRead'];
        if (typeof body['flagStatus'] === 'string')
          msg.flagStatus = body['flagStatus'] as typeof msg.flagStatus;
      });
      return json(200, {
        id: m.restId,
        immutableId: m.immutableId,
        isRead: m.isRead,
        flagStatus: m.flagStatus,
      });
    });
    r.add('DELETE', 'tenants/{tenantId}/users/{userId}/messages/{messageId}', (ctx) => {
      const { tenant, box, m } = message(ctx);
      deleteMessage(sim().state, tenant, box, m);
      return empty(204);
    });
    r.add('GET', 'sent-mail', () => json(200, sim().state.data.sentMail));

    // ---- drives ----
    const driveRoutes = (prefix: string) => {
      r.add('GET', `${prefix}/tree`, (ctx) => {
        const { drive } = this.drive(ctx);
        const items = Object.values(drive.items)
          .filter((i) => !i.deleted && i.parentId)
          .map((i) => ({
            id: i.id,
            path: itemPath(drive, i),
            isFolder: i.isFolder,
            size: i.content?.size ?? 0,
            ...(ctx.req.query.get('hashes') === 'true' && i.content
              ? { quickXorHash: quickXorHashOf(sim().state, i.content) }
              : {}),
          }))
          .sort((a, b) => (a.path < b.path ? -1 : 1));
        return json(200, { driveId: drive.id, items });
      });
      r.add('GET', `${prefix}/content`, (ctx) => {
        const { drive } = this.drive(ctx);
        const item = itemByPath(drive, ctx.req.query.get('path') ?? '');
        if (!item || !item.content) throw new ControlError(404, 'no such file');
        return text(200, contentBytes(sim().state, item.content), 'application/octet-stream');
      });
      r.add('PUT', `${prefix}/items`, (ctx) => {
        const { drive } = this.drive(ctx);
        const path = ctx.req.query.get('path') ?? '';
        const parts = path.split('/').filter(Boolean);
        const name = parts.pop();
        if (!name) throw new ControlError(400, 'path must name a file');
        // `generatedSize` (+ `seed`): content generated on demand from the seed, never held in
        // memory (a 1 GB file for benchmarks); otherwise the request body, kept exactly.
        const generatedSize = Number(ctx.req.query.get('generatedSize') ?? 0);
        if (!Number.isSafeInteger(generatedSize) || generatedSize < 0)
          throw new ControlError(400, 'generatedSize must be a whole number of bytes');
        const content =
          generatedSize > 0
            ? {
                kind: 'gen' as const,
                contentSeed: Number(ctx.req.query.get('seed') ?? 1) >>> 0,
                size: generatedSize,
              }
            : {
                kind: 'blob' as const,
                sha256: sim().state.blobs.put(ctx.req.body),
                size: ctx.req.body.length,
              };
        const existing = itemByPath(drive, path);
        if (existing && !existing.isFolder) {
          replaceContent(sim().state, drive, existing, content);
          return json(200, { id: existing.id, path: itemPath(drive, existing), size: content.size });
        }
        const parent = ensureFolderPath(sim().state, drive, parts.join('/'));
        const item = createItem(
          sim().state,
          drive,
          parent,
          { name, content, mimeType: mimeTypeFor(name) },
          false,
        );
        return json(201, { id: item.id, path: itemPath(drive, item), size: content.size });
      });
      r.add('POST', `${prefix}/folders`, (ctx) => {
        const { drive } = this.drive(ctx);
        const folder = ensureFolderPath(
          sim().state,
          drive,
          ctx.req.query.get('path') ?? String(ctx.body()['path'] ?? ''),
        );
        return json(201, { id: folder.id, path: itemPath(drive, folder) });
      });
      r.add('POST', `${prefix}/edit`, (ctx) => {
        const { drive } = this.drive(ctx);
        const item = itemByPath(drive, ctx.req.query.get('path') ?? '');
        if (!item || !item.content) throw new ControlError(404, 'no such file');
        replaceContent(sim().state, drive, item, editedContent(sim(), item.content, sim().state.currentSeq));
        return json(200, { id: item.id, size: item.content.size });
      });
      r.add('PATCH', `${prefix}/items`, (ctx) => {
        const { drive } = this.drive(ctx);
        const item = itemByPath(drive, ctx.req.query.get('path') ?? '');
        if (!item || !item.parentId) throw new ControlError(404, 'no such item');
        const body = ctx.body();
        const parent =
          typeof body['parentPath'] === 'string' ? itemByPath(drive, body['parentPath']) : undefined;
        if (typeof body['parentPath'] === 'string' && (!parent || !parent.isFolder))
          throw new ControlError(404, 'no such folder');
        renameOrMove(sim().state, drive, item, {
          ...(typeof body['name'] === 'string' ? { name: body['name'] } : {}),
          ...(parent ? { parent } : {}),
        });
        return json(200, { id: item.id, path: itemPath(drive, item) });
      });
      r.add('DELETE', `${prefix}/items`, (ctx) => {
        const { drive } = this.drive(ctx);
        const item = itemByPath(drive, ctx.req.query.get('path') ?? '');
        if (!item || !item.parentId) throw new ControlError(404, 'no such item');
        deleteItem(sim().state, drive, item);
        return empty(204);
      });
    };
    driveRoutes('tenants/{tenantId}/drives/{driveId}');
    driveRoutes('tenants/{tenantId}/users/{userId}/drive');

    // ---- sites and groups ----
    r.add('POST', 'tenants/{tenantId}/sites', (ctx) => {
      const tenant = this.tenant(ctx);
      const body = ctx.body();
      const displayName = String(body['displayName'] ?? 'New Site');
      const urlName = String(body['name'] ?? displayName.replace(/[^A-Za-z0-9]+/g, ''));
      const sc = guid(tenant.id, 'site', urlName, sim().state.currentSeq);
      const web = guid(tenant.id, 'web', urlName, sim().state.currentSeq);
      const now = sim().state.nowIso();
      const libraries = Array.isArray(body['libraries']) ? (body['libraries'] as string[]) : ['Documents'];
      const site = addSite(
        sim().state,
        tenant,
        {
          id: `${tenant.sharePointHost},${sc},${web}`,
          siteCollectionId: sc,
          webId: web,
          host: tenant.sharePointHost,
          urlPath: `/sites/${urlName}`,
          name: urlName,
          displayName,
          description: String(body['description'] ?? ''),
          createdDateTime: now,
          lastModifiedDateTime: now,
          kind: 'site',
        },
        libraries.map((name) => ({ name })),
      );
      return json(201, { id: site.id, driveIds: site.driveIds });
    });
    r.add('POST', 'tenants/{tenantId}/groups', (ctx) => {
      const tenant = this.tenant(ctx);
      const body = ctx.body();
      const displayName = String(body['displayName'] ?? 'New Group');
      const mailNickname = String(body['mailNickname'] ?? displayName.replace(/[^A-Za-z0-9]+/g, ''));
      const members = (body['memberIds'] as string[] | undefined) ?? [];
      const group = addGroupFromGen(
        sim().state,
        tenant,
        {
          id: guid(tenant.id, 'group', mailNickname, sim().state.currentSeq),
          displayName,
          mailNickname,
          mail: `${mailNickname}@${tenant.domain}`,
          description: String(body['description'] ?? ''),
          visibility: body['visibility'] === 'Public' ? 'Public' : 'Private',
          groupTypes: ['Unified'],
          resourceProvisioningOptions: body['team'] ? ['Team'] : [],
          createdDateTime: sim().state.nowIso(),
          ownerIds: (body['ownerIds'] as string[] | undefined) ?? members.slice(0, 1),
          memberIds: members,
          drive: { driveType: 'documentLibrary', name: 'Documents', folders: [], files: [] },
          threads: [],
        },
        true,
      );
      return json(201, { id: group.id, driveId: group.driveId, siteId: group.siteId });
    });

    r.add('DELETE', 'tenants/{tenantId}/groups/{groupId}', (ctx) => {
      const tenant = this.tenant(ctx);
      const group = tenant.groups[ctx.params['groupId']!];
      if (!group || group.removed) throw new ControlError(404, 'unknown group');
      const permanent = ctx.req.query.get('permanent') === 'true';
      group.removed = { seq: sim().state.nextSeq(), reason: permanent ? 'deleted' : 'changed' };
      group.changeSeq = group.removed.seq;
      emitGroup(sim().state, tenant, group, 'deleted');
      return empty(204);
    });

    // ---- activity ----
    r.add('POST', 'tenants/{tenantId}/activity', async (ctx) => {
      const body = ctx.body();
      const share = typeof body['share'] === 'number' ? body['share'] : 0.05;
      const seed = typeof body['seed'] === 'number' ? body['seed'] : sim().state.currentSeq;
      const changes = await runActivity(sim(), this.tenant(ctx), share, seed);
      return json(200, { changes });
    });

    // ---- delta tokens ----
    r.add('POST', 'tenants/{tenantId}/expire-delta', (ctx) => {
      const tenant = this.tenant(ctx);
      const body = ctx.body();
      const kind = String(body['kind'] ?? '');
      if (kind === 'users' || kind === 'groups') tenant.directoryEpoch += 1;
      else if (kind === 'drive') {
        const drive = tenant.drives[String(body['driveId'])];
        if (!drive) throw new ControlError(404, 'unknown drive');
        drive.epoch += 1;
      } else if (kind === 'mailFolders' || kind === 'messages') {
        const user = this.sim.state.user(tenant, String(body['userId']));
        const box = user ? tenant.mailboxes[user.id] : undefined;
        if (!box) throw new ControlError(404, 'unknown mailbox');
        if (kind === 'mailFolders') box.foldersEpoch += 1;
        else {
          const folders = body['folderId']
            ? [folderById(box, String(body['folderId']))]
            : Object.values(box.folders);
          for (const f of folders) {
            if (!f) throw new ControlError(404, 'unknown folder');
            f.epoch += 1;
          }
        }
      } else throw new ControlError(400, 'kind must be users, groups, drive, mailFolders or messages');
      sim().state.markDirty();
      return empty(204);
    });

    // ---- faults ----
    r.add('GET', 'faults', () => json(200, sim().faults.list()));
    r.add('POST', 'faults', (ctx) => {
      const body = ctx.body() as unknown as NewFault;
      if (!['status', 'reset', 'stall', 'vanish'].includes(body.kind))
        throw new ControlError(400, 'kind must be status, reset, stall or vanish');
      if (typeof body.path !== 'string')
        throw new ControlError(400, 'path (a regular expression) is required');
      try {
        return json(201, sim().faults.add(body));
      } catch (error) {
        throw new ControlError(400, String(error));
      }
    });
    r.add('DELETE', 'faults', () => {
      sim().faults.clear();
      return empty(204);
    });
    r.add('DELETE', 'faults/{faultId}', (ctx) =>
      sim().faults.remove(ctx.params['faultId']!) ? empty(204) : json(404, { error: 'unknown fault' }),
    );

    // ---- counters ----
    r.add('GET', 'counters', () =>
      json(200, {
        total: sim().counters.total,
        byEndpoint: Object.fromEntries(sim().counters.byEndpoint),
        byStatus: Object.fromEntries(sim().counters.byStatus),
        throttled: sim().throttling.throttledResponses,
      }),
    );
    r.add('DELETE', 'counters', () => {
      sim().counters.reset();
      sim().throttling.throttledResponses = 0;
      return empty(204);
    });

    // ---- subscriptions ----
    r.add('GET', 'subscriptions', () => json(200, sim().subscriptions.list()));
    r.add('GET', 'deliveries', () => json(200, sim().subscriptions.deliveries));
    r.add('POST', 'subscriptions/{subscriptionId}/lifecycle', (ctx) => {
      const sub = sim().subscriptions.get(ctx.params['subscriptionId']!);
      if (!sub) throw new ControlError(404, 'unknown subscription');
      const event = String(ctx.body()['event'] ?? '');
      if (event !== 'reauthorizationRequired' && event !== 'subscriptionRemoved' && event !== 'missed') {
        throw new ControlError(400, 'event must be reauthorizationRequired, subscriptionRemoved or missed');
      }
      return json(200, { sent: sim().subscriptions.lifecycle(sub, event) });
    });

    // ---- clock and tokens ----
    r.add('POST', 'clock', (ctx) => {
      const advance = Number(ctx.body()['advanceMs'] ?? 0);
      this.internals.clock.offsetMs += advance;
      return json(200, { now: sim().state.nowIso(), offsetMs: this.internals.clock.offsetMs });
    });
    r.add('POST', 'tenants/{tenantId}/app-token', (ctx) => {
      const tenant = this.tenant(ctx);
      const body = ctx.body();
      const roles = Array.isArray(body['roles'])
        ? (body['roles'] as string[])
        : (tenant.consent[sim().app.clientId]?.roles ?? []);
      const lifetime = typeof body['lifetimeSec'] === 'number' ? body['lifetimeSec'] : undefined;
      return json(200, { access_token: this.internals.entra.issueAppToken(tenant, roles, '1', lifetime) });
    });
  }
}
