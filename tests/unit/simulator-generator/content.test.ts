import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import {
  PAGE_SIZE,
  contentSeedFor,
  defaultShape,
  editContent,
  fileBytes,
  fileStream,
  generateTenant,
  generator,
  profileOfSeed,
  quickXorHash,
  type ContentSpec,
  type GenFile,
} from '../../../dev/simulator/generator/index';

async function streamed(spec: ContentSpec, start?: number, end?: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of fileStream(spec, start, end)) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** A small gear-hash content-defined chunker (FastCDC's idea, no normalisation): chunk digests. */
function cdcChunks(data: Buffer): string[] {
  const gear = new Uint32Array(256);
  let x = 0x9e3779b9;
  for (let i = 0; i < 256; i++) {
    x = Math.imul(x ^ (x >>> 15), 0x2c1b3c6d) >>> 0;
    x = (x ^ (x >>> 12)) >>> 0;
    gear[i] = x;
  }
  const mask = (1 << 13) - 1; // ~8 KiB average
  const out: string[] = [];
  let start = 0;
  let h = 0;
  for (let i = 0; i < data.length; i++) {
    h = ((h << 1) + (gear[data[i] as number] as number)) >>> 0;
    const len = i + 1 - start;
    if ((len >= 2048 && (h & mask) === 0) || len >= 65536) {
      out.push(
        createHash('sha256')
          .update(data.subarray(start, i + 1))
          .digest('hex'),
      );
      start = i + 1;
      h = 0;
    }
  }
  if (start < data.length) out.push(createHash('sha256').update(data.subarray(start)).digest('hex'));
  return out;
}

describe('file bytes', () => {
  const spec = { contentSeed: contentSeedFor(987654321, 'report.pdf'), size: 1_234_567 };

  it('has exactly the declared size and the same bytes every time', () => {
    const a = fileBytes(spec);
    expect(a.length).toBe(spec.size);
    expect(fileBytes(spec).equals(a)).toBe(true);
    expect(fileBytes({ contentSeed: spec.contentSeed + 16, size: spec.size }).equals(a)).toBe(false);
    expect(fileBytes({ contentSeed: 5, size: 0 }).length).toBe(0);
  });

  it('gives any range equal to the same slice of the whole file, and of the stream', async () => {
    const whole = fileBytes(spec);
    const ranges: [number, number][] = [
      [0, 1],
      [0, PAGE_SIZE],
      [PAGE_SIZE - 1, PAGE_SIZE + 1],
      [10_000, 300_000],
      [spec.size - 5, spec.size],
      [spec.size - 1, spec.size + 100],
      [777, 777],
    ];
    let seed = 7;
    for (let i = 0; i < 40; i++) {
      seed = (seed * 1103515245 + 12345) >>> 0;
      const a = seed % spec.size;
      ranges.push([a, Math.min(spec.size, a + (seed % 200_000))]);
    }
    for (const [s, e] of ranges) {
      expect(fileBytes(spec, s, e).equals(whole.subarray(s, e))).toBe(true);
    }
    expect((await streamed(spec)).equals(whole)).toBe(true);
    expect((await streamed(spec, 4095, 700_001)).equals(whole.subarray(4095, 700_001))).toBe(true);
  });

  it('starts with the format signature and compresses like its type', () => {
    const pdf = fileBytes({ contentSeed: contentSeedFor(1, 'a.pdf'), size: 1 << 20 });
    expect(pdf.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    const docx = fileBytes({ contentSeed: contentSeedFor(1, 'a.docx'), size: 1 << 20 });
    expect(docx.subarray(0, 4).toString('hex')).toBe('504b0304');
    const ratio = (name: string): number => {
      const b = fileBytes({ contentSeed: contentSeedFor(3, name), size: 2 << 20 });
      return gzipSync(b).length / b.length;
    };
    expect(ratio('notes.txt')).toBeLessThan(0.5);
    expect(ratio('export.csv')).toBeLessThan(0.5);
    expect(ratio('movie.mp4')).toBeGreaterThan(0.99);
    expect(ratio('photo.jpg')).toBeGreaterThan(0.99);
    expect(ratio('archive.zip')).toBeGreaterThan(0.99);
    expect(profileOfSeed(contentSeedFor(3, 'x.xlsx'))).toBe('xlsx');
  });

  it('streams a large file without holding it (and reports the rate)', async () => {
    const big = { contentSeed: contentSeedFor(42, 'video.mp4'), size: 256 * 1024 * 1024 + 3 };
    const started = performance.now();
    let total = 0;
    let maxChunk = 0;
    const h = generator.createQuickXorHash?.();
    for await (const chunk of fileStream(big)) {
      total += (chunk as Buffer).length;
      maxChunk = Math.max(maxChunk, (chunk as Buffer).length);
      h?.update(chunk as Buffer);
    }
    const seconds = (performance.now() - started) / 1000;
    expect(total).toBe(big.size);
    expect(maxChunk).toBeLessThanOrEqual(256 * 1024);
    console.log(
      `fileStream + quickXorHash: ${(total / 1e6 / seconds).toFixed(0)} MB/s over ${total / 1e6} MB`,
    );
  });
});

describe('files across the tenant', () => {
  const tenant = generateTenant({
    seed: 11,
    tenantIndex: 0,
    shape: defaultShape(),
    now: new Date('2026-11-01T00:00:00Z'),
  });
  const drives = [
    ...tenant.users.flatMap((u) => (u.drive ? [u.drive] : [])),
    ...tenant.sites.flatMap((s) => s.libraries),
    ...tenant.groups.map((g) => g.drive),
  ];

  it('has byte-identical copies of some files in different drives', () => {
    const bySeed = new Map<number, { file: GenFile; drive: number }[]>();
    drives.forEach((d, i) =>
      d.files.forEach((file) => {
        const list = bySeed.get(file.contentSeed) ?? [];
        list.push({ file, drive: i });
        bySeed.set(file.contentSeed, list);
      }),
    );
    const shared = [...bySeed.values()].filter((list) => new Set(list.map((x) => x.drive)).size > 1);
    expect(shared.length).toBeGreaterThan(0);
    for (const list of shared.slice(0, 4)) {
      const [first, ...rest] = list;
      if (!first) continue;
      const bytes = fileBytes(first.file);
      for (const other of rest) {
        expect(other.file.size).toBe(first.file.size);
        expect(fileBytes(other.file).equals(bytes)).toBe(true);
        expect(quickXorHash(fileBytes(other.file))).toBe(quickXorHash(bytes));
      }
    }
  });
});

describe('edited files', () => {
  const base = { contentSeed: contentSeedFor(31337, 'Budget 2026.xlsx'), size: 8 * 1024 * 1024 + 5 };

  it('are deterministic per edit seed and consistent in size and ranges', async () => {
    const edit = editContent(base, { editSeed: 1 });
    expect(editContent(base, { editSeed: 1 })).toEqual(edit);
    expect(editContent(base, { editSeed: 2 }).contentSeed).not.toBe(edit.contentSeed);
    expect(edit.pieces.reduce((n, p) => n + p.length, 0)).toBe(edit.size);
    expect(profileOfSeed(edit.contentSeed)).toBe('xlsx');
    const whole = fileBytes(edit);
    expect(whole.length).toBe(edit.size);
    expect(whole.equals(fileBytes(base))).toBe(false);
    for (const [s, e] of [
      [0, 100],
      [4000, 200_000],
      [edit.size - 70_000, edit.size],
    ] as const) {
      expect(fileBytes(edit, s, e).equals(whole.subarray(s, e))).toBe(true);
    }
    expect((await streamed(edit)).equals(whole)).toBe(true);
    // The generator object exposes the same operation to the server.
    expect(generator.editFile?.(base, { editSeed: 1 })).toEqual(edit);
  });

  it('share most content-defined chunks with the original, also after a second edit', () => {
    const original = cdcChunks(fileBytes(base));
    const once = editContent(base, { editSeed: 7 });
    const twice = editContent(once, { editSeed: 8 });
    for (const version of [once, twice]) {
      const chunks = cdcChunks(fileBytes(version));
      const known = new Set(original);
      const reused = chunks.filter((c) => known.has(c)).length;
      expect(reused / chunks.length).toBeGreaterThan(0.9);
      expect(reused).toBeLessThan(chunks.length);
    }
  });

  it('edit small and empty files too', () => {
    const small = { contentSeed: contentSeedFor(5, 'notes.txt'), size: 300 };
    const edited = editContent(small, { editSeed: 3 });
    expect(fileBytes(edited).length).toBe(edited.size);
    const empty = editContent({ contentSeed: contentSeedFor(5, 'new.txt'), size: 0 }, { editSeed: 3 });
    expect(empty.size).toBeGreaterThan(0);
    expect(fileBytes(empty).length).toBe(empty.size);
  });
});

describe('inconsistent pieces', () => {
  it('pad with zeros when the pieces are shorter than the size', () => {
    const spec = { contentSeed: 1, size: 100, pieces: [{ seed: 17, offset: 0, length: 60 }] };
    const bytes = fileBytes(spec);
    expect(bytes.length).toBe(100);
    expect(bytes.subarray(0, 60).equals(fileBytes({ contentSeed: 17, size: 60 }))).toBe(true);
    expect(bytes.subarray(60).equals(Buffer.alloc(40))).toBe(true);
  });
});
