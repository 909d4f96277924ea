import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ContentDefinedChunker, gearTable, type ChunkerOptions } from '../../../shared/repository/chunker';
import { seededRandom } from '../../../shared/repository/sample-mail';

const SMALL: ChunkerOptions = { minSize: 2 * 1024, avgSize: 8 * 1024, maxSize: 32 * 1024 };
const gear = gearTable(Buffer.alloc(32, 1));

function randomBytesSeeded(length: number, seed: number): Buffer {
  const random = seededRandom(seed);
  const out = Buffer.alloc(length);
  for (let i = 0; i < length; i++) out[i] = Math.floor(random() * 256);
  return out;
}

function chunkAll(data: Buffer, pieceSize: number, options = SMALL, table = gear): Buffer[] {
  const chunker = new ContentDefinedChunker(table, options);
  const chunks: Buffer[] = [];
  for (let at = 0; at < data.length; at += pieceSize)
    chunks.push(...chunker.push(data.subarray(at, at + pieceSize)));
  const last = chunker.finish();
  if (last) chunks.push(last);
  return chunks;
}

const digest = (chunk: Buffer) => createHash('sha256').update(chunk).digest('hex');

describe('content-defined chunker (FastCDC-style)', () => {
  const data = randomBytesSeeded(2 * 1024 * 1024, 42);

  it('cuts the same chunks whatever sizes the stream arrives in, and they reassemble exactly', () => {
    const whole = chunkAll(data, data.length);
    for (const piece of [1000, 4096, 65536, 333_333]) {
      expect(chunkAll(data, piece).map(digest)).toEqual(whole.map(digest));
    }
    expect(Buffer.concat(whole).equals(data)).toBe(true);
  });

  it('keeps chunks within min/max and averages near the target size', () => {
    const chunks = chunkAll(data, 65536);
    for (const chunk of chunks.slice(0, -1)) {
      expect(chunk.length).toBeGreaterThanOrEqual(SMALL.minSize);
      expect(chunk.length).toBeLessThanOrEqual(SMALL.maxSize);
    }
    const average = data.length / chunks.length;
    expect(average).toBeGreaterThan(SMALL.avgSize * 0.6);
    expect(average).toBeLessThan(SMALL.avgSize * 1.6);
  });

  it('after a few bytes changed or inserted in the middle, almost all chunks are unchanged', () => {
    const before = new Set(chunkAll(data, 65536).map(digest));
    const edited = Buffer.from(data);
    edited.write('EDITED', 1_000_000);
    const inserted = Buffer.concat([
      data.subarray(0, 1_300_000),
      Buffer.from('twenty inserted bytes'),
      data.subarray(1_300_000),
    ]);
    for (const changed of [edited, inserted]) {
      const after = chunkAll(changed, 65536).map(digest);
      const fresh = after.filter((d) => !before.has(d));
      expect(fresh.length).toBeGreaterThan(0);
      expect(fresh.length).toBeLessThanOrEqual(3);
      expect(after.length).toBeGreaterThan(100);
    }
  });

  it('forces a cut at max size on data without boundaries (all zeros)', () => {
    const zeros = Buffer.alloc(100 * 1024);
    const chunks = chunkAll(zeros, 10_000);
    expect(chunks.slice(0, -1).every((c) => c.length === SMALL.maxSize)).toBe(true);
    expect(Buffer.concat(chunks).length).toBe(zeros.length);
  });

  it('cuts differently under another tenant seed, so boundaries are not comparable across tenants', () => {
    const other = gearTable(Buffer.alloc(32, 2));
    const mine = chunkAll(data, 65536).map((c) => c.length);
    const theirs = chunkAll(data, 65536, SMALL, other).map((c) => c.length);
    expect(theirs).not.toEqual(mine);
  });

  it('rejects inconsistent sizes', () => {
    expect(() => new ContentDefinedChunker(gear, { minSize: 8192, avgSize: 4096, maxSize: 65536 })).toThrow(
      /min < avg < max/,
    );
  });
});
