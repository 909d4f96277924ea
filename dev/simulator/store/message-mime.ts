/**
 * A message's full RFC 5322 bytes: generated from its seed or kept verbatim, plus any attachments
 * added through Graph after creation (spliced into a multipart/mixed envelope, as Exchange's MIME
 * conversion would show them).
 */
import type { AddedAttachment, MessageRec } from './model';
import type { SimState } from './state';

export function baseMime(state: SimState, message: MessageRec): Buffer {
  return message.content.kind === 'gen'
    ? state.generator.buildMime(message.content.gen)
    : state.blobs.get(message.content.sha256);
}

export function messageMime(state: SimState, message: MessageRec): Buffer {
  const base = baseMime(state, message);
  if (message.addedAttachments.length === 0) return base;
  return appendAttachments(
    base,
    message.addedAttachments.map((a) => ({ info: a, bytes: state.blobs.get(a.sha256) })),
  );
}

function splitHeaders(mime: Buffer): { headers: string; body: Buffer } {
  let end = mime.indexOf('\r\n\r\n');
  let sep = 4;
  if (end < 0) {
    end = mime.indexOf('\n\n');
    sep = 2;
  }
  if (end < 0) return { headers: mime.toString('latin1'), body: Buffer.alloc(0) };
  return { headers: mime.subarray(0, end).toString('latin1'), body: mime.subarray(end + sep) };
}

/** Header lines, with folded continuation lines joined to their header. */
function headerLines(headers: string): string[] {
  const lines: string[] = [];
  for (const line of headers.split(/\r?\n/)) {
    if (/^[ \t]/.test(line) && lines.length > 0) lines[lines.length - 1] += '\r\n' + line;
    else lines.push(line);
  }
  return lines;
}

function encodeFileName(name: string): string {
  return /^[\x20-\x7e]*$/.test(name)
    ? `"${name.replace(/"/g, '')}"`
    : `"=?UTF-8?B?${Buffer.from(name).toString('base64')}?="`;
}

function attachmentPart(info: AddedAttachment, bytes: Buffer): string {
  const lines = [
    `Content-Type: ${info.contentType}; name=${encodeFileName(info.name)}`,
    `Content-Disposition: ${info.isInline ? 'inline' : 'attachment'}; filename=${encodeFileName(info.name)}; size=${bytes.length}`,
    'Content-Transfer-Encoding: base64',
  ];
  if (info.contentId) lines.push(`Content-ID: <${info.contentId}>`);
  const b64 = bytes.toString('base64').replace(/.{1,76}/g, '$&\r\n');
  return lines.join('\r\n') + '\r\n\r\n' + b64;
}

export function appendAttachments(
  mime: Buffer,
  attachments: { info: AddedAttachment; bytes: Buffer }[],
): Buffer {
  const { headers, body } = splitHeaders(mime);
  const lines = headerLines(headers);
  const contentTypeIndex = lines.findIndex((l) => /^content-type:/i.test(l));
  const contentType =
    contentTypeIndex >= 0 ? lines[contentTypeIndex]! : 'Content-Type: text/plain; charset=us-ascii';
  const boundaryMatch = /boundary="?([^";\r\n]+)"?/i.exec(contentType);
  const parts = attachments.map((a) => attachmentPart(a.info, a.bytes));
  if (/multipart\/mixed/i.test(contentType) && boundaryMatch) {
    const boundary = boundaryMatch[1]!;
    const closing = Buffer.from(`--${boundary}--`);
    const at = body.lastIndexOf(closing);
    if (at >= 0) {
      const insert = parts.map((p) => `--${boundary}\r\n${p}\r\n`).join('');
      return Buffer.concat([
        Buffer.from(headers + '\r\n\r\n', 'latin1'),
        body.subarray(0, at),
        Buffer.from(insert, 'latin1'),
        body.subarray(at),
      ]);
    }
  }
  // Wrap: the original body (with its Content-* headers) becomes the first part of a new multipart/mixed.
  const boundary = `_sim_mixed_${Date.now().toString(36)}_`;
  const contentHeaders = lines.filter((l) => /^content-/i.test(l));
  const otherHeaders = lines.filter((l) => !/^content-/i.test(l) && !/^mime-version:/i.test(l));
  const head = [
    ...otherHeaders,
    'MIME-Version: 1.0',
    `Content-Type: multipart/mixed; boundary="${boundary}"`,
  ].join('\r\n');
  const first = (contentHeaders.length ? contentHeaders : [contentType]).join('\r\n');
  return Buffer.concat([
    Buffer.from(`${head}\r\n\r\n--${boundary}\r\n${first}\r\n\r\n`, 'latin1'),
    body,
    Buffer.from(`\r\n${parts.map((p) => `--${boundary}\r\n${p}\r\n`).join('')}--${boundary}--\r\n`, 'latin1'),
  ]);
}
