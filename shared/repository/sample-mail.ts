/**
 * Deterministic, realistic mail-like content (RFC 5322 headers, a text and an HTML part, sometimes
 * a base64 attachment of semi-compressible bytes). The compression choice in `compression.ts` was
 * calibrated on it, and the tests and `bench/repository.ts` use it: random bytes would make
 * compression look useless, all-zero bytes would make it look magical.
 */

const WORDS = (
  'the meeting project report quarter budget review please find attached thanks regards team ' +
  'update schedule customer contract invoice delivery follow up next week monday tuesday call ' +
  'agenda minutes action items deadline draft final version approval sales marketing product ' +
  'release notes feedback question answer issue resolved pending status office travel expense ' +
  'policy training session onboarding welcome hello hi dear all best kind thank you for your ' +
  'time we will discuss this in our sync tomorrow morning let me know if you have any concerns'
).split(' ');
const NAMES = ['Adele Vance', 'Alex Wilber', 'Megan Bowen', 'Lee Gu', 'Nestor Wilke', 'Patti Fernandez'];

/** A small seeded PRNG (mulberry32): same seed, same bytes. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function sentence(random: () => number): string {
  const n = 6 + Math.floor(random() * 14);
  const words: string[] = [];
  for (let i = 0; i < n; i++) words.push(WORDS[Math.floor(random() * WORDS.length)]!);
  const text = words.join(' ');
  return text.charAt(0).toUpperCase() + text.slice(1) + '.';
}

function base64Lines(bytes: Buffer): string {
  return (bytes.toString('base64').match(/.{1,76}/g) ?? []).join('\r\n');
}

/**
 * One message's MIME. About a quarter carry an attachment whose bytes are half repetitive
 * (document-like) and half noise (already-compressed-like), base64-encoded as Exchange sends it.
 */
export function sampleMail(seed: number, approxBodyBytes = 3000): Buffer {
  const random = seededRandom(seed);
  const from = NAMES[seed % NAMES.length]!;
  const to = NAMES[(seed + 1 + Math.floor(random() * 4)) % NAMES.length]!;
  const subject = sentence(random).slice(0, 60);
  const paragraphs: string[] = [];
  let size = 0;
  while (size < approxBodyBytes) {
    const p = Array.from({ length: 2 + Math.floor(random() * 4) }, () => sentence(random)).join(' ');
    paragraphs.push(p);
    size += p.length;
  }
  const boundary = `----=_Part_${seed}_${Math.floor(random() * 1e9)}`;
  const date = new Date(Date.UTC(2026, 0, 1) + Math.floor(random() * 300 * 86400_000)).toUTCString();
  const headers = [
    `Received: from EXCH${seed % 97}.contoso.com (10.0.${seed % 255}.${(seed * 7) % 255}) by mail.contoso.com`,
    `From: ${from} <${from.toLowerCase().replace(' ', '.')}@contoso.com>`,
    `To: ${to} <${to.toLowerCase().replace(' ', '.')}@contoso.com>`,
    `Subject: ${subject}`,
    `Date: ${date}`,
    `Message-ID: <${seed}.${Math.floor(random() * 1e12)}@contoso.com>`,
    'MIME-Version: 1.0',
    `Content-Type: multipart/mixed; boundary="${boundary}"`,
  ];
  const text = paragraphs.join('\r\n\r\n');
  const html = `<html><body>${paragraphs.map((p) => `<p style="font-family:Calibri,sans-serif;font-size:11pt">${p}</p>`).join('\n')}</body></html>`;
  const parts = [
    `--${boundary}\r\nContent-Type: text/plain; charset="utf-8"\r\nContent-Transfer-Encoding: 8bit\r\n\r\n${text}`,
    `--${boundary}\r\nContent-Type: text/html; charset="utf-8"\r\nContent-Transfer-Encoding: 8bit\r\n\r\n${html}`,
  ];
  if (random() < 0.25) {
    const length = 4000 + Math.floor(random() * 20000);
    const bytes = Buffer.alloc(length);
    for (let i = 0; i < length; i++) {
      bytes[i] = i % 2 === 0 ? Math.floor(random() * 256) : 0x20 + ((i >> 3) % 64);
    }
    parts.push(
      `--${boundary}\r\nContent-Type: application/octet-stream; name="report-${seed}.bin"\r\n` +
        `Content-Transfer-Encoding: base64\r\nContent-Disposition: attachment\r\n\r\n${base64Lines(bytes)}`,
    );
  }
  return Buffer.from(`${headers.join('\r\n')}\r\n\r\n${parts.join('\r\n')}\r\n--${boundary}--\r\n`, 'utf8');
}
