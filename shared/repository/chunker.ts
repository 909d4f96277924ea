import { createCipheriv } from 'node:crypto';
import { AppError } from '../errors/app-error';

/**
 * Content-defined chunking, FastCDC-style (Xia et al., 2016): a gear rolling hash
 * (`h = (h << 1) + gear[byte]`), no cut before `minSize`, a stricter mask before `avgSize` and a
 * looser one after it ("normalized chunking", which narrows the size spread), a forced cut at
 * `maxSize`. Boundaries depend only on nearby bytes, so an edit or insertion in a large file moves
 * only the boundaries around it, and the other chunks dedupe.
 *
 * No npm FastCDC package was solid enough to depend on (none maintained, most native bindings),
 * and this is a small loop.
 */
export interface ChunkerOptions {
  minSize: number;
  avgSize: number;
  maxSize: number;
}

export const DEFAULT_CHUNKER: ChunkerOptions = {
  minSize: 256 * 1024,
  avgSize: 1024 * 1024,
  maxSize: 4 * 1024 * 1024,
};

export function validateChunkerOptions(options: ChunkerOptions): void {
  const { minSize, avgSize, maxSize } = options;
  if (!(minSize >= 64 && minSize < avgSize && avgSize < maxSize && maxSize <= 64 * 1024 * 1024))
    throw new AppError('invalid', 'chunker sizes must satisfy 64 <= min < avg < max <= 64 MiB', {
      details: [{ field: 'chunker', message: `got min ${minSize}, avg ${avgSize}, max ${maxSize}` }],
    });
}

/**
 * 256 pseudo-random 32-bit gear values from a seed (AES-256-CTR keystream). The repository seeds
 * it from the tenant's key, so where chunks are cut is not comparable across tenants either.
 */
export function gearTable(seed: Buffer): Uint32Array {
  if (seed.length !== 32) throw new AppError('invalid', 'the gear seed must be 32 bytes');
  const cipher = createCipheriv('aes-256-ctr', seed, Buffer.alloc(16));
  const stream = Buffer.concat([cipher.update(Buffer.alloc(1024)), cipher.final()]);
  const table = new Uint32Array(256);
  for (let i = 0; i < 256; i++) table[i] = stream.readUInt32LE(i * 4);
  return table;
}

/** A mask of `bits` one-bits in the top of a 32-bit word (the bits with the widest byte window). */
function topMask(bits: number): number {
  const clamped = Math.max(1, Math.min(31, bits));
  return (0xffffffff << (32 - clamped)) | 0;
}

/** Feeds bytes in, gets whole chunks out. Holds at most one partial chunk (< maxSize). */
export class ContentDefinedChunker {
  private readonly gear: Int32Array;
  private readonly maskStrict: number;
  private readonly maskLoose: number;
  private parts: Buffer[] = [];
  private size = 0;
  private hash = 0;

  constructor(
    gear: Uint32Array,
    private readonly options: ChunkerOptions = DEFAULT_CHUNKER,
  ) {
    validateChunkerOptions(options);
    if (gear.length !== 256) throw new AppError('invalid', 'the gear table must have 256 entries');
    this.gear = new Int32Array(gear.buffer, gear.byteOffset, 256);
    const bits = Math.round(Math.log2(options.avgSize));
    this.maskStrict = topMask(bits + 2);
    this.maskLoose = topMask(bits - 2);
  }

  /** Bytes buffered in the current, unfinished chunk. */
  get pending(): number {
    return this.size;
  }

  /**
   * Returns the chunks completed by `data` (possibly none). The bytes are referenced, not copied,
   * until their chunk is returned: the caller must not change them before that (stream pieces and
   * whole buffers handed over are never changed).
   */
  push(data: Uint8Array): Buffer[] {
    return this.pushParts(data).map(joinParts);
  }

  /**
   * As `push`, each chunk as the pieces it is made of (views of the bytes handed in, in order), not
   * joined: the writer hashes and encrypts them piece by piece, and joins them only to compress.
   */
  pushParts(data: Uint8Array): Buffer[][] {
    const out: Buffer[][] = [];
    const { minSize, avgSize, maxSize } = this.options;
    const gear = this.gear;
    const maskStrict = this.maskStrict;
    const maskLoose = this.maskLoose;
    let start = 0;
    let i = 0;
    const end = data.length;
    while (i < end) {
      let size = this.size + (i - start);
      // Skip ahead to min size: no cut can happen before it (FastCDC's cut-point skipping).
      if (size < minSize) {
        const skip = Math.min(minSize - size, end - i);
        i += skip;
        size += skip;
        if (i >= end) break;
      }
      let hash = this.hash;
      let cut = -1;
      const strictEnd = Math.min(end, i + Math.max(0, avgSize - size));
      for (; i < strictEnd; i++) {
        hash = ((hash << 1) + gear[data[i]!]!) | 0;
        if ((hash & maskStrict) === 0) {
          cut = i + 1;
          break;
        }
      }
      if (cut < 0) {
        size = this.size + (i - start);
        const looseEnd = Math.min(end, i + Math.max(0, maxSize - size));
        for (; i < looseEnd; i++) {
          hash = ((hash << 1) + gear[data[i]!]!) | 0;
          if ((hash & maskLoose) === 0) {
            cut = i + 1;
            break;
          }
        }
        if (cut < 0 && this.size + (i - start) >= maxSize) cut = i;
      }
      if (cut < 0) {
        this.hash = hash;
        break;
      }
      out.push(this.take(data, start, cut));
      start = cut;
      i = cut;
    }
    if (start < end) {
      // Kept by reference, not copied: see `push`.
      this.parts.push(Buffer.from(data.buffer, data.byteOffset + start, end - start));
      this.size += end - start;
    }
    return out;
  }

  /** The last, possibly short chunk (undefined if nothing is pending). */
  finish(): Buffer | undefined {
    const parts = this.finishParts();
    return parts && joinParts(parts);
  }

  /** As `finish`, as pieces. */
  finishParts(): Buffer[] | undefined {
    if (this.size === 0) return undefined;
    const parts = this.parts;
    this.reset();
    return parts;
  }

  private take(data: Uint8Array, start: number, cut: number): Buffer[] {
    const parts = this.parts;
    if (cut > start) parts.push(Buffer.from(data.buffer, data.byteOffset + start, cut - start));
    this.reset();
    return parts;
  }

  private reset(): void {
    this.parts = [];
    this.size = 0;
    this.hash = 0;
  }
}

/** Pieces as one buffer (no copy for one piece). */
export function joinParts(parts: readonly Buffer[]): Buffer {
  return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
}
