/**
 * Compact JWS (RS256, and PS256 for client assertions) with Node's crypto: signing the tokens the
 * simulated Entra ID issues, and verifying both those and the client assertions apps present.
 */
import { constants, createHash, sign, verify, type KeyObject } from 'node:crypto';

export type JwtHeader = { alg: string; typ?: string; kid?: string; x5t?: string; 'x5t#S256'?: string };
export type JwtPayload = Record<string, unknown>;

export function signJwt(payload: JwtPayload, key: KeyObject, header: Omit<JwtHeader, 'alg'> = {}): string {
  const head = Buffer.from(JSON.stringify({ typ: 'JWT', alg: 'RS256', ...header })).toString('base64url');
  const body = Buffer.from(JSON.stringify(payload)).toString('base64url');
  const signature = sign('sha256', Buffer.from(`${head}.${body}`), key).toString('base64url');
  return `${head}.${body}.${signature}`;
}

export interface DecodedJwt {
  header: JwtHeader;
  payload: JwtPayload;
  signingInput: Buffer;
  signature: Buffer;
}

export function decodeJwt(token: string): DecodedJwt | undefined {
  const parts = token.split('.');
  if (parts.length !== 3) return undefined;
  try {
    return {
      header: JSON.parse(Buffer.from(parts[0]!, 'base64url').toString('utf8')) as JwtHeader,
      payload: JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8')) as JwtPayload,
      signingInput: Buffer.from(`${parts[0]}.${parts[1]}`),
      signature: Buffer.from(parts[2]!, 'base64url'),
    };
  } catch {
    return undefined;
  }
}

export function verifySignature(jwt: DecodedJwt, key: KeyObject): boolean {
  try {
    if (jwt.header.alg === 'RS256') return verify('sha256', jwt.signingInput, key, jwt.signature);
    if (jwt.header.alg === 'PS256') {
      return verify(
        'sha256',
        jwt.signingInput,
        { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST },
        jwt.signature,
      );
    }
    return false;
  } catch {
    return false;
  }
}

/** Certificate thumbprints as JWT headers carry them (`x5t` SHA-1, `x5t#S256` SHA-256, base64url). */
export function thumbprints(certDer: Buffer): { x5t: string; x5tS256: string } {
  return {
    x5t: createHash('sha1').update(certDer).digest('base64url'),
    x5tS256: createHash('sha256').update(certDer).digest('base64url'),
  };
}
