/** What the service protects. One resource = one thing backed up on its own schedule. */
export const resourceKinds = ['mailbox', 'onedrive', 'site', 'group'] as const;
export type ResourceKind = (typeof resourceKinds)[number];

export const workloads = ['exchange', 'onedrive', 'sharepoint', 'groups'] as const;
export type Workload = (typeof workloads)[number];

export const workloadOf: Record<ResourceKind, Workload> = {
  mailbox: 'exchange',
  onedrive: 'onedrive',
  site: 'sharepoint',
  group: 'groups',
};

export type ResourceState = 'discovered' | 'protected' | 'gone';

export interface Resource {
  tenantId: string;
  /** Opaque, stable: `<kind>:<graph id>`. */
  resourceId: string;
  kind: ResourceKind;
  /** The Graph id: user id (mailbox, onedrive), site id, or group id. */
  graphId: string;
  displayName: string;
  /** Mail address or URL. */
  address: string;
  /**
   * Sites only: the Microsoft 365 group whose team site this is (Graph lists a group's team site
   * in `getAllSites` too). Its default library is then also backed up with the group.
   */
  groupId?: string;
  state: ResourceState;
  /** Protection stays on while a protected resource is gone, so its alert and backups remain. */
  protected: boolean;
  firstSeenAt: string;
  lastSeenAt: string;
  protectedAt?: string;
  lastSnapshotId?: string;
  lastSnapshotAt?: string;
  lastSnapshotStatus?: SnapshotStatus;
  lastGoodSnapshotId?: string;
  lastGoodSnapshotAt?: string;
  /** Logical size of the last good snapshot (the resource's share of "data under protection"). */
  lastGoodLogicalBytes?: number;
  consecutiveFailures: number;
}

export type SnapshotStatus = 'running' | 'completed' | 'completed-with-warnings' | 'failed';

export function resourceIdOf(kind: ResourceKind, graphId: string): string {
  return `${kind}:${graphId}`;
}
