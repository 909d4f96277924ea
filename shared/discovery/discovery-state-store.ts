import type { TableClient } from '@azure/data-tables';
import { TableNames, isStatus, type Tables } from '../storage/tables';

export type PassMode = 'full' | 'incremental';

type StateEntity = { partitionKey: string; rowKey: string; value: string };
type PendingEntity = { partitionKey: string; rowKey: string; mode: string; requestedAt: string };

const PENDING = 'pending';

/**
 * Per tenant (partition): the users/groups delta links of incremental discovery, and the "pass
 * requested" marker that collapses a burst of change notifications into one discovery pass.
 */
export class DiscoveryStateStore {
  constructor(private readonly tables: Tables) {}

  private table(): Promise<TableClient> {
    return this.tables.client(TableNames.discoveryState);
  }

  async deltaLink(tenantId: string, kind: 'users' | 'groups'): Promise<string | undefined> {
    const table = await this.table();
    try {
      return (await table.getEntity<StateEntity>(tenantId, `delta|${kind}`)).value;
    } catch (error) {
      if (isStatus(error, 404)) return undefined;
      throw error;
    }
  }

  async setDeltaLink(tenantId: string, kind: 'users' | 'groups', link: string): Promise<void> {
    const table = await this.table();
    await table.upsertEntity<StateEntity>(
      { partitionKey: tenantId, rowKey: `delta|${kind}`, value: link },
      'Replace',
    );
  }

  /**
   * Marks a pass as requested. True when this call placed the marker (the caller enqueues the pass);
   * false when one is already pending (its pass will see this change too). A full request upgrades a
   * pending incremental one. A marker older than `staleAfterMs` (its message was lost) is replaced.
   */
  async requestPass(tenantId: string, mode: PassMode, now: Date, staleAfterMs: number): Promise<boolean> {
    const table = await this.table();
    const entity: PendingEntity = {
      partitionKey: tenantId,
      rowKey: PENDING,
      mode,
      requestedAt: now.toISOString(),
    };
    try {
      await table.createEntity(entity);
      return true;
    } catch (error) {
      if (!isStatus(error, 409)) throw error;
    }
    let existing: PendingEntity & { etag: string };
    try {
      existing = await table.getEntity<PendingEntity>(tenantId, PENDING);
    } catch (error) {
      if (isStatus(error, 404)) return this.requestPass(tenantId, mode, now, staleAfterMs); // just taken
      throw error;
    }
    const stale = now.getTime() - Date.parse(existing.requestedAt) > staleAfterMs;
    if (!stale && !(mode === 'full' && existing.mode === 'incremental')) return false;
    try {
      await table.updateEntity(
        { ...entity, mode: mode === 'full' || existing.mode === 'full' ? 'full' : 'incremental' },
        'Replace',
        { etag: existing.etag },
      );
    } catch (error) {
      if (isStatus(error, 412) || isStatus(error, 404)) return false;
      throw error;
    }
    return stale;
  }

  /** Takes the pending marker (the pass starts now); undefined if another worker took it. */
  async takePass(tenantId: string): Promise<PassMode | undefined> {
    const table = await this.table();
    let existing: PendingEntity & { etag: string };
    try {
      existing = await table.getEntity<PendingEntity>(tenantId, PENDING);
    } catch (error) {
      if (isStatus(error, 404)) return undefined;
      throw error;
    }
    try {
      await table.deleteEntity(tenantId, PENDING, { etag: existing.etag });
    } catch (error) {
      if (isStatus(error, 412) || isStatus(error, 404)) return undefined;
      throw error;
    }
    return existing.mode === 'full' ? 'full' : 'incremental';
  }
}
