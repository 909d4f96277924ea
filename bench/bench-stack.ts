/**
 * What bench:backup and bench:restore both set up around the local host: its settings (the sample
 * with Azurite, the simulator and a fixed master key) and the benchmark's customer tenant, active.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { RunningSimulator } from '../dev/simulator';
import { parseSettings, type Settings } from '../shared/config/settings';
import type { TenantStore } from '../shared/tenants/tenant-store';

/** The repository (the benchmarks run from dist/bench). */
const repoRoot = resolve(__dirname, '../..');

/** The master key every benchmark repository is written with (a benchmark, not a secret). */
export const BENCH_MASTER_KEY = Buffer.alloc(32, 42);

/** Writes `<work>/local.settings.json` for the host; returns its path, the parsed settings and the values set over the sample. */
export function writeBenchSettings(
  work: string,
  azuriteConnectionString: string,
  sim: RunningSimulator,
): { settingsFile: string; settings: Settings; values: Record<string, string> } {
  const values: Record<string, string> = {
    FUNCTIONS_WORKER_RUNTIME: 'node',
    AzureWebJobsStorage: azuriteConnectionString,
    BACKUP_MASTER_KEY: BENCH_MASTER_KEY.toString('base64'),
    SNAPSHOT_SCHEDULE: '0 0 0 1 1 *',
    SNAPSHOT_JOB_BUDGET_SECONDS: '300',
    GRAPH_BASE_URL: sim.graphBaseUrl,
    ENTRA_AUTHORITY_HOST: sim.authorityHost,
    BACKUP_APP_CLIENT_ID: sim.app.clientId,
    BACKUP_APP_CLIENT_SECRET: sim.app.clientSecret,
  };
  const sample = JSON.parse(readFileSync(join(repoRoot, 'local.settings.sample.json'), 'utf8')) as {
    Values: Record<string, string>;
  };
  const settingsFile = join(work, 'local.settings.json');
  writeFileSync(
    settingsFile,
    JSON.stringify({ IsEncrypted: false, Values: { ...sample.Values, ...values } }, null, 2),
  );
  return { settingsFile, settings: parseSettings({ ...sample.Values, ...values }), values };
}

/** The simulator's first tenant as an active customer with licences to spare, nothing auto-protected. */
export async function putBenchTenant(tenants: TenantStore, sim: RunningSimulator): Promise<string> {
  const tenant = sim.tenants[0]!;
  const now = new Date().toISOString();
  await tenants.put({
    tenantId: tenant.tenantId,
    displayName: tenant.displayName,
    plan: 'full',
    licences: 1000,
    premiumSupport: false,
    adminContactEmail: `admin@${tenant.domain}`,
    timeZone: 'UTC',
    status: 'active',
    autoProtect: { mailbox: false, onedrive: false, site: false, group: false },
    createdAt: now,
    updatedAt: now,
  });
  return tenant.tenantId;
}
