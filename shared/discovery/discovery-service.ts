import { AppError } from '../errors/app-error';
import type { TenantGraph } from '../graph/graph-client';
import type { Notifier } from '../notifications/notifier';
import { label } from '../notifications/notifier';
import type { Logger } from '../observability/logger';
import type { ProtectionService } from '../protection/protection-service';
import { userKindsOf } from '../protection/protection-service';
import type { JobQueue } from '../queues/job-queues';
import { resourceIdOf, type Resource, type ResourceKind } from '../resources/resource';
import { countsChange, type ResourceCountsStore } from '../resources/resource-counts';
import type { ResourceStore } from '../resources/resource-store';
import type { Tenant } from '../tenants/tenant';
import type { TenantStore } from '../tenants/tenant-store';
import type { Clock } from '../time/clock';
import { DiscoveryRequests } from './discovery-requests';
import type { DiscoveryStateStore, PassMode } from './discovery-state-store';
import {
  GROUP_SELECT,
  USER_SELECT,
  fullInventory,
  groupResource,
  isUnified,
  teamSiteOf,
  userResources,
  type FoundResource,
  type GraphGroup,
  type GraphUser,
} from './tenant-inventory';

export interface DiscoveryDependencies {
  tenants: TenantStore;
  resources: ResourceStore;
  state: DiscoveryStateStore;
  protection: ProtectionService;
  /** The dashboard's per-kind counts: adjusted as resources appear, come back or go; rebuilt by reconcile. */
  counts: ResourceCountsStore;
  notifier: Notifier;
  queue: JobQueue;
  graphFor(tenantId: string): TenantGraph;
  clock: Clock;
  log: Logger;
  /** Delay of a requested pass, so a burst of notifications lands in one pass (default 2 s). */
  collapseSeconds?: number;
}

/** A discovery-jobs message. */
export type DiscoveryJob =
  | { kind: 'pass'; tenantId: string }
  | { kind: 'lifecycle'; tenantId: string; subscriptionId: string; event: LifecycleEvent };

export type LifecycleEvent = 'reauthorizationRequired' | 'subscriptionRemoved' | 'missed';

export interface PassResult {
  mode: PassMode | 'skipped';
  added: number;
  gone: number;
  returned: number;
}

/** Finds every resource of a tenant and keeps the resource table, protection and the bell in step. */
export class DiscoveryService {
  constructor(private readonly deps: DiscoveryDependencies) {}

  /** Asks for a pass; bursts for one tenant collapse into one queued pass. True if one was queued. */
  requestPass(tenantId: string, mode: PassMode): Promise<boolean> {
    return new DiscoveryRequests({
      state: this.deps.state,
      queue: this.deps.queue,
      clock: this.deps.clock,
      ...(this.deps.collapseSeconds !== undefined ? { collapseSeconds: this.deps.collapseSeconds } : {}),
    }).requestPass(tenantId, mode);
  }

  /** The queued pass: takes the pending marker and runs what it asks for (nothing if already taken). */
  async runRequestedPass(tenantId: string): Promise<PassResult> {
    const mode = await this.deps.state.takePass(tenantId);
    if (!mode) return { mode: 'skipped', added: 0, gone: 0, returned: 0 };
    return mode === 'full' ? this.reconcile(tenantId) : this.incremental(tenantId);
  }

  /** Full reconciliation: everything found is stored, everything not found is `gone`. */
  async reconcile(tenantId: string): Promise<PassResult> {
    const tenant = await this.deps.tenants.get(tenantId);
    if (tenant.status !== 'active') return { mode: 'skipped', added: 0, gone: 0, returned: 0 };
    const graph = this.deps.graphFor(tenantId);
    // Delta links first: changes made while the inventory runs are seen by the next incremental pass.
    const usersLink = await latestDeltaLink(graph, `/users/delta?$select=${USER_SELECT}&$deltatoken=latest`);
    const groupsLink = await latestDeltaLink(
      graph,
      `/groups/delta?$select=${GROUP_SELECT}&$deltatoken=latest`,
    );
    const found = await fullInventory(graph);
    const existing = new Map<string, Resource>();
    for await (const resource of this.deps.resources.list(tenantId))
      existing.set(resource.resourceId, resource);
    const result = await this.apply(tenant, found, existing);
    const seen = new Set(found.map((f) => resourceIdOf(f.kind, f.graphId)));
    for (const resource of existing.values()) {
      if (!seen.has(resource.resourceId) && resource.state !== 'gone') {
        await this.markGone(resource);
        result.gone += 1;
      }
    }
    if (usersLink) await this.deps.state.setDeltaLink(tenantId, 'users', usersLink);
    if (groupsLink) await this.deps.state.setDeltaLink(tenantId, 'groups', groupsLink);
    // Every counted change adjusts the counts after an ETag-guarded change of its row, so they stay
    // exact. They are built from a scan only when missing (a tenant from before they existed): a
    // scan racing a protection request would count its change twice (the row already changed, the
    // adjustment still to come).
    if (!(await this.deps.counts.exists(tenantId))) {
      await this.deps.counts.recount(tenantId, this.deps.resources.list(tenantId));
    }
    this.deps.log.info('discovery reconciled', { tenantId, found: found.length, ...result });
    return { ...result, mode: 'full' };
  }

  /** Users and groups delta since the last pass; an expired or missing delta link means a full pass. */
  async incremental(tenantId: string): Promise<PassResult> {
    const tenant = await this.deps.tenants.get(tenantId);
    if (tenant.status !== 'active') return { mode: 'skipped', added: 0, gone: 0, returned: 0 };
    const usersLink = await this.deps.state.deltaLink(tenantId, 'users');
    const groupsLink = await this.deps.state.deltaLink(tenantId, 'groups');
    if (!usersLink || !groupsLink) return this.reconcile(tenantId);
    const graph = this.deps.graphFor(tenantId);
    const totals = { added: 0, gone: 0, returned: 0 };
    try {
      const users = await readDelta<GraphUser>(graph, usersLink);
      for (const user of users.items) {
        const kinds: ResourceKind[] = ['mailbox', 'onedrive'];
        const found = user['@removed'] ? [] : await userResources(graph, user);
        const existing = await this.existingOf(
          tenantId,
          kinds.map((k) => resourceIdOf(k, user.id)),
        );
        add(totals, await this.apply(tenant, found, existing));
        for (const resource of existing.values()) {
          if (!found.some((f) => f.kind === resource.kind) && resource.state !== 'gone') {
            await this.markGone(resource);
            totals.gone += 1;
          }
        }
      }
      const groups = await readDelta<GraphGroup>(graph, groupsLink);
      for (const group of groups.items) {
        const id = resourceIdOf('group', group.id);
        const existing = await this.existingOf(tenantId, [id]);
        if (group['@removed']) {
          const resource = existing.get(id);
          if (resource && resource.state !== 'gone') {
            await this.markGone(resource);
            totals.gone += 1;
          }
          continue;
        }
        // Delta items carry only changed properties: a group already known stays a group.
        if (!existing.has(id) && !isUnified(group)) continue;
        const found = [groupResource(group)];
        if (!existing.has(id)) {
          // A new group's team site is listed by getAllSites too: take it now rather than at the
          // daily reconciliation (not provisioned yet: that reconciliation finds it).
          const teamSite = await teamSiteOf(graph, group.id, found[0]!.displayName);
          if (teamSite) found.push(teamSite);
        }
        const known = await this.existingOf(
          tenantId,
          found.map((f) => resourceIdOf(f.kind, f.graphId)),
        );
        add(totals, await this.apply(tenant, found, known));
      }
      await this.deps.state.setDeltaLink(tenantId, 'users', users.deltaLink);
      await this.deps.state.setDeltaLink(tenantId, 'groups', groups.deltaLink);
    } catch (error) {
      if (error instanceof AppError && error.code === 'gone') return this.reconcile(tenantId);
      throw error;
    }
    this.deps.log.info('discovery incremental pass', { tenantId, ...totals });
    return { mode: 'incremental', ...totals };
  }

  private async existingOf(tenantId: string, resourceIds: string[]): Promise<Map<string, Resource>> {
    const map = new Map<string, Resource>();
    for (const id of resourceIds) {
      try {
        map.set(id, await this.deps.resources.get(tenantId, id));
      } catch (error) {
        if (!(error instanceof AppError && error.code === 'not-found')) throw error;
      }
    }
    return map;
  }

  /** Stores what was found: new resources (auto-protect or "available"), returns of gone ones. */
  private async apply(
    tenant: Tenant,
    found: FoundResource[],
    existing: Map<string, Resource>,
  ): Promise<{ added: number; gone: number; returned: number }> {
    const now = this.deps.clock.now().toISOString();
    const counts = { added: 0, gone: 0, returned: 0 };
    const fresh: Resource[] = [];
    for (const item of found) {
      const resourceId = resourceIdOf(item.kind, item.graphId);
      const known = existing.get(resourceId);
      if (known) {
        const seen = {
          displayName: item.displayName,
          address: item.address,
          ...(item.groupId ? { groupId: item.groupId } : {}),
          lastSeenAt: now,
        };
        if (known.state !== 'gone') {
          // Nothing counted changes: one merge, no read.
          await this.deps.resources.update(tenant.tenantId, resourceId, seen);
          continue;
        }
        // Back: against the row as stored now (a protection request or another pass may have changed it).
        const done = await this.deps.resources.transition(tenant.tenantId, resourceId, (current) => ({
          ...seen,
          ...(current.state === 'gone' ? { state: current.protected ? 'protected' : 'discovered' } : {}),
        }));
        if (done && done.before.state === 'gone') {
          counts.returned += 1;
          await this.deps.counts.adjust(tenant.tenantId, countsChange(done.before, done.after));
          await this.deps.notifier.resolve(
            tenant.tenantId,
            'resource-gone',
            resourceId,
            `${capitalise(label(item))} is back in the tenant; its backups continue.`,
          );
        }
        continue;
      }
      const resource: Resource = {
        tenantId: tenant.tenantId,
        resourceId,
        kind: item.kind,
        graphId: item.graphId,
        displayName: item.displayName,
        address: item.address,
        ...(item.groupId ? { groupId: item.groupId } : {}),
        state: 'discovered',
        protected: false,
        firstSeenAt: now,
        lastSeenAt: now,
        consecutiveFailures: 0,
      };
      // Another pass (a notification's, while a full one runs) may have added it meanwhile: then it
      // is that pass's, counted and auto-protected once.
      if (!(await this.deps.resources.create(resource))) continue;
      await this.deps.counts.adjust(tenant.tenantId, { [resource.kind]: { discovered: 1 } });
      existing.set(resourceId, resource);
      fresh.push(resource);
      counts.added += 1;
    }
    await this.autoProtect(tenant, fresh);
    return counts;
  }

  /** Per kind: protect (blue), or no licence (yellow "licences exhausted"), or report (yellow "available"). */
  private async autoProtect(tenant: Tenant, fresh: Resource[]): Promise<void> {
    const userKinds = userKindsOf(tenant.plan);
    const byUser = new Map<string, Resource[]>();
    for (const resource of fresh) {
      const plannable =
        resource.kind === 'site' || resource.kind === 'group'
          ? tenant.plan === 'full'
          : userKinds.includes(resource.kind);
      if (!plannable) continue;
      if (!tenant.autoProtect[resource.kind]) {
        await this.deps.notifier.alert({
          tenantId: tenant.tenantId,
          severity: 'yellow',
          category: 'available-to-add',
          resourceId: resource.resourceId,
          message: `A new ${label(resource).slice(4)} is available to add to the backup.`,
        });
        continue;
      }
      if (resource.kind === 'site' || resource.kind === 'group') {
        await this.deps.protection.enableCollaboration(tenant.tenantId, [resource.resourceId]);
        await this.added(resource);
        continue;
      }
      const list = byUser.get(resource.graphId) ?? [];
      list.push(resource);
      byUser.set(resource.graphId, list);
    }
    for (const [userId, resources] of byUser) {
      try {
        await this.deps.protection.enableUsers(tenant.tenantId, [userId], {
          kinds: resources.map((r) => r.kind),
        });
      } catch (error) {
        if (!(error instanceof AppError && error.code === 'conflict')) throw error;
        await this.deps.notifier.alert({
          tenantId: tenant.tenantId,
          severity: 'yellow',
          category: 'licences-exhausted',
          message: `Licences exhausted: ${resources[0]!.displayName} was discovered but could not be protected automatically. Free a licence or ask your provider for more.`,
        });
        continue;
      }
      for (const resource of resources) await this.added(resource);
    }
  }

  private async added(resource: Resource): Promise<void> {
    await this.deps.notifier.inform({
      tenantId: resource.tenantId,
      severity: 'blue',
      category: 'protection-added',
      resourceId: resource.resourceId,
      message: `${capitalise(label(resource))} was added to the subscription and will be backed up in the next run.`,
    });
  }

  private async markGone(seen: Resource): Promise<void> {
    const done = await this.deps.resources.transition(seen.tenantId, seen.resourceId, (current) =>
      current.state === 'gone' ? undefined : { state: 'gone' },
    );
    if (!done) return;
    await this.deps.counts.adjust(seen.tenantId, countsChange(done.before, done.after));
    const resource = done.before;
    if (!resource.protected) return;
    const what =
      resource.kind === 'mailbox' ? 'Backed-up mailbox' : `Backed-up ${label(resource).split(' ')[1]}`;
    await this.deps.notifier.alert({
      tenantId: resource.tenantId,
      severity: 'red',
      category: 'resource-gone',
      resourceId: resource.resourceId,
      message: `${what} not found: ${resource.displayName}${resource.address ? ` <${resource.address}>` : ''} is no longer in the tenant. Its backups are kept and can be restored to another ${resource.kind === 'mailbox' ? 'mailbox' : 'location'}.`,
    });
  }
}

function add(
  into: { added: number; gone: number; returned: number },
  from: { added: number; gone: number; returned: number },
): void {
  into.added += from.added;
  into.gone += from.gone;
  into.returned += from.returned;
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

async function latestDeltaLink(graph: TenantGraph, path: string): Promise<string | undefined> {
  let link: string | undefined;
  for await (const page of graph.pages(path, { what: 'start a delta' })) link = page.deltaLink ?? link;
  return link;
}

async function readDelta<T>(graph: TenantGraph, link: string): Promise<{ items: T[]; deltaLink: string }> {
  const items: T[] = [];
  let deltaLink = link;
  for await (const page of graph.pages<T>(link, { what: 'read a delta' })) {
    items.push(...page.value);
    if (page.deltaLink) deltaLink = page.deltaLink;
  }
  return { items, deltaLink };
}
