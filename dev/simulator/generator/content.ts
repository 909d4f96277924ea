/**
 * File bytes, generated on demand and random-access.
 *
 * Every content seed names an endless deterministic byte stream made of 4 KiB pages; page i of
 * seed s depends only on (s, i) (text pages: copies from a segment pool; random pages: AES-CTR
 * keystream), so any range of a 1 GB file is produced without producing the
 * bytes before it. A file is the first `size` bytes of its seed's stream, or, for an edited
 * version, a list of pieces (ranges of streams) that reuse the original's bytes around the edits.
 *
 * The low 4 bits of a content seed choose the content profile (how the bytes look and how well
 * they compress): text, CSV and markup are compressible like the real thing; images, video and
 * archives are random; Office files and PDFs are mostly random with some text, as deflated
 * containers with a little plain structure are.
 */
import { createCipheriv } from 'node:crypto';
import { Readable } from 'node:stream';
import type { ContentPiece, EditFileOptions } from './contract.js';
import { Rng, deriveSeed } from './prng.js';
import { COMMON_WORDS, SENTENCES } from './vocabulary.js';

export const PAGE_SIZE = 4096;

/** What determines a file's bytes. `pieces`, when present, replaces "the first `size` bytes of contentSeed's stream". */
export interface ContentSpec {
  contentSeed: number;
  size: number;
  pieces?: ContentPiece[] | undefined;
}

type Pool = 'prose' | 'csv' | 'markup';

interface Profile {
  name: string;
  /** Share of pages that are text from `pool`; the rest are random. */
  textShare: number;
  pool: Pool;
  magic: Buffer;
}

const PK = Buffer.from('504b0304140006000800000021', 'hex');
const PROFILES: readonly Profile[] = [
  { name: 'text', textShare: 1, pool: 'prose', magic: Buffer.alloc(0) },
  {
    name: 'csv',
    textShare: 1,
    pool: 'csv',
    magic: Buffer.from('Date,Reference,Account,Description,Currency,Amount,Status\r\n'),
  },
  { name: 'docx', textShare: 0.12, pool: 'markup', magic: PK },
  { name: 'xlsx', textShare: 0.1, pool: 'markup', magic: PK },
  { name: 'pptx', textShare: 0.05, pool: 'markup', magic: PK },
  {
    name: 'pdf',
    textShare: 0.6,
    pool: 'prose',
    magic: Buffer.from('%PDF-1.7\n%\xe2\xe3\xcf\xd3\n', 'latin1'),
  },
  { name: 'png', textShare: 0, pool: 'prose', magic: Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex') },
  { name: 'jpeg', textShare: 0, pool: 'prose', magic: Buffer.from('ffd8ffe000104a46494600010101', 'hex') },
  { name: 'zip', textShare: 0, pool: 'prose', magic: PK },
  { name: 'mp4', textShare: 0, pool: 'prose', magic: Buffer.from('000000206674797069736f6d', 'hex') },
  {
    name: 'binary',
    textShare: 0.02,
    pool: 'prose',
    magic: Buffer.from('4d5a90000300000004000000ffff0000', 'hex'),
  },
  { name: 'html', textShare: 1, pool: 'markup', magic: Buffer.from('<!DOCTYPE html>\n<html lang="en">\n') },
  { name: 'json', textShare: 1, pool: 'csv', magic: Buffer.from('{\n  "records": [\n') },
  { name: 'eml', textShare: 1, pool: 'prose', magic: Buffer.alloc(0) },
  { name: 'binary', textShare: 0, pool: 'prose', magic: Buffer.alloc(0) },
  { name: 'binary', textShare: 0, pool: 'prose', magic: Buffer.alloc(0) },
];

export type ContentProfileName =
  | 'text'
  | 'csv'
  | 'docx'
  | 'xlsx'
  | 'pptx'
  | 'pdf'
  | 'png'
  | 'jpeg'
  | 'zip'
  | 'mp4'
  | 'binary'
  | 'html'
  | 'json'
  | 'eml';

const PROFILE_BY_EXTENSION: Readonly<Record<string, number>> = {
  txt: 0,
  md: 0,
  log: 0,
  csv: 1,
  doc: 2,
  docx: 2,
  xls: 3,
  xlsx: 3,
  ppt: 4,
  pptx: 4,
  pdf: 5,
  png: 6,
  gif: 6,
  jpg: 7,
  jpeg: 7,
  zip: 8,
  '7z': 8,
  mp4: 9,
  mov: 9,
  mp3: 9,
  exe: 10,
  bin: 10,
  dll: 10,
  html: 11,
  htm: 11,
  xml: 11,
  json: 12,
  eml: 13,
};

/** The content profile a seed's low 4 bits select. */
export function profileOfSeed(seed: number): ContentProfileName {
  return (PROFILES[seed & 15]?.name ?? 'binary') as ContentProfileName;
}

/** The profile index for a file name's extension (random bytes for unknown extensions). */
export function profileForFileName(name: string): number {
  const dot = name.lastIndexOf('.');
  const ext = dot >= 0 ? name.slice(dot + 1).toLowerCase() : '';
  return PROFILE_BY_EXTENSION[ext] ?? 10;
}

/** A content seed from any 32-bit value, with the profile that suits `fileName`. */
export function contentSeedFor(raw: number, fileName: string): number {
  return ((raw & ~15) | profileForFileName(fileName)) >>> 0;
}

// ---- text pools: segments of realistic text, copied into text pages -------------------------

interface TextPool {
  bytes: Buffer;
  starts: Uint32Array;
  ends: Uint32Array;
  /** Segment count, a power of two. */
  mask: number;
}

const pools = new Map<Pool, TextPool>();

function buildPool(kind: Pool): TextPool {
  const rng = Rng.derive(0x5eed, 'pool', kind);
  const count = 8192;
  const segments: Buffer[] = [];
  const words = COMMON_WORDS;
  const allSentences = Object.values(SENTENCES).flat();
  for (let i = 0; i < count; i++) {
    let s: string;
    if (kind === 'prose') {
      // One to three sentences, real or assembled from common words, so that a 32 KiB
      // compression window rarely sees a segment twice (text deflates to about a third).
      const parts: string[] = [];
      const n = rng.int(1, 3);
      for (let j = 0; j < n; j++) {
        if (rng.chance(0.35)) {
          parts.push(rng.pick(allSentences));
        } else {
          const len = rng.int(5, 18);
          const ws: string[] = [];
          for (let k = 0; k < len; k++)
            ws.push(rng.chance(0.06) ? String(rng.int(2, 9999)) : rng.pick(words));
          const sentence = ws.join(rng.chance(0.1) ? ', ' : ' ');
          parts.push(
            sentence.charAt(0).toUpperCase() + sentence.slice(1) + rng.pick(['.', '.', '.', '?', '!', ':']),
          );
        }
      }
      s = parts.join(' ') + (rng.chance(0.2) ? '\n\n' : ' ');
    } else if (kind === 'csv') {
      // Two to five rows a segment: fewer, longer copies keep text pages fast.
      const rows: string[] = [];
      for (let r = rng.int(2, 5); r > 0; r--) {
        const day = `2026-${String(rng.int(1, 12)).padStart(2, '0')}-${String(rng.int(1, 28)).padStart(2, '0')}`;
        const amount = (rng.int(100, 2_000_000) / 100).toFixed(2);
        rows.push(
          `${day},INV-${rng.int(10000, 99999)},${rng.pick(['Contoso Ltd', 'Fabrikam Inc', 'Müller GmbH', 'Northwind', 'Société Générale', 'Kowalski Sp. z o.o.'])},` +
            `${rng.pick(words)} ${rng.pick(words)},${rng.pick(['EUR', 'USD', 'GBP', 'PLN', 'JPY'])},${amount},${rng.pick(['Paid', 'Open', 'Overdue'])}\r\n`,
        );
      }
      s = rows.join('');
    } else {
      const lines: string[] = [];
      for (let r = rng.int(1, 3); r > 0; r--) {
        const n = rng.int(3, 12);
        const ws: string[] = [];
        for (let k = 0; k < n; k++) ws.push(rng.pick(words));
        lines.push(
          rng.chance(0.5)
            ? `<w:p><w:pPr><w:pStyle w:val="Normal"/></w:pPr><w:r><w:t xml:space="preserve">${ws.join(' ')}</w:t></w:r></w:p>\n`
            : `<row r="${rng.int(1, 900)}"><c r="B${rng.int(1, 900)}" t="s"><v>${rng.int(0, 400)}</v></c><c r="C${rng.int(1, 900)}"><v>${rng.int(0, 99999)}</v></c></row>\n`,
        );
      }
      s = lines.join('');
    }
    segments.push(Buffer.from(s, 'utf8'));
  }
  const bytes = Buffer.concat(segments);
  const starts = new Uint32Array(count);
  const ends = new Uint32Array(count);
  let pos = 0;
  segments.forEach((seg, i) => {
    starts[i] = pos;
    pos += seg.length;
    ends[i] = pos;
  });
  return { bytes, starts, ends, mask: count - 1 };
}

function poolOf(kind: Pool): TextPool {
  let pool = pools.get(kind);
  if (!pool) {
    pool = buildPool(kind);
    pools.set(kind, pool);
  }
  return pool;
}

// ---- pages -----------------------------------------------------------------------------------

const pageBytes = new Uint8Array(PAGE_SIZE);

/** The per-page value that decides text or random and seeds a text page. */
function pageHash(seed: number, index: number): number {
  return deriveSeed(seed, index);
}

function isTextPage(profile: Profile, h: number): boolean {
  return (
    profile.textShare >= 1 || (profile.textShare > 0 && mix(h ^ 0x5bd1e995) / 4294967296 < profile.textShare)
  );
}

/** Fills `pageBytes` with text page `index` of `seed`'s stream: segments of the profile's pool. */
function generateTextPage(profile: Profile, h: number): void {
  const pool = poolOf(profile.pool);
  const src = pool.bytes;
  let pos = 0;
  let x = h;
  while (pos < PAGE_SIZE) {
    x = mix(x);
    const k = x & pool.mask;
    const s = pool.starts[k] as number;
    const n = Math.min((pool.ends[k] as number) - s, PAGE_SIZE - pos);
    pageBytes.set(src.subarray(s, s + n), pos);
    pos += n;
  }
}

/**
 * Random pages are AES-128-CTR keystream (native, several hundred MB/s to GB/s): key from the
 * seed, counter = page * 256 (a 4 KiB page is 256 AES blocks), so page i is the same bytes
 * whether it is produced alone or in a run of pages, and a run is one cipher call.
 */
const ZEROS = Buffer.alloc(64 * PAGE_SIZE);
const MAX_RUN = ZEROS.length / PAGE_SIZE;

function keystream(seed: number, firstPage: number, pages: number): Buffer {
  const key = Buffer.allocUnsafe(16);
  let k = seed >>> 0;
  for (let i = 0; i < 4; i++) {
    k = deriveSeed(k, 'aes', i);
    key.writeUInt32BE(k, i * 4);
  }
  const iv = Buffer.alloc(16);
  const counter = firstPage * (PAGE_SIZE / 16);
  iv.writeUInt32BE(Math.floor(counter / 4294967296), 8);
  iv.writeUInt32BE(counter >>> 0, 12);
  return createCipheriv('aes-128-ctr', key, iv).update(ZEROS.subarray(0, pages * PAGE_SIZE));
}

function mix(x: number): number {
  x = Math.imul(x ^ (x >>> 16), 0x7feb352d);
  x = Math.imul(x ^ (x >>> 15), 0x846ca68b);
  return (x ^ (x >>> 16)) >>> 0;
}

/** Copies `length` bytes of `seed`'s stream from `offset` into `out` at `outPos`. */
function readStreamInto(seed: number, offset: number, length: number, out: Uint8Array, outPos: number): void {
  if (length <= 0) return;
  const profile = PROFILES[seed & 15] as Profile;
  const end = offset + length;
  const lastPage = Math.floor((end - 1) / PAGE_SIZE);
  let page = Math.floor(offset / PAGE_SIZE);
  // Copies the part of [pageStart, pageStart + bytes.length) that falls in the range.
  const emit = (firstPage: number, bytes: Uint8Array): void => {
    const start = firstPage * PAGE_SIZE;
    const from = Math.max(offset, start);
    const to = Math.min(end, start + bytes.length);
    if (firstPage === 0 && profile.magic.length > 0) bytes.set(profile.magic, 0);
    out.set(bytes.subarray(from - start, to - start), outPos + (from - offset));
  };
  while (page <= lastPage) {
    const h = pageHash(seed, page);
    if (isTextPage(profile, h)) {
      generateTextPage(profile, h);
      emit(page, pageBytes);
      page++;
      continue;
    }
    let run = 1;
    while (run < MAX_RUN && page + run <= lastPage && !isTextPage(profile, pageHash(seed, page + run))) run++;
    emit(page, keystream(seed, page, run));
    page += run;
  }
}

function piecesOf(spec: ContentSpec): ContentPiece[] {
  return spec.pieces ?? [{ seed: spec.contentSeed, offset: 0, length: spec.size }];
}

/** Writes bytes [start, end) of a file into `out` at `outPos`. */
function readInto(spec: ContentSpec, start: number, end: number, out: Uint8Array, outPos: number): void {
  if (!spec.pieces) {
    readStreamInto(spec.contentSeed, start, end - start, out, outPos);
    return;
  }
  let fileOffset = 0;
  let o = outPos;
  for (const piece of spec.pieces) {
    const pStart = fileOffset;
    const pEnd = fileOffset + piece.length;
    fileOffset = pEnd;
    if (pEnd <= start) continue;
    if (pStart >= end) break;
    const from = Math.max(start, pStart);
    const to = Math.min(end, pEnd);
    readStreamInto(piece.seed, piece.offset + (from - pStart), to - from, out, o);
    o += to - from;
  }
  // Pieces shorter than the declared size: zeros, never uninitialised memory.
  out.fill(0, o, outPos + (end - start));
}

function clampRange(spec: ContentSpec, start?: number, end?: number): [number, number] {
  const s = Math.max(0, Math.min(start ?? 0, spec.size));
  const e = Math.max(s, Math.min(end ?? spec.size, spec.size));
  return [s, e];
}

/** Bytes [start, end) of a file (clamped to its size), without producing the rest of it. */
export function fileBytes(file: ContentSpec, start?: number, end?: number): Buffer {
  const [s, e] = clampRange(file, start, end);
  const out = Buffer.allocUnsafe(e - s);
  readInto(file, s, e, out, 0);
  return out;
}

/** Bytes [start, end) of a file as a stream of chunks of up to `chunkSize` (256 KiB) bytes. */
export function fileStream(
  file: ContentSpec,
  start?: number,
  end?: number,
  chunkSize = 256 * 1024,
): Readable {
  const [s, e] = clampRange(file, start, end);
  let pos = s;
  return new Readable({
    highWaterMark: chunkSize * 2,
    read() {
      if (pos >= e) {
        this.push(null);
        return;
      }
      const n = Math.min(chunkSize, e - pos);
      const chunk = Buffer.allocUnsafe(n);
      readInto(file, pos, pos + n, chunk, 0);
      pos += n;
      this.push(chunk);
    },
  });
}

// ---- edits -----------------------------------------------------------------------------------

export type EditOptions = EditFileOptions;

/**
 * A new version of a file that shares most bytes with `base`: a few overwritten, inserted and
 * removed ranges, the rest the original's bytes (shifted where something was inserted or removed,
 * as a real edit shifts them). A content-defined chunker finds most chunks unchanged.
 */
export function editContent(base: ContentSpec, options: EditOptions): Required<ContentSpec> {
  const rng = Rng.derive(options.editSeed, 'edit', base.contentSeed, base.size);
  const newSeed =
    ((deriveSeed(options.editSeed, 'edit-seed', base.contentSeed) & ~15) | (base.contentSeed & 15)) >>> 0;
  const fraction = options.changedFraction ?? 0.02;
  const siteCount = options.sites ?? rng.int(1, Math.min(12, 2 + Math.floor(base.size / (16 * 1024 * 1024))));
  const budget = Math.max(64, Math.floor(base.size * fraction));
  // Edit sites in the base file, sorted; the first page (file header) stays.
  const lowest = base.size > 2 * PAGE_SIZE ? PAGE_SIZE : 0;
  interface Site {
    at: number;
    kind: 'overwrite' | 'insert' | 'delete';
    length: number;
  }
  const sites: Site[] = [];
  for (let i = 0; i < siteCount; i++) {
    const at = lowest + rng.below(Math.max(1, base.size - lowest));
    const kind = rng.weighted([
      ['overwrite', 5],
      ['insert', 3],
      ['delete', 2],
    ] as const);
    const length = Math.max(
      1,
      Math.min(Math.floor(budget / siteCount), Math.floor(rng.logNormal(2048, 1.2))),
    );
    sites.push({ at, kind, length });
  }
  if (base.size === 0) sites.splice(0, sites.length, { at: 0, kind: 'insert', length: Math.max(64, budget) });
  sites.sort((x, y) => x.at - y.at);

  const basePieces = piecesOf(base);
  const out: ContentPiece[] = [];
  const push = (p: ContentPiece): void => {
    if (p.length <= 0) return;
    const last = out[out.length - 1];
    if (last && last.seed === p.seed && last.offset + last.length === p.offset) last.length += p.length;
    else out.push({ ...p });
  };
  const copyBase = (from: number, to: number): void => {
    let fileOffset = 0;
    for (const piece of basePieces) {
      const pStart = fileOffset;
      const pEnd = fileOffset + piece.length;
      fileOffset = pEnd;
      if (pEnd <= from) continue;
      if (pStart >= to) break;
      const a = Math.max(from, pStart);
      const b = Math.min(to, pEnd);
      push({ seed: piece.seed, offset: piece.offset + (a - pStart), length: b - a });
    }
  };
  let cursor = 0;
  let outSize = 0;
  const size = (): number => out.reduce((n, p) => n + p.length, 0);
  for (const site of sites) {
    if (site.at < cursor) continue;
    copyBase(cursor, site.at);
    cursor = site.at;
    outSize = size();
    if (site.kind === 'insert' || site.kind === 'overwrite') {
      // New bytes come from the new seed's stream at the same position, so text stays text.
      push({ seed: newSeed, offset: outSize + PAGE_SIZE, length: site.length });
    }
    if (site.kind === 'overwrite' || site.kind === 'delete') {
      cursor = Math.min(base.size, cursor + site.length);
    }
  }
  copyBase(cursor, base.size);
  return { contentSeed: newSeed, size: size(), pieces: out };
}
