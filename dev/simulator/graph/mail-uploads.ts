/**
 * Outlook attachment upload sessions: `createUploadSession` answers 201 with an uploadUrl on the
 * simulator (`/_up/outlook/{id}`); chunks are PUT without Authorization, in order, each under
 * 4 MB, with `Content-Range`. Intermediate chunks answer 200 with a capital `ExpirationDateTime`;
 * the last answers 201 with the attachment's URL in `Location`. Uploaded bytes count against the
 * mailbox's upload throttling.
 */
import type { GraphCall, SimContext } from '../context';
import { GraphError } from '../http/errors';
import type { SimRequest, SimResponse } from '../http/types';
import { empty, json } from '../http/types';
import { randomToken } from '../ids';
import { messageById } from '../store/mail-store';
import type { MailboxRec, MessageRec } from '../store/model';
import { attachToMessage } from './mail-attachments';

interface MailUploadSession {
  id: string;
  call: GraphCall;
  userId: string;
  immutableId: string;
  name: string;
  size: number;
  contentType: string;
  isInline: boolean;
  contentId: string | null;
  received: Buffer[];
  next: number;
  expiresAt: number;
}

const maxChunk = 4 * 1024 * 1024;

export class MailUploadSessions {
  private readonly sessions = new Map<string, MailUploadSession>();

  constructor(private readonly sim: SimContext) {}

  create(
    call: GraphCall,
    box: MailboxRec,
    message: MessageRec,
    spec: Pick<MailUploadSession, 'name' | 'size' | 'contentType' | 'isInline' | 'contentId'>,
  ): SimResponse {
    const id = randomToken(24);
    const expiresAt = this.sim.state.now().getTime() + 15 * 60_000;
    this.sessions.set(id, {
      ...spec,
      id,
      call,
      userId: box.userId,
      immutableId: message.immutableId,
      received: [],
      next: 0,
      expiresAt,
    });
    return json(201, {
      '@odata.context': `${this.sim.graphBase}/$metadata#microsoft.graph.uploadSession`,
      uploadUrl: `${this.sim.baseUrl}/_up/outlook/${id}?authtoken=${randomToken(16)}`,
      expirationDateTime: new Date(expiresAt).toISOString(),
      nextExpectedRanges: ['0-'],
    });
  }

  handle(req: SimRequest): SimResponse {
    const id = req.path.split('/')[3] ?? '';
    const session = this.sessions.get(id);
    if (!session || session.expiresAt < this.sim.state.now().getTime()) {
      this.sessions.delete(id);
      throw new GraphError(404, 'ErrorItemNotFound', 'The upload session was not found or has expired.');
    }
    if (req.method === 'DELETE') {
      this.sessions.delete(id);
      return empty(204);
    }
    if (req.method !== 'PUT')
      throw new GraphError(405, 'ErrorInvalidRequest', 'The method is not allowed on an upload session.');
    if (req.headers['authorization']) {
      throw new GraphError(
        401,
        'InvalidAuthenticationToken',
        'The upload URL carries its own token; do not send an Authorization header.',
      );
    }
    const range = /^bytes (\d+)-(\d+)\/(\d+)$/.exec(req.headers['content-range'] ?? '');
    if (!range)
      throw new GraphError(400, 'ErrorInvalidRequest', 'The Content-Range header is missing or malformed.');
    const start = Number(range[1]);
    const end = Number(range[2]);
    const total = Number(range[3]);
    if (total !== session.size || end < start || end >= total || req.body.length !== end - start + 1) {
      throw new GraphError(
        400,
        'ErrorInvalidRequest',
        'The Content-Range header does not match the session or the body.',
      );
    }
    if (req.body.length > maxChunk)
      throw new GraphError(413, 'ErrorRequestEntityTooLarge', 'The maximum request length supported is 4MB.');
    if (start !== session.next) {
      throw new GraphError(
        416,
        'ErrorInvalidRange',
        `The uploaded range does not start at the next expected byte ${session.next}.`,
      );
    }
    const release = this.sim.throttling.admitMailbox(
      session.call.token.appId,
      session.userId,
      req.body.length,
    );
    release();
    session.received.push(req.body);
    session.next = end + 1;
    const expiration = new Date(session.expiresAt).toISOString();
    if (session.next < session.size) {
      return json(200, {
        '@odata.context': `${this.sim.baseUrl}/api/v2.0/$metadata#Users('${session.userId}')/Messages('${session.immutableId}')/AttachmentSessions/$entity`,
        ExpirationDateTime: expiration,
        nextExpectedRanges: [String(session.next)],
      });
    }
    this.sessions.delete(id);
    const tenant = this.sim.state.tenant(session.call.tenant.id)!;
    const box = tenant.mailboxes[session.userId];
    const message = box ? messageById(box, session.immutableId) : undefined;
    if (!box || !message)
      throw new GraphError(404, 'ErrorItemNotFound', 'The specified object was not found in the store.');
    const bytes = Buffer.concat(session.received);
    const attachment = attachToMessage(session.call, box, message, {
      name: session.name,
      contentType: session.contentType,
      size: bytes.length,
      isInline: session.isInline,
      contentId: session.contentId,
      sha256: this.sim.state.blobs.put(bytes),
    });
    return empty(201, {
      location: `${this.sim.graphBase}/users('${session.userId}')/messages('${message.restId}')/attachments('${attachment.id}')`,
    });
  }
}
