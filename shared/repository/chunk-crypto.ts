import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes } from 'node:crypto';
import { AppError } from '../errors/app-error';

/** What a stored chunk is: item content, or a tree (a snapshot folder). Bound into its id and AAD. */
export type ChunkType = 'data' | 'tree';
export const CHUNK_TYPE_CODE: Record<ChunkType, number> = { data: 0, tree: 1 };

/**
 * The subkeys of a tenant's data key (HKDF-SHA256, salt = repository id). Separate keys per use,
 * so that knowing one (e.g. the chunk-id key, if ids ever had to be computed elsewhere) gives
 * nothing about the others.
 */
export interface RepositoryKeys {
  /** AES-256-GCM key for chunks, pack headers and index files. */
  encryption: Buffer;
  /** HMAC-SHA256 key that names chunks: equal data in two tenants gets unrelated ids. */
  chunkId: Buffer;
  /** Seeds the content-defined chunker's gear table, so chunk boundaries are per tenant too. */
  gearSeed: Buffer;
  /** HMAC key that authenticates the plaintext `config` blob. */
  config: Buffer;
}

export const KEY_INFO = {
  encryption: 'm365-backup/v1/encryption',
  chunkId: 'm365-backup/v1/chunk-id',
  gearSeed: 'm365-backup/v1/chunker-gear',
  config: 'm365-backup/v1/config-mac',
} as const;

export function deriveKeys(dataKey: Buffer, repositoryId: string): RepositoryKeys {
  const derive = (info: string) =>
    Buffer.from(hkdfSync('sha256', dataKey, Buffer.from(repositoryId, 'utf8'), info, 32));
  return {
    encryption: derive(KEY_INFO.encryption),
    chunkId: derive(KEY_INFO.chunkId),
    gearSeed: derive(KEY_INFO.gearSeed),
    config: derive(KEY_INFO.config),
  };
}

/** The chunk id: HMAC-SHA256(chunk-id key, type byte ‖ plaintext), 32 bytes. */
export function computeChunkId(
  key: Buffer,
  type: ChunkType,
  plaintext: Uint8Array | readonly Uint8Array[],
): Buffer {
  const hmac = createHmac('sha256', key).update(Buffer.of(CHUNK_TYPE_CODE[type]));
  for (const part of piecesOf(plaintext)) hmac.update(part);
  return hmac.digest();
}

function piecesOf(data: Uint8Array | readonly Uint8Array[]): readonly Uint8Array[] {
  return data instanceof Uint8Array ? [data] : data;
}

export const NONCE_BYTES = 12;
export const TAG_BYTES = 16;
export const SEAL_OVERHEAD = NONCE_BYTES + TAG_BYTES;

/**
 * `seal`'s output as parts (nonce, ciphertext, tag), for packs: no copy of a chunk into one buffer.
 * The plaintext may come in pieces (a chunk as the network delivered it): the stored bytes are the
 * same as for the pieces joined.
 */
export function sealParts(key: Buffer, aad: Buffer, plaintext: Uint8Array | readonly Uint8Array[]): Buffer[] {
  const nonce = randomBytes(NONCE_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, nonce);
  cipher.setAAD(aad);
  const sealed = [nonce];
  for (const part of piecesOf(plaintext)) {
    const body = cipher.update(part);
    if (body.length > 0) sealed.push(body);
  }
  const last = cipher.final(); // empty for GCM, kept for form
  if (last.length > 0) sealed.push(last);
  sealed.push(cipher.getAuthTag());
  return sealed;
}

/** AES-256-GCM with a random 96-bit nonce: nonce ‖ ciphertext ‖ tag. */
export function seal(key: Buffer, aad: Buffer, plaintext: Uint8Array): Buffer {
  const nonce = randomBytes(NONCE_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, nonce);
  cipher.setAAD(aad);
  const first = cipher.update(plaintext);
  const last = cipher.final();
  return Buffer.concat(
    [nonce, first, last, cipher.getAuthTag()],
    NONCE_BYTES + first.length + last.length + TAG_BYTES,
  );
}

/** Opens what `seal` produced; a wrong key, tampered byte or wrong AAD throws a clear AppError. */
export function open(key: Buffer, aad: Buffer, sealed: Uint8Array, what: string): Buffer {
  if (sealed.length < SEAL_OVERHEAD)
    throw new AppError('permanent', `repository integrity check failed: ${what} is truncated`);
  const bytes = Buffer.from(sealed.buffer, sealed.byteOffset, sealed.byteLength);
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, bytes.subarray(0, NONCE_BYTES));
    decipher.setAAD(aad);
    decipher.setAuthTag(bytes.subarray(bytes.length - TAG_BYTES));
    const plain = decipher.update(bytes.subarray(NONCE_BYTES, bytes.length - TAG_BYTES));
    const last = decipher.final(); // empty for GCM: no copy of the chunk into a new buffer
    return last.length > 0 ? Buffer.concat([plain, last]) : plain;
  } catch (error) {
    throw new AppError(
      'permanent',
      `repository integrity check failed: ${what} does not authenticate (tampered, corrupted or wrong key)`,
      { cause: error },
    );
  }
}

/** AAD of a stored chunk: type ‖ compression flags ‖ id. Moving or relabelling a chunk fails to open. */
export function chunkAad(type: ChunkType, flags: number, id: Buffer): Buffer {
  return Buffer.concat([Buffer.of(CHUNK_TYPE_CODE[type], flags), id]);
}

/** A random object name (pack, index, key ids): 16 bytes, hex. Unique across concurrent writers. */
export function randomName(): string {
  return randomBytes(16).toString('hex');
}
