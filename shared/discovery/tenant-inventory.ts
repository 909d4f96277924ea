import { mapWithConcurrency } from '../concurrency/pool';
import { AppError } from '../errors/app-error';
import type { TenantGraph } from '../graph/graph-client';
import type { ResourceKind } from '../resources/resource';

/** A resource as found in the tenant. */
export interface FoundResource {
  kind: ResourceKind;
  graphId: string;
  displayName: string;
  address: string;
  /** Sites only: the group whose team site this is. */
  groupId?: string;
}

export interface GraphUser {
  id: string;
  displayName?: string | null;
  userPrincipalName?: string | null;
  mail?: string | null;
  '@removed'?: { reason: string };
}

export interface GraphGroup {
  id: string;
  displayName?: string | null;
  mail?: string | null;
  groupTypes?: string[];
  '@removed'?: { reason: string };
}

interface GraphSite {
  id: string;
  displayName?: string | null;
  name?: string | null;
  webUrl?: string | null;
  isPersonalSite?: boolean;
}

export const USER_SELECT = 'id,displayName,userPrincipalName,mail';
export const GROUP_SELECT = 'id,displayName,mail,groupTypes';
const PROBES_AT_ONCE = 8;

/** Everything protectable in a tenant: users' mailboxes and OneDrives, sites, Unified groups. */
export async function fullInventory(graph: TenantGraph): Promise<FoundResource[]> {
  const users: GraphUser[] = [];
  for await (const page of graph.pages<GraphUser>(`/users?$select=${USER_SELECT}&$top=999`, {
    what: 'list users',
  })) {
    users.push(...page.value);
  }
  const found = (
    await mapWithConcurrency(users, PROBES_AT_ONCE, (user) => userResources(graph, user))
  ).flat();
  const sites = new Map<string, FoundResource>();
  for await (const page of graph.pages<GraphSite>('/sites/getAllSites', { what: 'list sites' })) {
    for (const site of page.value) {
      // Personal sites are OneDrives; they are found through their users.
      if (site.isPersonalSite) continue;
      sites.set(site.id, siteResource(site));
    }
  }
  const groups: FoundResource[] = [];
  for await (const page of graph.pages<GraphGroup>(
    `/groups?$filter=${encodeURIComponent("groupTypes/any(c:c eq 'Unified')")}&$select=${GROUP_SELECT}&$top=999`,
    { what: 'list Microsoft 365 groups' },
  )) {
    for (const group of page.value) groups.push(groupResource(group));
  }
  // getAllSites lists a group's team site like any other site; mark it with its group, so the
  // portal can say that the group's snapshot holds the site's default library too.
  const teamSites = await mapWithConcurrency(groups, PROBES_AT_ONCE, (group) =>
    teamSiteOf(graph, group.graphId, group.displayName),
  );
  for (const teamSite of teamSites) {
    if (!teamSite) continue;
    const listed = sites.get(teamSite.graphId);
    sites.set(teamSite.graphId, listed ? { ...listed, groupId: teamSite.groupId! } : teamSite);
  }
  found.push(...sites.values(), ...groups);
  return found;
}

function siteResource(site: GraphSite): FoundResource {
  return {
    kind: 'site',
    graphId: site.id,
    displayName: site.displayName ?? site.name ?? site.webUrl ?? site.id,
    address: site.webUrl ?? '',
  };
}

/**
 * A Unified group's team site (`/groups/{id}/sites/root`), as a site resource marked with the
 * group; undefined while SharePoint has not provisioned it yet (404).
 */
export async function teamSiteOf(
  graph: TenantGraph,
  groupId: string,
  groupName: string,
): Promise<FoundResource | undefined> {
  let site: GraphSite | undefined;
  const found = await exists(async () => {
    site = await graph.get<GraphSite>(
      `/groups/${encodeURIComponent(groupId)}/sites/root?$select=id,name,displayName,webUrl`,
      { what: `get the team site of ${groupName}` },
    );
  });
  return found && site ? { ...siteResource(site), groupId } : undefined;
}

export function groupResource(group: GraphGroup): FoundResource {
  return {
    kind: 'group',
    graphId: group.id,
    displayName: group.displayName ?? group.mail ?? group.id,
    address: group.mail ?? '',
  };
}

export function isUnified(group: GraphGroup): boolean {
  return (group.groupTypes ?? []).includes('Unified');
}

/**
 * A user's mailbox (if usable: `mailboxSettings` 404 MailboxNotEnabledForRESTAPI means none) and
 * OneDrive (app-only gets 404 for an unprovisioned one).
 */
export async function userResources(graph: TenantGraph, user: GraphUser): Promise<FoundResource[]> {
  const name = user.displayName ?? user.userPrincipalName ?? user.id;
  const found: FoundResource[] = [];
  const id = encodeURIComponent(user.id);
  if (
    await exists(() => graph.get(`/users/${id}/mailboxSettings`, { what: `probe the mailbox of ${name}` }))
  ) {
    found.push({
      kind: 'mailbox',
      graphId: user.id,
      displayName: name,
      address: user.mail ?? user.userPrincipalName ?? '',
    });
  }
  let driveUrl = '';
  const hasDrive = await exists(async () => {
    const drive = await graph.get<{ webUrl?: string }>(`/users/${id}/drive`, {
      what: `get the OneDrive of ${name}`,
    });
    driveUrl = drive.webUrl ?? '';
  });
  if (hasDrive) found.push({ kind: 'onedrive', graphId: user.id, displayName: name, address: driveUrl });
  return found;
}

async function exists(probe: () => Promise<unknown>): Promise<boolean> {
  try {
    await probe();
    return true;
  } catch (error) {
    if (error instanceof AppError && (error.code === 'not-found' || error.code === 'forbidden')) return false;
    throw error;
  }
}
