/** Metadata of any RFC 5322 message, read with mailparser (as Exchange would index it). */
import { simpleParser, type AddressObject, type EmailAddress } from 'mailparser';
import type { GenAddress, GenAttachmentInfo, ParsedMimeMetadata } from './contract.js';
import { previewOf } from './message-content.js';

function flatten(list: EmailAddress[], out: GenAddress[]): void {
  for (const a of list) {
    if (a.group) flatten(a.group, out);
    else if (a.address) out.push({ name: a.name ?? '', address: a.address });
  }
}

function addresses(value: AddressObject | AddressObject[] | undefined): GenAddress[] {
  const out: GenAddress[] = [];
  if (!value) return out;
  for (const obj of Array.isArray(value) ? value : [value]) flatten(obj.value, out);
  return out;
}

function isoSeconds(d: Date | undefined): string | null {
  if (!d || Number.isNaN(d.getTime())) return null;
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export async function parseMimeMetadata(mime: Buffer): Promise<ParsedMimeMetadata> {
  const parsed = await simpleParser(mime, {
    skipImageLinks: true,
    skipTextToHtml: true,
    skipTextLinks: true,
    keepCidLinks: true,
  });
  const from = addresses(parsed.from)[0] ?? null;
  const attachments: GenAttachmentInfo[] = parsed.attachments.map((a) => {
    const isInline = a.contentDisposition === 'inline' && !!a.cid;
    return {
      name: a.filename ?? 'attachment',
      contentType: a.contentType,
      size: a.size,
      isInline,
      contentId: a.cid ?? null,
    };
  });
  const html = typeof parsed.html === 'string' ? parsed.html : null;
  const text = parsed.text ?? '';
  return {
    subject: parsed.subject ?? '',
    from,
    toRecipients: addresses(parsed.to),
    ccRecipients: addresses(parsed.cc),
    sentDateTime: isoSeconds(parsed.date),
    internetMessageId: parsed.messageId ?? null,
    bodyPreview: previewOf(text),
    body: html !== null ? { contentType: 'html', content: html } : { contentType: 'text', content: text },
    attachments,
    hasAttachments: attachments.some((a) => !a.isInline),
  };
}
