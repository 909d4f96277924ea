import { PassThrough, Transform, Writable, type Readable, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Splitter, type MimeNode } from '@zone-eu/mailsplit';
import type { SplitterChunk } from '@zone-eu/mailsplit/lib/types';

/** An attachment an export left out of a message. */
export interface OmittedAttachment {
  /** File name as the message gives it ("(no name)" when it has none). */
  name: string;
  contentType: string;
  disposition: 'attachment' | 'inline';
  /** Decoded size in bytes (what the file would be on disk). */
  size: number;
}

/** 1 for the characters of the base64 alphabet (padding and line breaks are not data). */
const BASE64_ALPHABET = new Uint8Array(256);
for (const c of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/')
  BASE64_ALPHABET[c.charCodeAt(0)] = 1;

/** How many base64 data characters `chunk` holds (its decoded size is 3/4 of them over the whole part). */
function base64Symbols(chunk: Buffer): number {
  let count = 0;
  for (let i = 0; i < chunk.length; i++) count += BASE64_ALPHABET[chunk[i]!]!;
  return count;
}

/** The header naming each omitted attachment, one line per attachment. */
export const OMITTED_ATTACHMENT_HEADER = 'X-M365-Backup-Omitted-Attachment';

/** Text parts are the body (mailparser's rule): text/plain or text/html not marked as an attachment. */
const BODY_TYPES = new Set(['text/plain', 'text/html']);

function isOmitted(node: MimeNode): boolean {
  if (node.root || node.multipart) return false;
  const type = (node.contentType || 'text/plain').toLowerCase();
  const disposition = node.disposition ? node.disposition.toLowerCase() : 'inline';
  return !BODY_TYPES.has(type) || disposition !== 'inline';
}

/**
 * Takes mailsplit's parts of a message and writes it again without its attachments: every byte of
 * the headers, bodies and multipart structure that is kept is the original byte; a leaf part that
 * is not a text/plain or text/html body (files, inline images, attached messages, calendar parts)
 * is left out with its delimiter line, and named in `omitted` with its decoded size.
 */
class AttachmentStripper extends Transform {
  readonly omitted: OmittedAttachment[] = [];
  lineEnding: '\r\n' | '\n' = '\r\n';
  /** Multipart structure (delimiters, preamble) seen since the last part, held until the next part's fate is known. */
  private pending: Buffer[] = [];
  /** The part being left out: decoded to measure it (first pass), or simply dropped (second). */
  private dropping: { write(chunk: unknown): void; end(): void } | undefined;
  private readonly decoding: Promise<void>[] = [];
  private started = false;

  constructor(
    private readonly prepend?: Buffer,
    /** Decode the parts left out to measure them (listing); the rewrite only drops them. */
    private readonly measure = true,
  ) {
    super({ writableObjectMode: true, readableObjectMode: false });
  }

  override _transform(chunk: SplitterChunk, _encoding: BufferEncoding, callback: TransformCallback): void {
    try {
      if (!this.started) {
        this.started = true;
        if (this.prepend) this.push(this.prepend);
      }
      if (chunk.type === 'node') this.onNode(chunk as MimeNode);
      else if (chunk.type === 'data') this.pending.push(chunk.value as Buffer);
      else if (chunk.type === 'body') {
        if (this.dropping) this.dropping.write(chunk.value);
        else this.push(chunk.value as Buffer);
      }
      callback();
    } catch (error) {
      callback(error as Error);
    }
  }

  override _flush(callback: TransformCallback): void {
    this.endDropping();
    this.flushPending();
    Promise.all(this.decoding).then(
      () => callback(),
      (error: unknown) => callback(error as Error),
    );
  }

  private onNode(node: MimeNode): void {
    this.endDropping();
    const headers = node.getHeaders();
    if (node.root) this.lineEnding = headers.includes('\r\n') ? '\r\n' : '\n';
    if (!isOmitted(node)) {
      this.flushPending();
      this.push(headers);
      return;
    }
    // The part goes with the delimiter line that opens it (and the line break before that line).
    const structure = Buffer.concat(this.pending).toString('latin1');
    this.pending = [Buffer.from(structure.replace(/(?:\r?\n)?--[^\r\n]*\r?\n$/, ''), 'latin1')];
    const info: OmittedAttachment = {
      name: node.filename || '(no name)',
      contentType: (node.contentType || 'application/octet-stream').toLowerCase(),
      disposition: node.disposition === 'inline' ? 'inline' : 'attachment',
      size: 0,
    };
    this.omitted.push(info);
    if (!this.measure) {
      this.dropping = { write: () => undefined, end: () => undefined };
      return;
    }
    if (node.encoding === 'base64') {
      // Counted, not decoded: decoding only to measure made as much garbage as the attachment.
      let symbols = 0;
      this.dropping = {
        write: (chunk) => (symbols += base64Symbols(chunk as Buffer)),
        end: () => void (info.size = Math.floor((symbols * 3) / 4)),
      };
      return;
    }
    const decoder = node.getDecoder() as Transform;
    decoder.on('data', (data: Buffer) => (info.size += data.length));
    const ended = new Promise<void>((resolve, reject) => {
      decoder.on('end', resolve);
      decoder.on('error', reject);
    });
    this.decoding.push(ended);
    this.dropping = { write: (chunk) => decoder.write(chunk), end: () => decoder.end() };
  }

  private endDropping(): void {
    this.dropping?.end();
    this.dropping = undefined;
  }

  private flushPending(): void {
    for (const data of this.pending) if (data.length) this.push(data);
    this.pending = [];
  }
}

/** The attachments of a message (streamed once, nothing kept) and its line ending. */
export async function listAttachments(
  mime: Readable,
): Promise<{ omitted: OmittedAttachment[]; lineEnding: '\r\n' | '\n' }> {
  const stripper = new AttachmentStripper();
  const discard = new Writable({ write: (_chunk, _encoding, callback) => callback() });
  await pipeline(mime, new Splitter({ ignoreEmbedded: true }), stripper, discard);
  return { omitted: stripper.omitted, lineEnding: stripper.lineEnding };
}

/** Header lines naming each omitted attachment, placed before the message's own headers. */
export function omittedAttachmentHeaders(omitted: OmittedAttachment[], lineEnding: string): Buffer {
  const lines = omitted.map((a) => {
    const name = a.name.replace(/\p{Cc}/gu, ' ');
    // Non-ASCII names as an RFC 2047 encoded word; mail clients and parsers decode it.
    const shown = /^[\x20-\x7e]*$/.test(name) ? name : `=?UTF-8?B?${Buffer.from(name).toString('base64')}?=`;
    return `${OMITTED_ATTACHMENT_HEADER}: ${shown} (${a.size} bytes, ${a.contentType}, ${a.disposition})${lineEnding}`;
  });
  return Buffer.from(lines.join(''), 'latin1');
}

/**
 * The message without its attachments, as a stream: the header lines naming what was left out
 * (from `listAttachments`), then the original bytes of everything kept.
 */
export function withoutAttachments(
  mime: Readable,
  omitted: OmittedAttachment[],
  lineEnding: string,
): Readable {
  const out = new PassThrough();
  pipeline(
    mime,
    new Splitter({ ignoreEmbedded: true }),
    // Sizes were measured by `listAttachments`: the parts are dropped without decoding them again.
    new AttachmentStripper(omittedAttachmentHeaders(omitted, lineEnding), false),
    out,
  ).catch((error: unknown) => out.destroy(error as Error));
  return out;
}
