import { AppError } from '../errors/app-error';
import { CHUNK_TYPE_CODE, open, seal, type ChunkType } from './chunk-crypto';

/**
 * A pack blob (`packs/<2 hex>/<pack id>`), restic-style:
 *
 *   chunk 0 ‖ chunk 1 ‖ … ‖ chunk n-1 ‖ sealed header ‖ header length (u32 LE) ‖ "MBP1"
 *
 * Each chunk is nonce ‖ AES-256-GCM(compressed plaintext) ‖ tag. The header is sealed too (AAD:
 * "pack-header", pack id) and lists every chunk, so the index can be rebuilt from packs alone.
 */
export const PACK_MAGIC = Buffer.from('MBP1', 'ascii');
export const PACK_TRAILER_BYTES = 8;
const HEADER_MAGIC = Buffer.from('MBPH', 'ascii');
const HEADER_ENTRY_BYTES = 1 + 1 + 32 + 4 + 4 + 4;

export interface PackEntry {
  id: Buffer;
  type: ChunkType;
  /** Compression flags (low bits). */
  flags: number;
  offset: number;
  storedLength: number;
  rawLength: number;
}

export function packBlobName(packId: string): string {
  return `packs/${packId.slice(0, 2)}/${packId}`;
}

export function packIdFromBlobName(name: string): string | undefined {
  const match = /^packs\/[0-9a-f]{2}\/([0-9a-f]{32})$/.exec(name);
  return match?.[1];
}

function headerAad(packId: string): Buffer {
  return Buffer.from(`pack-header\0${packId}`, 'utf8');
}

/** Collects sealed chunks for one pack; `finish` appends the header and trailer. */
export class PackBuilder {
  readonly entries: PackEntry[] = [];
  private readonly parts: Buffer[] = [];
  private bytes = 0;

  constructor(readonly packId: string) {}

  get size(): number {
    return this.bytes;
  }

  get count(): number {
    return this.entries.length;
  }

  /** Appends a sealed chunk (its parts, as `sealParts` returns them). */
  add(id: Buffer, type: ChunkType, flags: number, rawLength: number, sealed: readonly Buffer[]): PackEntry {
    const storedLength = sealed.reduce((sum, part) => sum + part.length, 0);
    const entry: PackEntry = { id, type, flags, offset: this.bytes, storedLength, rawLength };
    this.entries.push(entry);
    this.parts.push(...sealed);
    this.bytes += storedLength;
    return entry;
  }

  /** The pack's bytes, as parts in order (uploaded without joining them). */
  finish(encryptionKey: Buffer): Buffer[] {
    const header = Buffer.alloc(HEADER_MAGIC.length + 4 + this.entries.length * HEADER_ENTRY_BYTES);
    HEADER_MAGIC.copy(header, 0);
    header.writeUInt32LE(this.entries.length, 4);
    let at = 8;
    for (const entry of this.entries) {
      header[at] = CHUNK_TYPE_CODE[entry.type];
      header[at + 1] = entry.flags;
      entry.id.copy(header, at + 2);
      header.writeUInt32LE(entry.offset, at + 34);
      header.writeUInt32LE(entry.storedLength, at + 38);
      header.writeUInt32LE(entry.rawLength, at + 42);
      at += HEADER_ENTRY_BYTES;
    }
    const sealedHeader = seal(encryptionKey, headerAad(this.packId), header);
    const trailer = Buffer.alloc(PACK_TRAILER_BYTES);
    trailer.writeUInt32LE(sealedHeader.length, 0);
    PACK_MAGIC.copy(trailer, 4);
    const pack = [...this.parts, sealedHeader, trailer];
    this.parts.length = 0;
    return pack;
  }
}

/** Reads the header length from a pack's last 8 bytes. */
export function parsePackTrailer(trailer: Buffer, packId: string): number {
  if (trailer.length !== PACK_TRAILER_BYTES || !trailer.subarray(4).equals(PACK_MAGIC))
    throw new AppError('permanent', `repository integrity check failed: pack ${packId} has no valid trailer`);
  return trailer.readUInt32LE(0);
}

/** Decrypts and decodes a pack's header (the sealed bytes before the trailer). */
export function parsePackHeader(encryptionKey: Buffer, packId: string, sealedHeader: Buffer): PackEntry[] {
  const header = open(encryptionKey, headerAad(packId), sealedHeader, `header of pack ${packId}`);
  if (!header.subarray(0, 4).equals(HEADER_MAGIC))
    throw new AppError(
      'permanent',
      `repository integrity check failed: pack ${packId} header is not a pack header`,
    );
  const count = header.readUInt32LE(4);
  if (header.length !== 8 + count * HEADER_ENTRY_BYTES)
    throw new AppError(
      'permanent',
      `repository integrity check failed: pack ${packId} header length mismatch`,
    );
  const entries: PackEntry[] = [];
  for (let i = 0, at = 8; i < count; i++, at += HEADER_ENTRY_BYTES) {
    entries.push({
      type: header[at] === CHUNK_TYPE_CODE.tree ? 'tree' : 'data',
      flags: header[at + 1]!,
      id: Buffer.from(header.subarray(at + 2, at + 34)),
      offset: header.readUInt32LE(at + 34),
      storedLength: header.readUInt32LE(at + 38),
      rawLength: header.readUInt32LE(at + 42),
    });
  }
  return entries;
}
