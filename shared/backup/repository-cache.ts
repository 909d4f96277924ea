import type { Repository } from '../repository';

/**
 * One repository writer per tenant per process, shared by that tenant's jobs (one index in memory,
 * packs filled by all of them). A writer whose upload failed refuses further work, so the next
 * caller gets a freshly opened one; a failed open is not cached.
 */
export function repositoryCache(
  open: (tenantId: string) => Promise<Repository>,
): (tenantId: string) => Promise<Repository> {
  const repositories = new Map<string, Promise<Repository>>();
  const repositoryFor = async (tenantId: string): Promise<Repository> => {
    let pending = repositories.get(tenantId);
    if (!pending) {
      pending = open(tenantId);
      repositories.set(tenantId, pending);
      pending.catch(() => {
        if (repositories.get(tenantId) === pending) repositories.delete(tenantId);
      });
    }
    const repository = await pending;
    if (!repository.failed) return repository;
    if (repositories.get(tenantId) === pending) repositories.delete(tenantId);
    return repositoryFor(tenantId);
  };
  return repositoryFor;
}
