import { describe, expect, it } from 'vitest';
import { ConfigurationError, parseSettings } from '../../../shared/config/settings';
import { sampleSettingValues } from '../../support/settings';

describe('application settings', () => {
  it('accepts the sample settings a newcomer starts with, and fills defaults', () => {
    const settings = parseSettings(sampleSettingValues({ SNAPSHOT_JOB_BUDGET_SECONDS: undefined }));
    expect(settings.SNAPSHOT_JOB_BUDGET_SECONDS).toBe(300);
    expect(settings.SNAPSHOT_SCHEDULE).toBe('0 0 */6 * * *');
  });

  it('names every bad or missing setting in one error, with what it expects', () => {
    let error: unknown;
    try {
      parseSettings(
        sampleSettingValues({
          AzureWebJobsStorage: 'nonsense',
          BACKUP_MASTER_KEY: 'too-short',
          SNAPSHOT_SCHEDULE: '0 */6 * * *',
          BACKUP_APP_CLIENT_ID: undefined,
          SNAPSHOT_JOB_BUDGET_SECONDS: 'ten',
        }),
      );
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigurationError);
    const message = (error as Error).message;
    for (const name of [
      'AzureWebJobsStorage',
      'BACKUP_MASTER_KEY',
      'SNAPSHOT_SCHEDULE',
      'BACKUP_APP_CLIENT_ID',
      'SNAPSHOT_JOB_BUDGET_SECONDS',
    ]) {
      expect(message).toContain(name);
    }
    expect(message).toContain('six-field NCRONTAB');
    expect((error as ConfigurationError).problems).toHaveLength(5);
  });

  it("checks the worker process's malloc settings, which glibc would silently ignore when wrong", () => {
    const settings = parseSettings(sampleSettingValues());
    expect(settings.MALLOC_ARENA_MAX).toBe(2);
    expect(settings.MALLOC_MMAP_THRESHOLD_).toBe(131072);
    expect(() =>
      parseSettings(sampleSettingValues({ MALLOC_ARENA_MAX: '0', MALLOC_MMAP_THRESHOLD_: '64MB' })),
    ).toThrow(
      /MALLOC_ARENA_MAX: expected at least 1[\s\S]*MALLOC_MMAP_THRESHOLD_: expected a number of bytes/,
    );
    expect(() => parseSettings(sampleSettingValues({ MALLOC_MMAP_THRESHOLD_: '67108864' }))).toThrow(
      /MALLOC_MMAP_THRESHOLD_: expected at most 33554432 bytes/,
    );
  });

  it('treats an empty value as missing and asks for one master key source only', () => {
    expect(() => parseSettings(sampleSettingValues({ BACKUP_MASTER_KEY: '' }))).toThrow(
      /BACKUP_MASTER_KEY: missing/,
    );
    expect(() =>
      parseSettings(
        sampleSettingValues({ KEY_VAULT_URI: 'https://v.vault.azure.net', KEY_VAULT_KEY_NAME: 'k' }),
      ),
    ).toThrow(/either BACKUP_MASTER_KEY or the Key Vault settings/);
    const vault = parseSettings(
      sampleSettingValues({
        BACKUP_MASTER_KEY: undefined,
        KEY_VAULT_URI: 'https://v.vault.azure.net',
        KEY_VAULT_KEY_NAME: 'k',
      }),
    );
    expect(vault.KEY_VAULT_KEY_NAME).toBe('k');
  });
});
