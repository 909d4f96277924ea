import { z } from 'zod';

/**
 * Every application setting the app reads, in one schema. In Azure these are App Settings; under
 * the local host and `func start` they come from `local.settings.json` `Values`. Nothing else in
 * the app reads `process.env`: collaborators receive the parsed `Settings`.
 */
const storageConnectionString = z
  .string()
  .trim()
  .min(1, 'expected an Azure Storage connection string')
  .refine(
    (value) => /(^|;)\s*(AccountName|BlobEndpoint|UseDevelopmentStorage)\s*=/i.test(value),
    'expected an Azure Storage connection string (AccountName=…;AccountKey=… or …Endpoint=…)',
  );

const ncrontab = z
  .string()
  .trim()
  .refine((v) => v.split(/\s+/).length === 6, {
    message: 'expected a six-field NCRONTAB expression, e.g. "0 0 3 * * *" (03:00 every day)',
  });

export const settingsSchema = z
  .object({
    FUNCTIONS_WORKER_RUNTIME: z.literal('node', { error: 'expected "node"' }),
    /** Connection string (local, or shared-key deployments). */
    AzureWebJobsStorage: storageConnectionString.optional(),
    /** Identity-based connection (Azure, managed identity, no shared keys). */
    AzureWebJobsStorage__accountName: z
      .string()
      .regex(/^[a-z0-9]{3,24}$/, 'expected a storage account name (3-24 lowercase letters and digits)')
      .optional(),
    AzureWebJobsStorage__clientId: z
      .string()
      .uuid('expected a managed identity client id (a GUID)')
      .optional(),

    /**
     * Master key that wraps each tenant's data key. Locally: 32 random bytes, base64
     * (BACKUP_MASTER_KEY). In Azure: a Key Vault key (KEY_VAULT_URI + KEY_VAULT_KEY_NAME), used through
     * wrapKey/unwrapKey so the master key never leaves the vault. Exactly one of the two.
     */
    BACKUP_MASTER_KEY: z
      .string()
      .refine((v) => /^[A-Za-z0-9+/]+={0,2}$/.test(v) && Buffer.from(v, 'base64').length === 32, {
        message: 'expected 32 bytes, base64-encoded (e.g. `openssl rand -base64 32`)',
      })
      .optional(),
    KEY_VAULT_URI: z.string().url('expected the vault URL, e.g. https://myvault.vault.azure.net').optional(),
    KEY_VAULT_KEY_NAME: z.string().min(1).optional(),

    /** NCRONTAB (six fields, seconds first) of the snapshot run; the timer reads it as %SNAPSHOT_SCHEDULE%. */
    SNAPSHOT_SCHEDULE: z
      .string()
      .trim()
      .refine((v) => v.split(/\s+/).length === 6, {
        message: 'expected a six-field NCRONTAB expression, e.g. "0 0 */6 * * *" (every 6 hours)',
      }),
    /** NCRONTAB of the daily full discovery (reconciliation) of every active tenant (%DISCOVERY_SCHEDULE%). */
    DISCOVERY_SCHEDULE: ncrontab.default('0 0 3 * * *'),
    /** NCRONTAB of the Graph subscription upkeep: create missing ones, renew those near expiry. */
    SUBSCRIPTION_RENEWAL_SCHEDULE: ncrontab.default('0 0 * * * *'),
    /** NCRONTAB of the notification checks (protected resources without a good snapshot for 24 hours). */
    NOTIFICATION_CHECK_SCHEDULE: ncrontab.default('0 30 * * * *'),
    /**
     * Public base URL Graph delivers change notifications to (`{base}/api/graph/notifications`,
     * lifecycle events to `{base}/api/graph/lifecycle`); locally the host's URL. Unset: no subscriptions
     * (discovery then relies on the daily reconciliation).
     */
    NOTIFICATION_BASE_URL: z.string().url('expected a URL such as https://backup.example.com').optional(),
    /** The provider's service mailbox (user id or UPN) red alerts are mailed from. Unset: no mail. */
    NOTIFICATION_MAIL_SENDER: z.string().trim().min(1).optional(),
    /** The tenant of the service mailbox; default PROVIDER_TENANT_ID. */
    NOTIFICATION_MAIL_TENANT_ID: z.string().uuid('expected a tenant id (a GUID)').optional(),
    /** Days a finished export stays downloadable before the cleanup timer deletes it. */
    EXPORT_RETENTION_DAYS: z.coerce
      .number({ error: 'expected a number of days' })
      .int('expected whole days')
      .min(1, 'at least 1 day')
      .max(365, 'at most 365 days')
      .default(7),
    /** NCRONTAB of the export cleanup (deletes expired exports). */
    EXPORT_CLEANUP_SCHEDULE: ncrontab.default('0 15 * * * *'),
    /** Largest backup zip an import accepts (bytes; checked before the upload is read). */
    IMPORT_MAX_BYTES: z.coerce
      .number({ error: 'expected a number of bytes' })
      .int('expected whole bytes')
      .min(1024, 'expected at least 1024 bytes')
      .max(50 * 1024 ** 3, 'expected at most 50 GiB (53687091200 bytes)')
      .default(2 * 1024 ** 3),
    /** Minutes an import upload link (a write-only SAS for one new blob) stays valid. */
    IMPORT_UPLOAD_LINK_MINUTES: z.coerce
      .number({ error: 'expected a number of minutes' })
      .int('expected whole minutes')
      .min(5, 'expected at least 5 minutes')
      .max(1440, 'expected at most 1440 minutes (a day)')
      .default(30),
    /** Seconds a snapshot job works before it checkpoints and continues in a new job. */
    SNAPSHOT_JOB_BUDGET_SECONDS: z.coerce
      .number({ error: 'expected a number of seconds' })
      .int('expected whole seconds')
      .min(10, 'expected at least 10 seconds')
      .max(3600, "expected at most 3600 seconds (the plan's execution limit must be longer)")
      .default(300),
    /**
     * Megabytes of downloaded content (files and messages on their way into packs) one worker buffers
     * at once, across all its jobs: each download holds its share before it starts reading, so the
     * worker's memory does not grow with the number of jobs it runs.
     */
    BACKUP_BUFFER_MB: z.coerce
      .number({ error: 'expected a number of megabytes' })
      .int('expected whole megabytes')
      .min(16, 'expected at least 16 MB (one large download needs about 8)')
      .max(4096, 'expected at most 4096 MB')
      // Six large downloads (about 8 MB each) at once, as many as the old fixed limit of 6 file
      // streams; small files and messages take a share of twice their size.
      .default(48),
    /** Pack uploads in flight in one worker, across all tenants; each holds one 8 MiB pack in memory. */
    BACKUP_PACK_UPLOADS: z.coerce
      .number({ error: 'expected a number of uploads' })
      .int('expected a whole number')
      .min(1, 'expected at least 1')
      .max(32, 'expected at most 32')
      .default(2),
    /** Megabytes of recently read chunks and trees one worker keeps, shared by all tenants. */
    BACKUP_READ_CACHE_MB: z.coerce
      .number({ error: 'expected a number of megabytes' })
      .int('expected whole megabytes')
      .min(0, 'expected 0 (no cache) or more')
      .max(4096, 'expected at most 4096 MB')
      .default(16),
    /**
     * glibc's malloc, read by the C library when the worker process starts (the app never reads
     * them; they are checked here so that a typo is an error, not silently ignored). The fixed mmap
     * threshold makes freed buffers of 128 KiB and more go back to the system at once, instead of
     * staying in malloc's heaps after a peak; two arenas keep V8's and libuv's threads from holding
     * their own. Measured in docs/backup-engine.md ("Memory").
     */
    MALLOC_ARENA_MAX: z.coerce
      .number({ error: 'expected a number of arenas' })
      .int('expected a whole number')
      .min(1, 'expected at least 1')
      .max(64, 'expected at most 64')
      .optional(),
    MALLOC_MMAP_THRESHOLD_: z.coerce
      .number({ error: 'expected a number of bytes' })
      .int('expected whole bytes')
      .min(0, 'expected 0 or more bytes')
      .max(32 * 1024 * 1024, "expected at most 33554432 bytes (glibc's limit)")
      .optional(),
    /** Tenants start their scheduled snapshots spread over this many seconds (each at a stable offset). */
    SNAPSHOT_SPREAD_SECONDS: z.coerce
      .number({ error: 'expected a number of seconds' })
      .int('expected whole seconds')
      .min(0, 'expected 0 or more seconds')
      .max(3600, 'expected at most 3600 seconds')
      .default(300),
    /** Microsoft Graph's base URL (the simulator's locally). */
    GRAPH_BASE_URL: z
      .string()
      .url('expected a URL such as https://graph.microsoft.com/v1.0')
      .default('https://graph.microsoft.com/v1.0'),
    /** Entra ID authority host (the simulator's locally). */
    ENTRA_AUTHORITY_HOST: z
      .string()
      .url('expected a URL such as https://login.microsoftonline.com')
      .default('https://login.microsoftonline.com'),
    /** The multi-tenant app registration the service reads and restores customer data with. */
    BACKUP_APP_CLIENT_ID: z.string().uuid('expected the application (client) id, a GUID'),
    BACKUP_APP_CLIENT_SECRET: z.string().min(1, "expected the application's client secret"),

    /** The portal API's app id (the `aud` its Entra ID v2 access tokens carry). */
    PORTAL_API_AUDIENCE: z
      .string()
      .trim()
      .min(1, "expected the portal API's application id")
      .default('api://m365-backup-portal'),
    /** The provider's own Entra tenant: only its users can hold Backup.Operator. Unset: no operators. */
    PROVIDER_TENANT_ID: z.string().uuid('expected the provider tenant id (a GUID)').optional(),
    /** Requests per minute per tenant (token bucket refill rate) and the burst a tenant may use at once. */
    API_RATE_LIMIT_PER_MINUTE: z.coerce.number({ error: 'expected a number' }).int().min(1).default(600),
    API_RATE_LIMIT_BURST: z.coerce.number({ error: 'expected a number' }).int().min(1).default(120),
    /** Support business hours, in each tenant's time zone, e.g. "Mon-Fri 09:00-17:00". */
    SUPPORT_BUSINESS_HOURS: z
      .string()
      .trim()
      .regex(
        /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun)(-(Mon|Tue|Wed|Thu|Fri|Sat|Sun))?(,(Mon|Tue|Wed|Thu|Fri|Sat|Sun)(-(Mon|Tue|Wed|Thu|Fri|Sat|Sun))?)* ([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-4]):[0-5]\d$/,
        'expected days and hours such as "Mon-Fri 09:00-17:00"',
      )
      .default('Mon-Fri 09:00-17:00'),
    /** Support holidays (no business hours), comma-separated dates YYYY-MM-DD. */
    SUPPORT_HOLIDAYS: z
      .string()
      .trim()
      .regex(
        /^(\d{4}-\d{2}-\d{2}(\s*,\s*\d{4}-\d{2}-\d{2})*)?$/,
        'expected dates YYYY-MM-DD, comma-separated',
      )
      .default(''),
  })
  .superRefine((value, ctx) => {
    if (!value.AzureWebJobsStorage && !value.AzureWebJobsStorage__accountName) {
      ctx.addIssue({
        code: 'custom',
        path: ['AzureWebJobsStorage'],
        message:
          'missing: set AzureWebJobsStorage (a connection string) or AzureWebJobsStorage__accountName (managed identity)',
      });
    }
    const vault = Boolean(value.KEY_VAULT_URI) || Boolean(value.KEY_VAULT_KEY_NAME);
    if (!value.BACKUP_MASTER_KEY && !vault) {
      ctx.addIssue({
        code: 'custom',
        path: ['BACKUP_MASTER_KEY'],
        message: 'missing: set BACKUP_MASTER_KEY (local key) or KEY_VAULT_URI and KEY_VAULT_KEY_NAME (Azure)',
      });
    }
    if (value.BACKUP_MASTER_KEY && vault) {
      ctx.addIssue({
        code: 'custom',
        path: ['BACKUP_MASTER_KEY'],
        message: 'set either BACKUP_MASTER_KEY or the Key Vault settings, not both',
      });
    }
    if (vault && !(value.KEY_VAULT_URI && value.KEY_VAULT_KEY_NAME)) {
      ctx.addIssue({
        code: 'custom',
        path: [value.KEY_VAULT_URI ? 'KEY_VAULT_KEY_NAME' : 'KEY_VAULT_URI'],
        message: 'missing: KEY_VAULT_URI and KEY_VAULT_KEY_NAME go together',
      });
    }
  });

export type Settings = z.infer<typeof settingsSchema>;

export class ConfigurationError extends Error {
  constructor(readonly problems: readonly { setting: string; message: string }[]) {
    super(
      `Invalid application settings (${problems.length}):\n` +
        problems.map((p) => `  - ${p.setting}: ${p.message}`).join('\n'),
    );
    this.name = 'ConfigurationError';
  }
}

/** Parses settings from an environment-like record; throws one error naming every bad setting. */
export function parseSettings(env: Record<string, string | undefined>): Settings {
  // Empty strings count as missing, as they do in App Settings.
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const result = settingsSchema.safeParse(present);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => ({
    setting: issue.path.length > 0 ? issue.path.map(String).join('.') : '(settings)',
    message:
      issue.code === 'invalid_type' && present[String(issue.path[0])] === undefined
        ? `missing (${issue.message})`
        : issue.message,
  }));
  throw new ConfigurationError(problems);
}

let cached: Settings | undefined;

/** The process's settings, read once. */
export function loadSettings(): Settings {
  cached ??= parseSettings(process.env);
  return cached;
}
