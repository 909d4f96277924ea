import { simpleParser } from 'mailparser';
import { describe, expect, it } from 'vitest';
import { pageOf, type DeltaEntry, type DeltaToken } from '../../../dev/simulator/graph/delta';
import { OpaqueTokens } from '../../../dev/simulator/http/opaque-tokens';
import { defaultLimits } from '../../../dev/simulator/options';
import { generator } from '../../../dev/simulator/generator';
import { BlobStore } from '../../../dev/simulator/store/blobs';
import { ensureHashes, quickXorHashOf } from '../../../dev/simulator/store/content';
import { appendAttachments } from '../../../dev/simulator/store/message-mime';
import { SimState } from '../../../dev/simulator/store/state';
import { retryAfterValue, Throttling } from '../../../dev/simulator/throttling';

describe('opaque tokens', () => {
  it('round-trips the sealed query and refuses edited or foreign tokens', () => {
    const tokens = new OpaqueTokens(Buffer.alloc(32, 1));
    const sealed = tokens.seal({ q: { select: ['subject'] }, s: 5 });
    expect(sealed).not.toContain('subject');
    expect(tokens.open(sealed)).toEqual({ q: { select: ['subject'] }, s: 5 });
    const edited = sealed.slice(0, 10) + (sealed[10] === 'A' ? 'B' : 'A') + sealed.slice(11);
    expect(tokens.open(edited)).toBeUndefined();
    expect(new OpaqueTokens(Buffer.alloc(32, 2)).open(sealed)).toBeUndefined();
  });
});

describe('delta paging', () => {
  it('cuts a round by (seq, id) and never includes changes after the round began', () => {
    const entries: DeltaEntry<string>[] = [
      { seq: 3, id: 'b', value: 'b' },
      { seq: 3, id: 'a', value: 'a' },
      { seq: 5, id: 'c', value: 'c' },
      { seq: 9, id: 'late', value: 'late' },
    ];
    const token = { s: 0, u: 8, cs: 0, ci: '' } as DeltaToken;
    const first = pageOf(entries, token, 2);
    expect(first.page.map((e) => e.id)).toEqual(['a', 'b']);
    expect(first.done).toBe(false);
    const second = pageOf(entries, { ...token, cs: 3, ci: 'b' }, 2);
    expect(second.page.map((e) => e.id)).toEqual(['c']);
    expect(second.done).toBe(true);
  });
});

describe('throttling buckets', () => {
  it('refills continuously and reports how long until a request fits', () => {
    let now = 0;
    const throttling = new Throttling(
      { ...defaultLimits, sharePointUnits: 10, sharePointWindowMs: 10_000 },
      () => now,
    );
    for (let i = 0; i < 5; i++) throttling.chargeSharePoint('t', 2);
    let error: { status: number; headers: Record<string, string> } | undefined;
    try {
      throttling.chargeSharePoint('t', 2);
    } catch (e) {
      error = e as typeof error;
    }
    expect(error?.status).toBe(429);
    expect(error?.headers['retry-after']).toBe('2');
    now += 2000;
    expect(() => throttling.chargeSharePoint('t', 2)).not.toThrow();
    expect(throttling.chargeSharePoint('other', 2)).toEqual({});
  });

  it('writes Retry-After in whole seconds, or a decimal below a second', () => {
    expect(retryAfterValue(12_300)).toBe('13');
    expect(retryAfterValue(250)).toBe('0.25');
  });

  it('releases a mailbox concurrency slot exactly once', () => {
    const throttling = new Throttling({ ...defaultLimits, mailboxConcurrency: 1 });
    const release = throttling.admitMailbox('app', 'mbx', 0);
    expect(() => throttling.admitMailbox('app', 'mbx', 0)).toThrow();
    release();
    release();
    const again = throttling.admitMailbox('app', 'mbx', 0);
    expect(() => throttling.admitMailbox('app', 'mbx', 0)).toThrow();
    again();
  });
});

describe('attachments added after creation', () => {
  const info = (name: string) => ({
    id: 'x',
    name,
    contentType: 'application/pdf',
    size: 3,
    isInline: false,
    contentId: null,
    sha256: '',
    lastModifiedDateTime: '',
  });

  it('wrap a single-part message into multipart/mixed, keeping its body', async () => {
    const mime = Buffer.from(
      'From: a@b.c\r\nSubject: s\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nhello body\r\n',
    );
    const parsed = await simpleParser(
      appendAttachments(mime, [{ info: info('résumé.pdf'), bytes: Buffer.from('pdf') }]),
    );
    expect(parsed.subject).toBe('s');
    expect(parsed.text?.trim()).toBe('hello body');
    expect(parsed.attachments.map((a) => [a.filename, a.content.toString()])).toEqual([
      ['résumé.pdf', 'pdf'],
    ]);
  });

  it('join the parts of an existing multipart/mixed message', async () => {
    const mime = Buffer.from(
      'Subject: m\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="B"\r\n\r\n--B\r\nContent-Type: text/plain\r\n\r\nbody\r\n--B\r\nContent-Type: text/csv; name="a.csv"\r\nContent-Disposition: attachment; filename="a.csv"\r\n\r\nx,y\r\n--B--\r\n',
    );
    const parsed = await simpleParser(
      appendAttachments(mime, [{ info: info('b.pdf'), bytes: Buffer.from('pdf') }]),
    );
    expect(parsed.attachments.map((a) => a.filename)).toEqual(['a.csv', 'b.pdf']);
  });
});

describe('file hashes', () => {
  it('hashes large generated files in chunks to the same QuickXorHash as the whole bytes', async () => {
    const state = new SimState(SimState.empty(1), new BlobStore(), generator);
    const content = { kind: 'gen' as const, contentSeed: 987_654, size: 9 * 1024 * 1024 + 17 };
    await ensureHashes(state, [content]);
    expect(quickXorHashOf(state, content)).toBe(generator.quickXorHash(generator.fileBytes(content)));
  });
});
