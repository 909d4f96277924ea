import { AppError } from '../../errors/app-error';
import type { ByteBudget } from '../../concurrency/byte-budget';
import { mapWithConcurrency } from '../../concurrency/pool';
import type { TenantGraph } from '../../graph/graph-client';
import type { Readable } from 'node:stream';
import type { ByteSource, ContentRef, PutOptions, Repository, TreeEntry } from '../../repository';
import {
  buildManifest,
  loadPreviousManifest,
  type FolderNode,
  type ItemEntry,
  type PreviousManifest,
} from '../manifest-model';
import type { SliceResult, SnapshotSlice, WorkloadHandler } from '../workload-handler';
import { splitMime } from './mime-segments';

/** Stable ids across moves (without it a message's id changes when it moves), and page size. */
const PREFER = 'IdType="ImmutableId", odata.maxpagesize=100';

const MESSAGE_FIELDS = [
  'subject',
  'from',
  'toRecipients',
  'ccRecipients',
  'receivedDateTime',
  'sentDateTime',
  'isRead',
  'flag',
  'categories',
  'hasAttachments',
  'importance',
  'internetMessageId',
  'isDraft',
  'changeKey',
].join(',');

interface GraphRecipient {
  emailAddress?: { name?: string; address?: string };
}

interface GraphMessage {
  id: string;
  '@removed'?: { reason: string };
  subject?: string | null;
  from?: GraphRecipient | null;
  toRecipients?: GraphRecipient[];
  ccRecipients?: GraphRecipient[];
  receivedDateTime?: string;
  sentDateTime?: string;
  isRead?: boolean;
  flag?: { flagStatus?: string };
  categories?: string[];
  hasAttachments?: boolean;
  importance?: string;
  internetMessageId?: string;
  isDraft?: boolean;
  changeKey?: string;
}

interface GraphMailFolder {
  id: string;
  displayName?: string;
  parentFolderId?: string;
  '@removed'?: unknown;
}

interface FolderCursor {
  folderId: string;
  next: string;
  full: boolean;
}

/**
 * Messages up to this size are read whole and cut at their MIME parts, so equal attachments in
 * different messages are stored once; larger ones (rare: Exchange's send limit is 35-150 MB) are
 * streamed whole through content-defined chunking, which bounds memory (4 downloads at a time).
 */
const PART_AWARE_LIMIT = 16 * 1024 * 1024;

/** Persisted between slices. */
interface MailState {
  v: 1;
  folders: FolderNode[];
  pending: string[];
  /** Folders part-way through their delta round (up to `folderConcurrency` at once). */
  active: FolderCursor[];
  deltaLinks: Record<string, string>;
  upserts: [string, ItemEntry][];
  removed: string[];
  complete: string[];
}

/** Saved with the committed snapshot: where the next incremental run starts per folder. */
interface MailCheckpoint {
  v: 1;
  deltaLinks: Record<string, string>;
}

function address(recipient: GraphRecipient | null | undefined): { name: string; address: string } | null {
  const email = recipient?.emailAddress;
  return email ? { name: email.name ?? '', address: email.address ?? '' } : null;
}

/**
 * Exchange mailboxes: the folder tree, then per-folder message delta with immutable ids. Full MIME
 * is downloaded only for messages not stored before (or edited drafts); read state, flags and
 * moves change only metadata. A 410 on a folder's delta token re-enumerates that folder in full,
 * deduplicating against what is stored.
 */
export class MailboxHandler implements WorkloadHandler {
  readonly kind = 'mailbox' as const;

  constructor(
    private readonly options: {
      downloadConcurrency?: number;
      folderConcurrency?: number;
      /** Largest message read whole to be cut at its MIME parts (default 16 MiB). */
      partAwareLimit?: number;
      downloadBuffers?: ByteBudget;
    } = {},
  ) {}

  async runSlice(slice: SnapshotSlice): Promise<SliceResult> {
    const { graph, resource } = slice;
    const user = encodeURIComponent(resource.graphId);
    const previousCheckpoint = slice.previous?.checkpoint as MailCheckpoint | undefined;
    const previous = slice.previous
      ? await loadPreviousManifest(slice.repository, slice.previous.manifestRoot)
      : undefined;

    let state = slice.state as MailState | undefined;
    if (!state) {
      const folders = await this.listFolders(graph, user);
      state = {
        v: 1,
        folders,
        pending: folders.map((f) => f.id),
        active: [],
        deltaLinks: {},
        upserts: [],
        removed: [],
        complete: [],
      };
    }
    const upserts = new Map(state.upserts);
    const removed = new Set(state.removed);

    const mail = state;
    const open = (folderId: string): FolderCursor => {
      const known = previous?.folders.has(folderId) ? previousCheckpoint?.deltaLinks?.[folderId] : undefined;
      return known
        ? { folderId, next: known, full: false }
        : { folderId, next: this.initialDelta(user, folderId), full: true };
    };
    /** Runs one folder's delta round page by page; false when the slice ran out of time first. */
    const runFolder = async (cursor: FolderCursor): Promise<boolean> => {
      for (;;) {
        let page;
        try {
          page = await graph.get<{
            value?: GraphMessage[];
            '@odata.nextLink'?: string;
            '@odata.deltaLink'?: string;
          }>(cursor.next, {
            headers: { Prefer: PREFER },
            what: `message delta of folder ${cursor.folderId}`,
          });
        } catch (error) {
          if (error instanceof AppError && error.code === 'gone') {
            // The sync state expired: enumerate the folder again from scratch (never a gap).
            slice.log.warn('mail delta token expired: resynchronising folder', { folderId: cursor.folderId });
            for (const [id, item] of upserts) if (item.folderId === cursor.folderId) upserts.delete(id);
            cursor.next = this.initialDelta(user, cursor.folderId);
            cursor.full = true;
            continue;
          }
          if (error instanceof AppError && error.code === 'not-found') {
            // The folder disappeared between listing and reading it: its items go with it.
            mail.folders = mail.folders.filter((f) => f.id !== cursor.folderId);
            return true;
          }
          throw error;
        }
        await this.applyPage(slice, user, cursor.folderId, page.value ?? [], previous, upserts, removed);
        if (!page['@odata.nextLink']) {
          if (page['@odata.deltaLink']) mail.deltaLinks[cursor.folderId] = page['@odata.deltaLink'];
          if (cursor.full) mail.complete.push(cursor.folderId);
          return true;
        }
        cursor.next = page['@odata.nextLink'];
        if (slice.outOfTime()) return false;
      }
    };
    // Up to four folders at a time (Outlook's per-mailbox concurrency); each stops at a page
    // boundary once the slice's time is up, and what is unfinished is saved for the next slice.
    const unfinished: FolderCursor[] = [];
    let progressed = false;
    const queue = [...mail.active, ...mail.pending.map(open)];
    mail.active = [];
    mail.pending = [];
    await mapWithConcurrency(
      Array.from({ length: Math.min(this.options.folderConcurrency ?? 4, queue.length) }, (_, i) => i),
      this.options.folderConcurrency ?? 4,
      async () => {
        for (let cursor = queue.shift(); cursor; cursor = queue.shift()) {
          // Out of time: start nothing new once this slice has made progress.
          if (slice.outOfTime() && progressed) {
            unfinished.push(cursor);
            continue;
          }
          const finished = await runFolder(cursor);
          progressed = true;
          if (!finished) unfinished.push(cursor);
        }
      },
    );
    if (unfinished.length > 0) {
      mail.active = unfinished;
      return { kind: 'yield', state: { ...mail, upserts: [...upserts], removed: [...removed] } };
    }

    const built = await buildManifest(
      slice.repository,
      previous,
      {
        folders: state.folders,
        upserts,
        removed,
        completeFolders: new Set(state.complete),
      },
      { usage: slice.usage },
    );
    slice.report.added(built.added);
    slice.report.changed(built.changed);
    slice.report.removed(built.removed);
    const checkpoint: MailCheckpoint = { v: 1, deltaLinks: state.deltaLinks };
    return {
      kind: 'done',
      manifestRoot: built.root,
      checkpoint,
      items: built.items,
      logicalBytes: built.logicalBytes,
    };
  }

  private initialDelta(user: string, folderId: string): string {
    return `/users/${user}/mailFolders/${encodeURIComponent(folderId)}/messages/delta?$select=${MESSAGE_FIELDS}`;
  }

  /** The whole folder tree (mailFolders/delta without a token answers with every folder, flat). */
  private async listFolders(graph: TenantGraph, user: string): Promise<FolderNode[]> {
    const raw: GraphMailFolder[] = [];
    for await (const page of graph.pages<GraphMailFolder>(
      `/users/${user}/mailFolders/delta?$select=displayName,parentFolderId`,
      { headers: { Prefer: PREFER }, what: 'list mail folders' },
    )) {
      for (const folder of page.value) if (!folder['@removed']) raw.push(folder);
    }
    const ids = new Set(raw.map((f) => f.id));
    return raw.map((f) => ({
      id: f.id,
      // A parent outside the list is the (hidden) mailbox root.
      parentId: f.parentFolderId && ids.has(f.parentFolderId) ? f.parentFolderId : null,
      name: f.displayName || f.id,
      metadata: { folderId: f.id, displayName: f.displayName ?? '' },
    }));
  }

  private async applyPage(
    slice: SnapshotSlice,
    user: string,
    folderId: string,
    messages: GraphMessage[],
    previous: PreviousManifest | undefined,
    upserts: Map<string, ItemEntry>,
    removed: Set<string>,
  ): Promise<void> {
    // The feed may repeat an item; its last occurrence is its state.
    const latest = new Map<string, GraphMessage>();
    for (const message of messages) latest.set(message.id, message);
    const present: GraphMessage[] = [];
    for (const message of latest.values()) {
      if (message['@removed']) {
        // Removed from this folder: deleted, or moved (then it shows up in its new folder).
        const known = upserts.get(message.id) ?? previous?.items.get(message.id);
        if (known?.folderId === folderId || (!known && !upserts.has(message.id))) {
          upserts.delete(message.id);
          removed.add(message.id);
        }
      } else {
        present.push(message);
      }
    }
    await mapWithConcurrency(present, this.options.downloadConcurrency ?? 4, async (message) => {
      slice.report.processed();
      const known = upserts.get(message.id)?.entry ?? previous?.items.get(message.id)?.entry;
      const metadata = this.metadata(message);
      const reuse =
        known?.content &&
        !(message.isDraft && known.metadata?.changeKey !== message.changeKey) &&
        known.metadata?.attachments !== undefined;
      let entry: TreeEntry;
      if (reuse) {
        metadata.attachments = known.metadata!.attachments;
        metadata.size = known.content!.size;
        entry = { name: message.id, kind: 'message', itemId: message.id, metadata, content: known.content! };
      } else {
        const stored = await this.download(slice, user, message);
        if (!stored) return;
        metadata.attachments = stored.attachments;
        metadata.size = stored.content.size;
        entry = { name: message.id, kind: 'message', itemId: message.id, metadata, content: stored.content };
      }
      removed.delete(message.id);
      upserts.set(message.id, { folderId, entry });
    });
  }

  private metadata(message: GraphMessage): Record<string, unknown> {
    return {
      subject: message.subject ?? '',
      from: address(message.from),
      to: (message.toRecipients ?? []).map(address).filter(Boolean),
      cc: (message.ccRecipients ?? []).map(address).filter(Boolean),
      receivedDateTime: message.receivedDateTime ?? null,
      sentDateTime: message.sentDateTime ?? null,
      isRead: message.isRead ?? false,
      flagStatus: message.flag?.flagStatus ?? 'notFlagged',
      importance: message.importance ?? 'normal',
      categories: message.categories ?? [],
      hasAttachments: message.hasAttachments ?? false,
      internetMessageId: message.internetMessageId ?? null,
      isDraft: message.isDraft ?? false,
      changeKey: message.changeKey ?? null,
    };
  }

  /** The message's MIME into the repository, and its attachment names; undefined when skipped. */
  private async download(slice: SnapshotSlice, user: string, message: GraphMessage) {
    const base = `/users/${user}/messages/${encodeURIComponent(message.id)}`;
    const label = `${message.subject || '(no subject)'} [${message.id}]`;
    try {
      const [content, attachments] = await Promise.all([
        (async () => {
          const mime = await slice.graph.download(`${base}/$value`, {
            headers: { Prefer: PREFER },
            what: `download message ${message.id}`,
          });
          // The worker's download budget: a message up to the part-aware limit is held whole to be
          // cut at its MIME parts (its size twice over, with its chunks); a larger one streams.
          const limit = this.options.partAwareLimit ?? PART_AWARE_LIMIT;
          const held = mime.length ?? limit;
          const grant = await this.options.downloadBuffers?.acquire(
            held <= limit ? 2 * held + 64 * 1024 : slice.repository.bufferBytesFor(mime.length),
          );
          try {
            const stored = await storeMime(slice.repository, mime.body, limit, { usage: slice.usage });
            // A body that ended early must never pass for the message (skipped with the reason).
            if (mime.exactLength !== undefined && stored.size !== mime.exactLength)
              throw new AppError(
                'permanent',
                `downloaded ${stored.size} bytes of a message Graph announced at ${mime.exactLength}`,
              );
            return stored;
          } finally {
            grant?.release();
          }
        })(),
        message.hasAttachments ? this.attachments(slice.graph, base) : Promise.resolve([]),
      ]);
      return { content, attachments };
    } catch (error) {
      if (error instanceof AppError && (error.code === 'not-found' || error.code === 'permanent')) {
        slice.report.skip(
          label,
          error.code === 'not-found' ? 'deleted before it could be read' : error.message,
        );
        return undefined;
      }
      throw error;
    }
  }

  private async attachments(graph: TenantGraph, base: string) {
    const list: { name: string; contentType: string; size: number; isInline: boolean }[] = [];
    for await (const page of graph.pages<{
      name?: string;
      contentType?: string;
      size?: number;
      isInline?: boolean;
    }>(`${base}/attachments?$select=name,contentType,size,isInline`, {
      headers: { Prefer: PREFER },
      what: 'list attachments',
    })) {
      for (const a of page.value) {
        list.push({
          name: a.name ?? '',
          contentType: a.contentType ?? 'application/octet-stream',
          size: a.size ?? 0,
          isInline: a.isInline ?? false,
        });
      }
    }
    return list;
  }
}

/**
 * Stores a message's MIME cut at its part boundaries (each sizeable leaf body its own chunk), or,
 * past `PART_AWARE_LIMIT`, streamed with content-defined chunks as any large item.
 */
export async function storeMime(
  repository: Repository,
  mime: Readable | ByteSource,
  limit = PART_AWARE_LIMIT,
  options: PutOptions = {},
): Promise<ContentRef> {
  const iterator: AsyncIterator<Uint8Array> | Iterator<Uint8Array> =
    Symbol.asyncIterator in mime
      ? (mime as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]()
      : (mime as Iterable<Uint8Array>)[Symbol.iterator]();
  const head: Buffer[] = [];
  let size = 0;
  let readToEnd = false;
  try {
    for (;;) {
      const next = await iterator.next();
      if (next.done) {
        readToEnd = true;
        return await repository.putSegments(splitMime(Buffer.concat(head, size)), options);
      }
      const piece = asBuffer(next.value);
      head.push(piece);
      size += piece.length;
      if (size > limit) {
        async function* whole(): AsyncGenerator<Buffer> {
          yield* head.splice(0);
          for (let rest = await iterator.next(); !rest.done; rest = await iterator.next())
            yield asBuffer(rest.value);
          readToEnd = true;
        }
        return await repository.putStream(whole(), options);
      }
    }
  } finally {
    // Stopped part-way (the repository failed): cancel the rest of the download, so its
    // connection is not held until the response is collected.
    if (!readToEnd) await Promise.resolve(iterator.return?.()).catch(() => undefined);
  }
}

function asBuffer(piece: Uint8Array | string): Buffer {
  return typeof piece === 'string'
    ? Buffer.from(piece)
    : Buffer.from(piece.buffer, piece.byteOffset, piece.byteLength);
}
