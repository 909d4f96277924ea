import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { AppError } from '../errors/app-error';
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
  /** Items restored at once within one job slice (Graph's limits for the workload decide). */
  readonly concurrency: number;
  /**
   * What the slice's read plan may hold (`ReadPlanOptions`: segments held, fetched ahead); default
   * the repository's (32 MiB, 16 MiB).
   */
  readonly readBudget?: { heldBytes: number; aheadBytes: number };
  /** Sets up the destination (restore folder, target drive); returns a description of it. */
  prepare(ctx: RestoreContext): Promise<string>;
  restore(ctx: RestoreContext, item: RestoreItem): Promise<ItemOutcome>;
}

/** An item's whole content, read as a restore reads: in bulk (it takes items in stored order). */
export async function readAll(repository: ContentSource, entry: TreeEntry): Promise<Buffer> {
  if (!entry.content) return Buffer.alloc(0);
  const parts: Buffer[] = [];
  for await (const chunk of repository.readContent(entry.content, { bulk: true }))
    parts.push(chunk as Buffer);
  return Buffer.concat(parts);
}

export function encodePath(segments: readonly string[]): string {
  return segments.map((s) => encodeURIComponent(s)).join('/');
}

/** Throttled fragment PUTs are retried this often, after Graph's Retry-After. */
const FRAGMENT_THROTTLE_RETRIES = 20;
const MAX_FRAGMENT_WAIT_MS = 60_000;

/**
 * PUTs `bytes` to an upload URL in order, without Authorization (Graph's rule for upload URLs).
 * These requests bypass the Graph client's middleware, so throttling (429, or 503 with
 * Retry-After; Outlook counts them against the mailbox's 4 concurrent requests) is waited out here.
 * Sent with node's http(s) client, which writes the buffer to the socket as it is: `fetch` copies
 * every body it is given, a 3.2 MiB allocation per fragment that kept the drive restore's garbage
 * collector busy.
 */
export async function putFragment(
  uploadUrl: string,
  bytes: Buffer,
  start: number,
  total: number,
): Promise<{ status: number; body: string }> {
  for (let attempt = 1; ; attempt++) {
    const response = await putOnce(uploadUrl, bytes, {
      'Content-Type': 'application/octet-stream',
      'Content-Length': String(bytes.length),
      'Content-Range': `bytes ${start}-${start + bytes.length - 1}/${total}`,
    });
    const retryAfter = Number(response.retryAfter);
    const throttled =
      response.status === 429 || (response.status === 503 && Number.isFinite(retryAfter) && retryAfter > 0);
    if (!throttled || attempt > FRAGMENT_THROTTLE_RETRIES)
      return { status: response.status, body: response.body };
    const waitMs = Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter * 1000 : 1000 * attempt;
    await new Promise((resolve) => setTimeout(resolve, Math.min(waitMs, MAX_FRAGMENT_WAIT_MS)));
  }
}

function putOnce(
  uploadUrl: string,
  bytes: Buffer,
  headers: Record<string, string>,
): Promise<{ status: number; body: string; retryAfter: string | undefined }> {
  const url = new URL(uploadUrl);
  const send = url.protocol === 'https:' ? httpsRequest : url.protocol === 'http:' ? httpRequest : undefined;
  if (!send)
    return Promise.reject(new AppError('permanent', `an upload URL must be http(s), got ${url.protocol}`));
  return new Promise((resolve, reject) => {
    const request = send(url, { method: 'PUT', headers }, (response) => {
      const parts: Buffer[] = [];
      response.on('data', (part: Buffer) => parts.push(part));
      response.on('error', reject);
      response.on('end', () => {
        const retryAfter = response.headers['retry-after'];
        resolve({
          status: response.statusCode ?? 0,
          body: Buffer.concat(parts).toString('utf8'),
          retryAfter: Array.isArray(retryAfter) ? retryAfter[0] : retryAfter,
        });
      });
    });
    request.on('error', reject);
    request.end(bytes);
  });
}
