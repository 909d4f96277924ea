import { createCipheriv, createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { computeChunkId, deriveKeys } from '../../../shared/repository/chunk-crypto';
import {
  ChunkIndex,
  decodeIndexFile,
  encodeIndexFile,
  type ChunkLocation,
  type IndexEntry,
} from '../../../shared/repository/chunk-index';
import { compressChunk, COMPRESSION_FLAG, decompressChunk } from '../../../shared/repository/compression';
import {
  PACK_TRAILER_BYTES,
  PackBuilder,
  parsePackHeader,
  parsePackTrailer,
} from '../../../shared/repository/pack';
import { sampleMail } from '../../../shared/repository/sample-mail';
import { encodeTree, decodeTree, type TreeEntry } from '../../../shared/repository/tree';

const keys = deriveKeys(Buffer.alloc(32, 3), 'repo');

function idOf(n: number): Buffer {
  return createHash('sha256').update(String(n)).digest();
}

describe('pack format', () => {
  it('lists its chunks in an encrypted header that can be read back from the tail alone', () => {
    const pack = new PackBuilder('0a'.repeat(16));
    pack.add(idOf(1), 'data', COMPRESSION_FLAG.brotli, 1000, [randomBytes(300)]);
    pack.add(idOf(2), 'tree', COMPRESSION_FLAG.none, 77, [randomBytes(100), randomBytes(5)]);
    const bytes = Buffer.concat(pack.finish(keys.encryption));
    const headerLength = parsePackTrailer(bytes.subarray(bytes.length - PACK_TRAILER_BYTES), pack.packId);
    const sealedHeader = bytes.subarray(
      bytes.length - PACK_TRAILER_BYTES - headerLength,
      bytes.length - PACK_TRAILER_BYTES,
    );
    const entries = parsePackHeader(keys.encryption, pack.packId, sealedHeader);
    expect(
      entries.map((e) => [e.id.toString('hex'), e.type, e.flags, e.offset, e.storedLength, e.rawLength]),
    ).toEqual([
      [idOf(1).toString('hex'), 'data', 2, 0, 300, 1000],
      [idOf(2).toString('hex'), 'tree', 0, 300, 105, 77],
    ]);
    // The header is bound to its pack: copied under another pack's name it does not open.
    expect(() => parsePackHeader(keys.encryption, '0b'.repeat(16), sealedHeader)).toThrow(
      /does not authenticate/,
    );
  });
});

describe('index file', () => {
  it('round-trips entries (sorted, packs interned) and is bound to its own name', () => {
    const entries: IndexEntry[] = Array.from({ length: 50 }, (_, i) => ({
      id: idOf(i),
      packId: (i % 3).toString(16).padStart(32, '0'),
      type: i % 5 === 0 ? 'tree' : 'data',
      flags: i % 3,
      offset: i * 1000,
      storedLength: 500 + i,
      rawLength: 900 + i,
    }));
    const sealed = encodeIndexFile(keys.encryption, 'ab'.repeat(16), {
      entries,
      supersedes: ['cd'.repeat(16)],
    });
    expect(sealed.length).toBeLessThan(50 * 50 + 200);
    const seen: IndexEntry[] = [];
    const result = decodeIndexFile(keys.encryption, 'ab'.repeat(16), sealed, (id, loc) =>
      seen.push({ id: Buffer.from(id), ...loc }),
    );
    expect(result).toEqual({ count: 50, supersedes: ['cd'.repeat(16)] });
    const byId = (a: IndexEntry, b: IndexEntry) => a.id.compare(b.id);
    expect(seen).toEqual([...entries].sort(byId));
    expect(() => decodeIndexFile(keys.encryption, 'ef'.repeat(16), sealed, () => undefined)).toThrow(
      /does not authenticate/,
    );
  });
});

describe('in-memory chunk index', () => {
  const location = (n: number): ChunkLocation => ({
    packId: (n % 1000).toString(16).padStart(32, '0'),
    type: n % 7 === 0 ? 'tree' : 'data',
    flags: n % 3,
    offset: n,
    storedLength: n + 1,
    rawLength: n + 2,
  });

  it('finds what was added, keeps the first location of a duplicate, and forgets removed chunks', () => {
    const index = new ChunkIndex();
    for (let i = 0; i < 5000; i++) expect(index.add(idOf(i), location(i))).toBe(true);
    expect(index.add(idOf(10), location(99))).toBe(false);
    expect(index.size).toBe(5000);
    for (const i of [0, 10, 2500, 4999]) expect(index.get(idOf(i))).toEqual(location(i));
    expect(index.has(idOf(5000))).toBe(false);
    index.removeAll([idOf(10), idOf(4999)]);
    expect(index.has(idOf(10))).toBe(false);
    expect(index.has(idOf(4998))).toBe(true);
    expect(index.size).toBe(4998);
    expect([...index.entries()].length).toBe(4998);
  });

  it('holds a million chunks in about 55 MB and finds each of them', () => {
    const index = new ChunkIndex();
    // Ids as the repository makes them look: uniformly random (a fixed AES-CTR keystream here).
    const ids = createCipheriv('aes-256-ctr', Buffer.alloc(32, 7), Buffer.alloc(16)).update(
      Buffer.alloc(32 * 1_000_000),
    );
    const id = (n: number) => ids.subarray(n * 32, n * 32 + 32);
    const before = process.memoryUsage();
    for (let n = 0; n < 1_000_000; n++) index.add(id(n), location(n));
    const after = process.memoryUsage();
    expect(index.size).toBe(1_000_000);
    expect(index.memoryBytes).toBeLessThan(64 * 1024 * 1024);
    const grown = after.heapUsed + after.arrayBuffers - before.heapUsed - before.arrayBuffers;
    expect(grown).toBeLessThan(100 * 1024 * 1024);
    for (const n of [0, 1, 65_535, 65_536, 500_000, 999_999]) expect(index.get(id(n))).toEqual(location(n));
    let found = 0;
    for (let n = 0; n < 1_000_000; n += 7) if (index.has(id(n))) found += 1;
    expect(found).toBe(Math.ceil(1_000_000 / 7));
    expect(index.has(idOf(-1))).toBe(false);
  });
});

describe('compression', () => {
  it('compresses mail-like text well and stores incompressible data raw, flagged', async () => {
    const mail = sampleMail(3, 20_000);
    const packed = compressChunk(mail, { algorithm: 'brotli', level: 3 });
    expect(packed.flags).toBe(COMPRESSION_FLAG.brotli);
    expect(packed.data.length).toBeLessThan(mail.length * 0.5);
    expect((await decompressChunk(packed.flags, packed.data, mail.length, 'x')).equals(mail)).toBe(true);
    const noise = randomBytes(300_000);
    const raw = compressChunk(noise, { algorithm: 'brotli', level: 3 });
    expect(raw.flags).toBe(COMPRESSION_FLAG.none);
    expect(raw.data).toBe(noise);
    const deflated = compressChunk(mail, { algorithm: 'deflate', level: 6 });
    expect((await decompressChunk(deflated.flags, deflated.data, mail.length, 'x')).equals(mail)).toBe(true);
  });

  it('still compresses a large chunk that is part text and part incompressible', () => {
    const text = Buffer.concat(Array.from({ length: 40 }, (_, i) => sampleMail(i, 20_000)));
    // Text, then an image-like run right where a single middle probe would look, then text.
    const mixed = Buffer.concat([
      text.subarray(0, 350_000),
      randomBytes(300_000),
      text.subarray(350_000, 700_000),
    ]);
    const packed = compressChunk(mixed, { algorithm: 'brotli', level: 2 });
    expect(packed.flags).toBe(COMPRESSION_FLAG.brotli);
    expect(packed.data.length).toBeLessThan(mixed.length * 0.75);
  });

  it('rejects a chunk whose size differs from what the index says', async () => {
    const packed = compressChunk(sampleMail(4), { algorithm: 'brotli', level: 3 });
    await expect(decompressChunk(packed.flags, packed.data, 10, 'chunk y')).rejects.toThrow(/chunk y/);
  });
});

describe('tree encoding', () => {
  const file = (name: string, itemId: string): TreeEntry => ({
    name,
    kind: 'message',
    itemId,
    metadata: { subject: name, from: 'a@contoso.com', read: true },
    content: {
      size: 3,
      chunks: [computeChunkId(keys.chunkId, 'data', Buffer.from(name)).toString('hex')],
      sha256: 'x',
    },
  });

  it('encodes equal folders to equal bytes whatever the entry and key order', () => {
    const a = encodeTree({ entries: [file('b', '2'), file('a', '1')] });
    const reordered = file('a', '1');
    reordered.metadata = { read: true, from: 'a@contoso.com', subject: 'a' };
    const b = encodeTree({ entries: [reordered, file('b', '2')] });
    expect(a.equals(b)).toBe(true);
    expect(decodeTree(a, 't').entries.map((e) => e.name)).toEqual(['a', 'b']);
  });

  it('refuses malformed entries', () => {
    expect(() => encodeTree({ entries: [{ name: '', kind: 'file' }] })).toThrow(/name is required/);
    expect(() => encodeTree({ entries: [{ name: 'f', kind: 'folder' }] })).toThrow(/subtree/);
  });
});
