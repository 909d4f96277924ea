/**
 * Cuts a message's raw MIME at part boundaries, so that each sizeable leaf part body (an
 * attachment's base64, an inline image, a long text body) is a segment of its own and the
 * repository stores it as its own content-addressed chunk: the same attachment in two messages
 * (the sender's Sent Items copy and each recipient's copy, a forward, the company's price list
 * mailed around) is then stored once, although the messages' headers differ.
 *
 * A scanner over the raw bytes rather than a MIME parser: parsers (mailparser, mailsplit) decode
 * and normalise and do not report byte offsets, and all this needs is where bodies start and end.
 * The output is only a list of cut positions, so the segments always concatenate to exactly the
 * input, whatever the message looks like: an unparsable or non-MIME message is simply not cut.
 */

export interface MimeSegmentOptions {
  /** Leaf bodies at least this long become their own segment; smaller ones stay with their neighbours. */
  minPartBytes: number;
  /** Nesting depth (multiparts and message/rfc822 inside each other) scanned at most. */
  maxDepth: number;
}

export const DEFAULT_MIME_SEGMENTS: MimeSegmentOptions = { minPartBytes: 2048, maxDepth: 16 };

const LF = 0x0a;
const CR = 0x0d;

/** [start, end) byte ranges of the leaf bodies worth a chunk of their own, in order. */
export function mimeBodyRanges(
  mime: Uint8Array,
  options: MimeSegmentOptions = DEFAULT_MIME_SEGMENTS,
): [number, number][] {
  const buffer = Buffer.from(mime.buffer, mime.byteOffset, mime.byteLength);
  const ranges: [number, number][] = [];
  scanEntity(buffer, 0, buffer.length, 0, options, ranges);
  return ranges;
}

/**
 * The message as consecutive segments (views of `mime`, not copies): the sizeable leaf bodies, and
 * everything between them (headers, delimiters, small parts). Joined, they are `mime` byte for byte.
 */
export function splitMime(mime: Uint8Array, options: MimeSegmentOptions = DEFAULT_MIME_SEGMENTS): Buffer[] {
  const buffer = Buffer.from(mime.buffer, mime.byteOffset, mime.byteLength);
  const segments: Buffer[] = [];
  let at = 0;
  for (const [start, end] of mimeBodyRanges(buffer, options)) {
    if (start < at || end <= start || end > buffer.length) continue; // never happens; never reorder
    if (start > at) segments.push(buffer.subarray(at, start));
    segments.push(buffer.subarray(start, end));
    at = end;
  }
  if (at < buffer.length) segments.push(buffer.subarray(at));
  return segments;
}

/** One entity (headers, blank line, body) in [start, end): recurse into multiparts, record leaf bodies. */
function scanEntity(
  buffer: Buffer,
  start: number,
  end: number,
  depth: number,
  options: MimeSegmentOptions,
  out: [number, number][],
): void {
  const headers = scanHeaders(buffer, start, end);
  if (!headers) return; // headers only (or not a message at all): nothing to cut
  const { bodyStart } = headers;
  const contentType = headers.contentType ?? '';
  const mediaType = (contentType.split(';', 1)[0]!.trim() || 'text/plain').toLowerCase();
  if (depth < options.maxDepth && mediaType.startsWith('multipart/')) {
    const boundary = parameter(contentType, 'boundary');
    if (boundary) {
      for (const [partStart, partEnd] of multipartParts(buffer, bodyStart, end, boundary))
        scanEntity(buffer, partStart, partEnd, depth + 1, options, out);
      return;
    }
  }
  if (depth < options.maxDepth && mediaType === 'message/rfc822') {
    // An attached message, unencoded (base64 is not allowed for message/rfc822, but some mailers
    // use it: then it is a leaf like any other encoded body).
    const encoding = (headers.transferEncoding ?? '7bit').trim().toLowerCase();
    if (encoding === '7bit' || encoding === '8bit' || encoding === 'binary') {
      const before = out.length;
      scanEntity(buffer, bodyStart, end, depth + 1, options, out);
      if (out.length > before) return;
    }
  }
  if (end - bodyStart >= options.minPartBytes) out.push([bodyStart, end]);
}

const CONTENT_TYPE = Buffer.from('content-type', 'latin1');
const TRANSFER_ENCODING = Buffer.from('content-transfer-encoding', 'latin1');

interface EntityHeaders {
  /** Where the body starts: after the first empty line. */
  bodyStart: number;
  /** The first Content-Type's value, unfolded (continuation lines joined), as latin1 text. */
  contentType?: string;
  transferEncoding?: string;
}

/**
 * The entity's header block in [start, end), walked line by line over the bytes: where the body
 * starts, and the two headers the cut needs. Only their values become strings, not the whole
 * block: a message's own headers (Received lines, authentication results) run to kilobytes.
 * Undefined when there is no empty line.
 */
function scanHeaders(buffer: Buffer, start: number, end: number): EntityHeaders | undefined {
  const found: Omit<EntityHeaders, 'bodyStart'> = {};
  let line = start;
  while (line < end) {
    const lf = buffer.indexOf(LF, line);
    if (lf < 0 || lf >= end) return undefined;
    const lineEnd = lf > line && buffer[lf - 1] === CR ? lf - 1 : lf;
    if (lineEnd === line) return { bodyStart: lf + 1, ...found };
    if (found.contentType === undefined && nameAt(buffer, line, lineEnd, CONTENT_TYPE)) {
      found.contentType = unfoldedValue(buffer, line + CONTENT_TYPE.length, lineEnd, lf + 1, end);
    } else if (found.transferEncoding === undefined && nameAt(buffer, line, lineEnd, TRANSFER_ENCODING)) {
      found.transferEncoding = unfoldedValue(buffer, line + TRANSFER_ENCODING.length, lineEnd, lf + 1, end);
    }
    line = lf + 1;
  }
  return undefined;
}

/** Whether the line [line, lineEnd) is header `name` (lower case): the name in any case, blanks, a colon. */
function nameAt(buffer: Buffer, line: number, lineEnd: number, name: Buffer): boolean {
  if (lineEnd - line <= name.length) return false;
  for (let i = 0; i < name.length; i++) {
    const byte = buffer[line + i]!;
    // ASCII letters compare case-insensitively; the name's '-' only equals itself.
    if ((byte >= 0x41 && byte <= 0x5a ? byte + 0x20 : byte) !== name[i]) return false;
  }
  let p = line + name.length;
  while (p < lineEnd && (buffer[p] === 0x20 || buffer[p] === 0x09)) p++;
  return buffer[p] === 0x3a; // ':'
}

/**
 * A header's value: the rest of its line after the colon, then each continuation line (one that
 * starts with a space or tab) with the line break before it removed (RFC 5322 unfolding).
 */
function unfoldedValue(
  buffer: Buffer,
  afterName: number,
  lineEnd: number,
  next: number,
  end: number,
): string {
  let value = buffer.toString('latin1', buffer.indexOf(0x3a, afterName) + 1, lineEnd);
  while (next < end && (buffer[next] === 0x20 || buffer[next] === 0x09)) {
    const lf = buffer.indexOf(LF, next);
    const stop = lf < 0 || lf >= end ? end : lf;
    value += buffer.toString('latin1', next, stop > next && buffer[stop - 1] === CR ? stop - 1 : stop);
    next = stop + 1;
  }
  return value;
}

/** A parameter of a structured header (`boundary="x"` or `boundary=x`), or undefined. */
function parameter(value: string, name: string): string | undefined {
  const match = new RegExp(`;\\s*${name}\\s*=\\s*(?:"((?:[^"\\\\]|\\\\.)*)"|([^\\s;"]+))`, 'i').exec(value);
  if (!match) return undefined;
  const found = match[1] !== undefined ? match[1].replace(/\\(.)/g, '$1') : match[2];
  // RFC 2046: 1 to 70 characters. Anything else is not a boundary we can trust.
  return found && found.length <= 70 && /^[\x20-\x7e]+$/.test(found) ? found : undefined;
}

/**
 * The body parts of a multipart body in [start, end), each without the CRLF that belongs to the
 * next delimiter (RFC 2046). Delimiters are `--boundary` at the start of a line, followed only by
 * `--` (the close delimiter) and/or spaces and tabs before the line ends. The preamble and epilogue
 * are not parts. A missing close delimiter ends the last part at the end of the body.
 */
function multipartParts(buffer: Buffer, start: number, end: number, boundary: string): [number, number][] {
  const marker = Buffer.from(`--${boundary}`, 'latin1');
  const parts: [number, number][] = [];
  let partStart: number | undefined;
  let from = start;
  while (from < end) {
    const at = buffer.indexOf(marker, from);
    if (at < 0 || at + marker.length > end) break;
    from = at + marker.length;
    if (at > start && buffer[at - 1] !== LF) continue; // not at the start of a line
    let p = at + marker.length;
    const close = p + 1 < end && buffer[p] === 0x2d && buffer[p + 1] === 0x2d;
    if (close) p += 2;
    while (p < end && (buffer[p] === 0x20 || buffer[p] === 0x09)) p++;
    if (p < end && buffer[p] === CR && p + 1 < end && buffer[p + 1] === LF) p += 2;
    else if (p < end && buffer[p] === LF) p += 1;
    else if (p < end) continue; // `--boundaryX…`: a longer boundary or text, not ours
    if (partStart !== undefined) {
      let partEnd = at;
      if (partEnd > partStart && buffer[partEnd - 1] === LF) partEnd--;
      if (partEnd > partStart && buffer[partEnd - 1] === CR) partEnd--;
      parts.push([partStart, Math.max(partStart, partEnd)]);
    }
    if (close) return parts;
    partStart = p;
    from = p;
  }
  if (partStart !== undefined && partStart < end) parts.push([partStart, end]);
  return parts;
}
