import { describe, expect, it } from 'vitest';
import { startAzurite } from '../../dev/azurite';
import { HostExitedError, repoRoot, sampleSettings, startHost } from '../support/host';

// The real app (dist/functions/*.js, as package.json "main" says) through the local host.
const settingsFile = sampleSettings;

describe('the real app through the local host', () => {
  it('refuses to start with a missing BACKUP_MASTER_KEY, naming it, and exits 1', async () => {
    const error = await startHost({
      scriptRoot: repoRoot,
      settingsFile,
      // An empty variable wins over the settings file and counts as missing.
      env: { BACKUP_MASTER_KEY: '', KEY_VAULT_URI: undefined, KEY_VAULT_KEY_NAME: undefined },
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HostExitedError);
    expect((error as HostExitedError).exitCode).toBe(1);
    expect((error as HostExitedError).output).toMatch(
      /Functions host failed to start: .*Invalid application settings/,
    );
    expect((error as HostExitedError).output).toContain('BACKUP_MASTER_KEY: missing');
  });

  it('refuses to start with a malformed AzureWebJobsStorage, naming it, and exits 1', async () => {
    const error = await startHost({
      scriptRoot: repoRoot,
      settingsFile,
      env: { AzureWebJobsStorage: 'not-a-connection-string' },
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HostExitedError);
    expect((error as HostExitedError).exitCode).toBe(1);
    expect((error as HostExitedError).output).toContain(
      'AzureWebJobsStorage: expected an Azure Storage connection string',
    );
  });

  it('answers /api/health 200 while Azurite runs and 503 naming the failing parts once it stops', async () => {
    const azurite = await startAzurite();
    const host = await startHost({
      scriptRoot: repoRoot,
      settingsFile,
      env: { AzureWebJobsStorage: azurite.connectionString },
    });
    try {
      expect(host.output()).toContain(`health: httpTrigger [GET] ${host.url}/api/health`);
      const up = await fetch(`${host.url}/api/health`);
      expect(up.status).toBe(200);
      const healthy = (await up.json()) as { status: string; failing: string[]; version: string };
      expect(healthy.status).toBe('healthy');
      expect(healthy.failing).toEqual([]);
      expect(healthy.version).toMatch(/^\d+\.\d+\.\d+/);

      await azurite.stop();
      const down = await fetch(`${host.url}/api/health`);
      expect(down.status).toBe(503);
      const unhealthy = (await down.json()) as { status: string; failing: string[] };
      expect(unhealthy.status).toBe('unhealthy');
      expect(unhealthy.failing.sort()).toEqual(['blob', 'queue', 'table']);
    } finally {
      expect(await host.stop()).toBe(0);
      await azurite.stop();
    }
  });
});
