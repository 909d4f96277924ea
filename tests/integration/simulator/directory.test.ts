import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { followPages, startTestSimulator, type TestSimulator } from '../../support/simulator';

describe('simulator directory: users, groups, sites', () => {
  let t: TestSimulator;
  beforeAll(async () => {
    t = await startTestSimulator({
      shape: { users: 6, usersWithoutMailbox: 2, guests: 1, groups: 2, sites: 2 },
    });
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('pages /users with nextLinks that carry only an opaque token holding the original query', async () => {
    const first = await t.graph('GET', '/users?$top=3&$select=id,userPrincipalName');
    expect(first.status).toBe(200);
    expect(first.body.value).toHaveLength(3);
    const next = new URL(first.body['@odata.nextLink']);
    expect(`${next.origin}${next.pathname}`).toBe(`${t.sim.graphBaseUrl}/users`);
    expect([...next.searchParams.keys()]).toEqual(['$skiptoken']);
    const all = await followPages(t, '/users?$top=3&$select=id,userPrincipalName');
    expect(all.items).toHaveLength(9);
    expect(new Set(all.items.map((u) => u.id)).size).toBe(9);
    for (const u of all.items) expect(Object.keys(u).sort()).toEqual(['id', 'userPrincipalName']);
    // A tampered token is refused rather than misread.
    const tampered = first.body['@odata.nextLink'].replace(/skiptoken=(.)/, 'skiptoken=Z$1');
    expect((await t.graph('GET', tampered)).status).toBe(400);
  });

  it('filters members from guests, and counts only with ConsistencyLevel: eventual', async () => {
    const members = await t.graph('GET', "/users?$filter=userType eq 'Member'&$select=id,userType");
    expect(members.body.value.map((u: { userType: string }) => u.userType)).toEqual(Array(8).fill('Member'));
    const guests = await t.graph('GET', "/users?$filter=userType eq 'Guest'&$select=id,userType");
    expect(guests.body.value).toHaveLength(1);
    expect((await t.graph('GET', '/users?$count=true')).status).toBe(400);
    const counted = await t.graph('GET', '/users?$count=true&$top=1', {
      headers: { consistencylevel: 'eventual' },
    });
    expect(counted.body['@odata.count']).toBe(9);
    const unknown = await t.graph('GET', "/users?$filter=shoeSize eq 'x'");
    expect([unknown.status, unknown.body.error.code]).toEqual([400, 'BadRequest']);
  });

  it('answers /users/{upn}, 404 for unknown users and 400 for /me with app-only tokens', async () => {
    const tenant = await t.sim.control.tenant(t.tenantId);
    const someone = tenant.users[0]!;
    const byUpn = await t.graph('GET', `/users/${someone.userPrincipalName}`);
    expect(byUpn.body.id).toBe(someone.id);
    const missing = await t.graph('GET', '/users/00000000-0000-0000-0000-000000000000');
    expect([missing.status, missing.body.error.code]).toEqual([404, 'Request_ResourceNotFound']);
    expect((await t.graph('GET', '/me')).status).toBe(400);
  });

  it('runs users delta rounds: new, changed, soft-deleted and permanently deleted users', async () => {
    const initial = await followPages(t, '/users/delta?$select=displayName,accountEnabled', {
      prefer: 'odata.maxpagesize=2',
    });
    expect(initial.pages).toBeGreaterThan(2);
    expect(initial.items.every((u) => !('@removed' in u))).toBe(true);
    const tenant = await t.sim.control.tenant(t.tenantId);
    const [a, b, c] = tenant.users.filter((u) => u.userType === 'Member');
    const added = await t.sim.control.addUser(t.tenantId, {
      displayName: 'Nadia Novak',
      mailNickname: 'nadia.novak',
    });
    await t.sim.control.unlicenseUser(t.tenantId, a!.id);
    await t.sim.control.removeUser(t.tenantId, b!.id, false);
    await t.sim.control.removeUser(t.tenantId, c!.id, true);
    const round2 = await followPages(t, initial.deltaLink!);
    const byId = new Map(round2.items.map((u) => [u.id, u]));
    expect(byId.get(added.id)).toMatchObject({ displayName: 'Nadia Novak', accountEnabled: true });
    expect(byId.get(a!.id)).toMatchObject({ displayName: a!.displayName });
    expect(byId.get(b!.id)).toEqual({ id: b!.id, '@removed': { reason: 'changed' } });
    expect(byId.get(c!.id)).toEqual({ id: c!.id, '@removed': { reason: 'deleted' } });
    expect(round2.items).toHaveLength(4);
    const round3 = await followPages(t, round2.deltaLink!);
    expect(round3.items).toEqual([]);
    // Removed users are gone from /users.
    expect((await t.graph('GET', `/users/${b!.id}`)).status).toBe(404);
  });

  it('starts from now with $deltatoken=latest, and answers an invalidated token with 410 and a restart link', async () => {
    const latest = await t.graph('GET', '/users/delta?$deltatoken=latest');
    expect(latest.body.value).toEqual([]);
    await t.sim.control.addUser(t.tenantId, { displayName: 'Late Comer', mailNickname: 'late.comer' });
    const after = await followPages(t, latest.body['@odata.deltaLink']);
    expect(after.items.map((u) => u.displayName)).toEqual(['Late Comer']);
    await t.sim.control.expireDelta(t.tenantId, { kind: 'users' });
    const gone = await t.graph('GET', after.deltaLink!);
    expect(gone.status).toBe(410);
    expect(gone.headers.get('location')).toBe(`${t.sim.graphBaseUrl}/users/delta?$deltatoken=`);
  });

  it('lists Unified groups with members, conversations, drive and team site', async () => {
    const unified = await t.graph('GET', "/groups?$filter=groupTypes/any(c:c+eq+'Unified')");
    expect(unified.body.value.length).toBe(2);
    const group = unified.body.value[0];
    expect(group.groupTypes).toContain('Unified');
    const members = await t.graph('GET', `/groups/${group.id}/members`);
    expect(members.body.value[0]['@odata.type']).toBe('#microsoft.graph.user');
    const threads = await t.graph('GET', `/groups/${group.id}/threads`);
    expect(threads.body.value.length).toBeGreaterThan(0);
    const posts = await t.graph('GET', `/groups/${group.id}/threads/${threads.body.value[0].id}/posts`);
    expect(posts.body.value[0].body.contentType).toBe('html');
    const drive = await t.graph('GET', `/groups/${group.id}/drive`);
    expect(drive.body).toMatchObject({ driveType: 'documentLibrary', owner: { group: { id: group.id } } });
    const site = await t.graph('GET', `/groups/${group.id}/sites/root`);
    const siteDrives = await t.graph('GET', `/sites/${site.body.id}/drives`);
    expect(siteDrives.body.value.map((d: { id: string }) => d.id)).toContain(drive.body.id);
    const delta = await followPages(t, '/groups/delta?$select=displayName,members');
    expect(delta.items[0]['members@delta'][0]).toEqual({
      '@odata.type': '#microsoft.graph.user',
      id: expect.any(String),
    });
    await t.sim.control.deleteGroup(t.tenantId, unified.body.value[1].id);
    const after = await followPages(t, delta.deltaLink!);
    expect(after.items).toEqual([{ id: unified.body.value[1].id, '@removed': { reason: 'changed' } }]);
    expect((await t.graph('GET', `/groups/${unified.body.value[1].id}`)).status).toBe(404);
  });

  it('lists every site collection with getAllSites, OneDrive personal sites included', async () => {
    const all = await followPages(t, '/sites/getAllSites?$top=4');
    const personal = all.items.filter((s) => s.isPersonalSite);
    expect(personal.length).toBeGreaterThan(0);
    expect(personal[0].webUrl).toMatch(/-my\.sharepoint\.com\/personal\//);
    expect(all.items.some((s) => s.webUrl.endsWith('.sharepoint.com'))).toBe(true);
    const root = await t.graph('GET', '/sites/root');
    expect(root.body.id).toMatch(/^[^,]+\.sharepoint\.com,[0-9a-f-]{36},[0-9a-f-]{36}$/);
    const libraries = await t.graph(
      'GET',
      `/sites/${all.items.find((s) => !s.isPersonalSite && s.name !== root.body.name).id}/drives`,
    );
    expect(libraries.body.value[0].driveType).toBe('documentLibrary');
  });
});
