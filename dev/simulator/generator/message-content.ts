/**
 * What a message says and how it is encoded, derived from its content seed: language, charset,
 * text and HTML bodies. The tenant generator and `buildMime` both call these, so the metadata
 * (subject language, bodyPreview) always matches the MIME.
 */
import type { GenMessage } from './contract.js';
import { canEncode, type MailCharset } from './charsets.js';
import { Rng } from './prng.js';
import { ACTIONS, ACTORS, CLOSINGS, GREETINGS, OBJECTS, SENTENCES, WHEN } from './vocabulary.js';

export type Language = 'en' | 'de' | 'fr' | 'es' | 'pl' | 'ja';

export interface MessagePlan {
  language: Language;
  /** Charset of the body parts, and of the subject when it fits. */
  charset: MailCharset;
  /** Encoded-word flavour for headers. */
  headerEncoding: 'B' | 'Q';
  /** False for the few plain-text-only messages. */
  html: boolean;
}

let lastPlan: { seed: number; plan: MessagePlan } | null = null;

export function messagePlan(contentSeed: number): MessagePlan {
  // The tenant generator asks twice per message (subject, then preview): keep the last one.
  if (lastPlan?.seed === contentSeed) return lastPlan.plan;
  const plan = computePlan(contentSeed);
  lastPlan = { seed: contentSeed, plan };
  return plan;
}

function computePlan(contentSeed: number): MessagePlan {
  const rng = Rng.derive(contentSeed, 'plan');
  const language = rng.weighted<Language>([
    ['en', 62],
    ['de', 14],
    ['fr', 7],
    ['es', 6],
    ['pl', 5],
    ['ja', 6],
  ]);
  let charset: MailCharset;
  switch (language) {
    case 'ja':
      charset = rng.weighted<MailCharset>([
        ['iso-2022-jp', 5],
        ['shift_jis', 2],
        ['utf-8', 3],
      ]);
      break;
    case 'pl':
      charset = rng.weighted<MailCharset>([
        ['iso-8859-2', 3],
        ['utf-8', 7],
      ]);
      break;
    case 'en':
      charset = rng.weighted<MailCharset>([
        ['utf-8', 7],
        ['windows-1252', 2],
        ['us-ascii', 1],
      ]);
      break;
    default:
      charset = rng.weighted<MailCharset>([
        ['utf-8', 6],
        ['iso-8859-1', 2],
        ['windows-1252', 2],
      ]);
  }
  const headerEncoding = language === 'ja' || rng.chance(0.3) ? 'B' : 'Q';
  return { language, charset, headerEncoding, html: !rng.chance(0.08) };
}

const DISCLAIMERS: Readonly<Partial<Record<Language, readonly string[]>>> = {
  en: [
    'This e-mail and any attachments are confidential and may be privileged. If you are not the intended recipient, please notify the sender immediately and delete this e-mail and any copies. Any unauthorised use, disclosure or distribution is prohibited. E-mail transmission cannot be guaranteed to be secure or error-free.',
    'CONFIDENTIALITY NOTICE: The information contained in this message is intended only for the use of the individual or entity named above. If the reader of this message is not the intended recipient, you are hereby notified that any dissemination, distribution or copying of this communication is strictly prohibited.',
  ],
  de: [
    'Diese E-Mail enthält vertrauliche und/oder rechtlich geschützte Informationen. Wenn Sie nicht der richtige Adressat sind oder diese E-Mail irrtümlich erhalten haben, informieren Sie bitte sofort den Absender und vernichten Sie diese E-Mail. Das unerlaubte Kopieren sowie die unbefugte Weitergabe dieser E-Mail ist nicht gestattet.',
  ],
  fr: [
    "Ce message et toutes les pièces jointes sont confidentiels et établis à l'intention exclusive de ses destinataires. Toute utilisation ou diffusion non autorisée est interdite. Si vous avez reçu ce message par erreur, merci de le détruire et d'en avertir immédiatement l'expéditeur.",
  ],
};

/** Name, organisation and phone, as a signature block (CRLF-separated lines). */
function signature(message: GenMessage, rng: Rng): string {
  const domain = message.from.address.split('@')[1] ?? 'example.com';
  const org = domain.split('.')[0] ?? domain;
  const orgName = org.replace(/\d+$/, '').replace(/^./, (c) => c.toUpperCase());
  const lines = [message.from.name];
  if (rng.chance(0.7)) lines.push(`${orgName} | www.${domain.replace('.onmicrosoft.com', '.com')}`);
  if (rng.chance(0.6)) lines.push(`Tel. +${rng.int(1, 49)} ${rng.int(10, 99)} ${rng.int(1000000, 9999999)}`);
  return lines.join('\r\n');
}

/** "Wednesday, July 8, 2026 6:44 PM", as Outlook writes above a quoted message (no ICU, so stable). */
function outlookDate(d: Date): string {
  const days = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
  const months = [
    'January',
    'February',
    'March',
    'April',
    'May',
    'June',
    'July',
    'August',
    'September',
    'October',
    'November',
    'December',
  ];
  const h = d.getUTCHours();
  const minutes = String(d.getUTCMinutes()).padStart(2, '0');
  return `${days[d.getUTCDay()] ?? ''}, ${months[d.getUTCMonth()] ?? ''} ${d.getUTCDate()}, ${d.getUTCFullYear()} ${h % 12 === 0 ? 12 : h % 12}:${minutes} ${h < 12 ? 'AM' : 'PM'}`;
}

function firstName(name: string): string {
  return name.split(/[\s,]+/)[0] ?? name;
}

/**
 * The text body as paragraphs. With `limitChars`, stops once that many characters exist (the
 * paragraphs produced are a prefix of the full list), so bodyPreview is cheap for big tenants.
 */
export function bodyParagraphs(message: GenMessage, limitChars = Infinity): string[] {
  const plan = messagePlan(message.contentSeed);
  const rng = Rng.derive(message.contentSeed, 'body');
  const lang = plan.language;
  const sentences = SENTENCES[lang] ?? SENTENCES.en ?? [];
  const out: string[] = [];
  let chars = 0;
  const add = (p: string): boolean => {
    out.push(p);
    chars += p.length + 2;
    return chars >= limitChars;
  };
  const to = message.toRecipients[0];
  const greeting = rng
    .pick(GREETINGS[lang] ?? ['Hi {name},'])
    .replace('{name}', to ? firstName(to.name) : '');
  if (add(greeting)) return out;
  const paragraphs = rng.weighted([
    [1, 3],
    [2, 4],
    [3, 3],
    [5, 2],
    [9, 1],
  ] as const);
  for (let p = 0; p < paragraphs; p++) {
    const n = rng.int(1, 4);
    const parts: string[] = [];
    for (let s = 0; s < n; s++) {
      if (lang === 'en' && rng.chance(0.5)) {
        parts.push(`${rng.pick(ACTORS)} ${rng.pick(ACTIONS)} ${rng.pick(OBJECTS)} ${rng.pick(WHEN)}.`);
      } else {
        parts.push(rng.pick(sentences));
      }
    }
    if (add(parts.join(lang === 'ja' ? '' : ' '))) return out;
  }
  if (add(rng.pick(CLOSINGS[lang] ?? ['Regards,']))) return out;
  if (add(signature(message, rng))) return out;
  if (rng.chance(0.45) && add(rng.pick(DISCLAIMERS[lang] ?? DISCLAIMERS.en ?? []))) return out;
  if (/^(re|aw|fw|fwd|wg|tr|sv|odp):/i.test(message.subject)) {
    // A quoted earlier message, as Outlook writes it below a reply.
    const earlier = new Date(Date.parse(message.sentDateTime) - 60_000 * rng.int(30, 5 * 24 * 60));
    const sent = outlookDate(earlier);
    const quoted = `From: ${to?.name ?? ''} <${to?.address ?? ''}>\r\nSent: ${sent}\r\nTo: ${message.from.name} <${message.from.address}>\r\nSubject: ${message.subject.replace(/^\w+:\s*/, '')}`;
    if (add('________________________________')) return out;
    if (add(quoted)) return out;
    for (let k = 0; k < rng.int(1, 3); k++) if (add(rng.pick(sentences))) return out;
  }
  return out;
}

/** The text/plain body (CRLF line breaks). */
export function bodyText(message: GenMessage): string {
  return bodyParagraphs(message).join('\r\n\r\n') + '\r\n';
}

/** Graph's bodyPreview: the text body with whitespace collapsed, at most 255 characters. */
export function previewOf(text: string): string {
  const collapsed = text.replace(/\s+/g, ' ').trim();
  // 255 characters, counting a surrogate pair as one (and never cutting one in half).
  let cut = Math.min(collapsed.length, 255);
  if (/[\ud800-\udfff]/.test(collapsed)) cut = Array.from(collapsed).slice(0, 255).join('').length;
  // A flat copy: a slice would keep the whole body alive in a tenant of 200,000 messages.
  return Buffer.from(collapsed.slice(0, cut).trimEnd(), 'utf8').toString('utf8');
}

export function bodyPreviewFor(message: GenMessage): string {
  return previewOf(bodyParagraphs(message, 400).join('\r\n\r\n'));
}

function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** The head Outlook (classic and new) writes into every HTML mail: about 2.5 KB of CSS. */
const OUTLOOK_STYLE = [
  '<style><!--',
  '/* Font Definitions */',
  '@font-face',
  '\t{font-family:"Cambria Math";',
  '\tpanose-1:2 4 5 3 5 4 6 3 2 4;}',
  '@font-face',
  '\t{font-family:Calibri;',
  '\tpanose-1:2 15 5 2 2 2 4 3 2 4;}',
  '@font-face',
  '\t{font-family:Aptos;}',
  '@font-face',
  '\t{font-family:"Segoe UI";',
  '\tpanose-1:2 11 5 2 4 2 4 2 2 3;}',
  '/* Style Definitions */',
  'p.MsoNormal, li.MsoNormal, div.MsoNormal',
  '\t{margin:0cm;',
  '\tfont-size:12.0pt;',
  '\tfont-family:"Aptos",sans-serif;',
  '\tmso-ligatures:standardcontextual;',
  '\tmso-fareast-language:EN-US;}',
  'a:link, span.MsoHyperlink',
  '\t{mso-style-priority:99;',
  '\tcolor:#467886;',
  '\ttext-decoration:underline;}',
  'a:visited, span.MsoHyperlinkFollowed',
  '\t{mso-style-priority:99;',
  '\tcolor:#96607D;',
  '\ttext-decoration:underline;}',
  'p.MsoListParagraph, li.MsoListParagraph, div.MsoListParagraph',
  '\t{mso-style-priority:34;',
  '\tmargin-top:0cm;',
  '\tmargin-right:0cm;',
  '\tmargin-bottom:0cm;',
  '\tmargin-left:36.0pt;',
  '\tfont-size:12.0pt;',
  '\tfont-family:"Aptos",sans-serif;}',
  'span.EmailStyle18',
  '\t{mso-style-type:personal-compose;',
  '\tfont-family:"Aptos",sans-serif;',
  '\tcolor:windowtext;}',
  '.MsoChpDefault',
  '\t{mso-style-type:export-only;',
  '\tfont-size:10.0pt;',
  '\tmso-ligatures:none;}',
  '@page WordSection1',
  '\t{size:612.0pt 792.0pt;',
  '\tmargin:72.0pt 72.0pt 72.0pt 72.0pt;}',
  'div.WordSection1',
  '\t{page:WordSection1;}',
  '--></style><!--[if gte mso 9]><xml>',
  '<o:shapedefaults v:ext="edit" spidmax="1026" />',
  '</xml><![endif]--><!--[if gte mso 9]><xml>',
  '<o:shapelayout v:ext="edit">',
  '<o:idmap v:ext="edit" data="1" />',
  '</o:shapelayout></xml><![endif]-->',
  '</head>',
  '',
].join('\r\n');

/** An Outlook-shaped HTML body for the same paragraphs, with inline images in the signature. */
export function bodyHtml(message: GenMessage, charset: MailCharset): string {
  const paragraphs = bodyParagraphs(message);
  const lang = messagePlan(message.contentSeed).language;
  const inline = message.attachments.filter((a) => a.isInline && a.contentId);
  const body = paragraphs
    .map(
      (p) =>
        `<p class="MsoNormal"><span lang="${lang.toUpperCase()}">${escapeHtml(p).replace(/\r\n/g, '<br>\r\n')}<o:p></o:p></span></p>`,
    )
    .join('\r\n<p class="MsoNormal"><o:p>&nbsp;</o:p></p>\r\n');
  const images = inline
    .map(
      (a) =>
        `<p class="MsoNormal"><img width="120" height="40" id="${escapeHtml(a.name)}" src="cid:${a.contentId ?? ''}" alt="${escapeHtml(a.name)}"><o:p></o:p></p>`,
    )
    .join('\r\n');
  const metaCharset = canEncode('', charset) ? charset : 'utf-8';
  return (
    `<html xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="urn:schemas-microsoft-com:office:office" xmlns:w="urn:schemas-microsoft-com:office:word" xmlns:m="http://schemas.microsoft.com/office/2004/12/omml" xmlns="http://www.w3.org/TR/REC-html40">\r\n` +
    `<head>\r\n<meta http-equiv="Content-Type" content="text/html; charset=${metaCharset}">\r\n` +
    `<meta name="Generator" content="Microsoft Word 15 (filtered medium)">\r\n` +
    OUTLOOK_STYLE +
    `<body lang="${lang.toUpperCase()}" link="#467886" vlink="#96607D" style="word-wrap:break-word">\r\n<div class="WordSection1">\r\n` +
    body +
    (images ? '\r\n' + images : '') +
    `\r\n</div>\r\n</body>\r\n</html>\r\n`
  );
}

/**
 * The body Graph returns for a generated message, without building or parsing its MIME: equal
 * to `parseMimeMetadata(buildMime(message)).body` (mailparser gives LF line breaks).
 */
export function messageBody(message: GenMessage): { contentType: 'html' | 'text'; content: string } {
  const plan = messagePlan(message.contentSeed);
  return plan.html
    ? { contentType: 'html', content: bodyHtml(message, plan.charset).replace(/\r\n/g, '\n') }
    : { contentType: 'text', content: bodyText(message).replace(/\r\n/g, '\n') };
}
