import { createHash, randomBytes } from 'node:crypto';
import type { TableClient } from '@azure/data-tables';
import type { DiscoveryService } from '../discovery/discovery-service';
import type { SubscriptionManager } from '../discovery/subscription-manager';
import { AppError } from '../errors/app-error';
import type { Logger } from '../observability/logger';
import { TableNames, isStatus, type Tables } from '../storage/tables';
import type { Tenant } from '../tenants/tenant';
import type { TenantStore } from '../tenants/tenant-store';
import type { Clock } from '../time/clock';

export interface OnboardingDependencies {
  tables: Tables;
  tenants: TenantStore;
  discovery: Pick<DiscoveryService, 'requestPass'>;
  subscriptions: Pick<SubscriptionManager, 'ensure'>;
  clock: Clock;
  log: Logger;
  /** Entra authority host, e.g. https://login.microsoftonline.com (the simulator's locally). */
  authorityHost: string;
  /** The backup app's client id (what the customer's admin consents to). */
  clientId: string;
  /** How long a consent link works; default 7 days. */
  linkLifetimeMs?: number;
}

/** What Entra sends back to the redirect URI. */
export interface ConsentCallback {
  state?: string | undefined;
  tenant?: string | undefined;
  admin_consent?: string | undefined;
  error?: string | undefined;
  error_description?: string | undefined;
}

type StateEntity = { partitionKey: string; rowKey: string; tenantId: string; expiresAt: string };
const PARTITION = 'consent';

/**
 * Admin-consent onboarding. The link's `state` is 32 random bytes, stored only as a hash and deleted
 * when used: it cannot be guessed (forged) or used twice (replayed), and it binds the callback to
 * the tenant the operator created.
 */
export class OnboardingService {
  constructor(private readonly deps: OnboardingDependencies) {}

  private table(): Promise<TableClient> {
    return this.deps.tables.client(TableNames.consentStates);
  }

  /** The link the operator hands to the customer's admin. */
  consentLink(tenantId: string, redirectUri: string): Promise<{ url: string; expiresAt: string }> {
    return createConsentLink(this.deps, tenantId, redirectUri);
  }

  /**
   * The consent callback: checks and uses up `state`, marks the tenant active, and starts a full
   * discovery and the Graph subscriptions (the timers retry subscriptions that fail now).
   */
  async completeConsent(callback: ConsentCallback): Promise<Tenant> {
    if (!callback.state) throw new AppError('invalid', 'the consent answer carries no state');
    const table = await this.table();
    let entity: StateEntity & { etag: string };
    try {
      entity = await table.getEntity<StateEntity>(PARTITION, digest(callback.state));
      await table.deleteEntity(PARTITION, entity.rowKey, { etag: entity.etag });
    } catch (error) {
      if (isStatus(error, 404) || isStatus(error, 412))
        throw new AppError(
          'forbidden',
          'this consent link is unknown or was already used; ask for a new one',
        );
      throw error;
    }
    if (Date.parse(entity.expiresAt) < this.deps.clock.now().getTime())
      throw new AppError('forbidden', 'this consent link has expired; ask for a new one');
    if (callback.error || callback.admin_consent?.toLowerCase() !== 'true') {
      throw new AppError(
        'conflict',
        `the administrator did not grant consent${callback.error ? ` (${callback.error})` : ''}; nothing was changed`,
      );
    }
    if (callback.tenant && callback.tenant.toLowerCase() !== entity.tenantId.toLowerCase()) {
      throw new AppError(
        'forbidden',
        'consent was granted in another tenant than the one this link was made for',
      );
    }
    const active: Tenant = await this.deps.tenants.modify(entity.tenantId, (tenant) => ({
      ...tenant,
      status: 'active',
      updatedAt: this.deps.clock.now().toISOString(),
    }));
    await this.deps.discovery.requestPass(active.tenantId, 'full');
    try {
      await this.deps.subscriptions.ensure(active.tenantId);
    } catch (error) {
      this.deps.log.warn('subscriptions not created at onboarding; the upkeep timer retries', {
        tenantId: active.tenantId,
        reason: error instanceof Error ? error.message : String(error),
      });
    }
    this.deps.log.info('tenant onboarded', { tenantId: active.tenantId });
    return active;
  }
}

function digest(state: string): string {
  return createHash('sha256').update(state).digest('hex');
}

/** Where Entra sends the admin after consent: the app's own callback function. */
export const CONSENT_CALLBACK_ROUTE = 'graph/admin-consent';

export type ConsentLinkDependencies = Pick<
  OnboardingDependencies,
  'tables' | 'tenants' | 'clock' | 'authorityHost' | 'clientId' | 'linkLifetimeMs'
>;

/** An admin-consent URL with a one-time `state` (stored only as its hash, with an expiry). */
export async function createConsentLink(
  deps: ConsentLinkDependencies,
  tenantId: string,
  redirectUri: string,
): Promise<{ url: string; expiresAt: string }> {
  const tenant = await deps.tenants.get(tenantId);
  if (tenant.status === 'offboarded') throw new AppError('conflict', 'the tenant is offboarded');
  const state = randomBytes(32).toString('base64url');
  const expiresAt = new Date(
    deps.clock.now().getTime() + (deps.linkLifetimeMs ?? 7 * 24 * 3600 * 1000),
  ).toISOString();
  const table = await deps.tables.client(TableNames.consentStates);
  await table.createEntity<StateEntity>({
    partitionKey: PARTITION,
    rowKey: digest(state),
    tenantId,
    expiresAt,
  });
  const url = new URL(`${deps.authorityHost.replace(/\/+$/, '')}/${tenantId}/v2.0/adminconsent`);
  url.searchParams.set('client_id', deps.clientId);
  url.searchParams.set('redirect_uri', redirectUri);
  url.searchParams.set('scope', 'https://graph.microsoft.com/.default');
  url.searchParams.set('state', state);
  return { url: url.toString(), expiresAt };
}
