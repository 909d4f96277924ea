/**
 * OneDrive's QuickXorHash, as Microsoft publishes it
 * (https://learn.microsoft.com/onedrive/developer/code-snippets/quickxorhash):
 *
 *   XorHash0(rgb) = reverse( xor over i of rotate(extend8(rgb[i]), i * 11) )   (160-bit block)
 *   XorHash(rgb)  = xor(extend64(rgb.Length), XorHash0(rgb))
 *
 * with the block laid out little-endian (byte k holds bits 8k..8k+7) and the 64-bit length XORed
 * into the last 8 bytes. Because 11 * 160 is a multiple of 160, byte i lands at the same bit
 * offset as byte i + 160: so the bytes are first XOR-folded into 160 lanes (a plain XOR loop,
 * word-at-a-time), and only the 160 folded lanes are rotated into place at the end.
 */

const WIDTH_BYTES = 160;
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

export interface QuickXorHash {
  update(data: Uint8Array): QuickXorHash;
  /** The 20-byte hash of everything passed so far (does not reset the state). */
  digest(): Buffer;
  /** Base64 of `digest()`, as Graph reports `file.hashes.quickXorHash`. */
  digestBase64(): string;
}

class QuickXorHashState implements QuickXorHash {
  /** XOR fold of the input by position modulo 160. */
  private readonly lanes = new Uint8Array(WIDTH_BYTES);
  private readonly laneWords = new Uint32Array(this.lanes.buffer);
  private length = 0;
  private scratch: Uint32Array | null = null;

  update(data: Uint8Array): QuickXorHash {
    const lanes = this.lanes;
    let pos = this.length % WIDTH_BYTES;
    let i = 0;
    const n = data.length;
    // Byte at a time until the lane position is word aligned.
    while (i < n && (pos & 3) !== 0) {
      lanes[pos] = (lanes[pos] as number) ^ (data[i] as number);
      i++;
      pos = pos + 1 === WIDTH_BYTES ? 0 : pos + 1;
    }
    const wordCount = LITTLE_ENDIAN ? (n - i) >>> 2 : 0;
    if (wordCount > 0) {
      const words = this.wordsOf(data, i, wordCount);
      const lw = this.laneWords;
      let w = pos >>> 2;
      for (let k = 0; k < wordCount; k++) {
        lw[w] = (lw[w] as number) ^ (words[k] as number);
        w = w + 1 === WIDTH_BYTES / 4 ? 0 : w + 1;
      }
      i += wordCount * 4;
      pos = (pos + wordCount * 4) % WIDTH_BYTES;
    }
    while (i < n) {
      lanes[pos] = (lanes[pos] as number) ^ (data[i] as number);
      i++;
      pos = pos + 1 === WIDTH_BYTES ? 0 : pos + 1;
    }
    this.length += n;
    return this;
  }

  /** A Uint32Array over data[from, from + 4 * count): a view when aligned, else a copy. */
  private wordsOf(data: Uint8Array, from: number, count: number): Uint32Array {
    const byteOffset = data.byteOffset + from;
    if ((byteOffset & 3) === 0) return new Uint32Array(data.buffer, byteOffset, count);
    if (!this.scratch || this.scratch.length < count) this.scratch = new Uint32Array(Math.max(count, 16384));
    const view = new Uint8Array(this.scratch.buffer, 0, count * 4);
    view.set(data.subarray(from, from + count * 4));
    return this.scratch;
  }

  digest(): Buffer {
    const out = Buffer.alloc(20);
    for (let lane = 0; lane < WIDTH_BYTES; lane++) {
      const v = this.lanes[lane] as number;
      if (v === 0) continue;
      const bit = (lane * 11) % 160;
      const byte = bit >>> 3;
      const shift = bit & 7;
      out[byte] = (out[byte] as number) ^ ((v << shift) & 0xff);
      if (shift > 0) {
        const next = byte + 1 === 20 ? 0 : byte + 1;
        out[next] = (out[next] as number) ^ (v >>> (8 - shift));
      }
    }
    // The length, 64-bit little-endian, XORed into the last 8 bytes.
    let len = this.length;
    for (let k = 12; k < 20; k++) {
      out[k] = (out[k] as number) ^ (len % 256);
      len = Math.floor(len / 256);
    }
    return out;
  }

  digestBase64(): string {
    return this.digest().toString('base64');
  }
}

export function createQuickXorHash(): QuickXorHash {
  return new QuickXorHashState();
}

/** QuickXorHash (base64) of a buffer or of a sequence of buffers hashed as one. */
export function quickXorHash(data: Uint8Array | Iterable<Uint8Array>): string {
  const h = createQuickXorHash();
  if (data instanceof Uint8Array) h.update(data);
  else for (const chunk of data) h.update(chunk);
  return h.digestBase64();
}
