import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import type { TokenCredential } from '@azure/identity';
import { CryptographyClient, type KeyWrapAlgorithm } from '@azure/keyvault-keys';
import { AppError } from '../errors/app-error';

/** A data key wrapped by a master key, as stored (base64) in the repository's `keys/` blobs. */
export interface WrappedKey {
  /** Which provider wrapped it: `local` (BACKUP_MASTER_KEY) or `key-vault`. */
  provider: 'local' | 'key-vault';
  /** Wrapping algorithm: `A256GCM` (local) or `RSA-OAEP-256` (Key Vault). */
  algorithm: string;
  /** Identifies the master key (and version): a fingerprint locally, the versioned key id in Key Vault. */
  masterKeyId: string;
  /** The wrapped bytes (base64). */
  wrapped: string;
}

/**
 * Wraps and unwraps tenants' data keys. The master key itself never reaches the repository; with
 * Key Vault it never leaves the vault. `context` (the tenant's repository id) is bound into the
 * wrapping where the algorithm allows it, so a wrapped key cannot be moved to another tenant.
 */
export interface MasterKeyProvider {
  readonly provider: WrappedKey['provider'];
  /** The current master key's id: new data keys are wrapped under it. */
  readonly masterKeyId: string;
  wrap(dataKey: Buffer, context: string): Promise<WrappedKey>;
  /** Throws an AppError (`forbidden`) if this master key does not unwrap it. */
  unwrap(wrapped: WrappedKey, context: string): Promise<Buffer>;
}

export const WRONG_MASTER_KEY = "the master key does not unwrap this tenant's data key";

function wrongKey(detail: string, cause?: unknown): AppError {
  return new AppError('forbidden', `${WRONG_MASTER_KEY} (${detail})`, cause === undefined ? {} : { cause });
}

/**
 * The development master key: 32 bytes from BACKUP_MASTER_KEY (base64). Wraps with AES-256-GCM
 * (random nonce, the tenant's repository id as AAD), stored as nonce ‖ ciphertext ‖ tag.
 */
export class LocalMasterKey implements MasterKeyProvider {
  readonly provider = 'local' as const;
  readonly masterKeyId: string;
  private readonly key: Buffer;

  constructor(key: Buffer) {
    if (key.length !== 32)
      throw new AppError('invalid', `the master key must be 32 bytes, got ${key.length}`, {
        details: [{ field: 'BACKUP_MASTER_KEY', message: 'expected 32 bytes, base64-encoded' }],
      });
    this.key = Buffer.from(key);
    // A fingerprint, not the key: lets an operator see which key wrapped a tenant's data key.
    this.masterKeyId = `local:${createHash('sha256').update('m365-backup master key id').update(key).digest('hex').slice(0, 16)}`;
  }

  static fromBase64(value: string): LocalMasterKey {
    return new LocalMasterKey(Buffer.from(value, 'base64'));
  }

  async wrap(dataKey: Buffer, context: string): Promise<WrappedKey> {
    const nonce = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, nonce);
    cipher.setAAD(Buffer.from(`m365-backup data key\0${context}`));
    const body = Buffer.concat([cipher.update(dataKey), cipher.final()]);
    return {
      provider: 'local',
      algorithm: 'A256GCM',
      masterKeyId: this.masterKeyId,
      wrapped: Buffer.concat([nonce, body, cipher.getAuthTag()]).toString('base64'),
    };
  }

  async unwrap(wrapped: WrappedKey, context: string): Promise<Buffer> {
    if (wrapped.provider !== 'local' || wrapped.algorithm !== 'A256GCM')
      throw wrongKey(`it was wrapped by ${wrapped.provider} ${wrapped.masterKeyId}`);
    const bytes = Buffer.from(wrapped.wrapped, 'base64');
    if (bytes.length < 12 + 16) throw wrongKey('the wrapped key is truncated');
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, bytes.subarray(0, 12));
      decipher.setAAD(Buffer.from(`m365-backup data key\0${context}`));
      decipher.setAuthTag(bytes.subarray(bytes.length - 16));
      return Buffer.concat([decipher.update(bytes.subarray(12, bytes.length - 16)), decipher.final()]);
    } catch (error) {
      throw wrongKey(
        wrapped.masterKeyId === this.masterKeyId
          ? 'authentication failed'
          : `it was wrapped by ${wrapped.masterKeyId}, this is ${this.masterKeyId}`,
        error,
      );
    }
  }
}

/** The part of `@azure/keyvault-keys`' CryptographyClient this provider uses (tests inject a fake). */
export interface KeyWrapClient {
  wrapKey(algorithm: KeyWrapAlgorithm, key: Uint8Array): Promise<{ result: Uint8Array; keyID?: string }>;
  unwrapKey(algorithm: KeyWrapAlgorithm, encryptedKey: Uint8Array): Promise<{ result: Uint8Array }>;
}

export interface KeyVaultMasterKeyOptions {
  /** Client for the current key (unversioned id: the vault's latest version wraps new keys). */
  client: KeyWrapClient;
  /** The key's id as configured, e.g. `https://vault.vault.azure.net/keys/backup-master`. */
  keyId: string;
  /**
   * Client for a specific (versioned) key id, to unwrap data keys wrapped by an older key version
   * after a rotation. Defaults to `client`.
   */
  clientForKeyId?: (keyId: string) => KeyWrapClient;
}

/**
 * The production master key: an RSA key in Azure Key Vault. Data keys are wrapped with
 * RSA-OAEP-256 inside the vault; the service only ever holds the unwrapped data key in memory.
 */
export class KeyVaultMasterKey implements MasterKeyProvider {
  readonly provider = 'key-vault' as const;
  readonly masterKeyId: string;
  private static readonly algorithm: KeyWrapAlgorithm = 'RSA-OAEP-256';

  constructor(private readonly options: KeyVaultMasterKeyOptions) {
    this.masterKeyId = options.keyId;
  }

  /** From settings KEY_VAULT_URI + KEY_VAULT_KEY_NAME and a credential (managed identity in Azure). */
  static fromSettings(vaultUri: string, keyName: string, credential: TokenCredential): KeyVaultMasterKey {
    const keyId = `${vaultUri.replace(/\/+$/, '')}/keys/${encodeURIComponent(keyName)}`;
    return new KeyVaultMasterKey({
      client: new CryptographyClient(keyId, credential),
      keyId,
      clientForKeyId: (versioned) => new CryptographyClient(versioned, credential),
    });
  }

  async wrap(dataKey: Buffer, _context: string): Promise<WrappedKey> {
    let result: { result: Uint8Array; keyID?: string };
    try {
      result = await this.options.client.wrapKey(KeyVaultMasterKey.algorithm, dataKey);
    } catch (error) {
      throw translateVaultError(error, 'wrapping a data key');
    }
    return {
      provider: 'key-vault',
      algorithm: KeyVaultMasterKey.algorithm,
      // The versioned id, so the key can still be unwrapped after the vault key is rotated.
      masterKeyId: result.keyID ?? this.options.keyId,
      wrapped: Buffer.from(result.result).toString('base64'),
    };
  }

  async unwrap(wrapped: WrappedKey, _context: string): Promise<Buffer> {
    if (wrapped.provider !== 'key-vault' || wrapped.algorithm !== KeyVaultMasterKey.algorithm)
      throw wrongKey(`it was wrapped by ${wrapped.provider} ${wrapped.masterKeyId}`);
    if (!sameKey(wrapped.masterKeyId, this.options.keyId))
      throw wrongKey(`it was wrapped by ${wrapped.masterKeyId}, this is ${this.options.keyId}`);
    const client =
      wrapped.masterKeyId !== this.options.keyId && this.options.clientForKeyId
        ? this.options.clientForKeyId(wrapped.masterKeyId)
        : this.options.client;
    let result: { result: Uint8Array };
    try {
      result = await client.unwrapKey(KeyVaultMasterKey.algorithm, Buffer.from(wrapped.wrapped, 'base64'));
    } catch (error) {
      const translated = translateVaultError(error, 'unwrapping the data key');
      if (translated.code === 'permanent') throw wrongKey('Key Vault refused to unwrap it', error);
      throw translated;
    }
    if (result.result.length !== 32) throw wrongKey('the unwrapped key has the wrong length');
    return Buffer.from(result.result);
  }
}

/** `…/keys/name` and `…/keys/name/version` name the same key. */
function sameKey(versionedOrNot: string, configured: string): boolean {
  const strip = (id: string) => id.replace(/\/+$/, '').split('/keys/')[1]?.split('/')[0] ?? id;
  const host = (id: string) => id.split('/keys/')[0]?.replace(/\/+$/, '').toLowerCase();
  return strip(versionedOrNot) === strip(configured) && host(versionedOrNot) === host(configured);
}

function translateVaultError(error: unknown, what: string): AppError {
  const status = (error as { statusCode?: number })?.statusCode;
  const message = `Key Vault, ${what}: ${(error as Error)?.message ?? String(error)}`;
  if (status === 401 || status === 403) return new AppError('forbidden', message, { cause: error });
  if (status === 429) return new AppError('throttled', message, { cause: error, retryAfterSeconds: 5 });
  if (status === 400 || status === 404) return new AppError('permanent', message, { cause: error });
  return new AppError('unavailable', message, { cause: error });
}

/** The master key settings (shared/config/settings.ts validates that exactly one kind is set). */
export interface MasterKeySettings {
  BACKUP_MASTER_KEY?: string | undefined;
  KEY_VAULT_URI?: string | undefined;
  KEY_VAULT_KEY_NAME?: string | undefined;
}

/**
 * The master key the settings name: Key Vault (with `credential`, the app's managed identity)
 * when KEY_VAULT_URI and KEY_VAULT_KEY_NAME are set, otherwise the local BACKUP_MASTER_KEY.
 */
export function masterKeyFromSettings(
  settings: MasterKeySettings,
  credential?: TokenCredential,
): MasterKeyProvider {
  if (settings.KEY_VAULT_URI && settings.KEY_VAULT_KEY_NAME) {
    if (!credential)
      throw new AppError('invalid', 'a Key Vault master key needs a credential (the managed identity)');
    return KeyVaultMasterKey.fromSettings(settings.KEY_VAULT_URI, settings.KEY_VAULT_KEY_NAME, credential);
  }
  if (settings.BACKUP_MASTER_KEY) return LocalMasterKey.fromBase64(settings.BACKUP_MASTER_KEY);
  throw new AppError(
    'invalid',
    'no master key: set BACKUP_MASTER_KEY, or KEY_VAULT_URI and KEY_VAULT_KEY_NAME',
    {
      details: [{ field: 'BACKUP_MASTER_KEY', message: 'missing' }],
    },
  );
}
