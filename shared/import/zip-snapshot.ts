import { PassThrough, type Readable } from 'node:stream';
import { open, type Entry, type ZipFile } from 'yauzl';
import type {
  ChunkPlacement,
  ContentReadOptions,
  ContentRef,
  ReadPlan,
  ReadPlanOptions,
  TreeEntry,
} from '../repository';
import type { ExportManifest } from '../export/export-job';

/** What restore reads a snapshot through: the repository, or a validated backup zip. */
export interface ContentSource {
  walk(rootTreeId: string): AsyncGenerator<{ path: string[]; entry: TreeEntry }>;
  /** `options` tell the repository how to read (a zip reads its entry as it is). */
  readContent(ref: ContentRef, options?: ContentReadOptions): Readable;
  listFolder(rootTreeId: string, path?: readonly string[]): Promise<TreeEntry[]>;
  /** Where a chunk is stored (the repository): readers of many items take them in that order. */
  locate?(chunkId: string): ChunkPlacement | undefined;
  /** A plan for reading these contents in this order, each stored byte once (the repository). */
  planReads?(contents: readonly ContentRef[], options?: Partial<ReadPlanOptions>): Promise<ReadPlan>;
}

interface Node {
  entry: TreeEntry;
  children: Map<string, Node>;
}

/**
 * A validated backup zip seen as a snapshot: the manifest's folders and items as a tree (with the
 * snapshot's metadata), each item's content read from its zip entry. `ContentRef.chunks[0]` names
 * the entry.
 */
export class ZipSnapshot implements ContentSource {
  private readonly root: Node = { entry: { name: '', kind: 'folder' }, children: new Map() };
  private readonly entries = new Map<string, Entry>();

  private constructor(
    private readonly zip: ZipFile,
    manifest: ExportManifest,
  ) {
    for (const folder of manifest.folders ?? []) this.folder(folder.source).entry.metadata = folder.metadata;
    for (const item of manifest.items) {
      const parent = this.folder(item.source.slice(0, -1));
      const name = item.source[item.source.length - 1] ?? item.path;
      const entry: TreeEntry = {
        name,
        kind: item.kind === 'file' ? 'file' : 'message',
        ...(item.itemId ? { itemId: item.itemId } : {}),
        metadata: item.metadata ?? {},
        content: { size: item.size, chunks: [item.path], sha256: item.sha256 },
      };
      parent.children.set(`${name}\u0000${item.itemId ?? ''}`, { entry, children: new Map() });
    }
  }

  static async open(zipPath: string, manifest: ExportManifest): Promise<ZipSnapshot> {
    const zip = await new Promise<ZipFile>((resolve, reject) =>
      open(zipPath, { lazyEntries: true, autoClose: false, validateEntrySizes: true }, (err, z) =>
        err ? reject(err) : resolve(z),
      ),
    );
    const snapshot = new ZipSnapshot(zip, manifest);
    await new Promise<void>((resolve, reject) => {
      zip.on('entry', (entry: Entry) => {
        snapshot.entries.set(entry.fileName, entry);
        zip.readEntry();
      });
      zip.on('end', resolve);
      zip.on('error', reject);
      zip.readEntry();
    });
    return snapshot;
  }

  close(): void {
    this.zip.close();
  }

  private folder(path: readonly string[]): Node {
    let node = this.root;
    for (const name of path) {
      const key = `${name}\u0000`;
      let child = node.children.get(key);
      if (!child) {
        child = { entry: { name, kind: 'folder', metadata: {} }, children: new Map() };
        node.children.set(key, child);
      }
      node = child;
    }
    return node;
  }

  private static sorted(node: Node): Node[] {
    return [...node.children.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, n]) => n);
  }

  async *walk(
    _root: string,
    path: string[] = [],
    node: Node = this.root,
  ): AsyncGenerator<{ path: string[]; entry: TreeEntry }> {
    for (const child of ZipSnapshot.sorted(node)) {
      yield { path, entry: child.entry };
      if (child.entry.kind === 'folder') yield* this.walk(_root, [...path, child.entry.name], child);
    }
  }

  listFolder(_root: string, path: readonly string[] = []): Promise<TreeEntry[]> {
    return Promise.resolve(ZipSnapshot.sorted(this.folder(path)).map((n) => n.entry));
  }

  readContent(ref: ContentRef): Readable {
    const out = new PassThrough();
    const entry = this.entries.get(ref.chunks[0] ?? '');
    if (!entry) {
      process.nextTick(() => out.destroy(new Error(`"${ref.chunks[0]}" is not in the zip`)));
      return out;
    }
    this.zip.openReadStream(entry, (err, stream) => {
      if (err) return out.destroy(err);
      stream.on('error', (e) => out.destroy(e));
      stream.pipe(out);
    });
    return out;
  }
}
