import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sampleMail } from '../../../shared/repository/sample-mail';
import type { ContentRef } from '../../../shared/repository';
import {
  FailingStore,
  listNames,
  newTenantId,
  pseudoRandomBytes,
  readAll,
  startRepositoryFixture,
  type RepositoryFixture,
} from './helpers';

describe('repository index maintenance against Azurite', () => {
  let fixture: RepositoryFixture;
  beforeAll(async () => {
    fixture = await startRepositoryFixture();
  });
  afterAll(async () => {
    await fixture?.stop();
  });

  it('rebuilds the index from pack headers after a run died before writing its index file', async () => {
    const tenantId = newTenantId();
    // Every index file write fails: the packs get uploaded, nothing names them.
    const failing = new FailingStore(fixture.store(tenantId), /^index\//, 'before');
    const crashed = await fixture.open(tenantId, { packTargetSize: 256 * 1024 }, failing);
    const refs: ContentRef[] = [];
    for (let i = 0; i < 50; i++) refs.push(await crashed.putBuffer(sampleMail(i)));
    const file = await pseudoRandomBytes(4, 2 * 1024 * 1024);
    refs.push(await crashed.putBuffer(file));
    await expect(crashed.flush()).rejects.toThrow(/injected failure/);
    expect(failing.written.filter((name) => name.startsWith('packs/')).length).toBeGreaterThan(1);
    expect(await listNames(fixture.store(tenantId), 'index/')).toEqual([]);

    const repo = await fixture.open(tenantId);
    expect(repo.has(refs[0]!.chunks[0]!)).toBe(false);
    const result = await repo.rebuildIndex();
    expect(result.chunksAdded).toBe(50 + refs.at(-1)!.chunks.length);
    expect(result.packsScanned).toBeGreaterThan(1);
    expect((await readAll(repo.readContent(refs[10]!))).equals(sampleMail(10))).toBe(true);
    expect((await readAll((await fixture.open(tenantId)).readContent(refs.at(-1)!))).equals(file)).toBe(true);
    expect((await repo.rebuildIndex()).chunksAdded).toBe(0);
  });

  it('compacts many index files into one that a new writer and reader use', async () => {
    const tenantId = newTenantId();
    const repo = await fixture.open(tenantId);
    const refs: ContentRef[] = [];
    for (let flush = 0; flush < 4; flush++) {
      for (let i = 0; i < 10; i++) refs.push(await repo.putBuffer(sampleMail(flush * 100 + i)));
      await repo.flush();
    }
    const store = fixture.store(tenantId);
    expect(await listNames(store, 'index/')).toHaveLength(4);
    expect(await repo.compactIndex()).toEqual({ filesBefore: 4, chunks: 40 });
    expect(await listNames(store, 'index/')).toHaveLength(1);

    const next = await fixture.open(tenantId);
    expect(refs.every((ref) => next.has(ref.chunks[0]!))).toBe(true);
    await next.putBuffer(sampleMail(3)); // deduplicated against the compacted index
    await next.flush();
    expect(next.stats().newChunks).toBe(0);
    expect((await readAll(next.readContent(refs[25]!))).equals(sampleMail(205))).toBe(true);
  });
});
