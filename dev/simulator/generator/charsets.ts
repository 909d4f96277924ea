/**
 * Encoders for the legacy charsets real mail still arrives in. Node decodes them all (WHATWG
 * TextDecoder) but encodes only UTF-8, so the reverse tables are built from the decoders, once.
 * Plus RFC 2047 encoded words and RFC 2231 parameters in any of these charsets.
 */
import * as mimeFuncs from 'nodemailer/lib/mime-funcs';

export type MailCharset =
  'utf-8' | 'us-ascii' | 'iso-8859-1' | 'iso-8859-2' | 'windows-1252' | 'iso-2022-jp' | 'shift_jis';

const singleByteTables = new Map<string, Map<number, number>>();

function singleByteTable(charset: string): Map<number, number> {
  let table = singleByteTables.get(charset);
  if (!table) {
    table = new Map();
    if (charset === 'iso-8859-1') {
      // The WHATWG label maps to windows-1252; real ISO-8859-1 is the first 256 code points.
      for (let b = 0; b < 256; b++) if (b < 0x80 || b >= 0xa0) table.set(b, b);
    } else {
      const decoder = new TextDecoder(charset);
      for (let b = 0; b < 256; b++) {
        const ch = decoder.decode(Uint8Array.of(b));
        const cp = ch.codePointAt(0);
        // Skip the C1 controls a decoder passes through for bytes the charset leaves undefined.
        if (cp !== undefined && ch !== '\ufffd' && !(cp >= 0x80 && cp < 0xa0)) table.set(cp, b);
      }
    }
    singleByteTables.set(charset, table);
  }
  return table;
}

let jisTable: Map<number, number> | null = null;

/** Unicode code point -> JIS X 0208 row/cell pair (0x2121..0x7e7e), from the ISO-2022-JP decoder. */
function jis0208(): Map<number, number> {
  if (!jisTable) {
    jisTable = new Map();
    const decoder = new TextDecoder('iso-2022-jp');
    const buf = Uint8Array.of(0x1b, 0x24, 0x42, 0, 0, 0x1b, 0x28, 0x42);
    for (let r = 0x21; r <= 0x7e; r++) {
      for (let c = 0x21; c <= 0x7e; c++) {
        buf[3] = r;
        buf[4] = c;
        const ch = decoder.decode(buf);
        const cp = ch.codePointAt(0);
        if (ch.length === 1 && cp !== undefined && ch !== '\ufffd' && !jisTable.has(cp))
          jisTable.set(cp, (r << 8) | c);
      }
    }
  }
  return jisTable;
}

/** The bytes of `text` in `charset`, or null when a character has no encoding there. */
export function encodeCharset(text: string, charset: MailCharset): Buffer | null {
  if (charset === 'utf-8') return Buffer.from(text, 'utf8');
  if (charset === 'us-ascii') return /^\p{ASCII}*$/u.test(text) ? Buffer.from(text, 'latin1') : null;
  if (charset === 'iso-2022-jp' || charset === 'shift_jis') return encodeJapanese(text, charset);
  const table = singleByteTable(charset);
  const out = Buffer.allocUnsafe(text.length);
  let n = 0;
  for (const ch of text) {
    const cp = ch.codePointAt(0) as number;
    const b = cp < 0x80 ? cp : table.get(cp);
    if (b === undefined) return null;
    out[n++] = b;
  }
  return out.subarray(0, n);
}

function encodeJapanese(text: string, charset: 'iso-2022-jp' | 'shift_jis'): Buffer | null {
  const table = jis0208();
  const bytes: number[] = [];
  let inJis = false;
  for (const ch of text) {
    const cp = ch.codePointAt(0) as number;
    if (cp < 0x80) {
      if (inJis) {
        bytes.push(0x1b, 0x28, 0x42);
        inJis = false;
      }
      bytes.push(cp);
      continue;
    }
    const jis = table.get(cp);
    if (jis === undefined) return null;
    const j1 = jis >> 8;
    const j2 = jis & 0xff;
    if (charset === 'iso-2022-jp') {
      if (!inJis) {
        bytes.push(0x1b, 0x24, 0x42);
        inJis = true;
      }
      bytes.push(j1, j2);
    } else {
      const s1 = ((j1 + 1) >> 1) + (j1 <= 0x5e ? 0x70 : 0xb0);
      const s2 = j2 + (j1 & 1 ? (j2 >= 0x60 ? 0x20 : 0x1f) : 0x7e);
      bytes.push(s1, s2);
    }
  }
  if (inJis) bytes.push(0x1b, 0x28, 0x42);
  return Buffer.from(bytes);
}

export function canEncode(text: string, charset: MailCharset): boolean {
  return encodeCharset(text, charset) !== null;
}

const Q_SAFE = /[A-Za-z0-9!*+\-/]/;

function qEncode(bytes: Buffer): string {
  let s = '';
  for (const b of bytes) {
    const ch = String.fromCharCode(b);
    if (b === 0x20) s += '_';
    else if (b < 0x80 && Q_SAFE.test(ch)) s += ch;
    else s += '=' + b.toString(16).toUpperCase().padStart(2, '0');
  }
  return s;
}

/**
 * RFC 2047 encoded words for a header value in `charset` ('B' or 'Q'), each at most 75
 * characters, separated by a folding CRLF + space. Characters are never split across words,
 * and in ISO-2022-JP every word ends back in ASCII, as the RFC requires.
 */
export function encodedWords(text: string, charset: MailCharset, encoding: 'B' | 'Q'): string {
  if (charset === 'utf-8') {
    return mimeFuncs.encodeWords(text, encoding, 52, true).replace(/\?= =\?/g, '?=\r\n =?');
  }
  const prefix = `=?${charset.toUpperCase()}?${encoding}?`;
  // At most 66 characters a word, so "Subject: " and the first word fit a 78-character line.
  const budget = 66 - prefix.length - 2;
  const words: string[] = [];
  let current = '';
  const encode = (s: string): string => {
    const bytes = encodeCharset(s, charset);
    if (!bytes) throw new Error(`cannot encode ${JSON.stringify(s)} in ${charset}`);
    return encoding === 'B' ? bytes.toString('base64') : qEncode(bytes);
  };
  for (const ch of text) {
    if (current && encode(current + ch).length > budget) {
      words.push(prefix + encode(current) + '?=');
      current = '';
    }
    current += ch;
  }
  if (current || words.length === 0) words.push(prefix + encode(current) + '?=');
  return words.join('\r\n ');
}

/** An RFC 2231 extended parameter (`name*=charset''…` or continuations), folded. */
export function rfc2231Param(name: string, value: string, charset: MailCharset): string {
  const bytes = encodeCharset(value, charset);
  if (!bytes) throw new Error(`cannot encode ${JSON.stringify(value)} in ${charset}`);
  let encoded = '';
  for (const b of bytes) {
    const ch = String.fromCharCode(b);
    encoded +=
      b < 0x80 && /[A-Za-z0-9!#$&+\-.^_`|~]/.test(ch)
        ? ch
        : '%' + b.toString(16).toUpperCase().padStart(2, '0');
  }
  const head = `${charset}''`;
  if (head.length + encoded.length + name.length < 60) return `${name}*=${head}${encoded}`;
  const parts: string[] = [];
  let rest = head + encoded;
  let i = 0;
  while (rest.length > 0) {
    let take = Math.min(rest.length, 50);
    // Do not split a %XX escape.
    const cut = rest.lastIndexOf('%', take);
    if (cut > take - 3 && cut > 0 && take < rest.length) take = cut;
    parts.push(`${name}*${i}*=${rest.slice(0, take)}`);
    rest = rest.slice(take);
    i++;
  }
  return parts.join(';\r\n\t');
}
