import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sampleMail } from '../../../shared/repository/sample-mail';
import type { Repository, TreeEntry } from '../../../shared/repository';
import { newTenantId, readAll, startRepositoryFixture, type RepositoryFixture } from './helpers';

async function message(repo: Repository, n: number): Promise<TreeEntry> {
  return {
    name: `Message ${n}`,
    kind: 'message',
    itemId: `AAMk-${n}`,
    metadata: {
      subject: `Message ${n}`,
      from: 'adele@contoso.com',
      receivedDateTime: '2026-05-01T10:00:00Z',
      isRead: n % 2 === 0,
    },
    content: await repo.putBuffer(sampleMail(n)),
  };
}

async function snapshot(repo: Repository, inbox: number[]): Promise<string> {
  const builder = repo.treeBuilder();
  builder.folder(['Inbox'], { itemId: 'inbox-id', metadata: { wellKnownName: 'inbox' } });
  for (const n of inbox) builder.add(['Inbox'], await message(repo, n));
  for (const n of [100, 101]) builder.add(['Archive', '2025'], await message(repo, n));
  builder.add(['Documents'], {
    name: 'notes.txt',
    kind: 'file',
    itemId: 'file-1',
    content: await repo.putBuffer(Buffer.from('notes')),
  });
  const root = await builder.finish();
  await repo.flush();
  return root;
}

describe('repository trees against Azurite', () => {
  let fixture: RepositoryFixture;
  beforeAll(async () => {
    fixture = await startRepositoryFixture();
  });
  afterAll(async () => {
    await fixture?.stop();
  });

  it('lists folders and walks a snapshot, reading items back', async () => {
    const repo = await fixture.open(newTenantId());
    const root = await snapshot(repo, [1, 2, 3]);
    const top = await repo.listFolder(root);
    expect(top.map((e) => [e.name, e.kind])).toEqual([
      ['Archive', 'folder'],
      ['Documents', 'folder'],
      ['Inbox', 'folder'],
    ]);
    expect(top.find((e) => e.name === 'Inbox')).toMatchObject({
      itemId: 'inbox-id',
      metadata: { wellKnownName: 'inbox' },
    });
    const archived = await repo.listFolder(root, ['Archive', '2025']);
    expect(archived.map((e) => e.name)).toEqual(['Message 100', 'Message 101']);
    expect(archived[0]!.metadata).toMatchObject({ from: 'adele@contoso.com' });
    expect((await readAll(repo.readContent(archived[1]!.content!))).equals(sampleMail(101))).toBe(true);
    await expect(repo.listFolder(root, ['Outbox'])).rejects.toMatchObject({ code: 'not-found' });

    const walked: string[] = [];
    for await (const { path, entry } of repo.walk(root)) walked.push([...path, entry.name].join('/'));
    expect(walked).toEqual([
      'Archive',
      'Archive/2025',
      'Archive/2025/Message 100',
      'Archive/2025/Message 101',
      'Documents',
      'Documents/notes.txt',
      'Inbox',
      'Inbox/Message 1',
      'Inbox/Message 2',
      'Inbox/Message 3',
    ]);
    const report = await repo.verify(root, { readData: true });
    expect(report).toMatchObject({ trees: 5, items: 6, problems: [] });
  });

  it('gives an unchanged folder the same tree id, so the next snapshot stores only what changed', async () => {
    const tenantId = newTenantId();
    const first = await fixture.open(tenantId);
    const root1 = await snapshot(first, [1, 2, 3]);

    const second = await fixture.open(tenantId);
    const root2 = await snapshot(second, [1, 2, 3, 4]);
    const folders = async (root: string) =>
      Object.fromEntries((await second.listFolder(root)).map((e) => [e.name, e.subtree]));
    const [before, after] = [await folders(root1), await folders(root2)];
    expect(after.Archive).toBe(before.Archive);
    expect(after.Documents).toBe(before.Documents);
    expect(after.Inbox).not.toBe(before.Inbox);
    // New: one message and two trees (Inbox, root). Archive, 2025 and Documents cost nothing.
    expect(second.stats().newChunks).toBe(3);

    // Reusing the unchanged folders by id gives the very same snapshot.
    const third = await fixture.open(tenantId);
    const builder = third.treeBuilder();
    builder.folder(['Inbox'], { itemId: 'inbox-id', metadata: { wellKnownName: 'inbox' } });
    for (const n of [4, 3, 2, 1]) builder.add(['Inbox'], await message(third, n));
    builder.reuseFolder(['Archive'], before.Archive!).reuseFolder(['Documents'], before.Documents!);
    expect(await builder.finish()).toBe(root2);
    expect((await third.verify(root1, { readData: true })).problems).toEqual([]);
  });
});
