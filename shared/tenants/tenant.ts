import type { ResourceKind } from '../resources/resource';

export type TenantStatus = 'pending-consent' | 'active' | 'suspended' | 'offboarded';
export type Plan = 'full' | 'exchange-only';

/** A customer organisation: one Microsoft 365 tenant. */
export interface Tenant {
  /** The Entra tenant id (GUID). */
  tenantId: string;
  displayName: string;
  plan: Plan;
  /** User licences bought. */
  licences: number;
  premiumSupport: boolean;
  adminContactEmail: string;
  /** IANA time zone, e.g. Europe/Amsterdam. */
  timeZone: string;
  status: TenantStatus;
  /** Per kind: protect automatically when discovered. */
  autoProtect: Record<ResourceKind, boolean>;
  createdAt: string;
  updatedAt: string;
}
