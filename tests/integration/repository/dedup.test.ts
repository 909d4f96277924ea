import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sampleMail } from '../../../shared/repository/sample-mail';
import {
  newTenantId,
  pseudoRandomBytes,
  readAll,
  startRepositoryFixture,
  type RepositoryFixture,
} from './helpers';

describe('repository deduplication against Azurite', () => {
  let fixture: RepositoryFixture;
  beforeAll(async () => {
    fixture = await startRepositoryFixture();
  });
  afterAll(async () => {
    await fixture?.stop();
  });

  it('stores the same content once, within a run and across runs', async () => {
    const tenantId = newTenantId();
    const repo = await fixture.open(tenantId);
    const mail = sampleMail(5);
    const file = await pseudoRandomBytes(5, 6 * 1024 * 1024);
    const first = [await repo.putBuffer(mail), await repo.putBuffer(file)];
    const second = [await repo.putBuffer(mail), await repo.putBuffer(file)];
    await repo.flush();
    expect(second).toEqual(first);
    const afterFirstRun = repo.stats();
    expect(afterFirstRun.dedupedChunks).toBe(afterFirstRun.newChunks);

    const nextRun = await fixture.open(tenantId);
    expect(await nextRun.putBuffer(file)).toEqual(first[1]);
    await nextRun.flush();
    expect(nextRun.stats()).toMatchObject({
      newChunks: 0,
      packsWritten: 0,
      indexFilesWritten: 0,
      storedBytes: 0,
    });
  });

  it('stores only a few new chunks for a large file edited in the middle or with bytes inserted', async () => {
    const tenantId = newTenantId();
    const repo = await fixture.open(tenantId);
    const original = await pseudoRandomBytes(9, 24 * 1024 * 1024);
    const base = await repo.putStream([original]);
    await repo.flush();

    const edited = Buffer.from(original);
    edited.write('a few bytes changed', 12 * 1024 * 1024);
    const inserted = Buffer.concat([
      original.subarray(0, 7 * 1024 * 1024),
      Buffer.from('inserted text'),
      original.subarray(7 * 1024 * 1024),
    ]);
    for (const changed of [edited, inserted]) {
      const before = repo.stats();
      const ref = await repo.putStream([changed]);
      await repo.flush();
      const newChunks = repo.stats().newChunks - before.newChunks;
      expect(newChunks).toBeGreaterThanOrEqual(1);
      expect(newChunks).toBeLessThanOrEqual(3);
      expect(ref.chunks.filter((id) => base.chunks.includes(id)).length).toBeGreaterThanOrEqual(
        base.chunks.length - 3,
      );
      expect((await readAll(repo.readContent(ref))).equals(changed)).toBe(true);
    }
  });

  it('gives equal content in two tenants different chunk ids, stored in separate containers', async () => {
    const [a, b] = [newTenantId(), newTenantId()];
    const repoA = await fixture.open(a);
    const repoB = await fixture.open(b);
    const mail = sampleMail(11);
    const refA = await repoA.putBuffer(mail);
    const refB = await repoB.putBuffer(mail);
    expect(refA.sha256).toBe(refB.sha256);
    expect(refA.chunks[0]).not.toBe(refB.chunks[0]);
    expect(repoB.has(refA.chunks[0]!)).toBe(false);
    expect(repoA.repositoryId).not.toBe(repoB.repositoryId);
  });
});
