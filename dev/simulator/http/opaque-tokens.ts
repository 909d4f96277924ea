/**
 * Opaque skip and delta tokens. A token carries the original query (select, page size, filter, the
 * round's bounds), so links never repeat query parameters. It is encrypted and authenticated
 * (AES-256-GCM), so, as with real tokens, a client can neither read nor edit one.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

export class OpaqueTokens {
  private readonly key: Buffer;
  /** GCM nonces: a random prefix per process and a counter, so no nonce repeats under this key. */
  private readonly noncePrefix = randomBytes(4);
  private counter = 0n;

  constructor(secret: Buffer) {
    this.key = createHash('sha256').update(secret).update('opaque-tokens').digest();
  }

  seal(payload: object): string {
    const iv = Buffer.allocUnsafe(12);
    this.noncePrefix.copy(iv, 0);
    iv.writeBigUInt64BE(this.counter++, 4);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const body = Buffer.concat([cipher.update(JSON.stringify(payload), 'utf8'), cipher.final()]);
    return Buffer.concat([iv, body, cipher.getAuthTag()]).toString('base64url');
  }

  /** The payload, or undefined when the token is malformed or was tampered with. */
  open<T>(token: string): T | undefined {
    try {
      const raw = Buffer.from(token, 'base64url');
      if (raw.length < 29) return undefined;
      const decipher = createDecipheriv('aes-256-gcm', this.key, raw.subarray(0, 12));
      decipher.setAuthTag(raw.subarray(raw.length - 16));
      const plain = Buffer.concat([decipher.update(raw.subarray(12, raw.length - 16)), decipher.final()]);
      return JSON.parse(plain.toString('utf8')) as T;
    } catch {
      return undefined;
    }
  }
}
