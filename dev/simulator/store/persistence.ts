/**
 * Persistence under the data directory: one JSON snapshot of the state (generated content is
 * referenced by seed, so it stays small) plus subscriptions, written shortly after each change and
 * at stop; uploaded bytes live in `blobs/` beside it.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SubscriptionRec } from '../notifications/subscriptions';
import type { SimStateData } from './model';

export interface Snapshot {
  data: SimStateData;
  subscriptions: SubscriptionRec[];
}

export function loadSnapshot(dataDir: string): Snapshot | undefined {
  const path = join(dataDir, 'state.json');
  if (!existsSync(path)) return undefined;
  return JSON.parse(readFileSync(path, 'utf8')) as Snapshot;
}

export function saveSnapshot(dataDir: string, snapshot: Snapshot): void {
  const path = join(dataDir, 'state.json');
  writeFileSync(path + '.tmp', JSON.stringify(snapshot));
  renameSync(path + '.tmp', path);
}

/** Calls `save` at most once per `delayMs` after changes; `flush` saves now if anything changed. */
export class DebouncedSaver {
  private timer: NodeJS.Timeout | undefined;
  private dirty = false;

  constructor(
    private readonly save: () => void,
    private readonly delayMs = 1000,
  ) {}

  markDirty(): void {
    this.dirty = true;
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.flush();
    }, this.delayMs);
    this.timer.unref();
  }

  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (!this.dirty) return;
    this.dirty = false;
    this.save();
  }
}
