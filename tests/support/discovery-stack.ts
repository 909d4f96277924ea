import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createBackupCore } from '../../shared/backup/backup-core';
import {
  createDiscoveryCore,
  type DiscoveryCore,
  type DiscoveryCoreOptions,
} from '../../shared/discovery/discovery-core';
import type { DiscoveryService } from '../../shared/discovery/discovery-service';
import { handleGraphNotification } from '../../shared/discovery/graph-webhook';
import type { Notification } from '../../shared/notifications/notification';
import { silentLogger } from '../../shared/observability/logger';
import type { Tenant } from '../../shared/tenants/tenant';
import { BackupStack, type BackupStackOptions } from './backup-stack';

/** The backup stack plus discovery, protection and notifications wired as the app wires them. */
export class DiscoveryStack {
  private constructor(
    readonly backup: BackupStack,
    readonly core: DiscoveryCore,
  ) {}

  static async start(
    options: BackupStackOptions = {},
    coreOptions: DiscoveryCoreOptions = {},
    settingOverrides: Partial<Record<string, string>> = {},
  ): Promise<DiscoveryStack> {
    const backup = await BackupStack.start(options);
    const settings = { ...backup.settings, ...settingOverrides } as typeof backup.settings;
    const core = createDiscoveryCore(settings, createBackupCore(settings, backup.storage), coreOptions);
    // Snapshots raise their alerts through the engine's hook, as the app wires it.
    backup.deps.onFinished = core.onSnapshotFinished(silentLogger);
    return new DiscoveryStack(backup, core);
  }

  /** Another core over the same storage with some settings changed (e.g. the alert mail sender). */
  coreWith(
    settingOverrides: Partial<Record<string, string>>,
    coreOptions: DiscoveryCoreOptions = {},
  ): DiscoveryCore {
    const settings = { ...this.backup.settings, ...settingOverrides } as typeof this.backup.settings;
    return createDiscoveryCore(settings, createBackupCore(settings, this.backup.storage), coreOptions);
  }

  get tenantId(): string {
    return this.backup.tenantId;
  }

  get discovery(): DiscoveryService {
    return this.core.discovery(silentLogger);
  }

  async onboard(changes: Partial<Tenant> = {}): Promise<Tenant> {
    await this.backup.onboard();
    const tenant = { ...(await this.backup.deps.tenants.get(this.tenantId)), ...changes };
    await this.backup.deps.tenants.put(tenant);
    return tenant;
  }

  notifications(): Promise<Notification[]> {
    return this.core.notifications.all(this.tenantId);
  }

  stop(): Promise<void> {
    return this.backup.stop();
  }
}

/** The webhook core behind a plain HTTP server on 127.0.0.1 (what the function does in the host). */
export interface WebhookServer {
  url: string;
  close(): Promise<void>;
}

export async function startWebhookServer(core: DiscoveryCore): Promise<WebhookServer> {
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      handleGraphNotification(core.webhook(silentLogger), {
        validationToken: url.searchParams.get('validationToken'),
        body: Buffer.concat(chunks).toString('utf8'),
        address: req.socket.remoteAddress ?? '',
      }).then(
        (answer) => {
          res.writeHead(answer.status, answer.contentType ? { 'content-type': answer.contentType } : {});
          res.end(answer.body ?? '');
        },
        (error: unknown) => {
          res.writeHead(500);
          res.end(String(error));
        },
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
