/**
 * JSON of mail folders, messages and attachments as Outlook returns them. The message body and
 * the attachments come from the message's MIME (parsed on demand, a few recent ones cached).
 */
import { simpleParser, type Attachment } from 'mailparser';
import type { SimContext } from '../context';
import { applySelect } from '../http/odata';
import { attachmentId } from '../ids';
import type { GenAddress } from '../generator/contract';
import { folderCounts, childFolders, messageEtag } from '../store/mail-store';
import { messageMime } from '../store/message-mime';
import type { FolderRec, MailboxRec, MessageRec } from '../store/model';

export function folderEntity(mailbox: MailboxRec, folder: FolderRec): Record<string, unknown> {
  const counts = folderCounts(mailbox, folder);
  return {
    id: folder.id,
    displayName: folder.displayName,
    parentFolderId: folder.parentId ?? '',
    childFolderCount: childFolders(mailbox, folder.id).length,
    unreadItemCount: counts.unread,
    totalItemCount: counts.total,
    sizeInBytes: counts.size,
    isHidden: folder.isHidden,
  };
}

const recipient = (a: GenAddress) => ({ emailAddress: { name: a.name, address: a.address } });

const bodyCache = new Map<string, { contentType: string; content: string }>();

export async function messageBody(
  sim: SimContext,
  message: MessageRec,
): Promise<{ contentType: string; content: string }> {
  // Keyed by the bytes' identity (not ids, which repeat across simulators in one process).
  const base =
    message.content.kind === 'blob'
      ? message.content.sha256
      : `gen:${message.content.gen.contentSeed}:${message.content.gen.key}`;
  const key = `${base}:${message.addedAttachments.map((a) => a.sha256).join(',')}`;
  const cached = bodyCache.get(key);
  if (cached) return cached;
  const parsed = await sim.state.generator.parseMimeMetadata(messageMime(sim.state, message));
  const body = { contentType: parsed.body.contentType, content: parsed.body.content };
  bodyCache.set(key, body);
  if (bodyCache.size > 500) bodyCache.delete(bodyCache.keys().next().value!);
  return body;
}

function htmlToText(html: string): string {
  return html
    .replace(/<(style|script|head)[\s\S]*?<\/\1>/gi, '')
    .replace(/<br\s*\/?>|<\/p>|<\/div>/gi, '\r\n')
    .replace(/<[^>]+>/g, '')
    .replace(/&nbsp;/g, ' ')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&')
    .trim();
}

export const defaultMessageProperties = [
  'createdDateTime',
  'lastModifiedDateTime',
  'changeKey',
  'categories',
  'receivedDateTime',
  'sentDateTime',
  'hasAttachments',
  'internetMessageId',
  'subject',
  'bodyPreview',
  'importance',
  'parentFolderId',
  'conversationId',
  'conversationIndex',
  'isDeliveryReceiptRequested',
  'isReadReceiptRequested',
  'isRead',
  'isDraft',
  'webLink',
  'inferenceClassification',
  'body',
  'sender',
  'from',
  'toRecipients',
  'ccRecipients',
  'bccRecipients',
  'replyTo',
  'flag',
];

export async function messageEntity(
  sim: SimContext,
  message: MessageRec,
  options: { immutableIds: boolean; select?: string[]; typed?: boolean; bodyType?: string },
): Promise<Record<string, unknown>> {
  const id = options.immutableIds ? message.immutableId : message.restId;
  const ck = messageEtag(message);
  const wants = (p: string) =>
    !options.select || options.select.some((s) => s.toLowerCase() === p.toLowerCase());
  const entity: Record<string, unknown> = {};
  if (options.typed) entity['@odata.type'] = '#microsoft.graph.message';
  entity['@odata.etag'] = `W/"${ck}"`;
  entity['id'] = id;
  const all: Record<string, () => unknown> = {
    createdDateTime: () => message.createdDateTime,
    lastModifiedDateTime: () => message.lastModifiedDateTime,
    changeKey: () => ck,
    categories: () => message.categories,
    receivedDateTime: () => message.receivedDateTime,
    sentDateTime: () => message.sentDateTime,
    hasAttachments: () => message.hasAttachments,
    internetMessageId: () => message.internetMessageId,
    subject: () => message.subject,
    bodyPreview: () => message.bodyPreview,
    importance: () => message.importance,
    parentFolderId: () => message.folderId,
    conversationId: () => message.conversationId,
    conversationIndex: () => Buffer.from(message.conversationId).subarray(0, 22).toString('base64'),
    isDeliveryReceiptRequested: () => false,
    isReadReceiptRequested: () => false,
    isRead: () => message.isRead,
    isDraft: () => message.isDraft,
    webLink: () =>
      `https://outlook.office365.com/owa/?ItemID=${encodeURIComponent(id)}&exvsurl=1&viewmodel=ReadMessageItem`,
    inferenceClassification: () => 'focused',
    sender: () => (message.from ? recipient(message.from) : null),
    from: () => (message.from ? recipient(message.from) : null),
    toRecipients: () => message.toRecipients.map(recipient),
    ccRecipients: () => message.ccRecipients.map(recipient),
    bccRecipients: () => message.bccRecipients.map(recipient),
    replyTo: () => message.replyTo.map(recipient),
    flag: () => ({ flagStatus: message.flagStatus }),
  };
  for (const property of defaultMessageProperties) {
    if (!wants(property)) continue;
    if (property === 'body') {
      const body = await messageBody(sim, message);
      // Prefer: outlook.body-content-type="text" turns an HTML body into text.
      entity['body'] =
        options.bodyType?.toLowerCase() === 'text' && body.contentType === 'html'
          ? { contentType: 'text', content: htmlToText(body.content) }
          : body;
    } else entity[property] = all[property]!();
  }
  if (
    options.select?.some((s) => s.toLowerCase() === 'singlevalueextendedproperties') &&
    message.extendedProperties
  ) {
    entity['singleValueExtendedProperties'] = Object.entries(message.extendedProperties).map(
      ([pid, value]) => ({ id: pid, value }),
    );
  }
  return entity;
}

export interface ParsedAttachment {
  id: string;
  name: string;
  contentType: string;
  size: number;
  isInline: boolean;
  contentId: string | null;
  bytes: Buffer;
}

export async function messageAttachments(sim: SimContext, message: MessageRec): Promise<ParsedAttachment[]> {
  const parsed = await simpleParser(messageMime(sim.state, message), {
    skipHtmlToText: true,
    skipTextToHtml: true,
    skipTextLinks: true,
  });
  const list = parsed.attachments ?? [];
  // Attachments added through Graph are appended to the MIME; they keep the ids Graph gave them.
  const firstAdded = list.length - message.addedAttachments.length;
  return list.map((a: Attachment, index: number) => ({
    id:
      index >= firstAdded
        ? message.addedAttachments[index - firstAdded]!.id
        : attachmentId(message.immutableId, index),
    name: a.filename ?? `attachment${index + 1}`,
    contentType: a.contentType,
    size: a.size ?? a.content.length,
    isInline: a.contentDisposition === 'inline' || a.related === true,
    contentId: a.contentId ? a.contentId.replace(/^<|>$/g, '') : null,
    bytes: a.content,
  }));
}

export function attachmentEntity(
  message: MessageRec,
  a: ParsedAttachment,
  select?: string[],
): Record<string, unknown> {
  return applySelect(
    {
      '@odata.type': '#microsoft.graph.fileAttachment',
      '@odata.mediaContentType': a.contentType,
      id: a.id,
      lastModifiedDateTime: message.lastModifiedDateTime,
      name: a.name,
      contentType: a.contentType,
      size: a.size,
      isInline: a.isInline,
      contentId: a.contentId,
      contentLocation: null,
      contentBytes: a.bytes.toString('base64'),
    },
    select,
  );
}
