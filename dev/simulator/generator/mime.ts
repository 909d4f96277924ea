/**
 * RFC 5322 MIME for a generated message, shaped like what Exchange Online returns from
 * `/messages/{id}/$value`: Received headers first, Exchange's header set, multipart/mixed >
 * multipart/related > multipart/alternative (text/plain + text/html, quoted-printable),
 * base64 attachments with Exchange's Content-Disposition parameters.
 *
 * The contract asks for a synchronous Buffer, and nodemailer's MailComposer only builds
 * asynchronously (streams), so the tree is written here and the encoding work is nodemailer's:
 * header encoding and folding (`MimeNode.encodeHeaderValue`, `mime-funcs`) and quoted-printable
 * (`qp`). Every byte follows from the message and its content seed: fixed boundaries, dates
 * and ids, so the same message always gives the same bytes.
 */
import MimeNode from 'nodemailer/lib/mime-node';
import * as mimeFuncs from 'nodemailer/lib/mime-funcs';
import * as qp from 'nodemailer/lib/qp';
import type { GenAttachmentInfo, GenMessage } from './contract.js';
import { canEncode, encodeCharset, encodedWords, rfc2231Param, type MailCharset } from './charsets.js';
import { contentSeedFor, fileBytes } from './content.js';
import { bodyHtml, bodyText, messagePlan } from './message-content.js';
import { Rng, deriveSeed } from './prng.js';

const CRLF = '\r\n';

interface Part {
  headers: string[];
  /** Encoded body (already transfer-encoded), or children for a multipart. */
  body?: Buffer;
  children?: Part[];
  boundary?: string;
}

function serialize(part: Part, out: Buffer[]): void {
  out.push(Buffer.from(part.headers.join(CRLF) + CRLF + CRLF, 'latin1'));
  if (part.children && part.boundary) {
    for (const child of part.children) {
      out.push(Buffer.from(`--${part.boundary}${CRLF}`, 'latin1'));
      serialize(child, out);
      out.push(Buffer.from(CRLF, 'latin1'));
    }
    out.push(Buffer.from(`--${part.boundary}--${CRLF}`, 'latin1'));
  } else if (part.body) {
    out.push(part.body);
  }
}

/** Base64 in 76-character lines, each ending in CRLF. */
function base64Lines(data: Buffer): Buffer {
  const b64 = data.toString('base64');
  const lines = Math.ceil(b64.length / 76);
  const out = Buffer.allocUnsafe(b64.length + lines * 2);
  let o = 0;
  for (let i = 0; i < b64.length; i += 76) {
    o += out.write(b64.slice(i, i + 76), o, 'latin1');
    out[o++] = 0x0d;
    out[o++] = 0x0a;
  }
  return out.subarray(0, o);
}

function quotedPrintable(bytes: Buffer): Buffer {
  const wrapped = qp.wrap(qp.encode(bytes), 76);
  return Buffer.from(wrapped.endsWith(CRLF) ? wrapped : wrapped + CRLF, 'latin1');
}

function fold(key: string, value: string): string {
  return mimeFuncs.foldLines(`${key}: ${value}`, 76);
}

/** `Tue, 4 Mar 2026 10:12:03 +0000`, as Exchange writes it. */
export function rfc2822Date(iso: string): string {
  const d = new Date(iso);
  const day = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'][d.getUTCDay()] ?? 'Mon';
  const month =
    ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'][d.getUTCMonth()] ??
    'Jan';
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${day}, ${d.getUTCDate()} ${month} ${d.getUTCFullYear()} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} +0000`;
}

function addressHeader(key: string, list: { name: string; address: string }[]): string {
  return fold(
    key,
    MimeNode.encodeHeaderValue(
      key,
      list.map((a) => ({ name: a.name, address: a.address })),
    ),
  );
}

/** A header with free text in `charset` (falling back to UTF-8 when it does not fit). */
function textHeader(key: string, text: string, charset: MailCharset, encoding: 'B' | 'Q'): string {
  if (/^[\x20-\x7e]*$/.test(text)) return fold(key, text);
  const cs = charset !== 'us-ascii' && canEncode(text, charset) ? charset : 'utf-8';
  return `${key}: ${encodedWords(text, cs, encoding)}`;
}

/** The attachment's bytes: deterministic from the message seed and the attachment's position. */
export function attachmentSeed(message: GenMessage, index: number, attachment: GenAttachmentInfo): number {
  const shared = message.attachmentSeeds?.[index];
  if (shared !== undefined && shared !== null) return shared;
  return contentSeedFor(deriveSeed(message.contentSeed, 'attachment', index), attachment.name);
}

/** The bytes of an attachment (an .eml attachment is a small mail of exactly `size` bytes). */
export function attachmentBytes(message: GenMessage, index: number, attachment: GenAttachmentInfo): Buffer {
  const seed = attachmentSeed(message, index, attachment);
  if (attachment.contentType === 'message/rfc822') return embeddedMessage(message, seed, attachment.size);
  return fileBytes({ contentSeed: seed, size: attachment.size });
}

/** A forwarded mail as an attachment: headers, then ASCII text lines, exactly `size` bytes. */
function embeddedMessage(message: GenMessage, seed: number, size: number): Buffer {
  const head =
    `From: ${message.toRecipients[0]?.address ?? message.from.address}${CRLF}` +
    `To: ${message.from.address}${CRLF}` +
    `Subject: Original message${CRLF}` +
    `Date: ${rfc2822Date(message.sentDateTime)}${CRLF}` +
    `MIME-Version: 1.0${CRLF}Content-Type: text/plain; charset=us-ascii${CRLF}${CRLF}`;
  const text = fileBytes({
    contentSeed: contentSeedFor(seed, 'x.txt'),
    size: Math.max(0, size * 2),
  }).toString('latin1');
  // ASCII only, lines of at most 76 characters.
  const ascii = text.replace(/[^\x20-\x7e]+/g, ' ');
  let body = '';
  for (let i = 0; body.length < size; i += 76) {
    const line = ascii.slice(i % Math.max(1, ascii.length), (i % Math.max(1, ascii.length)) + 76);
    body += (line.length > 0 ? line : 'x') + CRLF;
  }
  const all = Buffer.from(head + body, 'latin1');
  if (all.length >= size) {
    const cut = all.subarray(0, size);
    // A trailing lone CR is not a line break: end with a visible character instead.
    if (cut.length > 0 && cut[cut.length - 1] === 0x0d) cut[cut.length - 1] = 0x2e;
    return cut;
  }
  return all;
}

function filenameParams(name: string, charset: MailCharset, style: number): { ct: string; cd: string } {
  if (/^[\x20-\x7e]*$/.test(name) && !/["\\]/.test(name))
    return { ct: `name="${name}"`, cd: `filename="${name}"` };
  const cs: MailCharset = charset !== 'us-ascii' && canEncode(name, charset) ? charset : 'utf-8';
  // Quotes and backslashes in an ASCII name: RFC 2231 percent-encodes them (encoded words would not).
  if (style === 0 && /[^\x20-\x7e]/.test(name)) {
    // Exchange/Outlook style: RFC 2047 words inside the quoted parameters.
    const words = encodedWords(name, cs, 'B').replace(/\r\n /g, ' ');
    return { ct: `name="${words}"`, cd: `filename="${words}"` };
  }
  // RFC 2231 (Thunderbird, Apple Mail, most MTAs).
  return { ct: rfc2231Param('name', name, cs), cd: rfc2231Param('filename', name, cs) };
}

function attachmentPart(
  message: GenMessage,
  index: number,
  a: GenAttachmentInfo,
  charset: MailCharset,
  rng: Rng,
): Part {
  const bytes = attachmentBytes(message, index, a);
  const style = rng.below(2);
  const { ct, cd } = filenameParams(a.name, charset, style);
  const date = new Date(Date.parse(message.sentDateTime) - rng.int(0, 30) * 86_400_000).toUTCString();
  const headers = [`Content-Type: ${a.contentType};${CRLF}\t${ct}`];
  if (!/[^\x20-\x7e]/.test(a.name)) headers.push(fold('Content-Description', a.name));
  headers.push(
    `Content-Disposition: ${a.isInline ? 'inline' : 'attachment'};${CRLF}\t${cd}; size=${bytes.length};${CRLF}\tcreation-date="${date}";${CRLF}\tmodification-date="${date}"`,
  );
  if (a.contentId) headers.push(`Content-ID: <${a.contentId}>`);
  if (a.contentType === 'message/rfc822') {
    headers.push('Content-Transfer-Encoding: 7bit');
    return { headers, body: bytes };
  }
  headers.push('Content-Transfer-Encoding: base64');
  return { headers, body: base64Lines(bytes) };
}

function textPart(type: 'plain' | 'html', content: string, charset: MailCharset): Part {
  let cs = charset;
  let bytes = encodeCharset(content, cs);
  if (!bytes) {
    cs = 'utf-8';
    bytes = Buffer.from(content, 'utf8');
  }
  const headers = [`Content-Type: text/${type}; charset="${cs}"`];
  if (
    cs === 'iso-2022-jp' &&
    !bytes.some((b) => b > 0x7e) &&
    content.split('\r\n').every((l) => l.length < 300)
  ) {
    headers.push('Content-Transfer-Encoding: 7bit');
    return { headers, body: bytes };
  }
  if (cs === 'shift_jis' || cs === 'iso-2022-jp') {
    headers.push('Content-Transfer-Encoding: base64');
    return { headers, body: base64Lines(bytes) };
  }
  headers.push('Content-Transfer-Encoding: quoted-printable');
  return { headers, body: quotedPrintable(bytes) };
}

const SERVERS = [
  'AM9PR07MB7154',
  'DB9PR07MB8210',
  'PAXPR03MB7890',
  'VI1PR04MB5566',
  'GV1PR09MB6677',
  'FR3P281MB1234',
];

function exchangeHost(rng: Rng): string {
  return `${rng.pick(SERVERS)}.${rng.pick(['eurprd07', 'eurprd04', 'namprd12', 'apcprd03'])}.prod.outlook.com`;
}

/** A long opaque header value (base64 tokens), folded the way Exchange folds it. */
function opaque(key: string, value: string): string {
  const lines: string[] = [];
  let rest = `${key}: ${value}`;
  while (rest.length > 76) {
    lines.push(rest.slice(0, 76));
    rest = rest.slice(76);
  }
  lines.push(rest);
  return lines.join('\r\n\t');
}

function b64(rng: Rng, bytes: number): string {
  return Buffer.from(rng.hex(bytes), 'hex').toString('base64');
}

/** What a message from outside picks up on its way in: SPF, DKIM, the sender's own relay. */
function originHeaders(rng: Rng, fromDomain: string, toDomain: string, sent: number): string[] {
  const ip = `${rng.int(20, 223)}.${rng.int(0, 255)}.${rng.int(0, 255)}.${rng.int(1, 254)}`;
  const relay = `mail-${rng.pick(['wm1', 'ej1', 'lf1', 'pj1'])}-f${rng.int(10, 99)}.${fromDomain}`;
  return [
    fold(
      'Received',
      `from ${relay} (${ip}) by ${rng.pick(['DB1PEPF', 'AMS0EPF', 'VI1EUR04FT'])}${rng.int(10000, 99999)}.mail.protection.outlook.com (10.167.${rng.int(0, 255)}.${rng.int(1, 254)}) with Microsoft SMTP Server (version=TLS1_3, cipher=TLS_AES_256_GCM_SHA384) id 15.20.${rng.int(7000, 8999)}.${rng.int(10, 40)} via Frontend Transport; ${rfc2822Date(new Date(sent + 800).toISOString())}`,
    ),
    fold(
      'Authentication-Results',
      `spf=pass (sender IP is ${ip}) smtp.mailfrom=${fromDomain}; dkim=pass (signature was verified) header.d=${fromDomain};dmarc=pass action=none header.from=${fromDomain};compauth=pass reason=100`,
    ),
    fold(
      'Received-SPF',
      `Pass (protection.outlook.com: domain of ${fromDomain} designates ${ip} as permitted sender) receiver=protection.outlook.com; client-ip=${ip}; helo=${relay}; pr=C`,
    ),
    opaque(
      'DKIM-Signature',
      `v=1; a=rsa-sha256; c=relaxed/relaxed; d=${fromDomain}; s=${rng.pick(['selector1', '20230601', 'google', 'k1'])}; t=${Math.floor(sent / 1000)}; darn=${toDomain}; h=to:subject:message-id:date:from:mime-version:from:to:cc:subject:date:message-id:reply-to; bh=${b64(rng, 32)}; b=${b64(rng, 256)}`,
    ),
  ];
}

/** The X-MS-Exchange-* and anti-spam stamps Exchange Online leaves on every delivered message. */
function transportHeaders(
  rng: Rng,
  inbound: boolean,
  host: string,
  toDomain: string,
  received: number,
  language: string,
): string[] {
  const stamp = (t: number): string => {
    const d = new Date(t);
    const p = (n: number, w = 2): string => String(n).padStart(w, '0');
    return `${p(d.getUTCDate())} ${['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'][d.getUTCMonth()] ?? 'Jan'} ${d.getUTCFullYear()} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}.${p(rng.int(0, 9999), 4)} (UTC)`;
  };
  const networkId = rng.guid();
  const tenant = Rng.derive(deriveSeed(0, toDomain), 'tenant').guid();
  const sfs = Array.from({ length: rng.int(4, 9) }, () => `(${rng.int(1000, 99999999)})`).join('');
  return [
    `X-MS-Exchange-Organization-SCL: ${inbound ? rng.int(1, 5) : -1}`,
    `X-MS-Exchange-Organization-AuthSource: ${host}`,
    `X-MS-Exchange-Organization-AuthAs: ${inbound ? 'Anonymous' : 'Internal'}`,
    `X-MS-Exchange-Organization-Network-Message-Id: ${networkId}`,
    `X-MS-Exchange-Organization-MessageDirectionality: ${inbound ? 'Incoming' : 'Originating'}`,
    `X-MS-PublicTrafficType: Email`,
    `X-MS-TrafficTypeDiagnostic: ${host.split('.')[0] ?? host}:EE_|${rng.pick(['AM9PR07MB7154', 'DB9PR07MB8210'])}:EE_`,
    `X-MS-Office365-Filtering-Correlation-Id: ${networkId}`,
    fold(
      'X-Microsoft-Antispam',
      `BCL:0;ARA:13230040|${rng.int(1000000, 9999999)}|${rng.int(100000, 999999)}|${rng.int(1000, 99999)};`,
    ),
    fold(
      'X-Forefront-Antispam-Report',
      `CIP:${inbound ? `${rng.int(20, 223)}.${rng.int(0, 255)}.${rng.int(0, 255)}.${rng.int(1, 254)}` : '255.255.255.255'};CTRY:;LANG:${language};SCL:${inbound ? 1 : -1};SRV:;IPV:NLI;SFV:NSPM;H:${host};PTR:;CAT:NONE;SFS:${sfs};DIR:${inbound ? 'INB' : 'INT'};`,
    ),
    opaque('X-Microsoft-Antispam-Message-Info', b64(rng, rng.int(900, 1800))),
    `X-MS-Exchange-CrossTenant-OriginalArrivalTime: ${stamp(received)}`,
    `X-MS-Exchange-CrossTenant-Network-Message-Id: ${networkId}`,
    `X-MS-Exchange-CrossTenant-Id: ${tenant}`,
    `X-MS-Exchange-CrossTenant-AuthSource: ${host}`,
    `X-MS-Exchange-CrossTenant-AuthAs: ${inbound ? 'Anonymous' : 'Internal'}`,
    `X-MS-Exchange-CrossTenant-FromEntityHeader: ${inbound ? 'Internet' : 'Hosted'}`,
    `X-MS-Exchange-Transport-EndToEndLatency: 00:00:${String(rng.int(0, 59)).padStart(2, '0')}.${rng.int(1000000, 9999999)}`,
    `X-MS-Exchange-Processed-By-BccFoldering: 15.20.${rng.int(7000, 8999)}.000`,
  ];
}

/** Full RFC 5322 MIME of a generated message (CRLF line endings), identical for identical input. */
export function buildMime(message: GenMessage): Buffer {
  const plan = messagePlan(message.contentSeed);
  // What the sender made (boundaries, attachments, Thread-Index, the submission hop) follows from
  // the content seed; what the delivering mailbox adds, from the copy's own seed: copies of one
  // message differ only in those headers.
  const rng = Rng.derive(message.contentSeed, 'mime');
  const copy = Rng.derive(message.transportSeed ?? message.contentSeed, 'copy');
  const hex = rng.hex(16).toUpperCase();
  const hostB = exchangeHost(rng);
  const hostA = exchangeHost(copy);
  let boundaryCount = 0;
  const boundary = (): string => `_00${boundaryCount++}_${hex}${hostB.split('.')[0]}_`;

  // Body tree: alternative(text, html) inside related(+inline images) inside mixed(+attachments).
  const text = textPart('plain', bodyText(message), plan.charset);
  let body: Part = text;
  if (plan.html) {
    body = {
      headers: [],
      boundary: '',
      children: [text, textPart('html', bodyHtml(message, plan.charset), plan.charset)],
    };
  }
  const inline: Part[] = [];
  const attached: Part[] = [];
  message.attachments.forEach((a, i) => {
    const part = attachmentPart(message, i, a, plan.charset, rng);
    if (a.isInline && plan.html) inline.push(part);
    else attached.push(part);
  });
  const typed = (part: Part, subtype: string, extra = ''): Part => {
    const b = boundary();
    return {
      ...part,
      boundary: b,
      headers: [`Content-Type: multipart/${subtype};${CRLF}\tboundary="${b}"${extra}`],
    };
  };
  if (body.children) body = typed(body, 'alternative');
  if (inline.length > 0) {
    body = typed(
      { headers: [], children: [body, ...inline] },
      'related',
      `;${CRLF}\ttype="${body.children ? 'multipart/alternative' : 'text/plain'}"`,
    );
  }
  if (attached.length > 0) body = typed({ headers: [], children: [body, ...attached] }, 'mixed');

  const received = Date.parse(message.receivedDateTime);
  const sent = Date.parse(message.sentDateTime);
  const hop = (t: number): string => rfc2822Date(new Date(t).toISOString());
  const headers: string[] = [
    fold(
      'Received',
      `from ${hostB} (2603:10a6:${copy.hex(2)}:${copy.hex(2)}::${copy.int(1, 30)}) by ${hostA} with HTTPS; ${hop(received)}`,
    ),
    fold(
      'Received',
      `from ${hostB} ([fe80::${rng.hex(2)}:${rng.hex(2)}:${rng.hex(2)}:${rng.hex(2)}]) by ${hostB} ([fe80::${rng.hex(2)}:${rng.hex(2)}%${rng.int(3, 9)}]) with mapi id 15.20.${rng.int(7000, 8999)}.${rng.int(10, 40)}; ${hop(sent + Math.min(1000, received - sent))}`,
    ),
  ];
  const fromDomain = message.from.address.split('@')[1] ?? 'example.com';
  const toDomain = message.toRecipients[0]?.address.split('@')[1] ?? fromDomain;
  const inbound = fromDomain !== toDomain;
  if (inbound) headers.push(...originHeaders(copy, fromDomain, toDomain, sent));
  headers.push(addressHeader('From', [message.from]));
  if (message.toRecipients.length > 0) headers.push(addressHeader('To', message.toRecipients));
  if (message.ccRecipients.length > 0) headers.push(addressHeader('CC', message.ccRecipients));
  headers.push(textHeader('Subject', message.subject, plan.charset, plan.headerEncoding));
  headers.push(
    textHeader(
      'Thread-Topic',
      message.subject.replace(/^(re|aw|fw|fwd|wg|tr|sv|odp):\s*/i, ''),
      plan.charset,
      plan.headerEncoding,
    ),
  );
  headers.push(`Thread-Index: ${Buffer.from(rng.hex(22), 'hex').toString('base64')}`);
  headers.push(`Date: ${rfc2822Date(message.sentDateTime)}`);
  headers.push(`Message-ID: ${message.internetMessageId}`);
  if (message.importance !== 'normal') headers.push(`Importance: ${message.importance}`);
  const locale = { en: 'en-US', de: 'de-DE', fr: 'fr-FR', es: 'es-ES', pl: 'pl-PL', ja: 'ja-JP' }[
    plan.language
  ];
  headers.push(
    `Accept-Language: ${locale === 'en-US' ? locale : `${locale}, en-US`}`,
    `Content-Language: ${locale}`,
  );
  headers.push(`X-MS-Has-Attach: ${message.hasAttachments ? 'yes' : ''}`.trimEnd());
  headers.push('X-MS-TNEF-Correlator:');
  headers.push(...transportHeaders(copy, inbound, hostA, toDomain, received, plan.language));
  headers.push(...body.headers);
  headers.push('MIME-Version: 1.0');
  const root: Part = { ...body, headers };
  const out: Buffer[] = [];
  serialize(root, out);
  return Buffer.concat(out);
}
