import fc from 'fast-check';
import { simpleParser } from 'mailparser';
import { describe, expect, it } from 'vitest';
import {
  buildMime,
  createMessage,
  messageBody,
  defaultShape,
  generateTenant,
  parseMimeMetadata,
  type GenMessage,
} from '../../../dev/simulator/generator/index';

const tenant = generateTenant({
  seed: 42,
  tenantIndex: 0,
  shape: defaultShape(),
  now: new Date('2026-11-01T12:00:00Z'),
});
const all = tenant.users.flatMap((u) => u.mailbox?.folders.flatMap((f) => f.messages) ?? []);
// Every message of three mailboxes, and every message with attachments anywhere.
const sample: GenMessage[] = [
  ...tenant.users.slice(0, 3).flatMap((u) => u.mailbox?.folders.flatMap((f) => f.messages) ?? []),
  ...tenant.users
    .slice(3)
    .flatMap(
      (u) => u.mailbox?.folders.flatMap((f) => f.messages.filter((m) => m.attachments.length > 0)) ?? [],
    ),
];
let built: Buffer[] | undefined;
const allMimes = (): Buffer[] => (built ??= all.map((m) => buildMime(m)));

describe('buildMime', () => {
  it('is byte-identical for identical input', () => {
    for (const m of sample.filter((_, i) => i % 25 === 0)) {
      expect(buildMime(m).equals(buildMime(structuredClone(m)))).toBe(true);
    }
  });

  it('writes RFC 5322: CRLF only, lines within 998 octets, Received first, Exchange headers', () => {
    for (const m of sample.slice(0, 120)) {
      const text = buildMime(m).toString('latin1');
      expect(text).not.toMatch(/\r(?!\n)|(?<!\r)\n/);
      expect(text).not.toMatch(/[^\r\n]{999}/);
      expect(text.startsWith('Received: from ')).toBe(true);
      const head = text.slice(0, text.indexOf('\r\n\r\n'));
      expect(head).toContain(`Message-ID: ${m.internetMessageId}`);
      expect(head).toMatch(/^MIME-Version: 1\.0$/m);
      expect(head).toMatch(/^Thread-Index: /m);
    }
  });

  it(`parses back to the metadata for ${sample.length} messages`, async () => {
    expect(sample.length).toBeGreaterThan(300);
    for (const m of sample) {
      const parsed = await parseMimeMetadata(buildMime(m));
      const where = `${m.key} ${m.subject}`;
      expect(parsed.subject, where).toBe(m.subject);
      expect(parsed.from, where).toEqual(m.from);
      expect(parsed.toRecipients, where).toEqual(m.toRecipients);
      expect(parsed.ccRecipients, where).toEqual(m.ccRecipients);
      expect(parsed.sentDateTime, where).toBe(m.sentDateTime);
      expect(parsed.internetMessageId, where).toBe(m.internetMessageId);
      expect(parsed.bodyPreview, where).toBe(m.bodyPreview);
      expect(parsed.attachments, where).toEqual(m.attachments);
      expect(parsed.hasAttachments, where).toBe(m.hasAttachments);
      expect(parsed.body.contentType).toBe(parsed.body.content.includes('<html') ? 'html' : 'text');
      expect(messageBody(m), where).toEqual(parsed.body);
    }
  }, 120_000);

  it('covers the structures and charsets real mail arrives in', () => {
    const heads = allMimes().map((b) => b.toString('latin1', 0, Math.min(b.length, 400_000)));
    const count = (re: RegExp): number => heads.filter((h) => re.test(h)).length;
    expect(count(/Content-Type: multipart\/alternative/)).toBeGreaterThan(100);
    expect(count(/Content-Type: multipart\/related/)).toBeGreaterThan(5);
    expect(count(/Content-Type: multipart\/mixed/)).toBeGreaterThan(50);
    expect(count(/^Content-Type: text\/plain; charset="utf-8"/m)).toBeGreaterThan(100);
    for (const charset of [
      'iso-8859-1',
      'iso-8859-2',
      'windows-1252',
      'iso-2022-jp',
      'shift_jis',
      'us-ascii',
    ]) {
      expect(count(new RegExp(`charset="${charset}"`)), charset).toBeGreaterThan(0);
    }
    // Encoded words (RFC 2047) in several charsets, and RFC 2231 file names.
    expect(count(/^Subject: =\?ISO-2022-JP\?B\?/im)).toBeGreaterThan(0);
    expect(count(/^Subject: =\?(ISO-8859-1|WINDOWS-1252)\?Q\?/im)).toBeGreaterThan(0);
    expect(count(/^Subject: =\?UTF-8\?[BQ]\?/im)).toBeGreaterThan(0);
    expect(count(/filename\*(0\*)?=(utf-8|iso-8859-1|windows-1252|shift_jis|iso-2022-jp)''/)).toBeGreaterThan(
      0,
    );
    expect(count(/filename="=\?/)).toBeGreaterThan(0);
    expect(count(/Content-Type: message\/rfc822/)).toBeGreaterThan(0);
  });

  it('parses non-UTF-8 messages back to the same text', async () => {
    const japanese = all.find(
      (m, i) => allMimes()[i]?.includes('charset="iso-2022-jp"') && /[^\x20-\x7e]/.test(m.subject),
    );
    expect(japanese).toBeDefined();
    if (!japanese) return;
    const parsed = await simpleParser(buildMime(japanese));
    expect(parsed.subject).toBe(japanese.subject);
    expect(parsed.text?.replace(/\s+/g, ' ')).toContain(japanese.bodyPreview.slice(0, 20));
  });

  it('compresses like real mail (reported)', async () => {
    const { gzipSync } = await import('node:zlib');
    let raw = 0;
    let packed = 0;
    let perMessage = 0;
    const started = performance.now();
    const mimes = all.map((m) => buildMime(m));
    const seconds = (performance.now() - started) / 1000;
    mimes.forEach((b, i) => {
      if (i % 4 !== 0) return;
      const z = gzipSync(b).length;
      raw += b.length;
      packed += z;
      perMessage += z / b.length;
    });
    const mean = perMessage / Math.ceil(mimes.length / 4);
    console.log(
      `buildMime: ${(all.length / seconds).toFixed(0)} messages/s, ${(mimes.reduce((n, b) => n + b.length, 0) / 1e6 / seconds).toFixed(0)} MB/s; ` +
        `gzip ratio per message (mean) ${mean.toFixed(2)}, over all bytes ${(packed / raw).toFixed(2)}`,
    );
    expect(mean).toBeGreaterThan(0.25);
    expect(mean).toBeLessThan(0.65);
  });
});

describe('buildMime with arbitrary text', () => {
  // Subjects, names and file names as the control API might set them: any Unicode, quotes,
  // backslashes, encoded-word look-alikes. Whitespace is collapsed (header unfolding would).
  const clean = (s: string): string =>
    s
      .replace(/[\p{Cc}\u2028\u2029]/gu, '')
      .replace(/\s+/g, ' ')
      .trim();
  const text = fc
    .oneof(
      fc.string({ unit: 'grapheme', minLength: 1, maxLength: 200 }),
      fc
        .array(
          fc.constantFrom(
            '"',
            '\\',
            ';',
            ',',
            '<',
            '>',
            '@',
            '=?',
            '?=',
            ' ',
            'a',
            'é',
            '日',
            '😀',
            ':',
            '(',
            ')',
            '_',
            '=',
            '%',
            "'",
          ),
          {
            minLength: 1,
            maxLength: 40,
          },
        )
        .map((a) => a.join('')),
    )
    .map(clean)
    .filter((s) => s.length > 0);
  const owner = { name: 'Zoë Müller', address: 'zoe.muller@contoso1.onmicrosoft.com' };

  it('round-trips subject, sender name and attachment name', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 2 ** 31 }),
        text,
        text,
        text,
        async (seed, subject, name, fileName) => {
          const m = createMessage({
            seed,
            key: 'k',
            owner,
            colleagues: [owner],
            receivedAt: new Date('2026-11-01T00:00:00Z'),
          });
          m.subject = subject;
          m.from = { name, address: 'sender@example.com' };
          const first = m.attachments.find((a) => !a.isInline);
          if (first) first.name = `${fileName}.pdf`;
          const parsed = await parseMimeMetadata(buildMime(m));
          expect(parsed.subject).toBe(subject);
          expect(parsed.from).toEqual(m.from);
          expect(parsed.attachments).toEqual(m.attachments);
        },
      ),
      { numRuns: 300, seed: 20261122 },
    );
  }, 60_000);
});

describe('parseMimeMetadata', () => {
  it('reads a hand-written message with a group, a text-only body and an attachment', async () => {
    const raw = Buffer.from(
      [
        'From: "García, José" <jose@example.com>',
        'To: Team: a@example.com, "Zoë Müller" <zoe@example.com>;',
        'Cc: =?ISO-8859-1?Q?Andr=E9?= <andre@example.com>',
        'Subject: =?utf-8?B?UmU6IMOcYmVycHLDvGZ1bmc=?=',
        'Date: Tue, 3 Mar 2026 10:00:00 +0100',
        'Message-ID: <abc@example.com>',
        'MIME-Version: 1.0',
        'Content-Type: multipart/mixed; boundary="b"',
        '',
        '--b',
        'Content-Type: text/plain; charset=utf-8',
        '',
        'Hello   there,',
        '',
        'see attached.',
        '--b',
        'Content-Type: application/pdf; name="a.pdf"',
        'Content-Disposition: attachment; filename="a.pdf"',
        'Content-Transfer-Encoding: base64',
        '',
        Buffer.from('%PDF-1.7 tiny').toString('base64'),
        '--b--',
        '',
      ].join('\r\n'),
    );
    const meta = await parseMimeMetadata(raw);
    expect(meta.subject).toBe('Re: Überprüfung');
    expect(meta.from).toEqual({ name: 'García, José', address: 'jose@example.com' });
    expect(meta.toRecipients).toEqual([
      { name: '', address: 'a@example.com' },
      { name: 'Zoë Müller', address: 'zoe@example.com' },
    ]);
    expect(meta.ccRecipients).toEqual([{ name: 'André', address: 'andre@example.com' }]);
    expect(meta.sentDateTime).toBe('2026-03-03T09:00:00Z');
    expect(meta.internetMessageId).toBe('<abc@example.com>');
    expect(meta.bodyPreview).toBe('Hello there, see attached.');
    expect(meta.body.contentType).toBe('text');
    expect(meta.attachments).toEqual([
      { name: 'a.pdf', contentType: 'application/pdf', size: 13, isInline: false, contentId: null },
    ]);
    expect(meta.hasAttachments).toBe(true);
  });
});
