import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BackupStack } from '../support/backup-stack';
import { eventually, repoRoot, sampleSettings, startHost, type RunningHost } from '../support/host';
import { simulatorDrive, simulatorMailbox, snapshotContents } from '../integration/backup/expected-state';

/**
 * The whole path through the real app in the local host: the scheduler timer (fired through the
 * admin endpoint, as on the real host) queues one job per protected resource, the queue-triggered
 * worker backs each up from the simulator into Azurite, and the snapshots hold exactly what the
 * simulator holds.
 */
describe('scheduled backup through the local host', () => {
  let stack: BackupStack;
  let host: RunningHost;
  beforeAll(async () => {
    stack = await BackupStack.start({
      seed: 31,
      shape: {
        users: 1,
        usersWithoutMailbox: 0,
        guests: 0,
        messagesPerMailbox: 20,
        customFoldersPerMailbox: 2,
        filesPerDrive: 6,
        sites: 0,
        groups: 0,
        maxFileBytes: 1024 * 1024,
      },
    });
    await stack.onboard();
    host = await startHost({
      scriptRoot: repoRoot,
      settingsFile: sampleSettings,
      env: {
        AzureWebJobsStorage: stack.azurite.connectionString,
        GRAPH_BASE_URL: stack.simulator.graphBaseUrl,
        ENTRA_AUTHORITY_HOST: stack.simulator.authorityHost,
        BACKUP_APP_CLIENT_ID: stack.simulator.app.clientId,
        BACKUP_APP_CLIENT_SECRET: stack.simulator.app.clientSecret,
        SNAPSHOT_SPREAD_SECONDS: '0',
      },
    });
  });
  afterAll(async () => {
    await host?.stop();
    await stack?.stop();
  });

  it('the scheduler timer leads to committed snapshots equal to the simulator', async () => {
    const user = (await stack.simulator.control.tenant(stack.tenantId)).users[0]!;
    const mailbox = await stack.protect('mailbox', user.id, user.userPrincipalName);
    const drive = await stack.protect('onedrive', user.id, user.userPrincipalName);
    const fired = await fetch(`${host.url}/admin/functions/snapshot-scheduler`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(fired.status).toBe(202);

    await eventually(
      async () => {
        const states = await Promise.all(
          [mailbox, drive].map((r) => stack.deps.resources.get(stack.tenantId, r.resourceId)),
        );
        return states.every((s) => s.lastSnapshotStatus === 'completed');
      },
      { timeoutMs: 90_000, intervalMs: 250, what: 'both snapshots committed' },
    );

    const repository = await stack.deps.repositoryFor(stack.tenantId);
    const mailState = await stack.deps.resources.get(stack.tenantId, mailbox.resourceId);
    const mailRecord = await stack.deps.snapshots.get(mailState.lastGoodSnapshotId!);
    expect(mailRecord.reason).toBe('schedule');
    expect(await snapshotContents(repository, mailRecord.manifestRoot!)).toEqual(
      await simulatorMailbox(stack.simulator, stack.tenantId, user.id),
    );
    const driveState = await stack.deps.resources.get(stack.tenantId, drive.resourceId);
    const driveRecord = await stack.deps.snapshots.get(driveState.lastGoodSnapshotId!);
    expect(await snapshotContents(repository, driveRecord.manifestRoot!)).toEqual(
      await simulatorDrive(stack.simulator, stack.tenantId, user.driveId!),
    );
    const totals = await stack.deps.totals.get(stack.tenantId);
    expect(totals.snapshotCount).toBe(2);
    expect(totals.dataUnderProtectionBytes).toBe(mailRecord.logicalBytes + driveRecord.logicalBytes);
    expect(host.output()).toMatch(/snapshot job finished/);
  });
});
