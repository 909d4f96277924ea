import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { quickXorHash } from '../../../dev/simulator/generator';
import { followPages, startTestSimulator, type TestSimulator } from '../../support/simulator';

const unit = 320 * 1024;

describe('simulator drives: items, content, delta, uploads', () => {
  let t: TestSimulator;
  let driveId: string;
  beforeAll(async () => {
    t = await startTestSimulator();
    const tenant = await t.sim.control.tenant(t.tenantId);
    driveId = tenant.users.find((u) => u.driveId)!.driveId!;
  });
  afterAll(async () => {
    await t?.stop();
  });

  const put = (path: string, body: string | Buffer, query = '') =>
    t.graph('PUT', `/drives/${driveId}/root:/${path}:/content${query}`, { body });
  const fragment = (
    url: string,
    bytes: Buffer,
    start: number,
    total: number,
    headers: Record<string, string> = {},
  ) =>
    fetch(url, {
      method: 'PUT',
      headers: { 'content-range': `bytes ${start}-${start + bytes.length - 1}/${total}`, ...headers },
      body: bytes,
    });

  it('downloads through a 302 to a pre-authenticated URL that honours Range and expires', async () => {
    const bytes = Buffer.from('0123456789abcdefghij');
    const item = (await put('Docs/Ünïcode näme.txt', bytes)).body;
    expect(item.file.hashes.quickXorHash).toBe(quickXorHash(bytes));
    const content = await t.graph('GET', `/drives/${driveId}/items/${item.id}/content`);
    expect(content.status).toBe(302);
    const location = content.headers.get('location')!;
    expect(location.startsWith(`${t.sim.url}/_dl/`)).toBe(true);
    const whole = await fetch(location);
    expect(Buffer.from(await whole.arrayBuffer())).toEqual(bytes);
    const part = await fetch(location, { headers: { range: 'bytes=5-9' } });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe('bytes 5-9/20');
    expect(await part.text()).toBe('56789');
    expect((await fetch(location, { headers: { range: 'bytes=50-60' } })).status).toBe(416);
    const byPath = await t.graph('GET', `/drives/${driveId}/root:/Docs/Ünïcode näme.txt`);
    expect(byPath.body.id).toBe(item.id);
    await t.sim.control.advanceClock(2 * 3600_000);
    expect((await fetch(location)).status).toBe(401);
    await t.sim.control.advanceClock(-2 * 3600_000);
  });

  it('applies conflictBehavior on simple uploads: replace (default), fail, rename', async () => {
    const first = await put('conflict.txt', 'one');
    expect(first.status).toBe(201);
    const replaced = await put('conflict.txt', 'two');
    expect([replaced.status, replaced.body.id, replaced.body.size]).toEqual([200, first.body.id, 3]);
    expect(replaced.body.cTag).not.toBe(first.body.cTag);
    const failed = await put('conflict.txt', 'three', '?@microsoft.graph.conflictBehavior=fail');
    expect([failed.status, failed.body.error.code]).toEqual([409, 'nameAlreadyExists']);
    const renamed = await put('conflict.txt', 'four', '?@microsoft.graph.conflictBehavior=rename');
    expect([renamed.status, renamed.body.name]).toEqual([201, 'conflict 1.txt']);
  });

  it('runs delta rounds with the latest state per item, deleted facets and no parentReference.path', async () => {
    const initial = await followPages(t, `/drives/${driveId}/root/delta`, { prefer: 'odata.maxpagesize=3' });
    expect(initial.pages).toBeGreaterThan(2);
    expect(initial.items[0].root).toEqual({});
    for (const item of initial.items) {
      expect(item.parentReference?.path).toBeUndefined();
      expect(item.deleted).toBeUndefined();
    }
    const folder = await t.graph('POST', `/drives/${driveId}/root/children`, {
      body: { name: 'Project', folder: {} },
    });
    expect(folder.status).toBe(201);
    const a = (await put('Project/a.txt', 'aaa')).body;
    const b = (await put('Project/b.txt', 'bbb')).body;
    const beforeRename = (await t.graph('GET', `/drives/${driveId}/items/${a.id}`)).body;
    const renamed = await t.graph('PATCH', `/drives/${driveId}/items/${a.id}`, {
      body: { name: 'a-renamed.txt' },
    });
    expect(renamed.body.cTag).toBe(beforeRename.cTag);
    expect(renamed.body.eTag).not.toBe(beforeRename.eTag);
    await put('Project/a-renamed.txt', 'changed');
    expect((await t.graph('DELETE', `/drives/${driveId}/items/${b.id}`)).status).toBe(204);
    const round2 = await followPages(t, initial.deltaLink!);
    const ids = round2.items.map((i) => i.id);
    expect(ids.filter((id) => id === a.id)).toHaveLength(1);
    const aNow = round2.items.find((i) => i.id === a.id);
    expect(aNow).toMatchObject({
      name: 'a-renamed.txt',
      size: 7,
      parentReference: { id: folder.body.id, driveId },
    });
    expect(round2.items.find((i) => i.id === b.id)).toMatchObject({
      id: b.id,
      deleted: { state: 'deleted' },
    });
    expect(round2.items.find((i) => i.id === b.id).name).toBeUndefined();
    // Deleting a folder reports every item below it.
    await t.graph('DELETE', `/drives/${driveId}/items/${folder.body.id}`);
    const round3 = await followPages(t, round2.deltaLink!);
    expect(
      round3.items
        .filter((i) => i.deleted)
        .map((i) => i.id)
        .sort(),
    ).toEqual([a.id, folder.body.id].sort());
    const latest = await t.graph('GET', `/drives/${driveId}/root/delta?token=latest`);
    expect(latest.body.value).toEqual([]);
    expect(latest.body['@odata.deltaLink']).toMatch(/\/root\/delta\?token=/);
  });

  it('answers an expired drive delta token with 410 resyncRequired and a Location that re-enumerates', async () => {
    const { deltaLink, items } = await followPages(t, `/drives/${driveId}/root/delta`);
    await t.sim.control.expireDelta(t.tenantId, { kind: 'drive', driveId });
    const gone = await t.graph('GET', deltaLink!);
    expect([gone.status, gone.body.error.code]).toEqual([410, 'resyncRequired']);
    const again = await followPages(t, gone.headers.get('location')!);
    expect(again.items.map((i) => i.id).sort()).toEqual(items.map((i) => i.id).sort());
  });

  it('uploads in sessions with the fragment rules and commits the exact bytes', async () => {
    const total = 2 * unit + 1000;
    const bytes = Buffer.alloc(total);
    for (let i = 0; i < total; i++) bytes[i] = (i * 31) % 251;
    const session = await t.graph('POST', `/drives/${driveId}/root:/Big/large.bin:/createUploadSession`, {
      body: { item: { '@microsoft.graph.conflictBehavior': 'replace' } },
    });
    expect(session.status).toBe(200);
    const url: string = session.body.uploadUrl;
    expect(session.body.nextExpectedRanges).toEqual(['0-']);
    const notMultiple = await fragment(url, bytes.subarray(0, 1000), 0, total);
    expect(notMultiple.status).toBe(400);
    const withAuth = await fragment(url, bytes.subarray(0, unit), 0, total, {
      authorization: `Bearer ${await t.token()}`,
    });
    expect(withAuth.status).toBe(401);
    const one = await fragment(url, bytes.subarray(0, unit), 0, total);
    expect(one.status).toBe(202);
    expect(((await one.json()) as { nextExpectedRanges: string[] }).nextExpectedRanges).toEqual([
      `${unit}-${total - 1}`,
    ]);
    expect((await fragment(url, bytes.subarray(0, unit), 0, total)).status).toBe(416);
    expect((await fragment(url, bytes.subarray(2 * unit), 2 * unit, total)).status).toBe(416);
    expect((await fragment(url, bytes.subarray(unit, 2 * unit), unit, total + 1)).status).toBe(400);
    const status = (await (await fetch(url)).json()) as { nextExpectedRanges: string[] };
    expect(status.nextExpectedRanges).toEqual([`${unit}-${total - 1}`]);
    expect((await fragment(url, bytes.subarray(unit, 2 * unit), unit, total)).status).toBe(202);
    const done = await fragment(url, bytes.subarray(2 * unit), 2 * unit, total);
    expect(done.status).toBe(201);
    const item = (await done.json()) as {
      id: string;
      size: number;
      file: { hashes: { quickXorHash: string } };
    };
    expect(item.size).toBe(total);
    expect(item.file.hashes.quickXorHash).toBe(quickXorHash(bytes));
    expect(await t.sim.control.fileContent(t.tenantId, driveId, 'Big/large.bin')).toEqual(bytes);
    // The session is gone once committed.
    expect((await fetch(url)).status).toBe(404);
  });

  it('cancels sessions, expires them, and refuses a commit over an existing name with conflictBehavior fail', async () => {
    const create = async (name: string, behavior = 'fail') =>
      (
        await t.graph('POST', `/drives/${driveId}/root:/${name}:/createUploadSession`, {
          body: { item: { '@microsoft.graph.conflictBehavior': behavior } },
        })
      ).body.uploadUrl as string;
    const cancelled = await create('cancel.bin');
    expect((await fetch(cancelled, { method: 'DELETE' })).status).toBe(204);
    expect((await fragment(cancelled, Buffer.alloc(10), 0, 10)).status).toBe(404);
    const expiring = await create('expire.bin');
    await t.sim.control.advanceClock(8 * 24 * 3600_000);
    const expired = await fragment(expiring, Buffer.alloc(10), 0, 10);
    await t.sim.control.advanceClock(-8 * 24 * 3600_000);
    expect(expired.status).toBe(404);
    await put('exists.txt', 'x');
    const clash = await create('exists.txt');
    const response = await fragment(clash, Buffer.from('new'), 0, 3);
    expect(response.status).toBe(409);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe('nameAlreadyExists');
    const renamed = await fragment(await create('exists.txt', 'rename'), Buffer.from('new'), 0, 3);
    expect(((await renamed.json()) as { name: string }).name).toBe('exists 1.txt');
  });

  it('moves items between folders with PATCH parentReference and refuses name clashes', async () => {
    const target = (
      await t.graph('POST', `/drives/${driveId}/root/children`, { body: { name: 'Target', folder: {} } })
    ).body;
    const file = (await put('moving.txt', 'm')).body;
    const moved = await t.graph('PATCH', `/drives/${driveId}/items/${file.id}`, {
      body: { parentReference: { id: target.id } },
    });
    expect(moved.body.parentReference).toMatchObject({
      id: target.id,
      path: `/drives/${driveId}/root:/Target`,
    });
    await put('Target/other.txt', 'o');
    const clash = await t.graph('PATCH', `/drives/${driveId}/items/${file.id}`, {
      body: { name: 'other.txt' },
    });
    expect([clash.status, clash.body.error.code]).toEqual([409, 'nameAlreadyExists']);
    const dup = await t.graph('POST', `/drives/${driveId}/root/children`, {
      body: { name: 'Target', folder: {} },
    });
    expect(dup.status).toBe(409);
    const children = await followPages(t, `/drives/${driveId}/items/${target.id}/children?$top=1`);
    expect(children.items.map((c) => c.name)).toEqual(['moving.txt', 'other.txt']);
  });
});
