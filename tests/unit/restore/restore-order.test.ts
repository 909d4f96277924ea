import { describe, expect, it } from 'vitest';
import type { ChunkPlacement, TreeEntry } from '../../../shared/repository';
import type { RestoreItem } from '../../../shared/restore/restore-context';
import { FinishedItems, restoreOrder } from '../../../shared/restore/restore-order';

function item(path: string[], name: string, kind: TreeEntry['kind'], chunk?: string, size = 10): RestoreItem {
  const entry: TreeEntry = {
    name,
    kind,
    itemId: `${name}-id`,
    ...(chunk ? { content: { size, chunks: [chunk], sha256: 'x' } } : {}),
  };
  return { path, entry, key: `${[...path, name].join('/')}#${entry.itemId}` };
}

const place = (packId: string, offset: number): ChunkPlacement => ({
  packId,
  offset,
  rawLength: 10,
  compressed: true,
});

describe('restore order', () => {
  // The snapshot's order (by name) and where the backup stored each item have nothing in common.
  const items = [
    item([], 'Docs', 'folder'),
    item(['Docs'], 'a.txt', 'file', 'c-a'),
    item(['Docs'], 'b.txt', 'file', 'c-b'),
    item(['Docs'], 'Old', 'folder'),
    item(['Docs', 'Old'], 'c.txt', 'file', 'c-c'),
    item(['Docs'], 'z.txt', 'file', 'c-z'),
    item(['Docs'], 'big.iso', 'file', 'c-big', 40 * 1024 * 1024),
    item(['Docs'], 'mid.mp4', 'file', 'c-mid', 5 * 1024 * 1024),
  ];
  const stored: Record<string, ChunkPlacement> = {
    'c-a': place('p2', 0),
    'c-b': place('p1', 500),
    'c-c': place('p1', 100),
    'c-big': place('p3', 0),
    'c-mid': place('p0', 0),
  };

  it('takes folders first, parents before children, then large files largest first, then the rest in the order they are stored', () => {
    const order = restoreOrder(items, (id) => stored[id]);
    expect(order.map((i) => items[i]!.entry.name)).toEqual([
      'Docs',
      'Old',
      'big.iso',
      'mid.mp4',
      'c.txt',
      'b.txt',
      'a.txt',
      'z.txt',
    ]);
  });

  it("keeps the snapshot's order when the source cannot say where content is stored (an import's zip)", () => {
    const order = restoreOrder(items, undefined);
    expect(order.map((i) => items[i]!.entry.name)).toEqual([
      'Docs',
      'Old',
      'big.iso',
      'mid.mp4',
      'a.txt',
      'b.txt',
      'c.txt',
      'z.txt',
    ]);
  });
});

describe('finished items of a restore', () => {
  const items = Array.from({ length: 21 }, (_, i) => item(['Inbox'], `m${i}`, 'message', `c${i}`));

  it('come back from the checkpoint exactly as they were written, in any order of completion', () => {
    const finished = FinishedItems.fromCheckpoint({}, items);
    for (const index of [20, 3, 7, 0]) finished.add(index);
    const again = FinishedItems.fromCheckpoint({ finished: finished.state() }, items);
    expect(items.map((_, i) => again.has(i))).toEqual(items.map((_, i) => [0, 3, 7, 20].includes(i)));
  });

  it('read a checkpoint written before (every item before `next`, and those in `done`)', () => {
    const finished = FinishedItems.fromCheckpoint({ next: 5, done: [9] }, items);
    expect(items.map((_, i) => finished.has(i))).toEqual(items.map((_, i) => i < 5 || i === 9));
  });

  it('refuse a checkpoint written for other items rather than restore anything twice', () => {
    const finished = FinishedItems.fromCheckpoint({}, items);
    finished.add(1);
    const renamed = items.map((it, i) => (i === 4 ? item(['Inbox'], 'other', 'message', 'cx') : it));
    expect(() => FinishedItems.fromCheckpoint({ finished: finished.state() }, renamed)).toThrow(
      /differ from those its checkpoint was written for/,
    );
    expect(() => FinishedItems.fromCheckpoint({ finished: finished.state() }, items.slice(1))).toThrow(
      /20 now/,
    );
  });
});
