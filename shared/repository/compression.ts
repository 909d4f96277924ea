import { promisify } from 'node:util';
import { brotliCompressSync, brotliDecompress, constants, deflateRawSync, inflateRaw } from 'node:zlib';
import { AppError } from '../errors/app-error';

/**
 * Per-chunk compression. Measured on `sample-mail.ts` (400 messages, 5 MB, a quarter with a
 * base64 attachment), stored/raw and single-core speed on this machine:
 *
 *   deflate-1 0.434  50 MB/s   deflate-6 0.428 26 MB/s
 *   brotli-1  0.437 114 MB/s   brotli-3  0.428 62 MB/s   brotli-5 0.413 20 MB/s
 *   (text parts only: deflate-6 0.211, brotli-3 0.214, brotli-5 0.193)
 *
 * Through the whole put path (id, compression, encryption, packing; 3,000 messages, one core):
 *
 *   brotli-1 66 MB/s 0.439   brotli-2 64 MB/s 0.433   brotli-3 53 MB/s 0.430   none 105 MB/s
 *
 * Brotli 2 is the default: deflate-6's ratio at nearly brotli-1's speed; higher levels gain a
 * few percent of storage for a third of the speed. Chunks that do not shrink by 5% are stored raw (flag 0):
 * already-compressed files (JPEG, ZIP, Office documents) cost only a 64 KiB probe (three
 * slices, so a chunk that is part text and part image is still compressed).
 */
export type CompressionAlgorithm = 'brotli' | 'deflate' | 'none';

export interface CompressionOptions {
  algorithm: CompressionAlgorithm;
  /** brotli quality 0-11 or deflate level 1-9. */
  level: number;
}

export const DEFAULT_COMPRESSION: CompressionOptions = { algorithm: 'brotli', level: 2 };

/** Stored in each chunk's flags (low two bits). */
export const COMPRESSION_FLAG = { none: 0, deflate: 1, brotli: 2 } as const;

const PROBE_BYTES = 64 * 1024;
/** Probes at a quarter, half and three quarters: a chunk may be part text, part image. */
const PROBE_POINTS = [0.25, 0.5, 0.75];
const KEEP_BELOW = 0.95;

/**
 * zlib's one-shot calls write their output in `chunkSize` pieces (16 KiB by default) and join them
 * at the end: a 4 MiB chunk became some 250 small buffers plus their joined copy, all garbage a moment
 * later, and malloc churn. One output buffer the size of the result instead: what compresses is kept
 * only below 95% of the input, and a decompressed chunk's length is known. The 64 spare bytes keep
 * zlib from allocating a second buffer when the output fills the first exactly.
 */
function outputChunkSize(expectedBytes: number): number {
  return Math.max(64, Math.ceil(expectedBytes)) + 64;
}

function compressWith(algorithm: 'brotli' | 'deflate', level: number, data: Uint8Array): Buffer {
  const chunkSize = outputChunkSize(data.length * KEEP_BELOW);
  if (algorithm === 'deflate') return deflateRawSync(data, { level, chunkSize });
  return brotliCompressSync(data, {
    chunkSize,
    params: {
      [constants.BROTLI_PARAM_QUALITY]: level,
      [constants.BROTLI_PARAM_SIZE_HINT]: data.length,
      // A window no larger than the chunk: a 12 KB message does not allocate a 4 MiB ring buffer
      // (which, freed and reallocated per chunk, inflates the worker's RSS through malloc's arenas).
      [constants.BROTLI_PARAM_LGWIN]: Math.max(16, Math.min(24, Math.ceil(Math.log2(data.length + 1)))),
    },
  });
}

/** Compresses if it pays; returns the flag to store with the chunk. */
export function compressChunk(data: Buffer, options: CompressionOptions): { flags: number; data: Buffer } {
  const result = compressParts([data], options);
  return {
    flags: result.flags,
    data: result.data.length === 1 ? result.data[0]! : Buffer.concat(result.data),
  };
}

/**
 * `compressChunk` for a chunk given as pieces (as the network delivered it). What is stored raw
 * (incompressible, or too small) is returned as the same pieces, never joined: only data that is
 * compressed is joined first, as the compressor needs it whole.
 */
export function compressParts(
  parts: readonly Buffer[],
  options: CompressionOptions,
): { flags: number; data: readonly Buffer[] } {
  const length = parts.reduce((sum, part) => sum + part.length, 0);
  const raw = { flags: COMPRESSION_FLAG.none, data: parts };
  if (options.algorithm === 'none' || length < 64) return raw;
  if (length > 4 * PROBE_BYTES) {
    // Probe large chunks first (fast level, 3 × 21 KiB): incompressible data is common in files.
    const slice = Math.floor(PROBE_BYTES / PROBE_POINTS.length);
    let probed = 0;
    let packed = 0;
    for (const point of PROBE_POINTS) {
      const probe = rangeOf(parts, Math.floor((length - slice) * point), slice);
      probed += probe.length;
      packed += compressWith(options.algorithm, Math.min(options.level, 1), probe).length;
    }
    if (packed > probed * KEEP_BELOW) return raw;
  }
  const whole = parts.length === 1 ? parts[0]! : Buffer.concat(parts, length);
  const compressed = compressWith(options.algorithm, options.level, whole);
  if (compressed.length > length * KEEP_BELOW) return raw;
  return { flags: COMPRESSION_FLAG[options.algorithm], data: [compressed] };
}

/** `count` bytes from `start` of the pieces joined: a view when one piece holds them, else a copy. */
function rangeOf(parts: readonly Buffer[], start: number, count: number): Buffer {
  let offset = 0;
  const pieces: Buffer[] = [];
  for (const part of parts) {
    const from = Math.max(start - offset, 0);
    const to = Math.min(start + count - offset, part.length);
    if (from < to) pieces.push(part.subarray(from, to));
    offset += part.length;
    if (offset >= start + count) break;
  }
  return pieces.length === 1 ? pieces[0]! : Buffer.concat(pieces);
}

const inflateRawAsync = promisify(inflateRaw);
const brotliDecompressAsync = promisify(brotliDecompress);

/**
 * A stored chunk's plaintext. Decompression runs in zlib's thread pool, not on the JavaScript
 * thread: readers (an export's read-ahead, a restore) read several chunks at once, and brotli
 * decompression was 7% of an export's main-thread time.
 */
export async function decompressChunk(
  flags: number,
  data: Buffer,
  rawLength: number,
  what: string,
): Promise<Buffer> {
  const method = flags & 0x3;
  let out: Buffer;
  try {
    if (method === COMPRESSION_FLAG.none) out = data;
    else if (method === COMPRESSION_FLAG.deflate)
      out = await inflateRawAsync(data, {
        maxOutputLength: Math.max(rawLength, 1),
        chunkSize: outputChunkSize(rawLength),
      });
    else if (method === COMPRESSION_FLAG.brotli)
      out = await brotliDecompressAsync(data, {
        maxOutputLength: Math.max(rawLength, 1),
        chunkSize: outputChunkSize(rawLength),
      });
    else throw new Error(`unknown compression ${method}`);
  } catch (error) {
    throw new AppError('permanent', `repository integrity check failed: ${what} does not decompress`, {
      cause: error,
    });
  }
  if (out.length !== rawLength)
    throw new AppError(
      'permanent',
      `repository integrity check failed: ${what} is ${out.length} bytes, the index says ${rawLength}`,
    );
  return out;
}
