import { Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import { crc32, createDeflateRaw, deflateRaw } from 'node:zlib';
import { AppError } from '../errors/app-error';

/**
 * A streaming zip writer (APPNOTE 6.3: data descriptors, UTF-8 names, Zip64 where sizes or
 * offsets need it) whose CRC-32 is Node's native `zlib.crc32` and whose deflate runs in zlib's
 * thread pool.
 *
 * Why not a library: yazl, archiver/zip-stream (crc32-stream → crc-32), fflate and zip.js all
 * compute the CRC-32 in JavaScript and offer no way to hand one in for a streamed entry (zip.js's
 * `passThrough` wants the CRC before the data; fflate's custom entries could carry one, but fflate
 * writes no Zip64, and a OneDrive export passes 4 GiB). The JavaScript CRC was a quarter of an
 * export's CPU. The record layout follows yazl's (same fields, extra fields and Zip64 rules), so
 * the zips read the same in yauzl, Info-ZIP, 7-Zip, Windows and macOS.
 */

const deflateRawAsync = promisify(deflateRaw);

const LOCAL_HEADER = 0x04034b50;
const DATA_DESCRIPTOR = 0x08074b50;
const CENTRAL_HEADER = 0x02014b50;
const END_OF_CENTRAL_DIRECTORY = 0x06054b50;
const ZIP64_END_OF_CENTRAL_DIRECTORY = 0x06064b50;
const ZIP64_END_OF_CENTRAL_DIRECTORY_LOCATOR = 0x07064b50;
const VERSION_NEEDED = 20;
const VERSION_NEEDED_ZIP64 = 45;
/** Unix, spec 6.3. */
const VERSION_MADE_BY = (3 << 8) | 63;
/** Bit 3: CRC and sizes follow the data; bit 11: the name is UTF-8. */
const FLAGS = (1 << 3) | (1 << 11);
const STORED = 0;
const DEFLATED = 8;
/** A regular file, rw-r--r--. */
const EXTERNAL_ATTRIBUTES = (0o100644 << 16) >>> 0;
const MAX_32 = 0xffffffff;
/** An entry announced at least this large gets Zip64 records (deflate may grow data a little). */
const ZIP64_ENTRY_THRESHOLD = MAX_32 - 64 * 1024 * 1024;
/** Deflate output handed back per round trip to zlib's thread pool (zlib's default is 16 KiB). */
const DEFLATE_CHUNK_BYTES = 256 * 1024;

const MIN_DEFLATE_CHUNK_BYTES = 16 * 1024;

/**
 * The deflate stream's output buffer for an entry: zlib allocates one of this size up front, so a
 * small entry (a message without its attachments, a few KB) gets one near its size, not 256 KiB:
 * a thousand of those made 250 MB of buffers for the collector in an export of 5 MB.
 */
function deflateChunkBytes(size: number | undefined): number {
  if (size === undefined) return DEFLATE_CHUNK_BYTES;
  return Math.min(DEFLATE_CHUNK_BYTES, Math.max(MIN_DEFLATE_CHUNK_BYTES, size + 1024));
}

export interface ZipEntryOptions {
  /** Modification time (DOS time in the local zone, plus the UTC "UT" extra field). */
  mtime: Date;
  /** Deflate level 1-9, or 0 to store. */
  compressionLevel: number;
  /**
   * The uncompressed size if known (the snapshot's size): an entry that may reach 4 GiB is written
   * with Zip64 records from its header on. Unknown means "small"; more than 4 GiB then fails.
   */
  size?: number;
}

export interface ZipEntryResult {
  crc32: number;
  size: number;
  compressedSize: number;
}

/**
 * An entry's content already CRC'd and deflated (or stored), ready to be written. Preparing the
 * next entries while the current one is written runs their deflate in zlib's thread pool, in
 * parallel with the main thread's reads and decryption.
 */
export interface PreparedEntry extends ZipEntryResult {
  method: number;
  body: Buffer;
}

/** CRC-32s and deflates (level 1-9; 0 stores) a whole entry, off the main thread for the deflate. */
export async function prepareEntry(data: Buffer, compressionLevel: number): Promise<PreparedEntry> {
  const crc = crc32(data);
  if (compressionLevel <= 0)
    return { method: STORED, body: data, crc32: crc, size: data.length, compressedSize: data.length };
  const body = await deflateRawAsync(data, {
    level: compressionLevel,
    // One round trip: room for the whole output (deflate's bound is a few bytes per 16 KiB).
    chunkSize: Math.max(64 * 1024, data.length + (data.length >>> 8) + 1024),
  });
  return { method: DEFLATED, body, crc32: crc, size: data.length, compressedSize: body.length };
}

function isPrepared(data: unknown): data is PreparedEntry {
  return typeof data === 'object' && data !== null && Buffer.isBuffer((data as PreparedEntry).body);
}

interface CentralEntry extends ZipEntryResult {
  name: Buffer;
  method: number;
  dosTime: number;
  dosDate: number;
  unixTime: number;
  offset: number;
}

export class ZipWriter {
  private readonly entries: CentralEntry[] = [];
  private offset = 0;
  private ended = false;

  constructor(private readonly out: Writable) {}

  /** Bytes written so far (after `end`, the zip's size). */
  get bytesWritten(): number {
    return this.offset;
  }

  /**
   * Writes one entry. `data` is the whole content (deflated in one call off the main thread), a
   * stream of it, or an entry `prepareEntry` made (then `options.compressionLevel` is not used);
   * resolves when its last byte is written (entries are written one at a time).
   */
  async add(
    name: string,
    data: Buffer | AsyncIterable<Buffer> | PreparedEntry,
    options: ZipEntryOptions,
  ): Promise<ZipEntryResult> {
    if (this.ended) throw new AppError('invalid', 'the zip is already finished');
    const nameBytes = Buffer.from(name, 'utf8');
    if (nameBytes.length > 0xffff) throw new AppError('invalid', `zip entry name too long: ${name}`);
    if (Buffer.isBuffer(data)) data = await prepareEntry(data, options.compressionLevel);
    const prepared = isPrepared(data) ? data : undefined;
    const method = prepared?.method ?? (options.compressionLevel > 0 ? DEFLATED : STORED);
    const knownSize = prepared?.size ?? options.size;
    const zip64 = knownSize !== undefined && knownSize >= ZIP64_ENTRY_THRESHOLD;
    const { time: dosTime, date: dosDate } = dosDateTime(options.mtime);
    const offset = this.offset;
    await this.write(localHeader(nameBytes, method, dosTime, dosDate, zip64));

    let crc = 0;
    let size = 0;
    let compressedSize = 0;
    if (prepared) {
      ({ crc32: crc, size, compressedSize } = prepared);
      await this.write(prepared.body);
    } else if (method === STORED) {
      for await (const chunk of data as AsyncIterable<Buffer>) {
        crc = crc32(chunk, crc);
        size += chunk.length;
        await this.write(chunk);
      }
      compressedSize = size;
    } else {
      await pipeline(
        data instanceof Readable ? data : Readable.from(data as AsyncIterable<Buffer>, { objectMode: false }),
        async function* (source: AsyncIterable<Buffer>) {
          for await (const chunk of source) {
            crc = crc32(chunk, crc);
            size += chunk.length;
            yield chunk;
          }
        },
        createDeflateRaw({ level: options.compressionLevel, chunkSize: deflateChunkBytes(options.size) }),
        async (deflated: AsyncIterable<Buffer>) => {
          for await (const chunk of deflated) {
            compressedSize += chunk.length;
            await this.write(chunk);
          }
        },
      );
    }
    if (!zip64 && (size >= MAX_32 || compressedSize >= MAX_32))
      throw new AppError('invalid', `zip entry ${name} is larger than its announced size`);
    await this.write(dataDescriptor(crc, size, compressedSize, zip64));
    const unixTime = Math.min(Math.max(Math.floor(options.mtime.getTime() / 1000), -0x80000000), 0x7fffffff);
    this.entries.push({
      name: nameBytes,
      method,
      dosTime,
      dosDate,
      unixTime,
      offset,
      crc32: crc,
      size,
      compressedSize,
    });
    return { crc32: crc, size, compressedSize };
  }

  /** Writes the central directory and ends the output stream once it is flushed. */
  async end(): Promise<void> {
    if (this.ended) return;
    this.ended = true;
    const start = this.offset;
    for (const entry of this.entries) await this.write(centralHeader(entry));
    await this.write(endOfCentralDirectory(this.entries.length, start, this.offset - start));
    await new Promise<void>((resolve, reject) => {
      this.out.once('error', reject);
      this.out.end(() => {
        this.out.off('error', reject);
        resolve();
      });
    });
  }

  /** Writes with backpressure: waits while the output is full; fails if the output fails. */
  private async write(chunk: Buffer): Promise<void> {
    if (chunk.length === 0) return;
    if (this.out.destroyed || this.out.writableEnded)
      throw this.out.errored ?? new AppError('unavailable', 'the zip output is closed');
    this.offset += chunk.length;
    if (this.out.write(chunk)) return;
    await new Promise<void>((resolve, reject) => {
      const done = (error?: Error | null) => {
        this.out.off('drain', onDrain);
        this.out.off('error', done);
        this.out.off('close', onClose);
        if (error) reject(error);
        else resolve();
      };
      const onDrain = () => done();
      const onClose = () => done(this.out.errored ?? new AppError('unavailable', 'the zip output closed'));
      this.out.on('drain', onDrain);
      this.out.on('error', done);
      this.out.on('close', onClose);
    });
  }
}

function localHeader(name: Buffer, method: number, dosTime: number, dosDate: number, zip64: boolean): Buffer {
  const extra = zip64 ? 20 : 0;
  const header = Buffer.alloc(30 + name.length + extra);
  header.writeUInt32LE(LOCAL_HEADER, 0);
  header.writeUInt16LE(zip64 ? VERSION_NEEDED_ZIP64 : VERSION_NEEDED, 4);
  header.writeUInt16LE(FLAGS, 6);
  header.writeUInt16LE(method, 8);
  header.writeUInt16LE(dosTime, 10);
  header.writeUInt16LE(dosDate, 12);
  // CRC and sizes are in the data descriptor (bit 3): zero here, or 0xffffffff pointing to Zip64.
  header.writeUInt32LE(0, 14);
  header.writeUInt32LE(zip64 ? MAX_32 : 0, 18);
  header.writeUInt32LE(zip64 ? MAX_32 : 0, 22);
  header.writeUInt16LE(name.length, 26);
  header.writeUInt16LE(extra, 28);
  name.copy(header, 30);
  if (zip64) {
    // Zip64 extended information: original and compressed size, both in the descriptor.
    header.writeUInt16LE(0x0001, 30 + name.length);
    header.writeUInt16LE(16, 32 + name.length);
  }
  return header;
}

function dataDescriptor(crc: number, size: number, compressedSize: number, zip64: boolean): Buffer {
  const descriptor = Buffer.alloc(zip64 ? 24 : 16);
  descriptor.writeUInt32LE(DATA_DESCRIPTOR, 0);
  descriptor.writeUInt32LE(crc, 4);
  if (zip64) {
    descriptor.writeBigUInt64LE(BigInt(compressedSize), 8);
    descriptor.writeBigUInt64LE(BigInt(size), 16);
  } else {
    descriptor.writeUInt32LE(compressedSize, 8);
    descriptor.writeUInt32LE(size, 12);
  }
  return descriptor;
}

function centralHeader(entry: CentralEntry): Buffer {
  const zip64 = entry.size >= MAX_32 || entry.compressedSize >= MAX_32 || entry.offset >= MAX_32;
  // "UT" extended timestamp (modification time, UTC), and Zip64 sizes and offset when needed.
  const extra = 9 + (zip64 ? 28 : 0);
  const header = Buffer.alloc(46 + entry.name.length + extra);
  header.writeUInt32LE(CENTRAL_HEADER, 0);
  header.writeUInt16LE(VERSION_MADE_BY, 4);
  header.writeUInt16LE(zip64 ? VERSION_NEEDED_ZIP64 : VERSION_NEEDED, 6);
  header.writeUInt16LE(FLAGS, 8);
  header.writeUInt16LE(entry.method, 10);
  header.writeUInt16LE(entry.dosTime, 12);
  header.writeUInt16LE(entry.dosDate, 14);
  header.writeUInt32LE(entry.crc32, 16);
  header.writeUInt32LE(zip64 ? MAX_32 : entry.compressedSize, 20);
  header.writeUInt32LE(zip64 ? MAX_32 : entry.size, 24);
  header.writeUInt16LE(entry.name.length, 28);
  header.writeUInt16LE(extra, 30);
  header.writeUInt16LE(0, 32); // comment length
  header.writeUInt16LE(0, 34); // disk number
  header.writeUInt16LE(0, 36); // internal attributes
  header.writeUInt32LE(EXTERNAL_ATTRIBUTES, 38);
  header.writeUInt32LE(zip64 ? MAX_32 : entry.offset, 42);
  let at = entry.name.copy(header, 46) + 46;
  at = header.writeUInt16LE(0x5455, at);
  at = header.writeUInt16LE(5, at);
  at = header.writeUInt8(0b11, at); // mtime (and atime, as Info-ZIP sets it; never present here)
  at = header.writeInt32LE(entry.unixTime, at);
  if (zip64) {
    at = header.writeUInt16LE(0x0001, at);
    at = header.writeUInt16LE(24, at);
    at = header.writeBigUInt64LE(BigInt(entry.size), at);
    at = header.writeBigUInt64LE(BigInt(entry.compressedSize), at);
    header.writeBigUInt64LE(BigInt(entry.offset), at);
  }
  return header;
}

function endOfCentralDirectory(count: number, start: number, size: number): Buffer {
  const zip64 = count >= 0xffff || start >= MAX_32 || size >= MAX_32;
  const end = Buffer.alloc(22);
  end.writeUInt32LE(END_OF_CENTRAL_DIRECTORY, 0);
  end.writeUInt16LE(zip64 ? 0xffff : count, 8);
  end.writeUInt16LE(zip64 ? 0xffff : count, 10);
  end.writeUInt32LE(zip64 ? MAX_32 : size, 12);
  end.writeUInt32LE(zip64 ? MAX_32 : start, 16);
  if (!zip64) return end;
  const record = Buffer.alloc(56);
  record.writeUInt32LE(ZIP64_END_OF_CENTRAL_DIRECTORY, 0);
  record.writeBigUInt64LE(44n, 4); // size of the rest of the record
  record.writeUInt16LE(VERSION_MADE_BY, 12);
  record.writeUInt16LE(VERSION_NEEDED_ZIP64, 14);
  record.writeBigUInt64LE(BigInt(count), 24);
  record.writeBigUInt64LE(BigInt(count), 32);
  record.writeBigUInt64LE(BigInt(size), 40);
  record.writeBigUInt64LE(BigInt(start), 48);
  const locator = Buffer.alloc(20);
  locator.writeUInt32LE(ZIP64_END_OF_CENTRAL_DIRECTORY_LOCATOR, 0);
  locator.writeBigUInt64LE(BigInt(start + size), 8); // where the Zip64 record starts
  locator.writeUInt32LE(1, 16); // total disks
  return Buffer.concat([record, locator, end]);
}

/** DOS date and time in the local zone (as yazl and Info-ZIP write them), clamped to 1980-2107. */
function dosDateTime(value: Date): { date: number; time: number } {
  const min = new Date(1980, 0, 1);
  const max = new Date(2107, 11, 31, 23, 59, 58);
  const d = value < min ? min : value > max ? max : value;
  return {
    date: (d.getDate() & 0x1f) | (((d.getMonth() + 1) & 0xf) << 5) | (((d.getFullYear() - 1980) & 0x7f) << 9),
    time: Math.floor(d.getSeconds() / 2) | ((d.getMinutes() & 0x3f) << 5) | ((d.getHours() & 0x1f) << 11),
  };
}
