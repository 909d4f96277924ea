import { Readable } from 'node:stream';
import { simpleParser } from 'mailparser';
import MailComposer from 'nodemailer/lib/mail-composer';
import { describe, expect, it } from 'vitest';
import {
  OMITTED_ATTACHMENT_HEADER,
  listAttachments,
  withoutAttachments,
} from '../../../shared/export/mime-attachments';

async function compose(options: ConstructorParameters<typeof MailComposer>[0]): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    new MailComposer(options).compile().build((err, message) => (err ? reject(err) : resolve(message))),
  );
}

/** Feeds the bytes in small pieces, as a repository stream would. */
function pieces(bytes: Buffer, size = 777): Readable {
  const parts: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += size) parts.push(bytes.subarray(i, i + size));
  return Readable.from(parts);
}

async function strip(
  mime: Buffer,
): Promise<{ out: Buffer; omitted: Awaited<ReturnType<typeof listAttachments>> }> {
  const listed = await listAttachments(pieces(mime));
  const chunks: Buffer[] = [];
  for await (const c of withoutAttachments(pieces(mime), listed.omitted, listed.lineEnding))
    chunks.push(c as Buffer);
  return { out: Buffer.concat(chunks), omitted: listed };
}

describe('export without attachments: MIME rewritten without its attachment parts', () => {
  it('keeps headers and text and HTML bodies byte for byte, leaves out files and inline images, and names each', async () => {
    const mime = await compose({
      from: 'Ana <ana@example.org>',
      to: 'Ben <ben@example.org>',
      subject: 'Zürich figures',
      messageId: '<strip-1@example.org>',
      date: new Date('2026-03-04T10:20:30Z'),
      text: 'Plain body, line one.\nLine two.',
      html: '<p>HTML body with a picture <img src="cid:logo@x"></p>',
      attachments: [
        { filename: 'figures.xlsx', content: Buffer.alloc(70_001, 7) },
        { filename: 'Übersicht.pdf', content: Buffer.alloc(1234, 1), contentType: 'application/pdf' },
        { filename: 'logo.png', content: Buffer.alloc(300, 9), cid: 'logo@x', contentType: 'image/png' },
        { filename: 'notes.txt', content: 'an attached text file', contentType: 'text/plain' },
      ],
    });
    const original = await simpleParser(mime, { skipImageLinks: true });
    const { out, omitted } = await strip(mime);
    const stripped = await simpleParser(out, { skipImageLinks: true });

    expect(stripped.attachments).toEqual([]);
    expect(stripped.text).toBe(original.text);
    expect(stripped.html).toBe(original.html);
    expect(stripped.subject).toBe('Zürich figures');
    expect(stripped.messageId).toBe('<strip-1@example.org>');
    expect(stripped.date?.toISOString()).toBe('2026-03-04T10:20:30.000Z');

    const expected = original.attachments
      .map((a) => ({ name: a.filename, size: a.size }))
      .sort((a, b) => a.name!.localeCompare(b.name!));
    expect(
      omitted.omitted
        .map((a) => ({ name: a.name, size: a.size }))
        .sort((a, b) => a.name.localeCompare(b.name)),
    ).toEqual(expected);
    expect(omitted.omitted.find((a) => a.name === 'logo.png')).toMatchObject({
      disposition: 'inline',
      contentType: 'image/png',
    });

    // The list travels in the message itself, one header per attachment, readable by any parser.
    const listed = stripped.headerLines
      .filter((h) => h.key === OMITTED_ATTACHMENT_HEADER.toLowerCase())
      .map((h) => h.line);
    expect(listed).toHaveLength(4);
    expect(String(stripped.headers.get(OMITTED_ATTACHMENT_HEADER.toLowerCase()))).toBeTruthy();
    expect(listed.join('\n')).toContain(
      'figures.xlsx (70001 bytes, application/vnd.openxmlformats-officedocument.spreadsheetml.sheet, attachment)',
    );

    // What is kept is the original bytes: everything after the added header lines is cut from the original.
    const body = out.subarray(out.indexOf('Content-Type'));
    const headerEnd = mime.indexOf('\r\n\r\n');
    expect(body.subarray(0, 200).toString()).toBe(
      mime.subarray(mime.indexOf('Content-Type'), mime.indexOf('Content-Type') + 200).toString(),
    );
    expect(out.includes(mime.subarray(0, headerEnd))).toBe(true);
    expect(out.length).toBeLessThan(mime.length - 70_000);
  });

  it('a message without attachments has nothing to leave out; LF line endings are kept', async () => {
    const mime = (
      await compose({ from: 'a@example.org', to: 'b@example.org', subject: 'hello', text: 'just text' })
    )
      .toString('latin1')
      .replace(/\r\n/g, '\n');
    const bytes = Buffer.from(mime, 'latin1');
    const { out, omitted } = await strip(bytes);
    expect(omitted).toEqual({ omitted: [], lineEnding: '\n' });
    expect(out.equals(bytes)).toBe(true);

    const withFile = Buffer.from(
      (
        await compose({
          from: 'a@example.org',
          to: 'b@example.org',
          subject: 'f',
          text: 'see file',
          attachments: [{ filename: 'a.bin', content: Buffer.alloc(10) }],
        })
      )
        .toString('latin1')
        .replace(/\r\n/g, '\n'),
      'latin1',
    );
    const lf = await strip(withFile);
    expect(lf.omitted.lineEnding).toBe('\n');
    expect(lf.out.includes('\r\n')).toBe(false);
    const parsed = await simpleParser(lf.out);
    expect(parsed.text?.trim()).toBe('see file');
    expect(parsed.attachments).toEqual([]);
  });
});
