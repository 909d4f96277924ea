import { mapWithConcurrency } from '../concurrency/pool';
import { AppError } from '../errors/app-error';
import { resourceIdOf, type Resource, type ResourceKind } from '../resources/resource';
import {
  countsChange,
  type ResourceCountsDelta,
  type ResourceCountsStore,
} from '../resources/resource-counts';
import type { ResourceStore } from '../resources/resource-store';
import type { Tenant } from '../tenants/tenant';
import type { TenantStore } from '../tenants/tenant-store';
import type { Clock } from '../time/clock';
import type { LicenceStore } from './licence-store';

export interface ProtectionDependencies {
  tenants: TenantStore;
  resources: ResourceStore;
  licences: LicenceStore;
  /** The dashboard's per-kind counts, adjusted as protection changes. */
  counts: ResourceCountsStore;
  clock: Clock;
}

export interface LicenceSummary {
  plan: Tenant['plan'];
  total: number;
  used: number;
  free: number;
}

/** A team site protected together with its group: the default library is in both snapshots. */
export interface CollaborationOverlap {
  siteId: string;
  groupId: string;
  message: string;
}

export interface EnableUsersResult {
  /** Resources protected by this call. */
  protected: string[];
  /** Users that took a licence now (the others already held one). */
  licensed: string[];
}

/** One resource a protection request covered, as it is after the request. */
export interface CoveredResource {
  resourceId: string;
  kind: ResourceKind;
  displayName: string;
  protected: boolean;
}

export interface ProtectionChange {
  enabled: boolean;
  /** Every resource the request covered (those named and, for a user, the plan's other ones of that user). */
  resources: CoveredResource[];
  /** Resources whose protection this call changed (the others already were so). */
  changed: string[];
  /** Enable: users that took a licence now (the others already held one). */
  licensed: string[];
  /** Disable: users whose licence was freed now. */
  released: number;
  /** Enable: team sites now protected together with their group. */
  overlaps: CollaborationOverlap[];
  licences: LicenceSummary;
}

/** The request field that names resources in `setProtection`'s errors. */
const RESOURCE_IDS_FIELD = 'body.resourceIds';

/** Point reads in flight while a request's ids are resolved (up to 500 ids, a few for each user). */
const LOOKUPS_IN_FLIGHT = 16;

/** The user kinds a plan protects: mailbox and OneDrive (`full`) or mailbox only (`exchange-only`). */
export function userKindsOf(plan: Tenant['plan']): ResourceKind[] {
  return plan === 'full' ? ['mailbox', 'onedrive'] : ['mailbox'];
}

/**
 * Licences and protection. A user takes one licence, whatever the plan protects of them; sites and
 * groups ("Collaboration") take none and are not part of `exchange-only`.
 */
export class ProtectionService {
  constructor(private readonly deps: ProtectionDependencies) {}

  async licenceSummary(tenantId: string): Promise<LicenceSummary> {
    const tenant = await this.deps.tenants.get(tenantId);
    const used = await this.deps.licences.used(tenantId);
    return { plan: tenant.plan, total: tenant.licences, used, free: Math.max(0, tenant.licences - used) };
  }

  /**
   * Protects the users' mailboxes and OneDrives (per plan), one licence per user, all or nothing.
   * `kinds` narrows what is protected (auto-protect per kind); a licence is taken either way.
   */
  async enableUsers(
    tenantId: string,
    userIds: readonly string[],
    options: { kinds?: readonly ResourceKind[] } = {},
  ): Promise<EnableUsersResult> {
    const tenant = await this.usableTenant(tenantId);
    const kinds = userKindsOf(tenant.plan).filter((k) => !options.kinds || options.kinds.includes(k));
    const byUser = new Map<string, Resource[]>();
    const missing: string[] = [];
    for (const userId of new Set(userIds)) {
      const found = await this.userResources(tenantId, userId, kinds);
      if (found.length === 0) missing.push(userId);
      else byUser.set(userId, found);
    }
    if (missing.length > 0) {
      throw new AppError(
        'not-found',
        `no ${kinds.join(' or ')} was discovered for ${missing.length} user(s); nothing was enabled`,
        {
          details: missing.map((id) => ({
            field: 'body.userIds',
            message: `user ${id}: nothing to protect`,
          })),
        },
      );
    }
    const licensed = await this.deps.licences.assign(tenantId, [...byUser.keys()], tenant.licences);
    const changed = await this.protect(tenantId, [...byUser.values()].flat());
    return { protected: changed, licensed };
  }

  /** Stops protecting the users' resources and frees their licences; backups stay (retention decides). */
  async disableUsers(tenantId: string, userIds: readonly string[]): Promise<{ unprotected: string[] }> {
    await this.deps.tenants.get(tenantId);
    const resources: Resource[] = [];
    for (const userId of new Set(userIds)) {
      resources.push(...(await this.userResources(tenantId, userId, ['mailbox', 'onedrive'])));
    }
    const changed = await this.unprotect(tenantId, resources);
    await this.deps.licences.release(tenantId, userIds);
    return { unprotected: changed };
  }

  /**
   * Protects sites and groups ("Collaboration"); not part of `exchange-only` (a `conflict`: the
   * plan, not the caller's role, is what refuses). All or nothing: an id that is not a site or group
   * of this tenant changes nothing. `overlaps` names each team site protected together with its
   * group: the group's snapshot holds the site's default library too (stored once, read twice).
   */
  async enableCollaboration(
    tenantId: string,
    resourceIds: readonly string[],
  ): Promise<{ protected: string[]; overlaps: CollaborationOverlap[] }> {
    const tenant = await this.usableTenant(tenantId);
    if (tenant.plan !== 'full') {
      throw new AppError(
        'conflict',
        'SharePoint sites and groups are not part of the exchange-only plan; nothing was enabled. Ask your provider to change the plan to full.',
      );
    }
    const resources = await this.collaborationResources(tenantId, resourceIds);
    const changed = await this.protect(tenantId, resources);
    return { protected: changed, overlaps: await this.overlapsOf(tenantId, resources) };
  }

  /** Stops protecting sites and groups (allowed on any plan, e.g. after a downgrade); backups stay. */
  async disableCollaboration(
    tenantId: string,
    resourceIds: readonly string[],
  ): Promise<{ unprotected: string[] }> {
    await this.deps.tenants.get(tenantId);
    const resources = await this.collaborationResources(tenantId, resourceIds);
    return { unprotected: await this.unprotect(tenantId, resources) };
  }

  /**
   * The general form (`POST /v1/protection`): protects or unprotects any mix of resources, all or
   * nothing across the whole request. A mailbox or OneDrive id stands for its user, exactly as
   * `enableUsers`/`disableUsers` (one licence per user; the plan's kinds of that user); a site or
   * group id goes through Collaboration (no licence; not on `exchange-only`, a `conflict`). Every
   * check comes first: an id that is no resource of this tenant (another tenant's included) is
   * `not-found`, too few free licences is `conflict` naming asked and free; nothing is changed then.
   */
  async setProtection(
    tenantId: string,
    resourceIds: readonly string[],
    enabled: boolean,
  ): Promise<ProtectionChange> {
    const tenant = enabled ? await this.usableTenant(tenantId) : await this.deps.tenants.get(tenantId);
    const known = new Map<string, Resource>();
    const named: { field: string; resource: Resource }[] = [];
    const missing: { field: string; message: string }[] = [];
    const found = await mapWithConcurrency(resourceIds, LOOKUPS_IN_FLIGHT, (resourceId, index) =>
      resourceIds.indexOf(resourceId) === index ? this.find(tenantId, resourceId) : Promise.resolve(null),
    );
    for (const [index, resourceId] of resourceIds.entries()) {
      const resource = found[index];
      if (resource === null) continue; // a repeated id
      const field = `${RESOURCE_IDS_FIELD}.${index}`;
      if (!resource) missing.push({ field, message: `${resourceId}: not found` });
      else {
        known.set(resource.resourceId, resource);
        named.push({ field, resource });
      }
    }
    if (missing.length > 0) {
      throw new AppError(
        'not-found',
        `${missing.length} of the resources were not found in this tenant; nothing was changed`,
        { details: missing },
      );
    }
    const collaboration = named.filter((n) => n.resource.kind === 'site' || n.resource.kind === 'group');
    if (enabled && collaboration.length > 0 && tenant.plan !== 'full') {
      throw new AppError(
        'conflict',
        'SharePoint sites and groups are not part of the exchange-only plan; nothing was changed. Ask your provider to change the plan to full.',
        {
          details: collaboration.map((n) => ({
            field: n.field,
            message: `${n.resource.resourceId}: a ${n.resource.kind}, not part of the exchange-only plan`,
          })),
        },
      );
    }
    // A user is named by their mailbox or OneDrive id; the first one names them in errors.
    const users = new Map<string, string>();
    for (const n of named) {
      if (n.resource.kind !== 'mailbox' && n.resource.kind !== 'onedrive') continue;
      if (!users.has(n.resource.graphId)) users.set(n.resource.graphId, n.field);
    }
    const kinds = enabled ? userKindsOf(tenant.plan) : (['mailbox', 'onedrive'] as const);
    const covered: Resource[] = [];
    const nothing: { field: string; message: string }[] = [];
    const ofUsers = await mapWithConcurrency([...users.keys()], LOOKUPS_IN_FLIGHT, async (userId) => {
      const mine: Resource[] = [];
      for (const kind of kinds) {
        const id = resourceIdOf(kind, userId);
        const resource = known.get(id) ?? (await this.find(tenantId, id));
        if (resource) mine.push(resource);
      }
      return mine;
    });
    for (const [i, [userId, field]] of [...users].entries()) {
      const mine = ofUsers[i]!;
      if (mine.length === 0) {
        nothing.push({
          field,
          message: `user ${userId} has no mailbox: the ${tenant.plan} plan protects mailboxes only`,
        });
      }
      covered.push(...mine);
    }
    if (nothing.length > 0) {
      throw new AppError(
        'conflict',
        `${nothing.length} user(s) have nothing the ${tenant.plan} plan protects; nothing was changed`,
        { details: nothing },
      );
    }
    covered.push(...collaboration.map((n) => n.resource));
    let changed: string[];
    let licensed: string[] = [];
    let released = 0;
    if (enabled) {
      licensed = await this.deps.licences.assign(tenantId, [...users.keys()], tenant.licences, {
        field: RESOURCE_IDS_FIELD,
      });
      changed = await this.protect(tenantId, covered);
    } else {
      changed = await this.unprotect(tenantId, covered);
      released = await this.deps.licences.release(tenantId, [...users.keys()]);
    }
    return {
      enabled,
      resources: covered.map((r) => ({
        resourceId: r.resourceId,
        kind: r.kind,
        displayName: r.displayName,
        protected: enabled,
      })),
      changed,
      licensed,
      released,
      overlaps: enabled
        ? await this.overlapsOf(
            tenantId,
            collaboration.map((n) => n.resource),
          )
        : [],
      licences: await this.licenceSummary(tenantId),
    };
  }

  /** Team sites among `resources` (or the team sites of groups among them) protected with their group. */
  private async overlapsOf(tenantId: string, resources: Resource[]): Promise<CollaborationOverlap[]> {
    const overlaps = new Map<string, CollaborationOverlap>();
    const groupIds = new Set(resources.filter((r) => r.kind === 'group').map((r) => r.graphId));
    const sites = resources.filter((r) => r.kind === 'site' && r.groupId);
    if (groupIds.size > 0) {
      for await (const site of this.deps.resources.list(tenantId, { kind: 'site', protectedOnly: true })) {
        if (site.groupId && groupIds.has(site.groupId)) sites.push(site);
      }
    }
    for (const site of sites) {
      const key = `${site.resourceId}|${site.groupId}`;
      if (overlaps.has(key)) continue;
      const group = await this.find(tenantId, resourceIdOf('group', site.groupId!));
      const siteNow = await this.find(tenantId, site.resourceId);
      if (group?.protected && siteNow?.protected) {
        overlaps.set(key, {
          siteId: site.resourceId,
          groupId: group.resourceId,
          message: `${site.displayName} is the team site of ${group.displayName}: its default library is backed up with the group too (stored once, read from Microsoft 365 twice).`,
        });
      }
    }
    return [...overlaps.values()];
  }

  private async find(tenantId: string, resourceId: string): Promise<Resource | undefined> {
    try {
      return await this.deps.resources.get(tenantId, resourceId);
    } catch (error) {
      if (error instanceof AppError && error.code === 'not-found') return undefined;
      throw error;
    }
  }

  /** Protects those not yet protected; returns their ids. The dashboard counts follow. */
  private async protect(tenantId: string, resources: Resource[]): Promise<string[]> {
    const now = this.deps.clock.now().toISOString();
    return this.changeProtection(tenantId, resources, (current) =>
      current.protected
        ? undefined
        : { protected: true, state: current.state === 'gone' ? 'gone' : 'protected', protectedAt: now },
    );
  }

  /** Unprotects those protected (backups stay); returns their ids. The dashboard counts follow. */
  private async unprotect(tenantId: string, resources: Resource[]): Promise<string[]> {
    return this.changeProtection(tenantId, resources, (current) =>
      current.protected
        ? { protected: false, state: current.state === 'gone' ? 'gone' : 'discovered' }
        : undefined,
    );
  }

  /** Each change is made against the row as stored (ETag), so concurrent requests count it once. */
  private async changeProtection(
    tenantId: string,
    resources: Resource[],
    change: (current: Resource) => Partial<Resource> | undefined,
  ): Promise<string[]> {
    const changed: string[] = [];
    const delta: ResourceCountsDelta = {};
    for (const resource of resources) {
      const done = await this.deps.resources.transition(tenantId, resource.resourceId, change);
      if (!done) continue;
      changed.push(resource.resourceId);
      countsChange(done.before, done.after, delta);
    }
    if (changed.length > 0) await this.deps.counts.adjust(tenantId, delta);
    return changed;
  }

  private async usableTenant(tenantId: string): Promise<Tenant> {
    const tenant = await this.deps.tenants.get(tenantId);
    if (tenant.status !== 'active') {
      throw new AppError(
        'conflict',
        `the tenant is ${tenant.status}: protection can be enabled only when it is active`,
      );
    }
    return tenant;
  }

  private async userResources(
    tenantId: string,
    userId: string,
    kinds: readonly ResourceKind[],
  ): Promise<Resource[]> {
    const found: Resource[] = [];
    for (const kind of kinds) {
      try {
        found.push(await this.deps.resources.get(tenantId, resourceIdOf(kind, userId)));
      } catch (error) {
        if (!(error instanceof AppError && error.code === 'not-found')) throw error;
      }
    }
    return found;
  }

  /**
   * The sites and groups named, all or nothing: ids that are no resource of this tenant are
   * `not-found` (another tenant's id answers exactly like a missing one), ids of mailboxes or
   * OneDrives are `invalid`; each with the body field that named it.
   */
  private async collaborationResources(
    tenantId: string,
    resourceIds: readonly string[],
  ): Promise<Resource[]> {
    const resources: Resource[] = [];
    const missing: { field: string; message: string }[] = [];
    const wrongKind: { field: string; message: string }[] = [];
    for (const [index, resourceId] of resourceIds.entries()) {
      if (resourceIds.indexOf(resourceId) !== index) continue;
      const resource = await this.find(tenantId, resourceId);
      if (!resource)
        missing.push({ field: `body.resourceIds.${index}`, message: `${resourceId}: not found` });
      else if (resource.kind === 'site' || resource.kind === 'group') resources.push(resource);
      else
        wrongKind.push({
          field: `body.resourceIds.${index}`,
          message: `${resourceId}: a ${resource.kind}, not a site or group (users are protected with /v1/protection/users)`,
        });
    }
    if (wrongKind.length > 0) {
      throw new AppError(
        'invalid',
        `${wrongKind.length} of the resources are not sites or groups; nothing was changed`,
        { details: [...wrongKind, ...missing] },
      );
    }
    if (missing.length > 0) {
      throw new AppError(
        'not-found',
        `${missing.length} site(s) or group(s) were not found in this tenant; nothing was changed`,
        { details: missing },
      );
    }
    return resources;
  }
}
