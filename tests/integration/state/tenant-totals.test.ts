import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAzurite, type RunningAzurite } from '../../../dev/azurite';
import { TenantTotalsStore, type SnapshotOutcome } from '../../../shared/backup/tenant-totals';
import { createStorageClients } from '../../../shared/storage/storage-clients';
import { Tables } from '../../../shared/storage/tables';
import { testSettings } from '../../support/settings';

describe('tenant totals', () => {
  let azurite: RunningAzurite;
  let totals: TenantTotalsStore;
  beforeAll(async () => {
    azurite = await startAzurite();
    totals = new TenantTotalsStore(
      new Tables(createStorageClients(testSettings({ AzureWebJobsStorage: azurite.connectionString }))),
    );
  });
  afterAll(async () => {
    await azurite?.stop();
  });

  const outcome = (fields: Partial<SnapshotOutcome>): SnapshotOutcome => ({
    kind: 'mailbox',
    previousStatus: undefined,
    status: 'completed',
    committed: true,
    previousGoodBytes: 0,
    logicalBytes: 1000,
    finishedAt: '2026-11-22T06:00:00.000Z',
    ...fields,
  });

  it('counts every snapshot exactly when many workers commit for one tenant at once', async () => {
    await Promise.all(Array.from({ length: 20 }, () => totals.apply('busy', outcome({}))));
    const result = await totals.get('busy');
    expect(result.snapshotCount).toBe(20);
    expect(result.dataUnderProtectionBytes).toBe(20_000);
    expect(result.workloads.exchange.healthy).toBe(20);
  });

  it('moves a resource between healthy, warning and failing, and tracks data under protection', async () => {
    await totals.apply('t', outcome({ logicalBytes: 500 }));
    await totals.apply(
      't',
      outcome({
        previousStatus: 'completed',
        status: 'completed-with-warnings',
        previousGoodBytes: 500,
        logicalBytes: 800,
        finishedAt: '2026-11-22T12:00:00.000Z',
      }),
    );
    await totals.apply(
      't',
      outcome({ previousStatus: 'completed-with-warnings', status: 'failed', committed: false }),
    );
    await totals.apply('t', outcome({ kind: 'onedrive', logicalBytes: 2000 }));
    const result = await totals.get('t');
    expect(result.snapshotCount).toBe(3);
    expect(result.dataUnderProtectionBytes).toBe(2800);
    expect(result.workloads.exchange).toEqual({
      healthy: 0,
      warning: 0,
      failing: 1,
      lastGoodSnapshotAt: '2026-11-22T12:00:00.000Z',
    });
    expect(result.workloads.onedrive.healthy).toBe(1);
    expect(result.workloads.sharepoint).toEqual({
      healthy: 0,
      warning: 0,
      failing: 0,
      lastGoodSnapshotAt: null,
    });
  });
});
