import { app, type InvocationContext, type Timer } from '@azure/functions';
import { deleteExpiredExports } from '../shared/export/export-engine';
import { loggerFrom } from '../shared/observability/logger';
import { expireUnverifiedRestores } from '../shared/restore/restore-engine';
import { restoreCore } from '../shared/restore/restore-runtime';
import { CODE_LIFETIME_MS } from '../shared/verification/verification-codes';

/**
 * Deletes exports, and import uploads, older than EXPORT_RETENTION_DAYS, and cancels restores whose
 * verification code expired unused (%EXPORT_CLEANUP_SCHEDULE%).
 */
export async function exportCleanup(_timer: Timer, context: InvocationContext): Promise<void> {
  const log = loggerFrom(context, {});
  const deps = restoreCore().export(log);
  const deleted = await deleteExpiredExports(deps);
  const cutoff = new Date(deps.clock.now().getTime() - deps.retentionDays * 24 * 3600 * 1000);
  const uploads = await restoreCore().uploads.deleteOlderThan(cutoff);
  const unverified = await expireUnverifiedRestores(restoreCore().restore(log), CODE_LIFETIME_MS);
  log.info('expired exports and import uploads deleted, unverified restores cancelled', {
    deleted,
    uploads,
    unverified,
  });
}

app.timer('export-cleanup', { schedule: '%EXPORT_CLEANUP_SCHEDULE%', handler: exportCleanup });
