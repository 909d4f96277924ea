import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeItemId } from '../../../shared/api/endpoints/snapshots';
import type { SnapshotRecord } from '../../../shared/backup/snapshot-record';
import { SnapshotReader } from '../../../shared/backup/snapshot-reader';
import type { Repository } from '../../../shared/repository';
import { ApiHarness, TENANT_A } from './harness';

const FOLDERS = 40;
/** Folder names long enough that an id carrying the path would pass 1024 characters. */
const DEEP = Array.from({ length: 8 }, (_, i) => `Level ${i} ${'x'.repeat(90)}`);

/**
 * Item ids carry the folder that holds the item, so GET /snapshots/{id}/items/{itemId} and its
 * content read that folder's trees, not the whole snapshot; old ids (source id only) still work.
 */
describe('snapshot item ids with a folder hint', () => {
  let h: ApiHarness;
  let admin: string;
  let snapshot: SnapshotRecord;
  const treeReads = { count: 0 };
  let countingReader: SnapshotReader;

  beforeAll(async () => {
    h = await ApiHarness.start();
    await h.seedTenant(TENANT_A);
    const resource = await h.seedResource(TENANT_A, 'mailbox', 'big');
    const repository = await h.repositoryFor(TENANT_A);
    const builder = repository.treeBuilder();
    for (let f = 0; f < FOLDERS; f++) {
      for (let m = 0; m < 5; m++) {
        builder.add([`Folder ${f}`], {
          name: `message-${f}-${m}`,
          kind: 'message',
          itemId: `msg-${f}-${m}`,
          metadata: { subject: `Subject ${f}/${m}` },
          content: await repository.putBuffer(Buffer.from(`Subject: ${f}/${m}\r\n\r\nbody ${f}/${m}\r\n`)),
        });
      }
    }
    builder.add(['Inbox', 'Projects', '2026'], {
      name: 'Budget.eml',
      kind: 'message',
      itemId: 'AAMkAD/budget+1=',
      metadata: { subject: 'Budget 2026' },
      content: await repository.putBuffer(Buffer.from('Subject: Budget 2026\r\n\r\nThe numbers.\r\n')),
    });
    builder.add(DEEP, {
      name: 'deep.txt',
      kind: 'file',
      itemId: 'deep-1',
      content: await repository.putBuffer(Buffer.from('deep down')),
    });
    const root = await builder.finish();
    await repository.flush();
    const now = new Date();
    snapshot = {
      snapshotId: h.runtime.deps.snapshots.newSnapshotId(TENANT_A, resource.resourceId, now),
      tenantId: TENANT_A,
      resourceId: resource.resourceId,
      status: 'completed',
      reason: 'schedule',
      runId: 'run-1',
      startedAt: now.toISOString(),
      updatedAt: now.toISOString(),
      finishedAt: now.toISOString(),
      items: FOLDERS * 5 + 2,
      logicalBytes: 1000,
      storedBytes: 1000,
      added: 0,
      changed: 0,
      removed: 0,
      skippedCount: 0,
      skipped: [],
      processedItems: 0,
      slices: 1,
      graphRequests: 0,
      throttledRequests: 0,
      manifestRoot: root,
    };
    await h.runtime.deps.snapshots.put(snapshot);
    admin = await h.token({ tenantId: TENANT_A, roles: ['Backup.Admin'] });
    // The same reader as the API's, over a repository that counts the folder trees it reads.
    const counting = new Proxy(repository, {
      get(target, key, receiver) {
        if (key === 'readTree') {
          return (treeId: string) => {
            treeReads.count++;
            return target.readTree(treeId);
          };
        }
        return Reflect.get(target, key, receiver) as unknown;
      },
    }) as Repository;
    countingReader = new SnapshotReader(h.runtime.deps.snapshots, () => Promise.resolve(counting));
  }, 60_000);
  afterAll(async () => {
    await h?.stop();
  });

  async function browse(path: string) {
    const page = await h.call('listSnapshotItems', {
      token: admin,
      params: { id: snapshot.snapshotId },
      query: { path },
    });
    expect(page.status).toBe(200);
    return page.json.items as { id: string; name: string; path: string }[];
  }

  it('an id from browse gets the item and its content, reading only its folder chain', async () => {
    const [budget] = await browse('Inbox/Projects/2026');
    expect(budget!.name).toBe('Budget.eml');
    const item = await h.call('getSnapshotItem', {
      token: admin,
      params: { id: snapshot.snapshotId, itemId: budget!.id },
    });
    expect(item.status).toBe(200);
    expect(item.json).toMatchObject({ id: budget!.id, name: 'Budget.eml', path: 'Inbox/Projects/2026' });
    const content = await h.call('downloadSnapshotItem', {
      token: admin,
      params: { id: snapshot.snapshotId, itemId: budget!.id },
    });
    expect(content.status).toBe(200);
    expect(content.text).toContain('The numbers.');

    treeReads.count = 0;
    const found = await countingReader.findItem(TENANT_A, snapshot.snapshotId, 'AAMkAD/budget+1=', [
      'Inbox',
      'Projects',
      '2026',
    ]);
    expect(found.item.name).toBe('Budget.eml');
    expect(treeReads.count).toBe(4); // root, Inbox, Projects, 2026 — not the 40 other folders

    treeReads.count = 0;
    await countingReader.findItem(TENANT_A, snapshot.snapshotId, 'AAMkAD/budget+1=');
    expect(treeReads.count).toBeGreaterThan(FOLDERS);
  });

  it('ids from search carry the folder too', async () => {
    const search = await h.call('listSnapshotItems', {
      token: admin,
      params: { id: snapshot.snapshotId },
      query: { q: 'Subject 17/3' },
    });
    const [hit] = search.json.items as { id: string }[];
    const item = await h.call('getSnapshotItem', {
      token: admin,
      params: { id: snapshot.snapshotId, itemId: hit!.id },
    });
    expect(item.json).toMatchObject({ name: 'message-17-3', path: 'Folder 17' });
  });

  it('an old id (the source id only) still works', async () => {
    const item = await h.call('getSnapshotItem', {
      token: admin,
      params: { id: snapshot.snapshotId, itemId: encodeItemId('AAMkAD/budget+1=') },
    });
    expect(item.status).toBe(200);
    expect(item.json.path).toBe('Inbox/Projects/2026');
  });

  it('an edited folder finds nothing (404); a malformed id is refused (400)', async () => {
    const moved = encodeItemId('AAMkAD/budget+1=', ['Folder 3']);
    const wrongFolder = await h.call('getSnapshotItem', {
      token: admin,
      params: { id: snapshot.snapshotId, itemId: moved },
    });
    expect(wrongFolder.status).toBe(404);
    expect(wrongFolder.json.detail).toBe('item not found in this snapshot');
    const noFolder = await h.call('downloadSnapshotItem', {
      token: admin,
      params: { id: snapshot.snapshotId, itemId: encodeItemId('AAMkAD/budget+1=', ['Nowhere', 'At all']) },
    });
    expect(noFolder.status).toBe(404);

    const malformed = Buffer.concat([Buffer.of(0), Buffer.from('{"not":"an id"}')]).toString('base64url');
    const refused = await h.call('getSnapshotItem', {
      token: admin,
      params: { id: snapshot.snapshotId, itemId: malformed },
    });
    expect(refused.status).toBe(400);
    expect(refused.headers['content-type']).toBe('application/problem+json');
    expect(refused.json.errors).toEqual([
      { field: 'params.itemId', message: 'not an item id from this API' },
    ]);
  });

  it('an item in folders too deep for the hint gets a plain id, which still works', async () => {
    const path = DEEP.join('/');
    const [deep] = await browse(path);
    expect(deep!.id).toBe(encodeItemId('deep-1'));
    const content = await h.call('downloadSnapshotItem', {
      token: admin,
      params: { id: snapshot.snapshotId, itemId: deep!.id },
    });
    expect(content.text).toBe('deep down');
  });
});
