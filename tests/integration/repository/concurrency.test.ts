import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sampleMail } from '../../../shared/repository/sample-mail';
import {
  listNames,
  newTenantId,
  pseudoRandomBytes,
  readAll,
  startRepositoryFixture,
  type RepositoryFixture,
} from './helpers';

describe('two workers in one tenant repository (Azurite)', () => {
  let fixture: RepositoryFixture;
  beforeAll(async () => {
    fixture = await startRepositoryFixture();
  });
  afterAll(async () => {
    await fixture?.stop();
  });

  it('create the repository once, write side by side, and each sees the other after reopening', async () => {
    const tenantId = newTenantId();
    const options = { packTargetSize: 512 * 1024 };
    const [a, b] = await Promise.all([fixture.open(tenantId, options), fixture.open(tenantId, options)]);
    expect(a.repositoryId).toBe(b.repositoryId);
    expect(await listNames(fixture.store(tenantId), 'keys/')).toHaveLength(1);

    const shared = await pseudoRandomBytes(8, 2 * 1024 * 1024); // an attachment both mailboxes hold
    const work = async (repo: typeof a, offset: number) => {
      const refs = [await repo.putBuffer(shared)];
      for (let i = 0; i < 80; i++) refs.push(await repo.putBuffer(sampleMail(offset + i)));
      await repo.flush();
      return refs;
    };
    const [refsA, refsB] = await Promise.all([work(a, 0), work(b, 10_000)]);
    expect(refsA[0]).toEqual(refsB[0]);

    const reader = await fixture.open(tenantId);
    expect((await readAll(reader.readContent(refsA[0]!))).equals(shared)).toBe(true);
    expect((await readAll(reader.readContent(refsA[5]!))).equals(sampleMail(4))).toBe(true);
    expect((await readAll(reader.readContent(refsB[5]!))).equals(sampleMail(10_004))).toBe(true);
    expect(await listNames(fixture.store(tenantId), 'index/')).toHaveLength(2);
  });
});
