import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../shared/observability/logger';
import { DiscoveryStack } from '../../support/discovery-stack';

/** Admin consent through the simulator's Entra ID: the callback activates the tenant and starts discovery. */
describe('onboarding by admin consent', () => {
  let stack: DiscoveryStack;
  const redirectUri = 'https://portal.example.test/consent-callback';

  async function consent(url: string, extra: string): Promise<Record<string, string>> {
    const answer = await fetch(`${url}&${extra}`, { redirect: 'manual' });
    expect(answer.status).toBeGreaterThanOrEqual(300);
    const location = new URL(answer.headers.get('location')!);
    expect(`${location.origin}${location.pathname}`).toBe(redirectUri);
    return Object.fromEntries(location.searchParams);
  }

  beforeAll(async () => {
    stack = await DiscoveryStack.start({
      seed: 67,
      shape: { users: 1, usersWithoutMailbox: 0, guests: 0, messagesPerMailbox: 1, sites: 0, groups: 0 },
    });
    await stack.onboard({ status: 'pending-consent' });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('the callback with the link state activates the tenant and queues a full discovery; the state works once', async () => {
    const onboarding = stack.core.onboarding(silentLogger);
    const admin = (await stack.backup.simulator.control.tenant(stack.tenantId)).users[0]!;
    const link = await onboarding.consentLink(stack.tenantId, redirectUri);
    expect(link.url).toContain(`/${stack.tenantId}/v2.0/adminconsent?client_id=`);

    const callback = await consent(link.url, `sim_user=${encodeURIComponent(admin.userPrincipalName)}`);
    expect(callback).toMatchObject({ admin_consent: 'True', tenant: stack.tenantId });
    const tenant = await onboarding.completeConsent(callback);
    expect(tenant.status).toBe('active');
    expect((await stack.backup.deps.tenants.get(stack.tenantId)).status).toBe('active');
    expect(await stack.core.state.takePass(stack.tenantId)).toBe('full');

    await expect(onboarding.completeConsent(callback)).rejects.toThrow(/unknown or was already used/);
    await expect(onboarding.completeConsent({ ...callback, state: 'forged-state' })).rejects.toMatchObject({
      code: 'forbidden',
    });
  });

  it('a declined consent changes nothing', async () => {
    await stack.onboard({ status: 'pending-consent' });
    const onboarding = stack.core.onboarding(silentLogger);
    const admin = (await stack.backup.simulator.control.tenant(stack.tenantId)).users[0]!;
    const link = await onboarding.consentLink(stack.tenantId, redirectUri);
    const callback = await consent(
      link.url,
      `sim_user=${encodeURIComponent(admin.userPrincipalName)}&sim_decline=true`,
    );
    expect(callback.error).toBe('access_denied');
    await expect(onboarding.completeConsent(callback)).rejects.toMatchObject({ code: 'conflict' });
    expect((await stack.backup.deps.tenants.get(stack.tenantId)).status).toBe('pending-consent');
  });
});
