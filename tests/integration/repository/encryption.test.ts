import { constants, generateKeyPairSync, privateDecrypt, publicEncrypt, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sampleMail } from '../../../shared/repository/sample-mail';
import {
  KeyVaultMasterKey,
  LocalMasterKey,
  WRONG_MASTER_KEY,
  containerNameForTenant,
  openRepository,
  type KeyWrapClient,
} from '../../../shared/repository';
import { listNames, newTenantId, readAll, startRepositoryFixture, type RepositoryFixture } from './helpers';

const SECRET = 'Confidential: the Fabrikam merger closes on the ninth';

describe('repository encryption against Azurite', () => {
  let fixture: RepositoryFixture;
  beforeAll(async () => {
    fixture = await startRepositoryFixture();
  });
  afterAll(async () => {
    await fixture?.stop();
  });

  it('leaves no plaintext of a known message, its subject or its name in any blob', async () => {
    const tenantId = newTenantId();
    const repo = await fixture.open(tenantId);
    const mail = Buffer.concat([sampleMail(1), Buffer.from(`\r\n${SECRET}\r\n`.repeat(50))]);
    const builder = repo.treeBuilder();
    builder.add(['Inbox'], {
      name: SECRET,
      kind: 'message',
      itemId: 'AAMkAGI2',
      metadata: { subject: SECRET },
      content: await repo.putBuffer(mail),
    });
    await builder.finish();
    await repo.flush();

    const store = fixture.store(tenantId);
    const names = await listNames(store);
    expect(names.some((name) => name.startsWith('packs/'))).toBe(true);
    expect(names.some((name) => name.startsWith('index/'))).toBe(true);
    for (const name of names) {
      const data = (await store.get(name))!;
      for (const needle of [SECRET, 'Fabrikam', 'AAMkAGI2', 'Received: from']) {
        expect(data.includes(Buffer.from(needle)), `${needle} in ${name}`).toBe(false);
      }
    }
  });

  it('fails a read clearly when one byte of a pack was changed', async () => {
    const tenantId = newTenantId();
    const repo = await fixture.open(tenantId);
    const ref = await repo.putBuffer(sampleMail(2));
    await repo.flush();
    const container = fixture.blobs.getContainerClient(containerNameForTenant(tenantId));
    const packName = (await listNames(fixture.store(tenantId), 'packs/'))[0]!;
    const pack = await container.getBlobClient(packName).downloadToBuffer();
    pack[40] = pack[40]! ^ 0x01;
    await container.getBlockBlobClient(packName).upload(pack, pack.length);

    const reader = await fixture.open(tenantId);
    await expect(readAll(reader.readContent(ref))).rejects.toMatchObject({
      code: 'permanent',
      message: expect.stringMatching(
        /integrity check failed: data chunk [0-9a-f]{64} in pack [0-9a-f]{32} does not authenticate/,
      ),
    });
  });

  it('refuses to open with the wrong master key, clearly, and opens with the right one', async () => {
    const tenantId = newTenantId();
    const repo = await fixture.open(tenantId);
    const ref = await repo.putBuffer(sampleMail(3));
    await repo.flush();
    const wrong = openRepository({
      blobs: fixture.blobs,
      tenantId,
      masterKey: new LocalMasterKey(randomBytes(32)),
    });
    await expect(wrong).rejects.toMatchObject({
      code: 'forbidden',
      message: expect.stringContaining(WRONG_MASTER_KEY),
    });
    const right = await fixture.open(tenantId);
    expect((await readAll(right.readContent(ref))).equals(sampleMail(3))).toBe(true);
  });

  it('rotates the master key: after adding the new one, both open the repository, and data reads back', async () => {
    const tenantId = newTenantId();
    const repo = await fixture.open(tenantId);
    const ref = await repo.putBuffer(sampleMail(6));
    await repo.flush();
    const next = new LocalMasterKey(randomBytes(32));
    await expect(openRepository({ blobs: fixture.blobs, tenantId, masterKey: next })).rejects.toThrow(
      WRONG_MASTER_KEY,
    );
    await repo.addMasterKey(next);
    const rotated = await openRepository({ blobs: fixture.blobs, tenantId, masterKey: next });
    expect((await readAll(rotated.readContent(ref))).equals(sampleMail(6))).toBe(true);
    expect(rotated.repositoryId).toBe(repo.repositoryId);
    expect((await fixture.open(tenantId)).has(ref.chunks[0]!)).toBe(true);
    expect(await listNames(fixture.store(tenantId), 'keys/')).toHaveLength(2);
  });

  it('wraps the data key with a Key Vault key (fake CryptographyClient) and reopens with it', async () => {
    const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const oaep = { padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' };
    const keyId = 'https://backup-vault.vault.azure.net/keys/backup-master';
    const calls: string[] = [];
    const client: KeyWrapClient = {
      wrapKey: async (algorithm, key) => {
        calls.push(`wrapKey ${algorithm}`);
        return { result: publicEncrypt({ key: publicKey, ...oaep }, key), keyID: `${keyId}/0123abcd` };
      },
      unwrapKey: async (algorithm, encrypted) => {
        calls.push(`unwrapKey ${algorithm}`);
        return { result: privateDecrypt({ key: privateKey, ...oaep }, encrypted) };
      },
    };
    const tenantId = newTenantId();
    const masterKey = new KeyVaultMasterKey({ client, keyId });
    const repo = await openRepository({ blobs: fixture.blobs, tenantId, masterKey });
    const ref = await repo.putBuffer(sampleMail(4));
    await repo.flush();
    const reopened = await openRepository({ blobs: fixture.blobs, tenantId, masterKey });
    expect((await readAll(reopened.readContent(ref))).equals(sampleMail(4))).toBe(true);
    expect(calls).toEqual(['wrapKey RSA-OAEP-256', 'unwrapKey RSA-OAEP-256']);

    const store = fixture.store(tenantId);
    const [keyName] = await listNames(store, 'keys/');
    const record = JSON.parse((await store.get(keyName!))!.toString());
    expect(record).toMatchObject({
      provider: 'key-vault',
      algorithm: 'RSA-OAEP-256',
      masterKeyId: `${keyId}/0123abcd`,
    });

    const local = openRepository({ blobs: fixture.blobs, tenantId, masterKey: fixture.masterKey });
    await expect(local).rejects.toThrow(WRONG_MASTER_KEY);
  });
});
