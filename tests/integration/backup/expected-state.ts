import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { RunningSimulator } from '../../../dev/simulator';
import type { Repository } from '../../../shared/repository';

/** `path/to/item` → SHA-256 of its bytes: what a resource holds, comparable across sources. */
export type ContentMap = Map<string, string>;

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

async function streamSha256(stream: Readable): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of stream) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** A mailbox as the simulator holds it: `folder path/immutable id` → SHA-256 of the MIME. */
export async function simulatorMailbox(
  sim: RunningSimulator,
  tenantId: string,
  userId: string,
): Promise<ContentMap> {
  const tree = await sim.control.mailbox(tenantId, userId);
  const byId = new Map(tree.folders.map((f) => [f.id, f]));
  const pathOf = (id: string): string[] => {
    const folder = byId.get(id)!;
    if (
      !folder.parentId ||
      !byId.has(folder.parentId) ||
      byId.get(folder.parentId)!.wellKnownName === 'msgfolderroot'
    ) {
      return [folder.displayName];
    }
    return [...pathOf(folder.parentId), folder.displayName];
  };
  const result: ContentMap = new Map();
  for (const folder of tree.folders) {
    if (folder.wellKnownName === 'msgfolderroot') continue;
    for (const message of folder.messages) {
      const mime = await sim.control.messageMime(tenantId, userId, message.immutableId);
      result.set([...pathOf(folder.id), message.immutableId].join('/'), sha256(mime));
    }
  }
  return result;
}

/** A drive as the simulator holds it: `prefix/path` → SHA-256 of the bytes. */
export async function simulatorDrive(
  sim: RunningSimulator,
  tenantId: string,
  driveId: string,
  prefix: string[] = [],
): Promise<ContentMap> {
  const tree = await sim.control.driveTree(tenantId, driveId);
  const result: ContentMap = new Map();
  for (const item of tree.items) {
    if (item.isFolder) continue;
    const bytes = await sim.control.fileContent(tenantId, driveId, item.path);
    result.set([...prefix, ...item.path.split('/').filter(Boolean)].join('/'), sha256(bytes));
  }
  return result;
}

/** A snapshot read back from the repository: `path/name` → SHA-256 of the bytes read. */
export async function snapshotContents(
  repository: Repository,
  root: string,
  only?: (path: string[]) => boolean,
): Promise<ContentMap> {
  const result: ContentMap = new Map();
  for await (const { path, entry } of repository.walk(root)) {
    if (entry.kind === 'folder' || !entry.content) continue;
    if (only && !only(path)) continue;
    result.set([...path, entry.name].join('/'), await streamSha256(repository.readContent(entry.content)));
  }
  return result;
}
