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
  for await (const page of graph.pages<GraphSite>('/sites/getAllSites', { what: 'list sites' })) {
    for (const site of page.value) {
      // Personal sites are OneDrives; they are found through their users.
      if (site.isPersonalSite) continue;
      found.push({
        kind: 'site',
        graphId: site.id,
        displayName: site.displayName ?? site.name ?? site.webUrl ?? site.id,
        address: site.webUrl ?? '',
      });
    }
  }
  for await (const page of graph.pages<GraphGroup>(
    `/groups?$filter=${encodeURIComponent("groupTypes/any(c:c eq 'Unified')")}&$select=${GROUP_SELECT}&$top=999`,
    { what: 'list Microsoft 365 groups' },
  )) {
    for (const group of page.value) found.push(groupResource(group));
  }
  return found;
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
