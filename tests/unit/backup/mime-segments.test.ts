import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { storeMime } from '../../../shared/backup/workloads/mailbox-handler';
import { mimeBodyRanges, splitMime } from '../../../shared/backup/workloads/mime-segments';
import { LocalMasterKey, MemoryBlobStore, openRepository } from '../../../shared/repository';
import { buildMime, defaultShape, generateTenant } from '../../../dev/simulator/generator/index';

const masterKey = new LocalMasterKey(Buffer.alloc(32, 3));
const tenantId = '3c1d2c1e-5b7a-4f7e-9a51-0c2d3e4f5a6b';

/** Deterministic base64 lines of `size` pseudo-random bytes, as an attachment body. */
function base64Body(seed: number, size: number, eol = '\r\n'): string {
  const bytes = Buffer.alloc(size);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    bytes[i] = x & 0xff;
  }
  return (bytes.toString('base64').match(/.{1,76}/g) ?? []).join(eol) + eol;
}

const join = (segments: Buffer[]) => Buffer.concat(segments);
const bodies = (mime: Buffer) => mimeBodyRanges(mime).map(([s, e]) => mime.toString('latin1', s, e));

/** A message as Outlook/Exchange shape it: mixed > alternative + attachment. `headers` vary per copy. */
function exchangeMessage(
  headers: string,
  attachment: string,
  boundary = '_004_DB9PR07MB8210ABCDEF_',
): Buffer {
  const alt = '_000_DB9PR07MB8210ABCDEF_';
  return Buffer.from(
    `${headers}Content-Type: multipart/mixed;\r\n\tboundary="${boundary}"\r\nMIME-Version: 1.0\r\n\r\n` +
      `--${boundary}\r\nContent-Type: multipart/alternative;\r\n\tboundary="${alt}"\r\n\r\n` +
      `--${alt}\r\nContent-Type: text/plain; charset="us-ascii"\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nHello,\r\nsee the attached report.\r\n\r\n` +
      `--${alt}\r\nContent-Type: text/html; charset="us-ascii"\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n<html><body><p>Hello,</p></body></html>\r\n\r\n` +
      `--${alt}--\r\n\r\n` +
      `--${boundary}\r\nContent-Type: application/pdf; name="Report Q3.pdf"\r\nContent-Description: Report Q3.pdf\r\n` +
      `Content-Disposition: attachment; filename="Report Q3.pdf"; size=12000;\r\n\tcreation-date="Tue, 04 Mar 2026 10:12:03 GMT"\r\n` +
      `Content-Transfer-Encoding: base64\r\n\r\n${attachment}\r\n--${boundary}--\r\n`,
    'latin1',
  );
}

describe('cutting MIME at part boundaries', () => {
  it('cuts an attachment body out exactly, and the pieces join to the original bytes', () => {
    const attachment = base64Body(1, 12_000);
    const mime = exchangeMessage(
      'Received: from a by b; Tue, 4 Mar 2026 10:12:03 +0000\r\nSubject: Q3\r\n',
      attachment,
    );
    expect(bodies(mime)).toEqual([attachment]);
    const segments = splitMime(mime);
    expect(segments.length).toBe(3);
    expect(join(segments).equals(mime)).toBe(true);
  });

  it('gives two copies of a message with different transport headers the same attachment segment', () => {
    const attachment = base64Body(2, 40_000);
    const inbox = exchangeMessage(
      'Received: from x by y with mapi id 15.20.8000.12\r\nX-MS-Exchange-Organization-SCL: -1\r\n',
      attachment,
    );
    const sent = exchangeMessage('Subject: Q3\r\n', attachment, '_004_AM9PR07MB7154_');
    const a = splitMime(inbox);
    const b = splitMime(sent);
    expect(a[1]!.equals(b[1]!)).toBe(true);
    expect(a[0]!.equals(b[0]!)).toBe(false);
  });

  it('finds bodies in nested multiparts, attached messages, LF-only mail, and odd boundaries', () => {
    const inner = base64Body(3, 9_000, '\n');
    const image = base64Body(4, 5_000, '\n');
    // LF line ends, an unquoted boundary, a preamble and epilogue, a boundary that is a prefix of
    // another, padding after a delimiter, and a forwarded message with its own attachment.
    const mime = Buffer.from(
      'From: a@example.com\nContent-Type: MULTIPART/Mixed; charset=x; Boundary=b1\n\n' +
        'This is a multi-part message in MIME format.\n' +
        '--b1\nContent-Type: multipart/related; boundary="b1.2"; type="text/html"\n\n' +
        '--b1.2\nContent-Type: text/html\n\n<p>hi</p>\n' +
        `--b1.2\nContent-Type: image/png\nContent-Transfer-Encoding: base64\n\n${image}\n` +
        '--b1.2--\n' +
        '--b1   \nContent-Type: message/rfc822\n\n' +
        'From: c@example.com\nContent-Type: multipart/mixed; boundary="=_inner"\n\n' +
        `--=_inner\nContent-Type: text/plain\n\ntext\n--=_inner\nContent-Type: application/zip\nContent-Transfer-Encoding: base64\n\n${inner}\n--=_inner--\n` +
        '\n--b1--\nepilogue\n',
      'latin1',
    );
    expect(bodies(mime)).toEqual([image, inner]);
    expect(join(splitMime(mime)).equals(mime)).toBe(true);
  });

  it('reads header names in any case, folded values, and the first Content-Type only', () => {
    const image = base64Body(8, 5_000);
    const mime = Buffer.from(
      // A look-alike name first, the real header in capitals with a blank before its colon and
      // the boundary on a continuation line, then a second Content-Type that must not count.
      'X-Content-Type: text/plain\r\nContent-TypeX: text/plain\r\n' +
        'CONTENT-TYPE : multipart/mixed;\r\n boundary=\r\n\t"q1"\r\ncontent-type: text/plain\r\n\r\n' +
        `--q1\r\ncontent-type: image/png\r\nCONTENT-TRANSFER-ENCODING:\r\n base64\r\n\r\n${image}\r\n--q1--\r\n`,
      'latin1',
    );
    expect(bodies(mime)).toEqual([image]);
    expect(join(splitMime(mime)).equals(mime)).toBe(true);
  });

  it('leaves small parts with their neighbours and does not cut what is not MIME', () => {
    const small = exchangeMessage('Subject: x\r\n', base64Body(5, 600));
    expect(splitMime(small)).toEqual([small]);
    for (const text of [
      '',
      'no headers at all, and no blank line',
      `Subject: plain text\r\n\r\n${'just a long text body\r\n'.repeat(500)}`,
    ]) {
      const mime = Buffer.from(text, 'latin1');
      const segments = splitMime(mime);
      expect(join(segments).equals(mime)).toBe(true);
      expect(segments.length).toBeLessThanOrEqual(2);
    }
    // A multipart without its boundary parameter, or whose boundary never appears: one body at most.
    const noBoundary = Buffer.from(`Content-Type: multipart/mixed\r\n\r\n${base64Body(6, 4000)}`, 'latin1');
    expect(join(splitMime(noBoundary)).equals(noBoundary)).toBe(true);
    const missing = Buffer.from(
      `Content-Type: multipart/mixed; boundary="zz"\r\n\r\n--zz\r\nContent-Type: image/png\r\n\r\n${base64Body(7, 4000)}`,
      'latin1',
    );
    // The last part runs to the end when the close delimiter is missing (a truncated message).
    expect(bodies(missing)).toEqual([base64Body(7, 4000)]);
    expect(join(splitMime(missing)).equals(missing)).toBe(true);
  });

  it('never loses, adds or reorders a byte, whatever the input', () => {
    const pieces = fc.constantFrom(
      '--b\r\n',
      '--b--\r\n',
      '\r\n',
      '\n',
      'Content-Type: multipart/mixed; boundary=b\r\n',
      'Content-Type: message/rfc822\r\n',
      'Content-Type: multipart/alternative; boundary="b"\n',
      base64Body(8, 3000),
      'x',
      '--',
    );
    fc.assert(
      fc.property(fc.array(fc.oneof(pieces, fc.string()), { maxLength: 40 }), (parts) => {
        const mime = Buffer.from(parts.join(''), 'latin1');
        const ranges = mimeBodyRanges(mime, { minPartBytes: 1, maxDepth: 16 });
        let at = 0;
        for (const [start, end] of ranges) {
          expect(start).toBeGreaterThanOrEqual(at);
          expect(end).toBeGreaterThan(start);
          at = end;
        }
        expect(at).toBeLessThanOrEqual(mime.length);
        expect(join(splitMime(mime, { minPartBytes: 1, maxDepth: 16 })).equals(mime)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it('cuts out every attachment of generated Exchange-shaped mail', () => {
    const tenant = generateTenant({
      seed: 5,
      tenantIndex: 0,
      shape: { ...defaultShape(), users: 3, messagesPerMailbox: 80 },
      now: new Date('2026-11-01T12:00:00Z'),
    });
    const messages = tenant.users.flatMap((u) => u.mailbox?.folders.flatMap((f) => f.messages) ?? []);
    let checked = 0;
    for (const message of messages.filter((m) => m.attachments.some((a) => a.size >= 4096))) {
      const mime = buildMime(message);
      expect(join(splitMime(mime)).equals(mime)).toBe(true);
      const decoded = bodies(mime).map((b) => b.length);
      // Every attachment of 4 KB or more is a body of its own: base64 is 4/3 of the bytes plus line
      // ends; a forwarded mail (message/rfc822, 7bit) contributes its own body, after its headers.
      for (const a of message.attachments.filter((x) => x.size >= 4096)) {
        const least = a.contentType === 'message/rfc822' ? a.size - 1000 : a.size * (4 / 3);
        expect(decoded.some((length) => length >= least)).toBe(true);
      }
      checked += 1;
    }
    expect(checked).toBeGreaterThan(10);
  });
});

describe('storing a message cut at its parts', () => {
  it('stores an attachment shared by two messages once, and reads each message back byte for byte', async () => {
    const repository = await openRepository({ store: new MemoryBlobStore(), tenantId, masterKey });
    const attachment = base64Body(9, 300_000);
    const first = exchangeMessage('Subject: first copy\r\n', attachment);
    const second = exchangeMessage('Received: from elsewhere\r\nSubject: second copy\r\n', attachment);
    const a = await storeMime(repository, [first.subarray(0, 1000), first.subarray(1000)]);
    const before = repository.stats().newChunkBytes;
    const b = await storeMime(repository, [second]);
    await repository.flush();
    // Only the second message's own headers and text were new.
    expect(repository.stats().newChunkBytes - before).toBeLessThan(2000);
    expect(b.chunks).toContain(a.chunks[1]);
    for (const [ref, mime] of [
      [a, first],
      [b, second],
    ] as const) {
      const back: Buffer[] = [];
      for await (const piece of repository.readContent(ref)) back.push(piece as Buffer);
      expect(Buffer.concat(back).equals(mime)).toBe(true);
      expect(ref.size).toBe(mime.length);
    }
  });

  it('streams a message past the limit with content-defined chunks instead of holding it', async () => {
    const repository = await openRepository({ store: new MemoryBlobStore(), tenantId, masterKey });
    const mime = exchangeMessage('Subject: big\r\n', base64Body(10, 3_000_000));
    const ref = await storeMime(repository, [mime.subarray(0, 500_000), mime.subarray(500_000)], 1_000_000);
    const back: Buffer[] = [];
    for await (const piece of repository.readContent(ref)) back.push(piece as Buffer);
    expect(Buffer.concat(back).equals(mime)).toBe(true);
    expect(ref.chunks.length).toBeGreaterThan(1);
  });
});
