import { describe, expect, it } from 'vitest';
import { repositoryCache } from '../../../shared/backup/repository-cache';
import type { Repository } from '../../../shared/repository';

describe('repository cache', () => {
  it('shares one writer per tenant, and replaces a writer whose upload failed', async () => {
    const opened: { tenantId: string; failed: boolean }[] = [];
    const repositoryFor = repositoryCache(async (tenantId) => {
      const fake = { tenantId, failed: false };
      opened.push(fake);
      return fake as unknown as Repository;
    });
    const [a, b] = await Promise.all([repositoryFor('t1'), repositoryFor('t1')]);
    expect(a).toBe(b);
    expect(await repositoryFor('t2')).not.toBe(a);
    expect(opened).toHaveLength(2);
    opened[0]!.failed = true;
    const reopened = await repositoryFor('t1');
    expect(reopened).not.toBe(a);
    expect(reopened.failed).toBe(false);
    expect(opened).toHaveLength(3);
  });

  it('does not cache a failed open (a wrong master key stays an error, a storage blip does not)', async () => {
    let attempts = 0;
    const repositoryFor = repositoryCache(async () => {
      attempts++;
      if (attempts === 1) throw new Error('storage unavailable');
      return { failed: false } as unknown as Repository;
    });
    await expect(repositoryFor('t1')).rejects.toThrow('storage unavailable');
    await expect(repositoryFor('t1')).resolves.toMatchObject({ failed: false });
    expect(attempts).toBe(2);
  });
});
