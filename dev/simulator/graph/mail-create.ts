/**
 * Creating messages: from base64 MIME (`Content-Type: text/plain`; always a draft, as Exchange
 * makes it), from JSON (a draft unless PR_MESSAGE_FLAGS `Integer 0x0E07` clears MSGFLAG_UNSENT;
 * PR_MESSAGE_DELIVERY_TIME `SystemTime 0x0E06` and PR_CLIENT_SUBMIT_TIME `SystemTime 0x0039` set
 * the received and sent dates), from raw RFC 5322 bytes (control API deliveries), and sendMail.
 */
import MailComposer from 'nodemailer/lib/mail-composer';
import type { SimContext } from '../context';
import type { GenAddress } from '../generator/contract';
import { GraphError } from '../http/errors';
import { addMessage, type NewMessage } from '../store/mail-store';
import type { AddedAttachment, FolderRec, MailboxRec, MessageRec, TenantState } from '../store/model';
import { attachmentId } from '../ids';

export const extendedProperty = {
  messageFlags: 'integer 0x0e07',
  deliveryTime: 'systemtime 0x0e06',
  submitTime: 'systemtime 0x0039',
};
const MSGFLAG_READ = 0x1;
const MSGFLAG_UNSENT = 0x8;

/** Decodes a base64 MIME body strictly (Exchange rejects anything else). */
export function decodeBase64Mime(body: Buffer): Buffer {
  const text = body.toString('latin1').replace(/\s+/g, '');
  if (text.length === 0 || text.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(text)) {
    throw new GraphError(
      400,
      'ErrorMimeContentInvalidBase64String',
      'Invalid base64 string for MIME content.',
    );
  }
  const mime = Buffer.from(text, 'base64');
  if (!/^[\x21-\x39\x3b-\x7e]+:/.test(mime.subarray(0, 200).toString('latin1'))) {
    throw new GraphError(
      400,
      'ErrorMimeContentInvalidBase64String',
      'Invalid base64 string for MIME content.',
    );
  }
  return mime;
}

/** Stores raw RFC 5322 bytes as a message in `folder` (metadata parsed from the MIME). */
export async function messageFromMime(
  sim: SimContext,
  tenant: TenantState,
  mailbox: MailboxRec,
  folder: FolderRec,
  mime: Buffer,
  flags: Partial<Pick<NewMessage, 'isRead' | 'isDraft' | 'receivedDateTime' | 'flagStatus' | 'categories'>>,
): Promise<MessageRec> {
  const meta = await sim.state.generator.parseMimeMetadata(mime);
  const sha256 = sim.state.blobs.put(mime);
  return addMessage(sim.state, tenant, mailbox, folder, {
    content: { kind: 'blob', sha256, size: mime.length },
    subject: meta.subject,
    from: meta.from,
    toRecipients: meta.toRecipients,
    ccRecipients: meta.ccRecipients,
    sentDateTime: meta.sentDateTime,
    internetMessageId: meta.internetMessageId,
    bodyPreview: meta.bodyPreview,
    attachments: meta.attachments,
    hasAttachments: meta.hasAttachments,
    ...flags,
  });
}

interface JsonRecipient {
  emailAddress?: { name?: string; address?: string };
}

function addresses(value: unknown): GenAddress[] {
  if (!Array.isArray(value)) return [];
  return (value as JsonRecipient[])
    .filter((r) => r?.emailAddress?.address)
    .map((r) => ({
      name: r.emailAddress?.name ?? r.emailAddress!.address!,
      address: r.emailAddress!.address!,
    }));
}

function address(value: unknown): GenAddress | null {
  return addresses(value ? [value] : [])[0] ?? null;
}

export interface JsonMessage {
  subject?: string;
  body?: { contentType?: string; content?: string };
  toRecipients?: unknown;
  ccRecipients?: unknown;
  bccRecipients?: unknown;
  replyTo?: unknown;
  from?: unknown;
  sender?: unknown;
  isRead?: boolean;
  importance?: 'low' | 'normal' | 'high';
  categories?: string[];
  flag?: { flagStatus?: 'notFlagged' | 'flagged' | 'complete' };
  internetMessageId?: string;
  internetMessageHeaders?: { name: string; value: string }[];
  singleValueExtendedProperties?: { id: string; value: string }[];
  attachments?: {
    '@odata.type'?: string;
    name?: string;
    contentType?: string;
    contentBytes?: string;
    isInline?: boolean;
    contentId?: string;
  }[];
}

export function extendedProperties(json: JsonMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of json.singleValueExtendedProperties ?? []) {
    if (typeof p?.id !== 'string' || typeof p.value !== 'string') {
      throw new GraphError(400, 'ErrorInvalidExtendedProperty', 'The extended property is invalid.');
    }
    out[p.id.trim().replace(/\s+/g, ' ').toLowerCase()] = p.value;
  }
  return out;
}

function isoOf(value: string | undefined): string | undefined {
  if (!value) return undefined;
  const date = new Date(value);
  if (Number.isNaN(date.getTime()))
    throw new GraphError(400, 'ErrorInvalidExtendedPropertyValue', `Invalid SystemTime value '${value}'.`);
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

async function compose(json: JsonMessage, from: GenAddress | null, date: string | null): Promise<Buffer> {
  const fmt = (a: GenAddress) => ({ name: a.name, address: a.address });
  const composer = new MailComposer({
    keepBcc: true,
    from: from ? fmt(from) : undefined,
    to: addresses(json.toRecipients).map(fmt),
    cc: addresses(json.ccRecipients).map(fmt),
    bcc: addresses(json.bccRecipients).map(fmt),
    replyTo: addresses(json.replyTo).map(fmt),
    subject: json.subject ?? '',
    ...(json.body?.contentType?.toLowerCase() === 'html'
      ? { html: json.body?.content ?? '' }
      : { text: json.body?.content ?? '' }),
    date: date ? new Date(date) : new Date(),
    messageId: json.internetMessageId,
    headers: Object.fromEntries((json.internetMessageHeaders ?? []).map((h) => [h.name, h.value])),
  } as unknown as ConstructorParameters<typeof MailComposer>[0]);
  return new Promise((resolve, reject) =>
    composer.compile().build((err, message) => (err ? reject(err) : resolve(message))),
  );
}

function jsonAttachments(sim: SimContext, json: JsonMessage, now: string): Omit<AddedAttachment, 'id'>[] {
  return (json.attachments ?? []).map((a) => {
    if (a['@odata.type'] && a['@odata.type'] !== '#microsoft.graph.fileAttachment') {
      throw new GraphError(
        400,
        'ErrorInvalidRequest',
        'Only file attachments are supported by the simulator.',
      );
    }
    const bytes = Buffer.from(a.contentBytes ?? '', 'base64');
    return {
      name: a.name ?? 'attachment',
      contentType: a.contentType ?? 'application/octet-stream',
      size: bytes.length,
      isInline: a.isInline ?? false,
      contentId: a.contentId ?? null,
      sha256: sim.state.blobs.put(bytes),
      lastModifiedDateTime: now,
    };
  });
}

/** A message created from JSON (Graph's `POST /messages` with an application/json body). */
export async function messageFromJson(
  sim: SimContext,
  tenant: TenantState,
  mailbox: MailboxRec,
  folder: FolderRec,
  json: JsonMessage,
  defaults: { from: GenAddress | null; isDraft: boolean; isRead?: boolean },
): Promise<MessageRec> {
  const props = extendedProperties(json);
  const now = sim.state.nowIso();
  const flags = props[extendedProperty.messageFlags];
  let isDraft = defaults.isDraft;
  let isRead = json.isRead ?? defaults.isRead ?? true;
  if (flags !== undefined) {
    const n = Number(flags);
    if (!Number.isInteger(n))
      throw new GraphError(400, 'ErrorInvalidExtendedPropertyValue', `Invalid Integer value '${flags}'.`);
    isDraft = (n & MSGFLAG_UNSENT) !== 0;
    if (json.isRead === undefined) isRead = (n & MSGFLAG_READ) !== 0;
  }
  const received = isoOf(props[extendedProperty.deliveryTime]) ?? now;
  // Graph reports a draft's sentDateTime as its creation time.
  const sent = isoOf(props[extendedProperty.submitTime]) ?? received;
  const from = address(json.from) ?? address(json.sender) ?? defaults.from;
  const mime = await compose(json, from, sent);
  const sha256 = sim.state.blobs.put(mime);
  const added = jsonAttachments(sim, json, now);
  const preview = (json.body?.content ?? '')
    .replace(/<[^>]*>/g, ' ')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, 255);
  const message = addMessage(sim.state, tenant, mailbox, folder, {
    content: { kind: 'blob', sha256, size: mime.length },
    subject: json.subject ?? '',
    from,
    toRecipients: addresses(json.toRecipients),
    ccRecipients: addresses(json.ccRecipients),
    bccRecipients: addresses(json.bccRecipients),
    replyTo: addresses(json.replyTo),
    sentDateTime: sent,
    receivedDateTime: received,
    createdDateTime: now,
    internetMessageId: json.internetMessageId ?? null,
    bodyPreview: preview,
    attachments: [],
    hasAttachments: added.some((a) => !a.isInline),
    isRead,
    isDraft,
    flagStatus: json.flag?.flagStatus ?? 'notFlagged',
    importance: json.importance ?? 'normal',
    categories: json.categories ?? [],
    extendedProperties: Object.keys(props).length ? props : undefined,
  });
  message.addedAttachments = added.map((a, i) => ({ ...a, id: attachmentId(message.immutableId, 1000 + i) }));
  if (message.internetMessageId === null) {
    const m = /^Message-ID:\s*(<[^>]+>)/im.exec(mime.subarray(0, 4000).toString('latin1'));
    message.internetMessageId = m?.[1] ?? null;
  }
  return message;
}

export { compose as composeMime, addresses as jsonAddresses };
