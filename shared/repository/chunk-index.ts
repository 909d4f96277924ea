import { AppError } from '../errors/app-error';
import { CHUNK_TYPE_CODE, open, seal, type ChunkType } from './chunk-crypto';

/** Where a chunk is stored. */
export interface ChunkLocation {
  packId: string;
  type: ChunkType;
  flags: number;
  offset: number;
  storedLength: number;
  rawLength: number;
}

export interface IndexEntry extends ChunkLocation {
  id: Buffer;
}

/**
 * The in-memory chunk index: chunk id → pack, offset, lengths, flags. Built for a tenant with a
 * million chunks inside a worker's memory budget, and for a lookup per chunk written:
 *
 * - a fixed 48-byte record per chunk (id 32, pack ordinal 24 bits + type/flags 8 bits, offset,
 *   stored length, raw length: u32 each) appended to 3 MiB pages: no object, no string per chunk;
 * - an open-addressing hash table of u32 record numbers (linear probing, load ≤ 0.75). Chunk ids
 *   are HMAC outputs, uniformly random, so their first four bytes are already a perfect hash;
 * - pack ids interned once (thousands, not millions).
 *
 * About 55 bytes per chunk: ~55 MB for a million chunks. A lookup is one or two probes.
 *
 * Sharding index *files* by id prefix, to load only some, would not help: ids are uniformly
 * random, so any backup of more than a few hundred chunks touches every prefix.
 */
const RECORD = 48;
const PAGE_RECORDS = 65536;
const EMPTY = 0;
const REMOVED = 0xffffffff;

function sameId(page: Buffer, at: number, id: Buffer): boolean {
  for (let k = 0; k < 32; k++) if (page[at + k] !== id[k]) return false;
  return true;
}

export class ChunkIndex {
  private pages: Buffer[] = [];
  private records = 0;
  private live = 0;
  /** Slot → record number + 1 (0 empty, 0xffffffff removed). */
  private slots = new Uint32Array(1024);
  private used = 0;
  private readonly packIds: string[] = [];
  private readonly packOrdinals = new Map<string, number>();

  get size(): number {
    return this.live;
  }

  get packCount(): number {
    return this.packIds.length;
  }

  /** Bytes held by records, the hash table and interned pack ids. */
  get memoryBytes(): number {
    return this.pages.length * PAGE_RECORDS * RECORD + this.slots.byteLength + this.packIds.length * 80;
  }

  /** Adds a chunk; returns false if it was already indexed (the first location wins). */
  add(id: Buffer, location: ChunkLocation): boolean {
    if (id.length !== 32) throw new AppError('invalid', 'a chunk id is 32 bytes');
    if (this.find(id) >= 0) return false;
    if ((this.used + 1) * 4 > this.slots.length * 3) this.grow();
    const record = this.records++;
    const page = record >>> 16;
    if (page === this.pages.length) this.pages.push(Buffer.alloc(PAGE_RECORDS * RECORD));
    this.encode(this.pages[page]!, (record & 0xffff) * RECORD, id, location);
    this.insertSlot(id, record);
    this.live += 1;
    return true;
  }

  has(id: Buffer): boolean {
    return this.find(id) >= 0;
  }

  get(id: Buffer): ChunkLocation | undefined {
    const record = this.find(id);
    if (record < 0) return undefined;
    return this.decode(this.pages[record >>> 16]!, (record & 0xffff) * RECORD);
  }

  /** Removes chunks (used when a pack upload failed, so nothing points at a pack that is not there). */
  removeAll(ids: Buffer[]): void {
    for (const id of ids) {
      const mask = this.slots.length - 1;
      for (let slot = id.readUInt32LE(0) & mask; this.slots[slot] !== EMPTY; slot = (slot + 1) & mask) {
        const value = this.slots[slot]!;
        if (value === REMOVED) continue;
        const record = value - 1;
        const page = this.pages[record >>> 16]!;
        const at = (record & 0xffff) * RECORD;
        if (sameId(page, at, id)) {
          this.slots[slot] = REMOVED;
          page.fill(0, at, at + RECORD);
          this.live -= 1;
          break;
        }
      }
    }
  }

  *entries(): Iterable<IndexEntry> {
    for (const value of this.slots) {
      if (value === EMPTY || value === REMOVED) continue;
      const record = value - 1;
      const page = this.pages[record >>> 16]!;
      const at = (record & 0xffff) * RECORD;
      yield { id: Buffer.from(page.subarray(at, at + 32)), ...this.decode(page, at) };
    }
  }

  /** The record number of `id`, or -1. */
  private find(id: Buffer): number {
    const slots = this.slots;
    const mask = slots.length - 1;
    for (let slot = id.readUInt32LE(0) & mask; ; slot = (slot + 1) & mask) {
      const value = slots[slot]!;
      if (value === EMPTY) return -1;
      if (value === REMOVED) continue;
      const record = value - 1;
      if (sameId(this.pages[record >>> 16]!, (record & 0xffff) * RECORD, id)) return record;
    }
  }

  private insertSlot(id: Buffer, record: number): void {
    const mask = this.slots.length - 1;
    let slot = id.readUInt32LE(0) & mask;
    while (this.slots[slot] !== EMPTY) slot = (slot + 1) & mask;
    this.slots[slot] = record + 1;
    this.used += 1;
  }

  /** Doubles the table (dropping removed slots); records stay where they are. */
  private grow(): void {
    const old = this.slots;
    this.slots = new Uint32Array(old.length * 2);
    this.used = 0;
    for (const value of old) {
      if (value === EMPTY || value === REMOVED) continue;
      const record = value - 1;
      this.insertSlot(this.pages[record >>> 16]!.subarray((record & 0xffff) * RECORD), record);
    }
  }

  private packOrdinal(packId: string): number {
    let ordinal = this.packOrdinals.get(packId);
    if (ordinal === undefined) {
      ordinal = this.packIds.length;
      if (ordinal >= 1 << 24)
        throw new AppError('permanent', 'the repository has more packs than the index can address');
      this.packIds.push(packId);
      this.packOrdinals.set(packId, ordinal);
    }
    return ordinal;
  }

  private encode(page: Buffer, at: number, id: Buffer, location: ChunkLocation): void {
    id.copy(page, at, 0, 32);
    const typeFlags = (location.type === 'tree' ? 0x80 : 0) | (location.flags & 0x7f);
    page.writeUInt32LE(((this.packOrdinal(location.packId) << 8) | typeFlags) >>> 0, at + 32);
    page.writeUInt32LE(location.offset, at + 36);
    page.writeUInt32LE(location.storedLength, at + 40);
    page.writeUInt32LE(location.rawLength, at + 44);
  }

  private decode(page: Buffer, at: number): ChunkLocation {
    const packAndFlags = page.readUInt32LE(at + 32);
    return {
      packId: this.packIds[packAndFlags >>> 8]!,
      type: packAndFlags & 0x80 ? 'tree' : 'data',
      flags: packAndFlags & 0x7f,
      offset: page.readUInt32LE(at + 36),
      storedLength: page.readUInt32LE(at + 40),
      rawLength: page.readUInt32LE(at + 44),
    };
  }
}

/**
 * An index file (`index/<random id>`), written once after its packs are durable:
 *
 *   sealed( "MBIX" ‖ version u8 ‖ pack count u32 ‖ pack ids (16 bytes each) ‖
 *           superseded index count u32 ‖ index ids (16 bytes each) ‖
 *           entry count u32 ‖ entries sorted by id: id 32 ‖ pack ordinal u32 ‖ type u8 ‖ flags u8 ‖
 *           offset u32 ‖ stored length u32 ‖ raw length u32 )
 *
 * AAD "index", index id. 50 bytes per chunk: one file per flush, however many chunks it names.
 */
const INDEX_MAGIC = Buffer.from('MBIX', 'ascii');
const INDEX_ENTRY = 32 + 4 + 1 + 1 + 4 + 4 + 4;

export function indexBlobName(indexId: string): string {
  return `index/${indexId}`;
}

export function indexIdFromBlobName(name: string): string | undefined {
  return /^index\/([0-9a-f]{32})$/.exec(name)?.[1];
}

function indexAad(indexId: string): Buffer {
  return Buffer.from(`index\0${indexId}`, 'utf8');
}

export interface IndexFile {
  entries: IndexEntry[];
  /** Index files this one replaces (compaction); readers may ignore them once this one is read. */
  supersedes: string[];
}

export function encodeIndexFile(encryptionKey: Buffer, indexId: string, file: IndexFile): Buffer {
  const packIds: string[] = [];
  const ordinals = new Map<string, number>();
  for (const entry of file.entries) {
    if (!ordinals.has(entry.packId)) {
      ordinals.set(entry.packId, packIds.length);
      packIds.push(entry.packId);
    }
  }
  const entries = [...file.entries].sort((a, b) => a.id.compare(b.id));
  const size =
    4 + 1 + 4 + packIds.length * 16 + 4 + file.supersedes.length * 16 + 4 + entries.length * INDEX_ENTRY;
  const plain = Buffer.alloc(size);
  INDEX_MAGIC.copy(plain, 0);
  plain[4] = 1;
  let at = 5;
  plain.writeUInt32LE(packIds.length, at);
  at += 4;
  for (const packId of packIds) at += Buffer.from(packId, 'hex').copy(plain, at);
  plain.writeUInt32LE(file.supersedes.length, at);
  at += 4;
  for (const indexIdOld of file.supersedes) at += Buffer.from(indexIdOld, 'hex').copy(plain, at);
  plain.writeUInt32LE(entries.length, at);
  at += 4;
  for (const entry of entries) {
    entry.id.copy(plain, at);
    plain.writeUInt32LE(ordinals.get(entry.packId)!, at + 32);
    plain[at + 36] = CHUNK_TYPE_CODE[entry.type];
    plain[at + 37] = entry.flags;
    plain.writeUInt32LE(entry.offset, at + 38);
    plain.writeUInt32LE(entry.storedLength, at + 42);
    plain.writeUInt32LE(entry.rawLength, at + 46);
    at += INDEX_ENTRY;
  }
  return seal(encryptionKey, indexAad(indexId), plain);
}

/** Decodes an index file, calling `onEntry` per entry (no array of a million objects). */
export function decodeIndexFile(
  encryptionKey: Buffer,
  indexId: string,
  sealed: Buffer,
  onEntry: (id: Buffer, location: ChunkLocation) => void,
): { supersedes: string[]; count: number } {
  const plain = open(encryptionKey, indexAad(indexId), sealed, `index file ${indexId}`);
  const bad = () =>
    new AppError('permanent', `repository integrity check failed: index file ${indexId} is malformed`);
  if (!plain.subarray(0, 4).equals(INDEX_MAGIC) || plain[4] !== 1) throw bad();
  let at = 5;
  const packCount = plain.readUInt32LE(at);
  at += 4;
  const packIds: string[] = [];
  for (let i = 0; i < packCount; i++, at += 16) packIds.push(plain.toString('hex', at, at + 16));
  const supersededCount = plain.readUInt32LE(at);
  at += 4;
  const supersedes: string[] = [];
  for (let i = 0; i < supersededCount; i++, at += 16) supersedes.push(plain.toString('hex', at, at + 16));
  const count = plain.readUInt32LE(at);
  at += 4;
  if (plain.length !== at + count * INDEX_ENTRY) throw bad();
  for (let i = 0; i < count; i++, at += INDEX_ENTRY) {
    const packId = packIds[plain.readUInt32LE(at + 32)];
    if (packId === undefined) throw bad();
    onEntry(plain.subarray(at, at + 32), {
      packId,
      type: plain[at + 36] === CHUNK_TYPE_CODE.tree ? 'tree' : 'data',
      flags: plain[at + 37]!,
      offset: plain.readUInt32LE(at + 38),
      storedLength: plain.readUInt32LE(at + 42),
      rawLength: plain.readUInt32LE(at + 46),
    });
  }
  return { supersedes, count };
}
