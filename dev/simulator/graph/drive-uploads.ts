/**
 * OneDrive upload sessions: `createUploadSession` returns an uploadUrl on the simulator
 * (`/_up/drive/{id}`); fragments are PUT there without Authorization, in order, each a multiple
 * of 320 KiB (except the last) and under 60 MiB, with the same total in every Content-Range.
 * 202 + nextExpectedRanges until the last byte, then the item is committed (201 new / 200
 * replaced; 409 nameAlreadyExists with conflictBehavior fail). 416 on overlap or a gap, 404 on an
 * expired or unknown session; GET reports status, DELETE cancels.
 */
import type { SimContext } from '../context';
import { GraphError } from '../http/errors';
import type { SimRequest, SimResponse } from '../http/types';
import { empty, json } from '../http/types';
import { randomToken } from '../ids';
import { childByName, createItem, liveItem, replaceContent, uniqueName } from '../store/drive-store';
import type { IdentityRef } from '../store/model';
import { downloadUrl } from './downloads';
import { itemEntity } from './drive-entities';
import { mimeTypeFor } from './mime-types';

export type ConflictBehavior = 'fail' | 'replace' | 'rename';

interface DriveUploadSession {
  id: string;
  tenantId: string;
  driveId: string;
  /** Existing item to replace, or parent + name for a new file. */
  itemId?: string;
  parentId: string;
  name: string;
  conflictBehavior: ConflictBehavior;
  declaredSize?: number;
  total?: number;
  received: Buffer[];
  next: number;
  expiresAt: number;
  by: IdentityRef;
}

const fragmentUnit = 320 * 1024;

export class DriveUploadSessions {
  private readonly sessions = new Map<string, DriveUploadSession>();

  constructor(private readonly sim: SimContext) {}

  create(spec: Omit<DriveUploadSession, 'id' | 'received' | 'next' | 'expiresAt'>): SimResponse {
    const id = randomToken(24);
    const expiresAt = this.sim.state.now().getTime() + this.sim.limits.uploadSessionLifetimeMs;
    this.sessions.set(id, { ...spec, id, received: [], next: 0, expiresAt });
    return json(200, {
      '@odata.context': `${this.sim.graphBase}/$metadata#microsoft.graph.uploadSession`,
      expirationDateTime: new Date(expiresAt).toISOString(),
      nextExpectedRanges: ['0-'],
      uploadUrl: `${this.sim.baseUrl}/_up/drive/${id}`,
    });
  }

  private session(req: SimRequest): DriveUploadSession {
    const id = req.path.split('/')[3] ?? '';
    const session = this.sessions.get(id);
    if (!session || session.expiresAt < this.sim.state.now().getTime()) {
      if (session) this.sessions.delete(id);
      throw new GraphError(
        404,
        'itemNotFound',
        'The upload session was not found.',
        {},
        { code: 'uploadSessionNotFound' },
      );
    }
    return session;
  }

  private status(session: DriveUploadSession, status: number): SimResponse {
    return json(status, {
      expirationDateTime: new Date(session.expiresAt).toISOString(),
      nextExpectedRanges: [`${session.next}-${session.total !== undefined ? session.total - 1 : ''}`],
    });
  }

  handle(req: SimRequest): SimResponse {
    const session = this.session(req);
    if (req.method === 'GET') return this.status(session, 200);
    if (req.method === 'DELETE') {
      this.sessions.delete(session.id);
      return empty(204);
    }
    if (req.method !== 'PUT')
      throw new GraphError(405, 'invalidRequest', 'The method is not allowed on an upload session.');
    if (req.headers['authorization']) {
      throw new GraphError(
        401,
        'unauthenticated',
        'The upload URL is pre-authenticated; do not send an Authorization header.',
      );
    }
    const range = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(req.headers['content-range'] ?? '');
    if (!range)
      throw new GraphError(400, 'invalidRequest', 'The Content-Range header is missing or malformed.');
    const start = Number(range[1]);
    const end = Number(range[2]);
    const total = range[3] === '*' ? undefined : Number(range[3]);
    if (total === undefined)
      throw new GraphError(400, 'invalidRequest', 'The total size must be given in Content-Range.');
    if (session.total !== undefined && total !== session.total) {
      throw new GraphError(
        400,
        'invalidRequest',
        'The total size in Content-Range differs from the one of the first fragment.',
      );
    }
    if (session.declaredSize !== undefined && total !== session.declaredSize) {
      throw new GraphError(
        400,
        'invalidRequest',
        'The total size in Content-Range differs from the declared fileSize.',
      );
    }
    const length = end - start + 1;
    if (end < start || end >= total || req.body.length !== length) {
      throw new GraphError(
        400,
        'invalidRequest',
        'The Content-Range header length does not match the provided number of bytes.',
      );
    }
    if (length > this.sim.limits.uploadFragmentMaxBytes) {
      throw new GraphError(
        413,
        'requestTooLarge',
        'The fragment exceeds the maximum fragment size of 60 MiB.',
      );
    }
    if (start < session.next) {
      throw new GraphError(
        416,
        'invalidRange',
        'Uploaded fragment overlaps with existing data.',
        {},
        { code: 'fragmentOverlap' },
      );
    }
    if (start > session.next) {
      throw new GraphError(
        416,
        'invalidRange',
        'The uploaded fragment is not the next expected range.',
        {},
        { code: 'fragmentOutOfOrder' },
      );
    }
    const last = end === total - 1;
    if (!last && length % fragmentUnit !== 0) {
      throw new GraphError(
        400,
        'invalidRequest',
        'Fragments must be a multiple of 320 KiB (327,680 bytes), except the last one.',
      );
    }
    this.sim.throttling.chargeSharePoint(session.tenantId, 2);
    session.total = total;
    session.received.push(req.body);
    session.next = end + 1;
    if (!last) return this.status(session, 202);
    return this.commit(session);
  }

  private commit(session: DriveUploadSession): SimResponse {
    const tenant = this.sim.state.tenant(session.tenantId);
    const drive = tenant?.drives[session.driveId];
    const parent = drive ? liveItem(drive, session.parentId) : undefined;
    if (!tenant || !drive || !parent) {
      this.sessions.delete(session.id);
      throw new GraphError(404, 'itemNotFound', 'The parent folder of the upload no longer exists.');
    }
    const bytes = Buffer.concat(session.received);
    const content = { kind: 'blob' as const, sha256: this.sim.state.blobs.put(bytes), size: bytes.length };
    const existing = session.itemId
      ? liveItem(drive, session.itemId)
      : childByName(drive, parent, session.name);
    let status = 201;
    let item;
    if (existing && !existing.isFolder && (session.itemId || session.conflictBehavior === 'replace')) {
      replaceContent(this.sim.state, drive, existing, content, session.by);
      item = existing;
      status = 200;
    } else if (existing && session.conflictBehavior === 'fail') {
      this.sessions.delete(session.id);
      throw new GraphError(
        409,
        'nameAlreadyExists',
        'Another file exists with the same name as the uploaded session. You can redirect the upload session to use a new filename by calling PUT with the new metadata and @microsoft.graph.sourceUrl attribute.',
      );
    } else {
      const name = existing ? uniqueName(drive, parent, session.name) : session.name;
      item = createItem(
        this.sim.state,
        drive,
        parent,
        { name, content, mimeType: mimeTypeFor(name), by: session.by },
        false,
      );
    }
    this.sessions.delete(session.id);
    return json(
      status,
      itemEntity(this.sim, drive, item, { downloadUrl: (i) => downloadUrl(this.sim, drive, i) }),
    );
  }
}
