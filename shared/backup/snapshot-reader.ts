import type { Readable } from 'node:stream';
import { AppError } from '../errors/app-error';
import type { Repository, TreeEntry } from '../repository';
import type { SnapshotRecord } from './snapshot-record';
import type { SnapshotStore } from './snapshot-store';

/** An entry as browse and search show it. */
export interface SnapshotItem {
  /** Folder path inside the resource, names from the root. */
  path: string[];
  name: string;
  kind: TreeEntry['kind'];
  itemId: string | null;
  size: number | null;
  metadata: Record<string, unknown>;
}

export interface SearchQuery {
  /** Matches the name, subject, sender and attachment names (case-insensitive). */
  text?: string;
  /** Sender (name or address) contains. */
  sender?: string;
  /** ISO dates bounding the item's received/modified time. */
  from?: string;
  to?: string;
  limit?: number;
}

/**
 * The read path over committed snapshots: browse folders, search items, read an item's bytes.
 * Restore and export use the same path.
 */
export class SnapshotReader {
  constructor(
    private readonly snapshots: SnapshotStore,
    private readonly repositoryFor: (tenantId: string) => Promise<Repository>,
  ) {}

  /** A committed snapshot of the tenant (another tenant's id answers not-found, like a missing one). */
  async open(
    tenantId: string,
    snapshotId: string,
  ): Promise<{ record: SnapshotRecord; repository: Repository; root: string }> {
    const record = await this.snapshots.get(snapshotId);
    if (record.tenantId !== tenantId) throw new AppError('not-found', 'snapshot not found');
    if (!record.manifestRoot) {
      throw new AppError('conflict', `snapshot is ${record.status}: it has no content to browse`);
    }
    return { record, repository: await this.repositoryFor(tenantId), root: record.manifestRoot };
  }

  async listFolder(tenantId: string, snapshotId: string, path: string[]): Promise<SnapshotItem[]> {
    const { repository, root } = await this.open(tenantId, snapshotId);
    const entries = await repository.listFolder(root, path);
    return entries.map((entry) => toItem(path, entry));
  }

  async search(tenantId: string, snapshotId: string, query: SearchQuery): Promise<SnapshotItem[]> {
    const { repository, root } = await this.open(tenantId, snapshotId);
    const limit = query.limit ?? 200;
    const results: SnapshotItem[] = [];
    for await (const { path, entry } of repository.walk(root)) {
      if (entry.kind === 'folder') continue;
      const item = toItem(path, entry);
      if (matches(item, query)) {
        results.push(item);
        if (results.length >= limit) break;
      }
    }
    return results;
  }

  /**
   * Finds an item by its source id. With `folder` (the path of the folder holding it, as browse
   * and search report it) only that folder's chain of trees is read, from the snapshot's own root,
   * so a wrong or edited path cannot reach outside this snapshot: it is simply not found. Without
   * it (ids from before the hint) the whole snapshot is walked.
   */
  async findItem(
    tenantId: string,
    snapshotId: string,
    itemId: string,
    folder?: readonly string[],
  ): Promise<{ item: SnapshotItem; entry: TreeEntry }> {
    const { repository, root } = await this.open(tenantId, snapshotId);
    if (folder) {
      const entries = await repository.listFolder(root, folder).catch((error: unknown) => {
        if (error instanceof AppError && error.code === 'not-found') return [];
        throw error;
      });
      const entry = entries.find((e) => e.itemId === itemId && e.kind !== 'folder');
      if (entry) return { item: toItem([...folder], entry), entry };
    } else {
      for await (const { path, entry } of repository.walk(root)) {
        if (entry.itemId === itemId && entry.kind !== 'folder') return { item: toItem(path, entry), entry };
      }
    }
    throw new AppError('not-found', 'item not found in this snapshot');
  }

  async readItem(
    tenantId: string,
    snapshotId: string,
    itemId: string,
    folder?: readonly string[],
  ): Promise<{ item: SnapshotItem; content: Readable }> {
    const { item, entry } = await this.findItem(tenantId, snapshotId, itemId, folder);
    if (!entry.content) throw new AppError('not-found', 'this item has no content');
    const repository = await this.repositoryFor(tenantId);
    return { item, content: repository.readContent(entry.content) };
  }
}

function toItem(path: string[], entry: TreeEntry): SnapshotItem {
  return {
    path,
    name: entry.name,
    kind: entry.kind,
    itemId: entry.itemId ?? null,
    size: entry.content?.size ?? null,
    metadata: entry.metadata ?? {},
  };
}

function text(value: unknown): string {
  return typeof value === 'string' ? value.toLowerCase() : '';
}

function senderOf(metadata: Record<string, unknown>): string {
  const from = metadata.from as { name?: string; address?: string } | null | undefined;
  return `${from?.name ?? ''} ${from?.address ?? ''}`.toLowerCase();
}

function matches(item: SnapshotItem, query: SearchQuery): boolean {
  const m = item.metadata;
  if (query.text) {
    const needle = query.text.toLowerCase();
    const attachments = Array.isArray(m.attachments)
      ? (m.attachments as { name?: string }[]).map((a) => text(a.name)).join(' ')
      : '';
    const haystack = [text(item.name), text(m.subject), text(m.topic), senderOf(m), attachments].join(' ');
    if (!haystack.includes(needle)) return false;
  }
  if (query.sender && !senderOf(m).includes(query.sender.toLowerCase())) return false;
  const when = (m.receivedDateTime ?? m.lastModifiedDateTime ?? m.lastDeliveredDateTime) as
    string | undefined;
  if (query.from && (!when || when < query.from)) return false;
  if (query.to && (!when || when > query.to)) return false;
  return true;
}
