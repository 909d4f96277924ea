import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAzurite, type RunningAzurite } from '../../dev/azurite';
import { checkHealth } from '../../shared/health/health';
import { testSettings } from '../support/settings';
import { createStorageClients } from '../../shared/storage/storage-clients';

describe('storage health check against Azurite', () => {
  let azurite: RunningAzurite;
  beforeAll(async () => {
    azurite = await startAzurite();
  });
  afterAll(async () => {
    await azurite?.stop();
  });

  it('reports every storage part healthy while Azurite answers, and names the parts once it stops', async () => {
    const settings = testSettings({ AzureWebJobsStorage: azurite.connectionString });
    const storage = createStorageClients(settings, { maxTries: 1, tryTimeoutMs: 2000 });
    const up = await checkHealth({ storage, version: '1.2.3' });
    expect(up.status).toBe('healthy');
    expect(up.failing).toEqual([]);
    expect(up.version).toBe('1.2.3');

    await azurite.stop();
    const down = await checkHealth({ storage, version: '1.2.3', timeoutMs: 2000 });
    expect(down.status).toBe('unhealthy');
    expect(down.failing.sort()).toEqual(['blob', 'queue', 'table']);
    expect(down.storage.blob.error).toBeTruthy();
  });
});
