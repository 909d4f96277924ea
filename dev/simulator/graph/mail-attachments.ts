/**
 * Message attachments: list, get, `$value`, `POST .../attachments` (file attachments under 3 MB)
 * and `attachments/createUploadSession` (3 MB to 150 MB, Outlook-style upload sessions).
 */
import { permissions } from '../auth/graph-auth';
import type { GraphCall } from '../context';
import { GraphError, notFound } from '../http/errors';
import { contextUrl } from '../http/odata';
import { json, text } from '../http/types';
import type { SimResponse } from '../http/types';
import { attachmentId } from '../ids';
import { folderById, messageById, updateMessage } from '../store/mail-store';
import type { AddedAttachment, MailboxRec, MessageRec } from '../store/model';
import { attachmentEntity, messageAttachments } from './mail-entities';
import { listQuery } from './route';
import { requireMailbox } from './users';

const smallAttachmentLimit = 3 * 1024 * 1024;
const largeAttachmentLimit = 150 * 1024 * 1024;

function target(call: GraphCall): { box: MailboxRec; message: MessageRec } {
  const { mailbox } = requireMailbox(call, call.params['userId']!);
  const message = messageById(mailbox, call.params['messageId']!);
  if (!message) throw notFound.outlook();
  const folderId = call.params['folderId'];
  if (folderId && folderById(mailbox, folderId)?.id !== message.folderId) throw notFound.outlook();
  return { box: mailbox, message };
}

/** Adds an attachment to a message (it becomes part of the message's MIME). */
export function attachToMessage(
  call: GraphCall,
  box: MailboxRec,
  message: MessageRec,
  spec: Omit<AddedAttachment, 'id' | 'lastModifiedDateTime'>,
): AddedAttachment {
  const attachment: AddedAttachment = {
    ...spec,
    id: attachmentId(
      message.immutableId,
      1000 + message.addedAttachments.length + message.attachments.length,
    ),
    lastModifiedDateTime: call.sim.state.nowIso(),
  };
  updateMessage(call.sim.state, call.tenant, box, message, (m) => {
    m.addedAttachments.push(attachment);
    if (!attachment.isInline) m.hasAttachments = true;
  });
  return attachment;
}

async function findAttachment(call: GraphCall, message: MessageRec) {
  const found = (await messageAttachments(call.sim, message)).find(
    (a) => a.id === call.params['attachmentId'],
  );
  if (!found) throw notFound.outlook();
  return found;
}

export function registerMailAttachments(router: import('./route').GraphRouter): void {
  const read = { roles: permissions.mailReadContent, deny: 'mail' as const, mailbox: 'userId' };
  const write = { roles: permissions.mailWrite, deny: 'mail' as const, mailbox: 'userId' };
  for (const prefix of [
    'users/{userId}/messages/{messageId}',
    'users/{userId}/mailFolders/{folderId}/messages/{messageId}',
  ]) {
    router.add('GET', `${prefix}/attachments`, {
      ...read,
      handle: async (call): Promise<SimResponse> => {
        const { message } = target(call);
        const { query } = listQuery(call);
        const all = await messageAttachments(call.sim, message);
        return json(200, {
          '@odata.context': contextUrl(
            call.sim.graphBase,
            `users('${call.params['userId']}')/messages('${call.params['messageId']}')/attachments`,
          ),
          value: all.map((a) => attachmentEntity(message, a, query.select)),
        });
      },
    });
    router.add('GET', `${prefix}/attachments/{attachmentId}`, {
      ...read,
      handle: async (call) => {
        const { message } = target(call);
        const { query } = listQuery(call);
        const a = await findAttachment(call, message);
        return json(200, {
          '@odata.context': contextUrl(
            call.sim.graphBase,
            `users('${call.params['userId']}')/messages('${call.params['messageId']}')/attachments/$entity`,
          ),
          ...attachmentEntity(message, a, query.select),
        });
      },
    });
    router.add('GET', `${prefix}/attachments/{attachmentId}/$value`, {
      ...read,
      handle: async (call) => {
        const { message } = target(call);
        const a = await findAttachment(call, message);
        return text(200, a.bytes, a.contentType);
      },
    });
    router.add('POST', `${prefix}/attachments`, {
      ...write,
      handle: (call) => {
        const { box, message } = target(call);
        let body: {
          '@odata.type'?: string;
          name?: string;
          contentType?: string;
          contentBytes?: string;
          isInline?: boolean;
          contentId?: string;
        };
        try {
          body = JSON.parse(call.req.body.toString('utf8'));
        } catch {
          throw new GraphError(400, 'RequestBodyRead', 'Invalid JSON in the request body.');
        }
        if (body['@odata.type'] !== '#microsoft.graph.fileAttachment') {
          throw new GraphError(
            400,
            'ErrorInvalidRequest',
            'Only #microsoft.graph.fileAttachment is supported by the simulator.',
          );
        }
        const bytes = Buffer.from(body.contentBytes ?? '', 'base64');
        if (bytes.length > smallAttachmentLimit) {
          throw new GraphError(
            413,
            'ErrorRequestEntityTooLarge',
            'The attachment exceeds 3 MB; use an upload session.',
          );
        }
        const added = attachToMessage(call, box, message, {
          name: body.name ?? 'attachment',
          contentType: body.contentType ?? 'application/octet-stream',
          size: bytes.length,
          isInline: body.isInline ?? false,
          contentId: body.contentId ?? null,
          sha256: call.sim.state.blobs.put(bytes),
        });
        return json(201, {
          '@odata.context': contextUrl(
            call.sim.graphBase,
            `users('${call.params['userId']}')/messages('${call.params['messageId']}')/attachments/$entity`,
          ),
          ...attachmentEntity(message, { ...added, bytes }),
        });
      },
    });
    router.add('POST', `${prefix}/attachments/createUploadSession`, {
      ...write,
      handle: (call) => {
        const { box, message } = target(call);
        let body: {
          AttachmentItem?: {
            attachmentType?: string;
            name?: string;
            size?: number;
            contentType?: string;
            isInline?: boolean;
            contentId?: string;
          };
        };
        try {
          body = JSON.parse(call.req.body.toString('utf8'));
        } catch {
          throw new GraphError(400, 'RequestBodyRead', 'Invalid JSON in the request body.');
        }
        const item = body.AttachmentItem;
        if (!item || item.attachmentType !== 'file' || !item.name || typeof item.size !== 'number') {
          throw new GraphError(
            400,
            'ErrorInvalidRequest',
            'AttachmentItem with attachmentType file, name and size is required.',
          );
        }
        if (item.size < smallAttachmentLimit) {
          throw new GraphError(
            400,
            'ErrorAttachmentSizeShouldNotBeLessThanMinimumSize',
            'Attachment size must be greater than the minimum size of 3 MB for an upload session.',
          );
        }
        if (item.size > largeAttachmentLimit) {
          throw new GraphError(
            400,
            'ErrorAttachmentSizeExceedsMaximum',
            'The attachment exceeds the maximum size of 150 MB.',
          );
        }
        return call.sim.mailUploads.create(call, box, message, {
          name: item.name,
          size: item.size,
          contentType: item.contentType ?? 'application/octet-stream',
          isInline: item.isInline ?? false,
          contentId: item.contentId ?? null,
        });
      },
    });
  }
}
