/**
 * What every handler can reach: the state, settings, URLs, keys, and the services (throttling,
 * faults, upload sessions, subscriptions). Built once by `simulator.ts`.
 */
import type { KeyObject } from 'node:crypto';
import type { SigningKeys } from './auth/keys';
import type { Faults } from './faults';
import type { SimRequest } from './http/types';
import type { SimulatorLimits } from './options';
import type { SimState } from './store/state';
import type { TenantState } from './store/model';
import type { Throttling } from './throttling';
import type { DriveUploadSessions } from './graph/drive-uploads';
import type { MailUploadSessions } from './graph/mail-uploads';
import type { Subscriptions } from './notifications/subscriptions';

export interface AppRegistration {
  clientId: string;
  clientSecret: string;
  displayName: string;
  /** Registered certificates for client assertions. */
  certificates: { x5t: string; x5tS256: string; publicKey: KeyObject; pem: string }[];
  /** Application roles granted when a tenant consents. */
  consentRoles: string[];
}

export interface SimContext {
  state: SimState;
  limits: SimulatorLimits;
  /** `https://127.0.0.1:PORT` */
  baseUrl: string;
  /** `baseUrl + '/v1.0'` */
  graphBase: string;
  keys: SigningKeys;
  app: AppRegistration;
  portal: { clientId: string; audience: string };
  providerTenantId: string;
  throttling: Throttling;
  faults: Faults;
  allowHttpNotificationUrls: boolean;
  counters: RequestCounters;
  driveUploads: DriveUploadSessions;
  mailUploads: MailUploadSessions;
  subscriptions: Subscriptions;
}

export class RequestCounters {
  readonly byEndpoint = new Map<string, number>();
  readonly byStatus = new Map<number, number>();
  total = 0;

  count(endpoint: string, status: number): void {
    this.total += 1;
    this.byEndpoint.set(endpoint, (this.byEndpoint.get(endpoint) ?? 0) + 1);
    this.byStatus.set(status, (this.byStatus.get(status) ?? 0) + 1);
  }

  reset(): void {
    this.byEndpoint.clear();
    this.byStatus.clear();
    this.total = 0;
  }
}

/** The verified claims of an app-only Graph access token. */
export interface AppToken {
  tenantId: string;
  appId: string;
  roles: string[];
  oid: string;
}

/** One Graph call after authentication and routing. */
export interface GraphCall {
  sim: SimContext;
  req: SimRequest;
  tenant: TenantState;
  token: AppToken;
  params: Record<string, string>;
  segments: string[];
  /** Set when a "vanish" fault matched: the item this request targets disappears before it is served. */
  vanish: boolean;
  /** Headers to add to the response (throttling information). */
  extraHeaders: Record<string, string>;
}
