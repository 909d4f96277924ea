import { AppError } from '../errors/app-error';

/** A piece of content in the repository: its chunks in order, its size and plaintext SHA-256. */
export interface ContentRef {
  size: number;
  /** Chunk ids (hex), in order. */
  chunks: string[];
  /** SHA-256 of the whole plaintext, hex: restore and export can check what they produce. */
  sha256: string;
}

export type EntryKind = 'file' | 'folder' | 'message';

/** One entry of a folder's tree. Folders carry `subtree`; files and messages carry `content`. */
export interface TreeEntry {
  name: string;
  kind: EntryKind;
  /** The item's id at the source (Graph id), for incremental runs and restore. */
  itemId?: string;
  /** Browse/search metadata (subject, from, dates, flags, …): any JSON. */
  metadata?: Record<string, unknown>;
  content?: ContentRef;
  /** Tree id (hex) of a folder's contents. */
  subtree?: string;
}

/** A folder: its entries, sorted by name then item id (canonical, so equal folders get equal ids). */
export interface Tree {
  entries: TreeEntry[];
}

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[key];
      if (v !== undefined) out[key] = canonical(v);
    }
    return out;
  }
  return value;
}

function compareEntries(a: TreeEntry, b: TreeEntry): number {
  if (a.name !== b.name) return a.name < b.name ? -1 : 1;
  const ai = a.itemId ?? '';
  const bi = b.itemId ?? '';
  return ai < bi ? -1 : ai > bi ? 1 : 0;
}

/** Canonical JSON (sorted entries, sorted keys, no undefined): the same folder, the same bytes. */
export function encodeTree(tree: Tree): Buffer {
  for (const entry of tree.entries) validateEntry(entry);
  const entries = [...tree.entries].sort(compareEntries);
  return Buffer.from(JSON.stringify(canonical({ v: 1, entries })), 'utf8');
}

export function decodeTree(data: Buffer, id: string): Tree {
  let parsed: unknown;
  try {
    parsed = JSON.parse(data.toString('utf8'));
  } catch (error) {
    throw new AppError('permanent', `repository integrity check failed: tree ${id} is not JSON`, {
      cause: error,
    });
  }
  const value = parsed as { v?: unknown; entries?: unknown };
  if (value?.v !== 1 || !Array.isArray(value.entries))
    throw new AppError('permanent', `repository integrity check failed: tree ${id} is not a version 1 tree`);
  return { entries: value.entries as TreeEntry[] };
}

function validateEntry(entry: TreeEntry): void {
  const problem = (message: string) =>
    new AppError('invalid', `tree entry "${entry.name}": ${message}`, {
      details: [{ field: 'entry', message }],
    });
  if (typeof entry.name !== 'string' || entry.name.length === 0) throw problem('a name is required');
  if (entry.kind === 'folder' ? entry.subtree === undefined : entry.subtree !== undefined)
    throw problem('folders, and only folders, have a subtree');
  if (entry.kind === 'folder' && entry.content !== undefined) throw problem('a folder has no content');
}

/** What the tree builder needs from the repository. */
export interface TreeWriter {
  putTree(tree: Tree): Promise<string>;
}

interface FolderNode {
  name: string;
  itemId?: string;
  metadata?: Record<string, unknown>;
  entries: TreeEntry[];
  children: Map<string, FolderNode>;
  /** An unchanged folder from an earlier snapshot, reused as is. */
  reuse?: string;
}

/**
 * Builds a snapshot's trees from items fed folder by folder, in any order. Items are held as
 * entries (metadata and chunk lists, not content) until `finish`, which writes every folder's
 * tree bottom-up and returns the root tree id. An unchanged folder's tree has the same id as
 * last time and is stored only once; `reuseFolder` skips even re-encoding it.
 */
export class TreeBuilder {
  private readonly root: FolderNode = { name: '', entries: [], children: new Map() };
  private finished = false;

  constructor(private readonly writer: TreeWriter) {}

  /** Declares a folder (and its parents), with optional folder metadata and source id. */
  folder(
    path: readonly string[],
    details: { itemId?: string; metadata?: Record<string, unknown> } = {},
  ): this {
    const node = this.node(path);
    if (details.itemId !== undefined) node.itemId = details.itemId;
    if (details.metadata !== undefined) node.metadata = details.metadata;
    return this;
  }

  /** Adds a file or message to the folder at `path`. */
  add(path: readonly string[], entry: TreeEntry): this {
    if (entry.kind === 'folder') throw new AppError('invalid', 'add folders with folder(), not add()');
    validateEntry(entry);
    const node = this.node(path);
    if (node.reuse)
      throw new AppError('invalid', `folder ${path.join('/')} is reused from an earlier snapshot`);
    node.entries.push(entry);
    return this;
  }

  /** Uses an earlier snapshot's tree for an unchanged folder (and everything below it). */
  reuseFolder(path: readonly string[], treeId: string): this {
    const node = this.node(path);
    if (node.entries.length > 0 || node.children.size > 0)
      throw new AppError('invalid', `folder ${path.join('/')} already has new entries`);
    node.reuse = treeId;
    return this;
  }

  /** Writes all trees; returns the root tree id. */
  async finish(): Promise<string> {
    if (this.finished) throw new AppError('conflict', 'this tree builder has already finished');
    this.finished = true;
    return this.write(this.root);
  }

  private async write(node: FolderNode): Promise<string> {
    if (node.reuse) return node.reuse;
    const entries = [...node.entries];
    for (const child of node.children.values()) {
      const subtree = await this.write(child);
      const entry: TreeEntry = { name: child.name, kind: 'folder', subtree };
      if (child.itemId !== undefined) entry.itemId = child.itemId;
      if (child.metadata !== undefined) entry.metadata = child.metadata;
      entries.push(entry);
    }
    node.entries = [];
    return this.writer.putTree({ entries });
  }

  private node(path: readonly string[]): FolderNode {
    if (this.finished) throw new AppError('conflict', 'this tree builder has already finished');
    let node = this.root;
    for (const name of path) {
      if (!name) throw new AppError('invalid', `empty folder name in path ${JSON.stringify(path)}`);
      let child = node.children.get(name);
      if (!child) {
        if (node.reuse) throw new AppError('invalid', `folder ${name} is inside a reused folder`);
        child = { name, entries: [], children: new Map() };
        node.children.set(name, child);
      }
      node = child;
    }
    return node;
  }
}
