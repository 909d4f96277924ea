import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { followPages, startTestSimulator, type TestSimulator } from '../../support/simulator';

describe('simulator control API', () => {
  let t: TestSimulator;
  beforeAll(async () => {
    t = await startTestSimulator();
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('changes a share of the tenant with "activity", visible to the next delta rounds', async () => {
    const tenant = await t.sim.control.tenant(t.tenantId);
    const user = tenant.users.find((u) => u.hasMailbox && u.driveId)!;
    const drive = await followPages(t, `/drives/${user.driveId}/root/delta`);
    const inbox = await followPages(t, `/users/${user.id}/mailFolders/inbox/messages/delta?$select=subject`);
    const users = await followPages(t, '/users/delta?$select=displayName');
    const { changes } = await t.sim.control.activity(t.tenantId, 0.5, 1234);
    const kinds = new Set(changes.map((c) => c.kind));
    expect([...kinds].some((k) => k.startsWith('mail.'))).toBe(true);
    expect([...kinds].some((k) => k.startsWith('file.'))).toBe(true);
    const driveChanges = changes.filter(
      (c) => c.kind.startsWith('file.') && (c as { driveId?: string }).driveId === user.driveId,
    );
    const round = await followPages(t, drive.deltaLink!);
    expect(round.items.length).toBeGreaterThanOrEqual(
      new Set(driveChanges.map((c) => (c as { itemId?: string }).itemId)).size,
    );
    const edited = changes.find((c) => c.kind === 'file.edited') as
      { driveId: string; itemId: string } | undefined;
    if (edited) {
      const item = await t.graph('GET', `/drives/${edited.driveId}/items/${edited.itemId}`);
      expect(item.status).toBe(200);
    }
    const mailRound = await followPages(t, inbox.deltaLink!);
    const userRound = await followPages(t, users.deltaLink!);
    expect(mailRound.items.length + userRound.items.length + round.items.length).toBeGreaterThan(0);
  });

  it('creates sites and groups that Graph then lists, and writes files into their libraries', async () => {
    const site = await t.sim.control.createSite(t.tenantId, {
      displayName: 'Finance Archive',
      libraries: ['Documents', 'Contracts'],
    });
    expect(site.driveIds).toHaveLength(2);
    const drives = await t.graph('GET', `/sites/${site.id}/drives`);
    expect(drives.body.value.map((d: { name: string }) => d.name)).toEqual(['Documents', 'Contracts']);
    await t.sim.control.putFile(
      t.tenantId,
      site.driveIds[1]!,
      'Signed/2026/contract.pdf',
      Buffer.from('%PDF-1.7'),
    );
    const file = await t.graph('GET', `/drives/${site.driveIds[1]}/root:/Signed/2026/contract.pdf`);
    expect(file.body).toMatchObject({ size: 8, file: { mimeType: 'application/pdf' } });
    const members = (await t.sim.control.tenant(t.tenantId)).users.slice(0, 2).map((u) => u.id);
    const group = await t.sim.control.createGroup(t.tenantId, {
      displayName: 'Project Falcon',
      memberIds: members,
      team: true,
    });
    const fetched = await t.graph('GET', `/groups/${group.id}`);
    expect(fetched.body).toMatchObject({
      displayName: 'Project Falcon',
      groupTypes: ['Unified'],
      resourceProvisioningOptions: ['Team'],
    });
    expect((await t.graph('GET', `/groups/${group.id}/members`)).body.value).toHaveLength(2);
    expect((await t.graph('GET', `/groups/${group.id}/drive`)).body.id).toBe(group.driveId);
    const sites = await followPages(t, '/sites/getAllSites');
    expect(sites.items.map((s) => s.id)).toEqual(expect.arrayContaining([site.id, group.siteId]));
  });

  it('renames, moves, edits and deletes drive items with raw bytes, and reads trees back', async () => {
    const driveId = (await t.sim.control.tenant(t.tenantId)).users.find((u) => u.driveId)!.driveId!;
    await t.sim.control.putFile(t.tenantId, driveId, 'ctl/a.txt', Buffer.from('alpha'));
    await t.sim.control.moveFile(t.tenantId, driveId, 'ctl/a.txt', { name: 'b.txt', parentPath: '' });
    expect(await t.sim.control.fileContent(t.tenantId, driveId, 'b.txt')).toEqual(Buffer.from('alpha'));
    const tree = await t.sim.control.driveTree(t.tenantId, driveId, true);
    const entry = tree.items.find((i) => i.path === 'b.txt')!;
    const graphItem = await t.graph('GET', `/drives/${driveId}/items/${entry.id}`);
    expect(graphItem.body.file.hashes.quickXorHash).toBe(entry.quickXorHash);
    const generated = tree.items.filter((i) => !i.isFolder && i.size > 1000)[0]!;
    const before = await t.sim.control.fileContent(t.tenantId, driveId, generated.path);
    await t.sim.control.editFile(t.tenantId, driveId, generated.path);
    const after = await t.sim.control.fileContent(t.tenantId, driveId, generated.path);
    expect(after.equals(before)).toBe(false);
    // A partial edit keeps most bytes: the first 4 KiB (the file header) are unchanged.
    expect(after.subarray(0, 4096).equals(before.subarray(0, 4096))).toBe(true);
    await t.sim.control.deleteFile(t.tenantId, driveId, 'b.txt');
    expect((await t.graph('GET', `/drives/${driveId}/items/${entry.id}`)).status).toBe(404);
  });

  it('assigns portal roles and resets a tenant from the generator', async () => {
    const tenant = await t.sim.control.tenant(t.tenantId);
    const user = tenant.users.find((u) => u.portalRoles.length === 0 && u.userType === 'Member')!;
    await t.sim.control.setPortalRoles(t.tenantId, user.id, ['Backup.Reader']);
    expect((await t.sim.control.tenant(t.tenantId)).users.find((u) => u.id === user.id)!.portalRoles).toEqual(
      ['Backup.Reader'],
    );
    await t.sim.control.addUser(t.tenantId, {
      displayName: 'Temporary Person',
      mailNickname: 'temp',
      withMailbox: false,
    });
    const reset = await t.sim.control.resetTenant(t.tenantId);
    expect(reset.users.map((u) => u.userPrincipalName)).not.toContain(`temp@${tenant.domain}`);
    // Back to the generated users only (3 with mailboxes, 1 without, 1 guest in the test shape).
    expect(reset.users).toHaveLength(5);
    expect(reset.users.some((u) => /^(New Colleague|Temporary Person)/.test(u.displayName))).toBe(false);
    const counters = await t.sim.control.counters();
    expect(counters.total).toBeGreaterThan(0);
    expect(Object.keys(counters.byEndpoint).some((k) => k.startsWith('GET /drives/{id}/root/delta'))).toBe(
      true,
    );
  });
});
