import type { TreeEntry } from '../repository';
import type { ContentSource } from '../import/zip-snapshot';
import type { TenantGraph } from '../graph/graph-client';
import type { Resource } from '../resources/resource';
import type { RestoreCheckpoint } from './restore-job-store';
import type { RestoreJob } from './restore-job';

/** One entry of the snapshot to restore, with its folder path. */
export interface RestoreItem {
  path: string[];
  entry: TreeEntry;
  /** Stable key of the item within the snapshot (path and source id), for reports and logs. */
  key: string;
}

export type ItemOutcome =
  | { kind: 'restored'; bytes: number }
  | { kind: 'skipped'; reason: string }
  | { kind: 'failed'; reason: string };

/** What a workload restorer gets for one job slice. */
export interface RestoreContext {
  job: RestoreJob;
  /** The snapshot's time and root (a repository snapshot, or an imported zip). */
  snapshot: { startedAt: string; manifestRoot?: string };
  source: Resource;
  target: Resource;
  graph: TenantGraph;
  repository: ContentSource;
  /** Folder ids created at the target, persisted with the checkpoint. */
  checkpoint: RestoreCheckpoint;
}

/** Restores one workload's items; folders come before what they hold. */
export interface WorkloadRestorer {
  /** Sets up the destination (restore folder, target drive); returns a description of it. */
  prepare(ctx: RestoreContext): Promise<string>;
  restore(ctx: RestoreContext, item: RestoreItem): Promise<ItemOutcome>;
}

export async function readAll(repository: ContentSource, entry: TreeEntry): Promise<Buffer> {
  if (!entry.content) return Buffer.alloc(0);
  const parts: Buffer[] = [];
  for await (const chunk of repository.readContent(entry.content)) parts.push(chunk as Buffer);
  return Buffer.concat(parts);
}

export function encodePath(segments: readonly string[]): string {
  return segments.map((s) => encodeURIComponent(s)).join('/');
}

/** PUTs `bytes` to an upload URL in order, without Authorization (Graph's rule for upload URLs). */
export async function putFragment(
  uploadUrl: string,
  bytes: Buffer,
  start: number,
  total: number,
): Promise<{ status: number; body: string }> {
  const response = await fetch(uploadUrl, {
    method: 'PUT',
    headers: {
      'Content-Type': 'application/octet-stream',
      'Content-Length': String(bytes.length),
      'Content-Range': `bytes ${start}-${start + bytes.length - 1}/${total}`,
    },
    body: bytes,
  });
  return { status: response.status, body: await response.text() };
}
