import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resourceIdOf, type Resource } from '../../../shared/resources/resource';
import { LicenceStore } from '../../../shared/protection/licence-store';
import { ProtectionService } from '../../../shared/protection/protection-service';
import { ResourceCountsStore, type ResourceCountsDelta } from '../../../shared/resources/resource-counts';
import { Tables } from '../../../shared/storage/tables';
import { silentLogger } from '../../../shared/observability/logger';
import { DiscoveryStack } from '../../support/discovery-stack';

async function resources(stack: DiscoveryStack): Promise<Resource[]> {
  const list: Resource[] = [];
  for await (const r of stack.backup.deps.resources.list(stack.tenantId)) list.push(r);
  return list;
}

/** Full reconciliation against the simulator's tenant, and what the admin sees in the bell. */
describe('discovery reconciliation', () => {
  let stack: DiscoveryStack;
  beforeAll(async () => {
    stack = await DiscoveryStack.start(
      {
        seed: 51,
        shape: {
          users: 3,
          usersWithoutMailbox: 1,
          guests: 1,
          messagesPerMailbox: 2,
          customFoldersPerMailbox: 0,
          filesPerDrive: 1,
          sites: 1,
          librariesPerSite: 1,
          filesPerLibrary: 1,
          groups: 1,
          filesPerGroupLibrary: 1,
          threadsPerGroup: 1,
          maxFileBytes: 4096,
        },
      },
      { collapseSeconds: 0 },
    );
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('finds every mailbox, OneDrive, site and group; users without a mailbox get none; all reported as available', async () => {
    await stack.onboard();
    const result = await stack.discovery.reconcile(stack.tenantId);
    const sim = await stack.backup.simulator.control.tenant(stack.tenantId);
    const expected = [
      ...sim.users.filter((u) => u.hasMailbox).map((u) => resourceIdOf('mailbox', u.id)),
      ...sim.users.filter((u) => u.driveId).map((u) => resourceIdOf('onedrive', u.id)),
      ...sim.sites.filter((s) => s.kind !== 'personal').map((s) => resourceIdOf('site', s.id)),
      ...sim.groups.map((g) => resourceIdOf('group', g.id)),
    ].sort();
    const found = await resources(stack);
    expect(found.map((r) => r.resourceId).sort()).toEqual(expected);
    expect(result.added).toBe(expected.length);
    // As in real Graph, getAllSites lists each group's team site: a site resource naming its group.
    expect(sim.groups.length).toBeGreaterThan(0);
    for (const group of sim.groups) {
      const teamSite = found.find((r) => r.resourceId === resourceIdOf('site', group.siteId));
      expect(teamSite).toMatchObject({ kind: 'site', groupId: group.id });
    }
    expect(found.filter((r) => r.kind === 'site' && r.groupId)).toHaveLength(sim.groups.length);
    // The dashboard's counts follow discovery.
    const counts = await new ResourceCountsStore(new Tables(stack.backup.storage)).get(stack.tenantId);
    for (const kind of ['mailbox', 'onedrive', 'site', 'group'] as const) {
      expect(counts[kind]).toEqual({ discovered: found.filter((r) => r.kind === kind).length, protected: 0 });
    }
    const withoutMailbox = sim.users.filter((u) => u.userType === 'Member' && !u.hasMailbox);
    expect(withoutMailbox.length).toBeGreaterThan(0);
    for (const u of withoutMailbox)
      expect(found.some((r) => r.resourceId === resourceIdOf('mailbox', u.id))).toBe(false);
    expect(
      found.every((r) => r.state === 'discovered' && !r.protected && r.firstSeenAt === r.lastSeenAt),
    ).toBe(true);

    const bell = await stack.notifications();
    const available = bell.filter((n) => n.category === 'available-to-add');
    expect(available).toHaveLength(expected.length);
    expect(available.every((n) => n.severity === 'yellow' && !n.read && !n.resolved)).toBe(true);
    expect(available.find((n) => n.resourceId?.startsWith('mailbox:'))!.message).toMatch(
      /new mailbox .* is available to add/,
    );

    // A second pass changes nothing and raises nothing new.
    const again = await stack.discovery.reconcile(stack.tenantId);
    expect(again).toMatchObject({ added: 0, gone: 0, returned: 0 });
    expect(await stack.notifications()).toHaveLength(bell.length);
  });

  it("the dashboard's counts stay exact when a discovery pass lands between a protection change and its count", async () => {
    const sim = await stack.backup.simulator.control.tenant(stack.tenantId);
    const users = sim.users.filter((u) => u.hasMailbox).map((u) => u.id);
    const tables = new Tables(stack.backup.storage);
    const countsStore = new ResourceCountsStore(tables);
    // Protection whose count adjustment waits for a full pass to finish first: the pass sees the
    // rows already protected, the adjustment comes after it.
    const racing = new ProtectionService({
      tenants: stack.backup.deps.tenants,
      resources: stack.backup.deps.resources,
      licences: new LicenceStore(tables),
      clock: { now: () => new Date() },
      counts: Object.assign(Object.create(countsStore) as ResourceCountsStore, {
        adjust: async (tenantId: string, delta: ResourceCountsDelta) => {
          await stack.discovery.reconcile(tenantId);
          await countsStore.adjust(tenantId, delta);
        },
      }),
    });
    const exact = async (protectedMailboxes: number) => {
      const counts = await countsStore.get(stack.tenantId);
      const found = (await resources(stack)).filter((r) => r.state !== 'gone');
      for (const kind of ['mailbox', 'onedrive', 'site', 'group'] as const) {
        const live = found.filter((r) => r.kind === kind);
        expect(counts[kind], kind).toEqual({
          discovered: live.length,
          protected: live.filter((r) => r.protected).length,
        });
      }
      expect(counts.mailbox.protected).toBe(protectedMailboxes);
    };
    await racing.enableUsers(stack.tenantId, users);
    await exact(users.length);
    // The same request again changes nothing, so counts nothing.
    await Promise.all([racing.enableUsers(stack.tenantId, users), racing.enableUsers(stack.tenantId, users)]);
    await exact(users.length);
    await racing.disableUsers(stack.tenantId, users);
    await exact(0);
  });

  it('a removed protected user raises one red alert mailed to the admin; restored, it resolves with a green notice', async () => {
    const sim = await stack.backup.simulator.control.tenant(stack.tenantId);
    const [victim, sender, admin] = sim.users.filter((u) => u.hasMailbox);
    await stack.core.protection.enableUsers(stack.tenantId, [victim!.id]);

    // The service mailbox is a simulator mailbox here; the admin contact another one.
    await stack.onboard({ adminContactEmail: admin!.userPrincipalName });
    const mailing = stack.coreWith({
      NOTIFICATION_MAIL_SENDER: sender!.userPrincipalName,
      NOTIFICATION_MAIL_TENANT_ID: stack.tenantId,
    });
    const discovery = mailing.discovery(silentLogger);
    await stack.backup.simulator.control.removeUser(stack.tenantId, victim!.id);
    await discovery.reconcile(stack.tenantId);
    await discovery.reconcile(stack.tenantId); // the same condition again: still one alert each
    const mailbox = await stack.backup.deps.resources.get(
      stack.tenantId,
      resourceIdOf('mailbox', victim!.id),
    );
    expect(mailbox).toMatchObject({ state: 'gone', protected: true });
    const red = (await stack.notifications()).filter((n) => n.severity === 'red');
    expect(red.map((n) => n.resourceId).sort()).toEqual(
      [resourceIdOf('mailbox', victim!.id), resourceIdOf('onedrive', victim!.id)].sort(),
    );
    const mailAlert = red.find((n) => n.resourceId === resourceIdOf('mailbox', victim!.id))!;
    expect(mailAlert.message).toMatch(/^Backed-up mailbox not found: /);
    expect(mailAlert.resolved).toBe(false);
    const alertMails = (await stack.backup.simulator.control.sentMail()).filter((m) =>
      m.subject.startsWith('[M365 Backup] Critical: Backed-up mailbox not found'),
    );
    expect(alertMails).toHaveLength(1);
    expect(alertMails[0]!.deliveredTo.map((a) => a.toLowerCase())).toContain(
      admin!.userPrincipalName.toLowerCase(),
    );

    // The user comes back (the tenant regenerated: same ids).
    await stack.backup.simulator.control.resetTenant(stack.tenantId);
    const back = await stack.discovery.reconcile(stack.tenantId);
    expect(back.returned).toBe(2);
    expect(await stack.backup.deps.resources.get(stack.tenantId, mailAlert.resourceId!)).toMatchObject({
      state: 'protected',
      protected: true,
    });
    const bell = await stack.notifications();
    expect(bell.find((n) => n.notificationId === mailAlert.notificationId)).toMatchObject({ resolved: true });
    const green = bell.filter((n) => n.severity === 'green' && n.resourceId === mailAlert.resourceId);
    expect(green).toHaveLength(1);
    expect(green[0]!.message).toMatch(/is back in the tenant/);
  });
  it('incremental passes: auto-protect on protects new users (blue) until licences run out (yellow); a deleted protected user is red', async () => {
    const used = (await stack.core.protection.licenceSummary(stack.tenantId)).used;
    await stack.onboard({
      licences: used + 1,
      autoProtect: { mailbox: true, onedrive: true, site: false, group: false },
    });
    const control = stack.backup.simulator.control;
    const first = await control.addUser(stack.tenantId, { displayName: 'Ines Incremental' });
    const second = await control.addUser(stack.tenantId, { displayName: 'Jo Incremental' });
    const result = await stack.discovery.incremental(stack.tenantId);
    expect(result).toMatchObject({ mode: 'incremental', added: 4 });
    const states = await Promise.all(
      [first, second].map((u) =>
        stack.backup.deps.resources.get(stack.tenantId, resourceIdOf('mailbox', u.id)),
      ),
    );
    const protectedNow = states.filter((r) => r.protected);
    expect(protectedNow).toHaveLength(1);
    const bell = await stack.notifications();
    const blue = bell.filter(
      (n) => n.severity === 'blue' && n.resourceId?.endsWith(protectedNow[0]!.graphId),
    );
    expect(blue.map((n) => n.message)).toEqual([
      expect.stringMatching(/was added to the subscription/),
      expect.stringMatching(/was added to the subscription/),
    ]);
    const exhausted = bell.filter((n) => n.category === 'licences-exhausted');
    expect(exhausted).toHaveLength(1);
    expect(exhausted[0]).toMatchObject({ severity: 'yellow', resolved: false });

    await control.removeUser(stack.tenantId, protectedNow[0]!.graphId);
    expect(await stack.discovery.incremental(stack.tenantId)).toMatchObject({ gone: 2 });
    const red = (await stack.notifications()).filter(
      (n) => n.severity === 'red' && n.resourceId === protectedNow[0]!.resourceId && !n.resolved,
    );
    expect(red).toHaveLength(1);
    expect(red[0]!.message).toMatch(
      /Backed-up mailbox not found: Ines Incremental|Backed-up mailbox not found: Jo Incremental/,
    );
  });

  it("an incremental pass finds a new group's team site with the group, marked with it", async () => {
    const control = stack.backup.simulator.control;
    const group = await control.createGroup(stack.tenantId, { displayName: 'Project Nova', team: true });
    const result = await stack.discovery.incremental(stack.tenantId);
    expect(result).toMatchObject({ mode: 'incremental', added: 2 });
    const site = await stack.backup.deps.resources.get(stack.tenantId, resourceIdOf('site', group.siteId));
    expect(site).toMatchObject({ groupId: group.id, displayName: 'Project Nova', state: 'discovered' });
    // The daily reconciliation agrees: nothing new, the mark kept.
    expect(await stack.discovery.reconcile(stack.tenantId)).toMatchObject({ added: 0, gone: 0 });
    expect(
      (await stack.backup.deps.resources.get(stack.tenantId, resourceIdOf('site', group.siteId))).groupId,
    ).toBe(group.id);
  });
});
