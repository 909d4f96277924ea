/**
 * Simulator settings: the tenant shape, the app registration, and every limit and latency. The
 * defaults are Microsoft's real values (graph-facts.md §4, §5); tests shrink them.
 */
import type { TenantShape } from './generator/contract';

export interface SimulatorLimits {
  /** Added to every Graph and Entra request: fixed milliseconds plus uniform jitter in [0, jitterMs). */
  latencyMs: number;
  latencyJitterMs: number;
  /** Outlook, per app per mailbox. */
  mailboxConcurrency: number;
  mailboxRequests: number;
  mailboxWindowMs: number;
  mailboxUploadBytes: number;
  mailboxUploadWindowMs: number;
  /** SharePoint/OneDrive resource units per tenant (all apps share the bucket). */
  sharePointUnits: number;
  sharePointWindowMs: number;
  /** Share (0..1) of SharePoint throttling answers sent as 503 instead of 429. */
  sharePoint503Share: number;
  /** Directory (users, groups) resource units per app per tenant. */
  directoryUnits: number;
  directoryWindowMs: number;
  /** Largest request body Graph accepts on JSON/MIME endpoints (the ~4 MB request limit). */
  maxRequestBytes: number;
  /** Simple `PUT .../content` upload limit. */
  maxSimpleUploadBytes: number;
  /** Upload sessions. */
  uploadSessionLifetimeMs: number;
  uploadFragmentMaxBytes: number;
  /** Pre-authenticated download URLs. */
  downloadUrlLifetimeMs: number;
  /** Access tokens. */
  accessTokenLifetimeSec: number;
  /** Delta token lifetime for directory objects (users, groups); Outlook and drive tokens expire only on demand. */
  directoryDeltaTokenLifetimeMs: number;
  /** Change notifications. */
  validationTimeoutMs: number;
  notificationTimeoutMs: number;
  notificationRetryDelaysMs: number[];
  lifecycleSweepMs: number;
  /** Maximum subscription lifetimes, minutes. */
  subscriptionMaxMinutes: { message: number; directory: number; driveItem: number };
}

export const defaultLimits: SimulatorLimits = {
  latencyMs: 0,
  latencyJitterMs: 0,
  mailboxConcurrency: 4,
  mailboxRequests: 10_000,
  mailboxWindowMs: 10 * 60_000,
  mailboxUploadBytes: 150 * 1024 * 1024,
  mailboxUploadWindowMs: 5 * 60_000,
  sharePointUnits: 1_200,
  sharePointWindowMs: 60_000,
  sharePoint503Share: 0.1,
  directoryUnits: 3_500,
  directoryWindowMs: 10_000,
  maxRequestBytes: 4 * 1024 * 1024,
  maxSimpleUploadBytes: 250 * 1024 * 1024,
  uploadSessionLifetimeMs: 7 * 24 * 3600_000,
  uploadFragmentMaxBytes: 60 * 1024 * 1024,
  downloadUrlLifetimeMs: 3600_000,
  accessTokenLifetimeSec: 3599,
  directoryDeltaTokenLifetimeMs: 7 * 24 * 3600_000,
  validationTimeoutMs: 10_000,
  notificationTimeoutMs: 3_000,
  // Graph retries a failed delivery after 10 minutes, for up to 4 hours.
  notificationRetryDelaysMs: Array.from({ length: 24 }, () => 10 * 60_000),
  lifecycleSweepMs: 60_000,
  subscriptionMaxMinutes: { message: 4_230, directory: 41_760, driveItem: 42_300 },
};

/** Application permissions a consenting admin grants the backup app by default. */
export const defaultAppRoles = [
  'User.Read.All',
  'Group.Read.All',
  'Mail.ReadWrite',
  'Mail.Send',
  'MailboxSettings.Read',
  'Files.ReadWrite.All',
  'Sites.ReadWrite.All',
];

export interface SimulatorOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  host?: string;
  seed?: number;
  /** Customer tenants (the provider's own tenant comes on top). */
  tenants?: number;
  shape?: Partial<TenantShape>;
  /** Persist state and certificates here; omitted: state in memory and a temporary certificate. */
  dataDir?: string;
  limits?: Partial<SimulatorLimits>;
  /** The multi-tenant backup app registration. */
  appClientId?: string;
  appClientSecret?: string;
  /** Whether customer tenants start with the app consented (default true); false: onboarding needs admin consent. */
  preconsented?: boolean;
  /** Roles granted on consent (default `defaultAppRoles`). */
  appRoles?: string[];
  /** The portal's app registration (SPA + API): client id, and the audience of portal API tokens. */
  portalClientId?: string;
  portalApiAudience?: string;
  /** Allow `http://` notification URLs on non-loopback hosts (loopback is always allowed). */
  allowHttpNotificationUrls?: boolean;
  /** "Now" for the generated history; default the real time at start. */
  now?: Date;
  /** Log one line per request to stderr. */
  logRequests?: boolean;
}

export const defaults = {
  host: '127.0.0.1',
  seed: 42,
  tenants: 1,
  appClientId: '6d5c7a3e-1b8f-4f0e-9a51-2c3d4e5f6a7b',
  appClientSecret: 'sim-secret-change-me',
  portalClientId: 'a0c1e2f3-4b5c-4d6e-8f70-819293a4b5c6',
  providerTenantId: 'f0000000-0000-4000-8000-00000000aaaa',
};

export function resolveLimits(partial: Partial<SimulatorLimits> | undefined): SimulatorLimits {
  return {
    ...defaultLimits,
    ...partial,
    subscriptionMaxMinutes: { ...defaultLimits.subscriptionMaxMinutes, ...partial?.subscriptionMaxMinutes },
  };
}
