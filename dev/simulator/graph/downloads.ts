/**
 * Pre-authenticated download URLs (`@microsoft.graph.downloadUrl`, the target of `/content`'s
 * 302): `/_dl/{sealed token}` on the simulator, no Authorization needed, valid for a limited time,
 * serving the content the item had when the URL was issued, with `Range` support (206).
 */
import type { SimContext } from '../context';
import { GraphError } from '../http/errors';
import type { SimRequest, SimResponse } from '../http/types';
import { contentBytes, contentStream } from '../store/content';
import { deleteItem, liveItem } from '../store/drive-store';
import type { ContentRef, DriveRec, ItemRec } from '../store/model';

interface DownloadToken {
  k: 'dl';
  t: string;
  d: string;
  i: string;
  c: ContentRef;
  x: number;
}

export function downloadUrl(sim: SimContext, drive: DriveRec, item: ItemRec): string {
  const token = sim.state.tokens.seal({
    k: 'dl',
    t: drive.tenantId,
    d: drive.id,
    i: item.id,
    c: item.content!,
    x: sim.state.now().getTime() + sim.limits.downloadUrlLifetimeMs,
  } satisfies DownloadToken);
  return `${sim.baseUrl}/_dl/${token}`;
}

/** Parses `bytes=a-b`, `bytes=a-`, `bytes=-n`; undefined when absent or not satisfiable. */
export function parseRange(
  header: string | undefined,
  size: number,
): { start: number; end: number } | 'invalid' | undefined {
  if (!header) return undefined;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return 'invalid';
  let start: number;
  let end: number;
  if (m[1] === '') {
    const n = Number(m[2]);
    start = Math.max(0, size - n);
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  }
  if (start >= size || start > end) return 'invalid';
  return { start, end };
}

export function serveContent(
  sim: SimContext,
  req: SimRequest,
  content: ContentRef,
  mimeType: string,
  fileName: string,
): SimResponse {
  const size = content.size;
  const range = parseRange(req.headers['range'], size);
  const common = {
    'content-type': mimeType,
    'accept-ranges': 'bytes',
    'content-disposition': `attachment; filename*=UTF-8''${encodeURIComponent(fileName)}`,
  };
  if (range === 'invalid') {
    return { status: 416, headers: { ...common, 'content-range': `bytes */${size}` }, body: '' };
  }
  if (range) {
    const length = range.end - range.start + 1;
    const body =
      length <= 8 * 1024 * 1024
        ? contentBytes(sim.state, content, range.start, range.end + 1)
        : contentStream(sim.state, content, range.start, range.end + 1);
    return {
      status: 206,
      headers: {
        ...common,
        'content-range': `bytes ${range.start}-${range.end}/${size}`,
        'content-length': String(length),
      },
      body,
    };
  }
  const body = size <= 8 * 1024 * 1024 ? contentBytes(sim.state, content) : contentStream(sim.state, content);
  return { status: 200, headers: { ...common, 'content-length': String(size) }, body };
}

/** GET /_dl/{token} */
export function handleDownload(sim: SimContext, req: SimRequest, vanish: boolean): SimResponse {
  const raw = req.path.slice('/_dl/'.length);
  const token = sim.state.tokens.open<DownloadToken>(decodeURIComponent(raw));
  if (!token || token.k !== 'dl')
    throw new GraphError(401, 'unauthenticated', 'The download URL is not valid.');
  if (token.x < sim.state.now().getTime())
    throw new GraphError(401, 'unauthenticated', 'The download URL has expired.');
  const tenant = sim.state.tenant(token.t);
  const drive = tenant?.drives[token.d];
  const item = drive ? liveItem(drive, token.i) : undefined;
  if (!tenant || !drive || !item) throw new GraphError(404, 'itemNotFound', 'Item not found');
  if (vanish) {
    deleteItem(sim.state, drive, item);
    throw new GraphError(404, 'itemNotFound', 'Item not found');
  }
  sim.throttling.chargeSharePoint(tenant.id, 1);
  return serveContent(sim, req, token.c, item.mimeType ?? 'application/octet-stream', item.name);
}
