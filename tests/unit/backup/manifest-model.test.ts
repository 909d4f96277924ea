import { beforeEach, describe, expect, it } from 'vitest';
import {
  buildManifest,
  loadPreviousManifest,
  type FolderNode,
  type ItemEntry,
  type ManifestChanges,
} from '../../../shared/backup/manifest-model';
import { LocalMasterKey, MemoryBlobStore, openRepository, type Repository } from '../../../shared/repository';

const folders: FolderNode[] = [
  { id: 'inbox', parentId: null, name: 'Inbox' },
  { id: 'projects', parentId: 'inbox', name: 'Projects' },
  { id: 'q3', parentId: 'projects', name: 'Q3' },
  { id: 'sent', parentId: null, name: 'Sent Items' },
];

async function message(
  repository: Repository,
  id: string,
  folderId: string,
  subject: string,
): Promise<ItemEntry> {
  const content = await repository.putBuffer(Buffer.from(`Subject: ${subject}\r\n\r\nbody of ${id}`));
  return {
    folderId,
    entry: { name: id, kind: 'message', itemId: id, metadata: { subject, isRead: false }, content },
  };
}

function changes(partial: Partial<ManifestChanges>): ManifestChanges {
  return {
    folders,
    upserts: new Map(),
    removed: new Set(),
    completeFolders: new Set(),
    ...partial,
  };
}

describe('manifest model', () => {
  let repository: Repository;
  beforeEach(async () => {
    repository = await openRepository({
      store: new MemoryBlobStore(),
      tenantId: 'tenant-1',
      masterKey: new LocalMasterKey(Buffer.alloc(32, 9)),
    });
  });

  async function firstSnapshot() {
    const upserts = new Map<string, ItemEntry>();
    upserts.set('m1', await message(repository, 'm1', 'inbox', 'Hello'));
    upserts.set('m2', await message(repository, 'm2', 'q3', 'Budget'));
    upserts.set('m3', await message(repository, 'm3', 'sent', 'Re: Hello'));
    const built = await buildManifest(
      repository,
      undefined,
      changes({ upserts, completeFolders: new Set(folders.map((f) => f.id)) }),
    );
    return built;
  }

  it('builds nested folder trees from a flat folder list, and reads them back', async () => {
    const built = await firstSnapshot();
    expect(built).toMatchObject({ items: 3, added: 3, changed: 0, removed: 0 });
    const q3 = await repository.listFolder(built.root, ['Inbox', 'Projects', 'Q3']);
    expect(q3.map((e) => e.metadata?.subject)).toEqual(['Budget']);
    const previous = await loadPreviousManifest(repository, built.root);
    expect([...previous.items.keys()].sort()).toEqual(['m1', 'm2', 'm3']);
    expect(previous.items.get('m2')?.folderId).toBe('q3');
    expect(previous.folders.get('q3')?.node.parentId).toBe('projects');
  });

  it('gives an unchanged resource the same root and rewrites no tree', async () => {
    const first = await firstSnapshot();
    await repository.flush();
    const previous = await loadPreviousManifest(repository, first.root);
    const treesBefore = repository.stats().newChunks;
    const second = await buildManifest(repository, previous, changes({}));
    expect(second.root).toBe(first.root);
    expect(second).toMatchObject({ items: 3, added: 0, changed: 0, removed: 0 });
    expect(repository.stats().newChunks).toBe(treesBefore);
  });

  it('applies a move, a read-state change, a deletion and a new message, keeping content references', async () => {
    const first = await firstSnapshot();
    const previous = await loadPreviousManifest(repository, first.root);
    const moved = previous.items.get('m1')!;
    const upserts = new Map<string, ItemEntry>([
      ['m1', { folderId: 'projects', entry: moved.entry }],
      [
        'm3',
        {
          folderId: 'sent',
          entry: { ...previous.items.get('m3')!.entry, metadata: { subject: 'Re: Hello', isRead: true } },
        },
      ],
      ['m4', await message(repository, 'm4', 'inbox', 'New')],
    ]);
    const second = await buildManifest(repository, previous, changes({ upserts, removed: new Set(['m2']) }));
    expect(second).toMatchObject({ items: 3, added: 1, changed: 2, removed: 1 });
    const projects = await repository.listFolder(second.root, ['Inbox', 'Projects']);
    const m1 = projects.find((e) => e.itemId === 'm1');
    expect(m1?.content).toEqual(moved.entry.content);
    expect(await repository.listFolder(second.root, ['Inbox', 'Projects', 'Q3'])).toEqual([]);
    const sent = await repository.listFolder(second.root, ['Sent Items']);
    expect(sent[0]?.metadata).toEqual({ subject: 'Re: Hello', isRead: true });
  });

  it('drops items of a fully re-enumerated folder that were not seen again (resync), and of removed folders', async () => {
    const first = await firstSnapshot();
    const previous = await loadPreviousManifest(repository, first.root);
    const seen = new Map<string, ItemEntry>([['m3', previous.items.get('m3')!]]);
    const withoutQ3 = folders.filter((f) => f.id !== 'q3');
    const second = await buildManifest(
      repository,
      previous,
      changes({ folders: withoutQ3, upserts: new Map(), completeFolders: new Set(['inbox']) }),
    );
    expect(second).toMatchObject({ items: 1, removed: 2 });
    const third = await buildManifest(
      repository,
      previous,
      changes({ upserts: seen, completeFolders: new Set(['sent']) }),
    );
    expect(third).toMatchObject({ items: 3, added: 0, changed: 0, removed: 0 });
    expect(third.root).toBe(first.root);
  });

  it('renaming a folder keeps its items and their content', async () => {
    const first = await firstSnapshot();
    const previous = await loadPreviousManifest(repository, first.root);
    const renamed = folders.map((f) => (f.id === 'projects' ? { ...f, name: 'Projekte' } : f));
    const second = await buildManifest(repository, previous, changes({ folders: renamed }));
    const q3 = await repository.listFolder(second.root, ['Inbox', 'Projekte', 'Q3']);
    expect(q3.map((e) => e.itemId)).toEqual(['m2']);
    expect(second).toMatchObject({ items: 3, added: 0, changed: 0, removed: 0 });
  });
});
