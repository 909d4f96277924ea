import { createHash } from 'node:crypto';
import { AppError } from '../errors/app-error';
import type { ChunkPlacement } from '../repository';
import type { RestoreItem } from './restore-context';

/** Items above this size stream in many requests (upload sessions); they are started first. */
export const LARGE_ITEM_BYTES = 4 * 1024 * 1024;

/**
 * The order a slice restores its items in: folders first, in the snapshot's order (parents before
 * children); then large items (over 4 MiB), largest first: each streams through many sequential
 * requests, so one started last would keep the restore waiting on it alone at the end; then the
 * rest in the order it is stored (pack, then offset of the first chunk). A snapshot's tree order
 * (by name) has nothing to do with where the backup stored the items, so restoring in it made
 * consecutive reads fetch scattered pack segments; in stored order neighbouring items come from
 * the same segment. Items whose first chunk the source cannot place (an import's zip, or a chunk
 * missing from the index: reading it reports the error) keep the snapshot's order, after the
 * placed ones. Returns indexes into `items`.
 */
export function restoreOrder(
  items: readonly RestoreItem[],
  locate: ((chunkId: string) => ChunkPlacement | undefined) | undefined,
): number[] {
  const placement = items.map(({ entry }) => {
    const first = entry.content?.chunks[0];
    return first === undefined || !locate ? undefined : locate(first);
  });
  const folders: number[] = [];
  const large: number[] = [];
  const content: number[] = [];
  items.forEach((item, index) => {
    if (item.entry.kind === 'folder') folders.push(index);
    else if ((item.entry.content?.size ?? 0) > LARGE_ITEM_BYTES) large.push(index);
    else content.push(index);
  });
  const size = (index: number) => items[index]!.entry.content?.size ?? 0;
  large.sort((a, b) => size(b) - size(a) || a - b);
  content.sort((a, b) => {
    const pa = placement[a];
    const pb = placement[b];
    if (!pa || !pb) return pa ? -1 : pb ? 1 : a - b;
    if (pa.packId !== pb.packId) return pa.packId < pb.packId ? -1 : 1;
    return pa.offset - pb.offset || a - b;
  });
  return [...folders, ...large, ...content];
}

/**
 * The items of a restore that are finished (restored, skipped or failed), kept in its checkpoint.
 * An item is named by its index in the snapshot's canonical walk within the job's scope: a
 * snapshot's trees are immutable and the scope is fixed when the job is created, so that index is
 * the item's identity for the job's whole life, whatever order the restore takes items in (stored
 * order, which a repack can change between slices). One bit per item, so the checkpoint stays
 * small (12.5 KB for 100,000 items) however the finished ones are scattered. A digest of the
 * items' keys guards against the walk ever differing from the one the bits were written for:
 * restoring twice is worse than stopping.
 */
export class FinishedItems {
  private constructor(
    private readonly bits: Buffer,
    readonly count: number,
    readonly digest: string,
  ) {}

  /** The items' digest: their keys (path and source id) in the snapshot's order. */
  static digestOf(items: readonly RestoreItem[]): string {
    const hash = createHash('sha256');
    for (const item of items) hash.update(item.key).update('\u0000');
    return hash.digest('base64url').slice(0, 22);
  }

  /**
   * What a checkpoint says is finished. A checkpoint written before this format (`next`: every
   * index before it, `done`: the few after it) named items by the same walk index.
   */
  static fromCheckpoint(
    checkpoint: { finished?: FinishedItemsState; next?: number; done?: number[] },
    items: readonly RestoreItem[],
  ): FinishedItems {
    const digest = FinishedItems.digestOf(items);
    const bits = Buffer.alloc(Math.ceil(items.length / 8));
    const state = checkpoint.finished;
    if (state) {
      if (state.items !== items.length || state.digest !== digest)
        throw new AppError(
          'permanent',
          `the restore's items differ from those its checkpoint was written for (${state.items} then, ${items.length} now): stopped so that nothing is restored twice`,
        );
      const saved = Buffer.from(state.bits, 'base64');
      if (saved.length !== bits.length)
        throw new AppError(
          'permanent',
          'the restore checkpoint is damaged: its item bits have the wrong length',
        );
      saved.copy(bits);
    }
    const finished = new FinishedItems(bits, items.length, digest);
    for (let index = 0; index < Math.min(checkpoint.next ?? 0, items.length); index++) finished.add(index);
    for (const index of checkpoint.done ?? []) if (index < items.length) finished.add(index);
    return finished;
  }

  has(index: number): boolean {
    return (this.bits[index >> 3]! & (1 << (index & 7))) !== 0;
  }

  add(index: number): void {
    if (!Number.isInteger(index) || index < 0 || index >= this.count)
      throw new AppError('invalid', `item ${index} is not one of this restore's ${this.count} items`);
    this.bits[index >> 3]! |= 1 << (index & 7);
  }

  /** The checkpoint's record of them (a copy: later additions do not change it). */
  state(): FinishedItemsState {
    return { items: this.count, digest: this.digest, bits: this.bits.toString('base64') };
  }
}

/** Finished items as stored in the checkpoint: a bitmap over the snapshot's walk, base64. */
export interface FinishedItemsState {
  items: number;
  digest: string;
  bits: string;
}
