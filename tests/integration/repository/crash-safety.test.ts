import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../../shared/errors/app-error';
import { decodeIndexFile } from '../../../shared/repository/chunk-index';
import { deriveKeys } from '../../../shared/repository/chunk-crypto';
import { sampleMail } from '../../../shared/repository/sample-mail';
import type { ContentRef, Repository } from '../../../shared/repository';
import {
  FailingStore,
  listNames,
  newTenantId,
  pseudoRandomBytes,
  readAll,
  startRepositoryFixture,
  type RepositoryFixture,
} from './helpers';

// Small packs and index batches so one run makes many write steps: config, key, packs, index files.
const OPTIONS = {
  packTargetSize: 96 * 1024,
  indexBatchEntries: 20,
  uploadConcurrency: 2,
  smallItemLimit: 64 * 1024,
  chunker: { minSize: 16 * 1024, avgSize: 64 * 1024, maxSize: 256 * 1024 },
};

interface Run {
  root: string;
  refs: Map<string, ContentRef>;
}

/** A backup run: mails and a large file into a folder tree, then flush (the engine then commits). */
async function backUp(repo: Repository, file: Buffer): Promise<Run> {
  const builder = repo.treeBuilder();
  const refs = new Map<string, ContentRef>();
  for (let i = 0; i < 24; i++) {
    const ref = await repo.putBuffer(sampleMail(i));
    refs.set(`mail-${i}`, ref);
    builder.add(['Inbox', i % 2 ? 'Projects' : 'Team'], {
      name: `mail-${i}`,
      kind: 'message',
      itemId: `m${i}`,
      content: ref,
    });
  }
  const fileRef = await repo.putBuffer(file);
  refs.set('big.bin', fileRef);
  builder.add(['Documents'], { name: 'big.bin', kind: 'file', itemId: 'f1', content: fileRef });
  const root = await builder.finish();
  await repo.flush();
  return { root, refs };
}

describe('repository crash safety against Azurite', () => {
  let fixture: RepositoryFixture;
  let file: Buffer;
  beforeAll(async () => {
    fixture = await startRepositoryFixture();
    file = await pseudoRandomBytes(3, 256 * 1024);
  });
  afterAll(async () => {
    await fixture?.stop();
  });

  it('counts the write steps of a clean run', async () => {
    const tenantId = newTenantId();
    const probe = new FailingStore(fixture.store(tenantId), 0, 'before');
    await backUp(await fixture.open(tenantId, OPTIONS, probe), file);
    expect(probe.written.slice(0, 2).map((name) => name.split('/')[0])).toEqual(['keys', 'config']);
    expect(probe.written.filter((name) => name.startsWith('packs/')).length).toBeGreaterThan(4);
    expect(probe.written.filter((name) => name.startsWith('index/')).length).toBeGreaterThan(1);
    // Index files come after the packs they name: the last write is an index file.
    expect(probe.written.at(-1)).toMatch(/^index\//);
  });

  it('after a failure before or after any write step, a rerun yields a snapshot that reads back whole, with no chunk indexed twice', async () => {
    const probeTenant = newTenantId();
    const probe = new FailingStore(fixture.store(probeTenant), 0, 'before');
    await backUp(await fixture.open(probeTenant, OPTIONS, probe), file);
    const steps = probe.writes;

    for (const mode of ['before', 'after'] as const) {
      for (let step = 1; step <= steps; step++) {
        const tenantId = newTenantId();
        const failing = new FailingStore(fixture.store(tenantId), step, mode);
        const crashed = await fixture
          .open(tenantId, OPTIONS, failing)
          .then((repo) => backUp(repo, file))
          .then(
            () => undefined,
            (error: unknown) => error,
          );
        // Upload timing decides how many index files a run writes, so a run may end before `step`.
        if (failing.writes >= step) expect(crashed, `${mode} step ${step}`).toBeInstanceOf(AppError);
        else expect(crashed).toBeUndefined();

        // The job runs again (a new worker): reopen, back up the same items, commit.
        const repo = await fixture.open(tenantId, OPTIONS);
        const run = await backUp(repo, file);
        const report = await repo.verify(run.root, { readData: true });
        expect(report.problems, `${mode} step ${step}`).toEqual([]);
        expect(report.items).toBe(25);

        // A third worker sees exactly the same, and every item reads back.
        const reader = await fixture.open(tenantId);
        const entries: string[] = [];
        for await (const { entry } of reader.walk(run.root)) if (entry.content) entries.push(entry.name);
        expect(entries.sort()).toEqual([...run.refs.keys()].sort());
        expect((await readAll(reader.readContent(run.refs.get('big.bin')!))).equals(file)).toBe(true);
        expect((await readAll(reader.readContent(run.refs.get('mail-7')!))).equals(sampleMail(7))).toBe(true);

        // No chunk indexed twice across all index files.
        const ids = await allIndexedIds(reader, tenantId);
        expect(new Set(ids).size, `${mode} step ${step}`).toBe(ids.length);
      }
    }
  }, 180_000);

  async function allIndexedIds(repo: Repository, tenantId: string): Promise<string[]> {
    const store = fixture.store(tenantId);
    // Tests may look inside: derive the keys the way the repository does.
    const keys = deriveKeys(await dataKey(repo, tenantId), repo.repositoryId);
    const ids: string[] = [];
    for (const name of await listNames(store, 'index/')) {
      const data = (await store.get(name))!;
      decodeIndexFile(keys.encryption, name.slice('index/'.length), data, (id) =>
        ids.push(id.toString('hex')),
      );
    }
    return ids;
  }

  async function dataKey(repo: Repository, tenantId: string): Promise<Buffer> {
    const store = fixture.store(tenantId);
    for (const name of await listNames(store, 'keys/')) {
      const record = JSON.parse((await store.get(name))!.toString());
      try {
        return await fixture.masterKey.unwrap(record, repo.repositoryId);
      } catch {
        // an unused key from a lost creation race
      }
    }
    throw new Error('no key');
  }
});
