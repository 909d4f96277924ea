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
  const bodyStart = headerEnd(buffer, start, end);
  if (bodyStart === undefined) return; // headers only (or not a message at all): nothing to cut
  const headers = unfold(buffer.toString('latin1', start, bodyStart));
  const contentType = headerValue(headers, 'content-type')?.toLowerCase() ?? 'text/plain';
  const mediaType = contentType.split(';', 1)[0]!.trim();
  if (depth < options.maxDepth && mediaType.startsWith('multipart/')) {
    const boundary = parameter(headerValue(headers, 'content-type') ?? '', 'boundary');
    if (boundary) {
      for (const [partStart, partEnd] of multipartParts(buffer, bodyStart, end, boundary))
        scanEntity(buffer, partStart, partEnd, depth + 1, options, out);
      return;
    }
  }
  if (depth < options.maxDepth && mediaType === 'message/rfc822') {
    // An attached message, unencoded (base64 is not allowed for message/rfc822, but some mailers
    // use it: then it is a leaf like any other encoded body).
    const encoding = (headerValue(headers, 'content-transfer-encoding') ?? '7bit').trim().toLowerCase();
    if (encoding === '7bit' || encoding === '8bit' || encoding === 'binary') {
      const before = out.length;
      scanEntity(buffer, bodyStart, end, depth + 1, options, out);
      if (out.length > before) return;
    }
  }
  if (end - bodyStart >= options.minPartBytes) out.push([bodyStart, end]);
}

/** Where the body starts (after the first empty line), or undefined when there is no empty line. */
function headerEnd(buffer: Buffer, start: number, end: number): number | undefined {
  let line = start;
  while (line < end) {
    const lf = buffer.indexOf(LF, line);
    if (lf < 0 || lf >= end) return undefined;
    const length = lf - line - (lf > line && buffer[lf - 1] === CR ? 1 : 0);
    if (length === 0) return lf + 1;
    line = lf + 1;
  }
  return undefined;
}

function unfold(headers: string): string {
  return headers.replace(/\r?\n(?=[ \t])/g, '');
}

function headerValue(headers: string, name: string): string | undefined {
  const match = new RegExp(`^${name}[ \\t]*:(.*)$`, 'im').exec(headers);
  return match?.[1];
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
