import { DefaultAzureCredential, ManagedIdentityCredential, type TokenCredential } from '@azure/identity';
import { TableClient, TableServiceClient } from '@azure/data-tables';
import { BlobServiceClient } from '@azure/storage-blob';
import { QueueServiceClient } from '@azure/storage-queue';
import type { Settings } from '../config/settings';

/** The three Storage service clients the app uses, built once from settings. */
export interface StorageClients {
  tables: TableServiceClient;
  blobs: BlobServiceClient;
  queues: QueueServiceClient;
  /** A client for one table (Azurite and Azure both need the table to exist: see ensureTable). */
  table(name: string): TableClient;
}

export interface StorageClientOptions {
  /** Per-try timeout; health checks use a short one so a dead endpoint answers quickly. */
  tryTimeoutMs?: number;
  maxTries?: number;
}

export function createStorageClients(settings: Settings, options: StorageClientOptions = {}): StorageClients {
  const retryOptions = {
    maxTries: options.maxTries ?? 4,
    ...(options.tryTimeoutMs ? { tryTimeoutInMs: options.tryTimeoutMs } : {}),
  };
  const tableRetry = { retryOptions: { maxRetries: (options.maxTries ?? 4) - 1 } };
  const allowInsecureConnection = true; // Azurite is plain HTTP on loopback; Azure endpoints are https anyway.

  if (settings.AzureWebJobsStorage) {
    const connection = settings.AzureWebJobsStorage;
    const tables = TableServiceClient.fromConnectionString(connection, {
      allowInsecureConnection,
      ...tableRetry,
    });
    return {
      tables,
      blobs: BlobServiceClient.fromConnectionString(connection, { retryOptions }),
      queues: QueueServiceClient.fromConnectionString(connection, { retryOptions }),
      table: (name) =>
        TableClient.fromConnectionString(connection, name, { allowInsecureConnection, ...tableRetry }),
    };
  }

  const account = settings.AzureWebJobsStorage__accountName;
  if (!account) throw new Error('storage settings were validated but name no account');
  const credential: TokenCredential = settings.AzureWebJobsStorage__clientId
    ? new ManagedIdentityCredential({ clientId: settings.AzureWebJobsStorage__clientId })
    : new DefaultAzureCredential();
  const tableUrl = `https://${account}.table.core.windows.net`;
  return {
    tables: new TableServiceClient(tableUrl, credential, tableRetry),
    blobs: new BlobServiceClient(`https://${account}.blob.core.windows.net`, credential, { retryOptions }),
    queues: new QueueServiceClient(`https://${account}.queue.core.windows.net`, credential, { retryOptions }),
    table: (name) => new TableClient(tableUrl, name, credential, tableRetry),
  };
}
