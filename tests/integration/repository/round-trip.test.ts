import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sampleMail } from '../../../shared/repository/sample-mail';
import type { ContentRef } from '../../../shared/repository';
import {
  newTenantId,
  pseudoRandomBytes,
  pseudoRandomStream,
  readAll,
  sha256OfStream,
  startRepositoryFixture,
  type RepositoryFixture,
} from './helpers';

describe('repository round trip against Azurite', () => {
  let fixture: RepositoryFixture;
  beforeAll(async () => {
    fixture = await startRepositoryFixture();
  });
  afterAll(async () => {
    await fixture?.stop();
  });

  it('reads back many small items and several large streamed files byte for byte, after reopening', async () => {
    const tenantId = newTenantId();
    const repo = await fixture.open(tenantId, { packTargetSize: 2 * 1024 * 1024 });
    const mails = [Buffer.alloc(0), ...Array.from({ length: 300 }, (_, i) => sampleMail(1000 + i))];
    const mailRefs: ContentRef[] = [];
    for (const mail of mails) mailRefs.push(await repo.putBuffer(mail));
    const sizes = [1024 * 1024 + 1, 3 * 1024 * 1024, 9 * 1024 * 1024 + 12345];
    const fileRefs: ContentRef[] = [];
    for (const [i, size] of sizes.entries())
      fileRefs.push(await repo.putStream(pseudoRandomStream(i, size, 50_000)));
    await repo.flush();

    expect(mailRefs.every((ref) => ref.chunks.length === 1)).toBe(true);
    expect(fileRefs.map((ref) => ref.size)).toEqual(sizes);
    expect(fileRefs[2]!.chunks.length).toBeGreaterThan(2);
    const stats = repo.stats();
    expect(stats.packsWritten).toBeGreaterThan(3);
    expect(stats.indexFilesWritten).toBe(1);

    const reopened = await fixture.open(tenantId);
    for (const [i, ref] of mailRefs.entries())
      expect((await readAll(reopened.readContent(ref))).equals(mails[i]!)).toBe(true);
    for (const [i, ref] of fileRefs.entries()) {
      expect((await readAll(reopened.readContent(ref))).equals(await pseudoRandomBytes(i, sizes[i]!))).toBe(
        true,
      );
    }
  });

  it('streams a 200 MB file through with bounded memory, and reads it back identical', async () => {
    const tenantId = newTenantId();
    const repo = await fixture.open(tenantId);
    const size = 200 * 1024 * 1024;
    // The generator hashes what it produces, so the file is never held and never made twice.
    const source = pseudoRandomStream(77, size);
    const produced = createHash('sha256');
    source.on('data', (piece: Buffer) => produced.update(piece));
    const baseline = process.memoryUsage().rss;
    let peak = baseline;
    const sample = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
    const ref = await repo.putStream(source);
    await repo.flush();
    const expected = { sha256: produced.digest('hex'), size };
    const readBack = await sha256OfStream(repo.readContent(ref));
    clearInterval(sample);
    peak = Math.max(peak, process.memoryUsage().rss);

    expect(ref).toMatchObject({ size, sha256: expected.sha256 });
    expect(readBack).toEqual(expected);
    expect(ref.chunks.length).toBeGreaterThan(100); // ~1 MiB content-defined chunks
    // A few chunk buffers, one pack being filled and four in flight: far below the file's size.
    expect(peak - baseline).toBeLessThan(160 * 1024 * 1024);
  });
});
