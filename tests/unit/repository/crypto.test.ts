import { constants, generateKeyPairSync, privateDecrypt, publicEncrypt, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { AppError } from '../../../shared/errors/app-error';
import { chunkAad, computeChunkId, deriveKeys, open, seal } from '../../../shared/repository/chunk-crypto';
import {
  KeyVaultMasterKey,
  LocalMasterKey,
  WRONG_MASTER_KEY,
  masterKeyFromSettings,
  type KeyWrapClient,
} from '../../../shared/repository/master-key';

describe('chunk encryption and ids', () => {
  const keys = deriveKeys(Buffer.alloc(32, 9), 'repo-1');

  it('derives distinct subkeys, and different ones for another repository id', () => {
    const all = Object.values(keys).map((k) => k.toString('hex'));
    expect(new Set(all).size).toBe(all.length);
    expect(deriveKeys(Buffer.alloc(32, 9), 'repo-2').encryption.equals(keys.encryption)).toBe(false);
  });

  it('names equal data differently under two tenants keys, and trees apart from data', () => {
    const other = deriveKeys(Buffer.alloc(32, 10), 'repo-1');
    const text = Buffer.from('the same attachment in two tenants');
    expect(
      computeChunkId(keys.chunkId, 'data', text).equals(computeChunkId(keys.chunkId, 'data', text)),
    ).toBe(true);
    expect(
      computeChunkId(keys.chunkId, 'data', text).equals(computeChunkId(other.chunkId, 'data', text)),
    ).toBe(false);
    expect(
      computeChunkId(keys.chunkId, 'data', text).equals(computeChunkId(keys.chunkId, 'tree', text)),
    ).toBe(false);
  });

  it('round-trips, hides the plaintext, and refuses a tampered byte or a moved chunk with a clear error', () => {
    const plain = Buffer.from('Subject: quarterly budget review, please find attached');
    const id = computeChunkId(keys.chunkId, 'data', plain);
    const sealed = seal(keys.encryption, chunkAad('data', 0, id), plain);
    expect(sealed.includes(Buffer.from('quarterly'))).toBe(false);
    expect(open(keys.encryption, chunkAad('data', 0, id), sealed, 'chunk').equals(plain)).toBe(true);
    const tampered = Buffer.from(sealed);
    tampered[20] = tampered[20]! ^ 1;
    expect(() => open(keys.encryption, chunkAad('data', 0, id), tampered, 'chunk x')).toThrow(
      /chunk x does not authenticate/,
    );
    const otherId = computeChunkId(keys.chunkId, 'data', Buffer.from('other'));
    expect(() => open(keys.encryption, chunkAad('data', 0, otherId), sealed, 'chunk')).toThrow(AppError);
    expect(() => open(keys.encryption, chunkAad('data', 2, id), sealed, 'chunk')).toThrow(AppError);
  });

  it('uses a fresh nonce per seal', () => {
    const a = seal(keys.encryption, Buffer.alloc(0), Buffer.from('x'));
    const b = seal(keys.encryption, Buffer.alloc(0), Buffer.from('x'));
    expect(a.subarray(0, 12).equals(b.subarray(0, 12))).toBe(false);
  });
});

describe('LocalMasterKey', () => {
  it('wraps and unwraps a data key; another master key or another repository fails clearly', async () => {
    const master = new LocalMasterKey(randomBytes(32));
    const dataKey = randomBytes(32);
    const wrapped = await master.wrap(dataKey, 'repo-a');
    expect(wrapped.wrapped).not.toContain(dataKey.toString('base64'));
    expect((await master.unwrap(wrapped, 'repo-a')).equals(dataKey)).toBe(true);
    const wrong = new LocalMasterKey(randomBytes(32));
    await expect(wrong.unwrap(wrapped, 'repo-a')).rejects.toMatchObject({
      code: 'forbidden',
      message: expect.stringContaining(WRONG_MASTER_KEY),
    });
    await expect(master.unwrap(wrapped, 'repo-b')).rejects.toThrow(WRONG_MASTER_KEY);
  });

  it('accepts only 32-byte keys', () => {
    expect(() => LocalMasterKey.fromBase64(Buffer.alloc(16).toString('base64'))).toThrow(/32 bytes/);
  });
});

/** A stand-in for Key Vault's CryptographyClient: real RSA-OAEP-256 with a key held here. */
function fakeVaultKey(kid: string): KeyWrapClient & { calls: string[] } {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const calls: string[] = [];
  return {
    calls,
    async wrapKey(algorithm, key) {
      calls.push(`wrap ${algorithm}`);
      const result = publicEncrypt(
        { key: publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' },
        key,
      );
      return { result, keyID: kid };
    },
    async unwrapKey(algorithm, encrypted) {
      calls.push(`unwrap ${algorithm}`);
      try {
        return {
          result: privateDecrypt(
            { key: privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' },
            encrypted,
          ),
        };
      } catch {
        throw Object.assign(new Error('Bad Request: the key cannot decrypt this value'), { statusCode: 400 });
      }
    },
  };
}

describe('masterKeyFromSettings', () => {
  it('picks the local key or Key Vault from the settings, and says what is missing', () => {
    const local = masterKeyFromSettings({ BACKUP_MASTER_KEY: Buffer.alloc(32, 1).toString('base64') });
    expect(local.provider).toBe('local');
    const credential = { getToken: async () => null };
    const vault = masterKeyFromSettings(
      { KEY_VAULT_URI: 'https://backup-vault.vault.azure.net/', KEY_VAULT_KEY_NAME: 'backup-master' },
      credential,
    );
    expect(vault).toMatchObject({
      provider: 'key-vault',
      masterKeyId: 'https://backup-vault.vault.azure.net/keys/backup-master',
    });
    expect(() =>
      masterKeyFromSettings({ KEY_VAULT_URI: 'https://v.vault.azure.net', KEY_VAULT_KEY_NAME: 'k' }),
    ).toThrow(/credential/);
    expect(() => masterKeyFromSettings({})).toThrow(/BACKUP_MASTER_KEY/);
  });
});

describe('KeyVaultMasterKey', () => {
  const keyId = 'https://backup-vault.vault.azure.net/keys/backup-master';

  it('wraps with RSA-OAEP-256 inside the vault and records the versioned key id', async () => {
    const client = fakeVaultKey(`${keyId}/v1`);
    const master = new KeyVaultMasterKey({ client, keyId });
    const dataKey = randomBytes(32);
    const wrapped = await master.wrap(dataKey, 'repo');
    expect(wrapped).toMatchObject({
      provider: 'key-vault',
      algorithm: 'RSA-OAEP-256',
      masterKeyId: `${keyId}/v1`,
    });
    expect((await master.unwrap(wrapped, 'repo')).equals(dataKey)).toBe(true);
    expect(client.calls).toEqual(['wrap RSA-OAEP-256', 'unwrap RSA-OAEP-256']);
  });

  it('unwraps through the versioned key after a rotation', async () => {
    const v1 = fakeVaultKey(`${keyId}/v1`);
    const wrapped = await new KeyVaultMasterKey({ client: v1, keyId }).wrap(randomBytes(32), 'repo');
    const v2 = fakeVaultKey(`${keyId}/v2`);
    const rotated = new KeyVaultMasterKey({
      client: v2,
      keyId,
      clientForKeyId: (kid) => (kid.endsWith('/v1') ? v1 : v2),
    });
    expect((await rotated.unwrap(wrapped, 'repo')).length).toBe(32);
  });

  it('fails clearly with another vault key, or a key wrapped locally', async () => {
    const wrapped = await new KeyVaultMasterKey({ client: fakeVaultKey(`${keyId}/v1`), keyId }).wrap(
      randomBytes(32),
      'repo',
    );
    const impostor = new KeyVaultMasterKey({ client: fakeVaultKey(`${keyId}/v1`), keyId });
    await expect(impostor.unwrap(wrapped, 'repo')).rejects.toThrow(WRONG_MASTER_KEY);
    const otherName = new KeyVaultMasterKey({
      client: fakeVaultKey('x'),
      keyId: 'https://backup-vault.vault.azure.net/keys/other',
    });
    await expect(otherName.unwrap(wrapped, 'repo')).rejects.toThrow(
      /wrapped by https:\/\/backup-vault.*backup-master/,
    );
    const local = await new LocalMasterKey(randomBytes(32)).wrap(randomBytes(32), 'repo');
    await expect(impostor.unwrap(local, 'repo')).rejects.toThrow(WRONG_MASTER_KEY);
  });

  it('reports an unreachable vault as retryable, not as a wrong key', async () => {
    const down: KeyWrapClient = {
      wrapKey: async () =>
        Promise.reject(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })),
      unwrapKey: async () =>
        Promise.reject(Object.assign(new Error('Service Unavailable'), { statusCode: 503 })),
    };
    const master = new KeyVaultMasterKey({ client: down, keyId });
    await expect(master.wrap(randomBytes(32), 'repo')).rejects.toMatchObject({ code: 'unavailable' });
    await expect(
      master.unwrap(
        { provider: 'key-vault', algorithm: 'RSA-OAEP-256', masterKeyId: keyId, wrapped: 'AAAA' },
        'repo',
      ),
    ).rejects.toMatchObject({ code: 'unavailable', retryable: true });
  });
});
