/**
 * The simulated Entra ID's token-signing key (RSA 2048), published as a JWKS with `kid` and `x5t`.
 * Persisted beside the TLS material when the simulator keeps state, so issued tokens stay valid
 * across restarts.
 */
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
} from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export class SigningKeys {
  readonly kid: string;
  readonly publicKey: KeyObject;

  constructor(readonly privateKey: KeyObject) {
    this.publicKey = createPublicKey(privateKey);
    const der = this.publicKey.export({ type: 'spki', format: 'der' });
    this.kid = createHash('sha1').update(der).digest('base64url');
  }

  static load(dir?: string): SigningKeys {
    const path = dir ? join(dir, 'token-signing-key.pem') : undefined;
    if (path && existsSync(path)) return new SigningKeys(createPrivateKey(readFileSync(path, 'utf8')));
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    if (path) writeFileSync(path, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
    return new SigningKeys(privateKey);
  }

  jwks(): { keys: Record<string, unknown>[] } {
    const jwk = this.publicKey.export({ format: 'jwk' });
    return {
      keys: [{ kty: 'RSA', use: 'sig', kid: this.kid, x5t: this.kid, n: jwk.n, e: jwk.e, alg: 'RS256' }],
    };
  }
}
